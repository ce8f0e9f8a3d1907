//! API keys with scopes, checked in constant time, with optional per-key search rates.
//!
//! A marketplace gives its browser front end a `search` key (public by nature), its
//! catalog backend an `ingest` key and its operators an `admin` key; a leaked front-end
//! key then cannot rewrite the catalog. Keys are kept only as SHA-256 digests and
//! compared digest to digest with [`subtle`], so neither the answer time nor a memory
//! dump tells a key; they never reach a log line ([`ApiKey`]'s `Debug` hides them).

use super::error::ErrorCode;
use super::{ApiError, AppState};
use crate::alerts::{TokenError, TokenKey};
use axum::extract::{Path, Request, State};
use axum::http::{header, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::num::NonZeroU32;
use subtle::ConstantTimeEq;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Search and browse (when reads are keyed; a known key's rate applies always).
    Search,
    /// `POST /events` and `GET /events/status`.
    Ingest,
    /// Dead letters, their retry, and rebuilds.
    Admin,
    /// Subscribers' saved searches, watches and notifications: for the marketplace's
    /// backend, which owns its users and speaks for them.
    Alerts,
}

impl Scope {
    /// Every scope, for keys that may do everything.
    pub const ALL: [Scope; 4] = [Scope::Search, Scope::Ingest, Scope::Admin, Scope::Alerts];

    fn name(self) -> &'static str {
        match self {
            Scope::Search => "search",
            Scope::Ingest => "ingest",
            Scope::Admin => "admin",
            Scope::Alerts => "alerts",
        }
    }
}

/// One configured key.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The secret itself.
    pub key: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Most searches per second for this key (bursts up to the same number); none
    /// means unlimited.
    pub search_per_second: Option<NonZeroU32>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("key", &"<hidden>")
            .field("scopes", &self.scopes)
            .field("search_per_second", &self.search_per_second)
            .finish()
    }
}

struct Entry {
    digest: [u8; 32],
    scopes: Vec<Scope>,
    limiter: Option<DefaultDirectRateLimiter>,
}

/// The keys a server accepts, ready to check requests against.
pub struct Keys {
    entries: Vec<Entry>,
}

/// Why a request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No key was given where one is needed.
    Missing,
    /// The server has no key at all, so keyed endpoints are closed.
    NoneConfigured,
    /// The key is not one of the configured keys.
    Unknown,
    /// The key is known but lacks the scope.
    Forbidden(Scope),
    /// The key's search rate is used up; retry after this many seconds.
    Limited(u64),
    /// A subscriber token that is not genuine or has expired.
    Token(TokenError),
    /// A genuine subscriber token, for another subscriber than the path names.
    OtherSubscriber,
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl Keys {
    /// Keys from the configuration.
    pub fn new(keys: &[ApiKey]) -> Keys {
        let entries = keys
            .iter()
            .map(|k| Entry {
                digest: digest(&k.key),
                scopes: k.scopes.clone(),
                limiter: k
                    .search_per_second
                    .map(|n| RateLimiter::direct(Quota::per_second(n))),
            })
            .collect();
        Keys { entries }
    }

    /// The entry whose key is `given`, found without an early exit so the time taken
    /// does not depend on which key (if any) matched.
    fn find(&self, given: &str) -> Option<&Entry> {
        let given = digest(given);
        let mut found = None;
        for e in &self.entries {
            if bool::from(e.digest.ct_eq(&given)) {
                found = Some(e);
            }
        }
        found
    }

    /// Whether a request carrying `given` may do `scope`; `required` says whether the
    /// endpoint needs a key at all (reads may be open). A search by a known key spends
    /// one unit of its rate.
    pub fn check(&self, given: Option<&str>, scope: Scope, required: bool) -> Result<(), Refusal> {
        let given = match given {
            // Open reads on a server without keys: there is nothing to check a key
            // against, and nothing it could unlock.
            Some(_) if !required && self.entries.is_empty() => return Ok(()),
            Some(given) => given,
            None if !required => return Ok(()),
            None if self.entries.is_empty() => return Err(Refusal::NoneConfigured),
            None => return Err(Refusal::Missing),
        };
        let entry = self.find(given).ok_or(if self.entries.is_empty() {
            Refusal::NoneConfigured
        } else {
            Refusal::Unknown
        })?;
        if !entry.scopes.contains(&scope) {
            return Err(Refusal::Forbidden(scope));
        }
        if scope == Scope::Search {
            if let Some(limiter) = &entry.limiter {
                limiter.check().map_err(|not_until| {
                    let wait = not_until.wait_time_from(DefaultClock::default().now());
                    Refusal::Limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
                })?;
            }
        }
        Ok(())
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        let unauthorized = |m: &str| ApiError::new(ErrorCode::Unauthorized, m);
        match r {
            Refusal::Missing => {
                unauthorized("this endpoint needs an API key: Authorization: Bearer <key>")
            }
            Refusal::NoneConfigured => unauthorized(
                "no API key is configured on this server (STOCKYARD_API_KEYS or `keys` in the config), so this endpoint is closed",
            ),
            Refusal::Unknown => unauthorized("the API key is not valid"),
            Refusal::Forbidden(scope) => ApiError::new(ErrorCode::Forbidden, format!("this API key lacks the `{}` scope", scope.name()),
            ),
            Refusal::Limited(secs) => ApiError::new(ErrorCode::RateLimited, format!("this API key's search rate is used up; retry in {secs} s"),
            )
            .retry_after(secs.max(1)),
            Refusal::Token(e @ TokenError::Expired(_)) => {
                ApiError::new(ErrorCode::TokenExpired, e.to_string())
            }
            Refusal::Token(e) => unauthorized(&e.to_string()),
            Refusal::OtherSubscriber => ApiError::new(
                ErrorCode::Forbidden,
                "this subscriber token speaks for another subscriber",
            ),
        }
    }
}

fn bearer(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// A key check in front of a group of endpoints: the scope they need.
#[derive(Clone)]
pub struct Gate {
    state: AppState,
    scope: Scope,
}

impl Gate {
    /// The check for endpoints that need `scope`. Search and browse need a key only
    /// when reads are keyed; a key that is given must be valid all the same, and its
    /// rate applies.
    pub fn new(state: &AppState, scope: Scope) -> Gate {
        Gate {
            state: state.clone(),
            scope,
        }
    }
}

/// The middleware behind a [`Gate`].
pub async fn gate(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    let required = gate.scope != Scope::Search || gate.state.config.keyed_reads;
    match gate.state.keys.check(bearer(&req), gate.scope, required) {
        Ok(()) => next.run(req).await,
        Err(r) => ApiError::from(r).into_response(),
    }
}

/// The middleware in front of `/subscribers/{id}/…`: a key with the `alerts` scope
/// (the marketplace's backend, speaking for anyone), or a subscriber token for that
/// very subscriber (a buyer's browser). A token may come as `Authorization: Bearer`
/// or, for `EventSource`, which cannot set headers, as `?token=`; once checked it is
/// taken out of the query, so no later layer sees or logs it.
pub async fn subscriber_gate(
    State(state): State<AppState>,
    Path(path): Path<Vec<(String, String)>>,
    mut req: Request,
    next: Next,
) -> Response {
    let (query_token, rest) = split_token(req.uri());
    let given = bearer(&req).map(str::to_owned).or(query_token);
    let checked = match given.as_deref() {
        Some(token) if TokenKey::is_token(token) => {
            let subscriber = path.iter().find(|(k, _)| k == "id").map(|(_, v)| v);
            check_token(&state.tokens, token, subscriber.map(String::as_str))
        }
        given => state.keys.check(given, Scope::Alerts, true),
    };
    if let Err(r) = checked {
        return ApiError::from(r).into_response();
    }
    if let Some(uri) = rest {
        *req.uri_mut() = uri;
    }
    next.run(req).await
}

/// Whether `token` opens the endpoints of `subscriber` now.
fn check_token(tokens: &TokenKey, token: &str, subscriber: Option<&str>) -> Result<(), Refusal> {
    let who = tokens
        .verify(token, crate::alerts::token::unix_now())
        .map_err(Refusal::Token)?;
    if subscriber == Some(who.as_str()) {
        Ok(())
    } else {
        Err(Refusal::OtherSubscriber)
    }
}

/// The `token` of a query string, and the URI without it (`None` when there was
/// no token to take out).
pub(crate) fn split_token(uri: &Uri) -> (Option<String>, Option<Uri>) {
    let Some(query) = uri
        .query()
        .filter(|q| q.split('&').any(|p| p.starts_with("token=")))
    else {
        return (None, None);
    };
    let mut token = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("token=") {
            Some(t) => {
                token = Some(t.to_owned());
                false
            }
            None => true,
        })
        .collect();
    let path_and_query = match rest.is_empty() {
        true => uri.path().to_owned(),
        false => format!("{}?{}", uri.path(), rest.join("&")),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    (token, Uri::from_parts(parts).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str, scopes: &[Scope], rate: Option<u32>) -> ApiKey {
        ApiKey {
            key: k.into(),
            scopes: scopes.to_vec(),
            search_per_second: rate.and_then(NonZeroU32::new),
        }
    }

    #[test]
    fn each_scope_opens_only_its_endpoints() {
        let keys = Keys::new(&[
            key("search-key-1", &[Scope::Search], None),
            key("ingest-key-1", &[Scope::Ingest], None),
            key("admin-key-01", &Scope::ALL, None),
        ]);
        assert_eq!(
            keys.check(Some("search-key-1"), Scope::Search, true),
            Ok(())
        );
        assert_eq!(
            keys.check(Some("search-key-1"), Scope::Ingest, true),
            Err(Refusal::Forbidden(Scope::Ingest))
        );
        assert_eq!(
            keys.check(Some("ingest-key-1"), Scope::Admin, true),
            Err(Refusal::Forbidden(Scope::Admin))
        );
        assert_eq!(
            keys.check(Some("admin-key-01"), Scope::Ingest, true),
            Ok(())
        );
        assert_eq!(
            keys.check(Some("admin-key-0"), Scope::Search, false),
            Err(Refusal::Unknown)
        );
        assert_eq!(keys.check(None, Scope::Search, false), Ok(()));
        assert_eq!(keys.check(None, Scope::Ingest, true), Err(Refusal::Missing));
        assert_eq!(
            Keys::new(&[]).check(Some("whatever-key"), Scope::Admin, true),
            Err(Refusal::NoneConfigured)
        );
        assert_eq!(
            Keys::new(&[]).check(Some("whatever-key"), Scope::Search, false),
            Ok(())
        );
    }

    #[test]
    fn a_rate_counts_searches_only() {
        let keys = Keys::new(&[key("front-end-key", &Scope::ALL, Some(2))]);
        let search = || keys.check(Some("front-end-key"), Scope::Search, false);
        assert_eq!((search(), search()), (Ok(()), Ok(())));
        assert!(matches!(search(), Err(Refusal::Limited(s)) if s <= 1));
        assert_eq!(
            keys.check(Some("front-end-key"), Scope::Ingest, true),
            Ok(())
        );
    }

    #[test]
    fn a_token_is_taken_out_of_the_query_and_the_rest_kept() {
        let uri: Uri = "/subscribers/b-1/notifications?after=3&token=sy1.x.1.y&limit=5"
            .parse()
            .unwrap();
        let (token, rest) = split_token(&uri);
        assert_eq!(token.as_deref(), Some("sy1.x.1.y"));
        assert_eq!(
            rest.unwrap().to_string(),
            "/subscribers/b-1/notifications?after=3&limit=5"
        );
        let alone: Uri = "/subscribers/b-1/notifications?token=t".parse().unwrap();
        assert_eq!(
            split_token(&alone).1.unwrap().to_string(),
            "/subscribers/b-1/notifications"
        );
        let none: Uri = "/subscribers/b-1/notifications?after=3".parse().unwrap();
        assert_eq!(split_token(&none), (None, None));
    }

    #[test]
    fn a_token_opens_its_own_subscriber_only() {
        let tokens = TokenKey::new(&[7; 32]);
        let who = stockyard_schema::SubscriberId::new("buyer-7").unwrap();
        let token = tokens.mint(&who, u64::MAX);
        assert_eq!(check_token(&tokens, &token, Some("buyer-7")), Ok(()));
        assert_eq!(
            check_token(&tokens, &token, Some("buyer-8")),
            Err(Refusal::OtherSubscriber)
        );
        let old = tokens.mint(&who, 1);
        assert_eq!(
            check_token(&tokens, &old, Some("buyer-7")),
            Err(Refusal::Token(TokenError::Expired(1)))
        );
    }

    #[test]
    fn debug_output_hides_the_key() {
        let shown = format!("{:?}", key("very-secret-key", &[Scope::Search], None));
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}
