//! Subscriber tokens: a credential that speaks for one subscriber and nothing else.
//!
//! The marketplace's backend holds a key with the `alerts` scope and speaks for all
//! of its users. A buyer's browser must never hold that key, yet the search page's
//! "save this search" button and its live notification stream speak for that buyer,
//! and the browser's own SSE client (`EventSource`) cannot set an `Authorization`
//! header. A token answers both: it names one subscriber and an expiry, signed with
//! HMAC-SHA-256 under a server secret, and it opens `/subscribers/{that id}/…` only.
//! It may travel in a URL (`?token=`), which is why it expires and why it opens so
//! little. The backend gets one from `POST /subscribers/{id}/tokens`; an operator from
//! `stockyard token`.
//!
//! A token is `sy1.<subscriber id, base64url>.<expiry, Unix seconds>.<tag, base64url>`.
//! Nothing is stored per token: the server checks the tag, the expiry and the id.
//!
//! The secret comes from `alerts.token_secret` (or `STOCKYARD_TOKEN_SECRET`), which
//! replicas behind one name must share; otherwise each data directory makes its own
//! random one on first use, kept in [`SECRET_FILE`], so tokens survive restarts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use std::io::{self, Write};
use std::path::Path;
use stockyard_schema::SubscriberId;

/// What every token starts with: the format's version.
const PREFIX: &str = "sy1.";
/// The file in the data directory that holds a generated secret.
pub const SECRET_FILE: &str = "subscriber-tokens.key";
/// Bytes of a generated secret.
const SECRET_LEN: usize = 32;
/// Shortest configured secret accepted.
pub const MIN_SECRET_LEN: usize = 32;

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the token format.
    #[error("the token is not a Stockyard subscriber token")]
    Malformed,
    /// The tag does not match: made with another secret, or altered.
    #[error("the token's signature is not valid on this server")]
    BadSignature,
    /// Past its expiry (Unix seconds).
    #[error("the token expired at {0} (Unix seconds); ask for a new one")]
    Expired(u64),
}

/// The secret that signs and checks tokens.
pub struct TokenKey {
    key: hmac::Key,
}

impl TokenKey {
    /// A key from secret bytes (a configured secret, or one read from the data
    /// directory).
    pub fn new(secret: &[u8]) -> TokenKey {
        TokenKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// The configured secret when there is one, else the data directory's generated
    /// secret, made on first use. Two processes starting at once agree on one secret:
    /// the file is published by a hard link, which fails if another got there first.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> io::Result<TokenKey> {
        if let Some(secret) = configured {
            return Ok(TokenKey::new(secret.as_bytes()));
        }
        let path = data_dir.join(SECRET_FILE);
        match std::fs::read(&path) {
            Ok(secret) if secret.len() >= SECRET_LEN => return Ok(TokenKey::new(&secret)),
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is shorter than {SECRET_LEN} bytes", path.display()),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut secret = [0u8; SECRET_LEN];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| io::Error::other("the system's random source failed"))?;
        let tmp = data_dir.join(format!("{SECRET_FILE}.{}.tmp", std::process::id()));
        {
            let mut f = private_file(&tmp)?;
            f.write_all(&secret)?;
            f.sync_all()?;
        }
        let published = std::fs::hard_link(&tmp, &path);
        std::fs::remove_file(&tmp)?;
        match published {
            Ok(()) => Ok(TokenKey::new(&secret)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => TokenKey::load(None, data_dir),
            Err(e) => Err(e),
        }
    }

    fn tag(&self, who: &SubscriberId, expires: u64) -> hmac::Tag {
        hmac::sign(&self.key, message(who, expires).as_bytes())
    }

    /// A token for `who`, valid until `expires` (Unix seconds).
    pub fn mint(&self, who: &SubscriberId, expires: u64) -> String {
        format!(
            "{PREFIX}{}.{expires}.{}",
            URL_SAFE_NO_PAD.encode(who.as_str()),
            URL_SAFE_NO_PAD.encode(self.tag(who, expires).as_ref())
        )
    }

    /// The subscriber `token` speaks for, if it is genuine and not expired at `now`
    /// (Unix seconds). The tag is compared in constant time.
    pub fn verify(&self, token: &str, now: u64) -> Result<SubscriberId, TokenError> {
        let rest = token.strip_prefix(PREFIX).ok_or(TokenError::Malformed)?;
        let mut parts = rest.split('.');
        let (Some(who), Some(expires), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let who = URL_SAFE_NO_PAD
            .decode(who)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| SubscriberId::new(s).ok())
            .ok_or(TokenError::Malformed)?;
        let expires: u64 = expires.parse().map_err(|_| TokenError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TokenError::Malformed)?;
        hmac::verify(&self.key, message(&who, expires).as_bytes(), &tag)
            .map_err(|_| TokenError::BadSignature)?;
        if now >= expires {
            return Err(TokenError::Expired(expires));
        }
        Ok(who)
    }

    /// Whether `credential` is meant as a token (rather than an API key), so that a
    /// refusal can say what was wrong with it.
    pub fn is_token(credential: &str) -> bool {
        credential.starts_with(PREFIX)
    }
}

/// Seconds since the Unix epoch: the clock tokens expire by.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What the tag signs: the format, the subscriber and the expiry, unambiguously
/// separated (an id holds no newline).
fn message(who: &SubscriberId, expires: u64) -> String {
    format!("stockyard subscriber token v1\n{who}\n{expires}")
}

/// A new file only its owner can read.
fn private_file(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> SubscriberId {
        SubscriberId::new(s).unwrap()
    }

    #[test]
    fn a_token_speaks_for_its_subscriber_until_it_expires() {
        let key = TokenKey::new(b"0123456789abcdef0123456789abcdef");
        let token = key.mint(&id("buyer-42"), 1_000);
        assert!(TokenKey::is_token(&token));
        assert_eq!(key.verify(&token, 999), Ok(id("buyer-42")));
        assert_eq!(key.verify(&token, 1_000), Err(TokenError::Expired(1_000)));
    }

    #[test]
    fn an_altered_or_foreign_token_is_refused() {
        let key = TokenKey::new(b"0123456789abcdef0123456789abcdef");
        let other = TokenKey::new(b"fedcba9876543210fedcba9876543210");
        let token = key.mint(&id("buyer-42"), 5_000);
        assert_eq!(other.verify(&token, 0), Err(TokenError::BadSignature));
        // Another subscriber or a later expiry under the same tag.
        let tag = token.rsplit('.').next().unwrap();
        let forged = format!("sy1.{}.5000.{tag}", URL_SAFE_NO_PAD.encode("buyer-43"));
        assert_eq!(key.verify(&forged, 0), Err(TokenError::BadSignature));
        let later = token.replace(".5000.", ".9000.");
        assert_eq!(key.verify(&later, 0), Err(TokenError::BadSignature));
        for bad in [
            "",
            "sy1.",
            "sy1.a.b",
            "sy1.YQ.x.AAAA",
            "sy1.YQ.1.AAAA.more",
            "key",
        ] {
            assert_eq!(key.verify(bad, 0), Err(TokenError::Malformed), "{bad}");
        }
    }

    #[test]
    fn a_data_directory_keeps_its_generated_secret() {
        let dir = tempfile::tempdir().unwrap();
        let first = TokenKey::load(None, dir.path()).unwrap();
        let token = first.mint(&id("buyer-1"), u64::MAX);
        let again = TokenKey::load(None, dir.path()).unwrap();
        assert_eq!(again.verify(&token, 0), Ok(id("buyer-1")));
        let elsewhere = tempfile::tempdir().unwrap();
        let other = TokenKey::load(None, elsewhere.path()).unwrap();
        assert_eq!(other.verify(&token, 0), Err(TokenError::BadSignature));
        let configured =
            TokenKey::load(Some("a configured secret of 32+ bytes!!"), dir.path()).unwrap();
        assert_eq!(configured.verify(&token, 0), Err(TokenError::BadSignature));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, [SECRET_FILE]);
    }
}
