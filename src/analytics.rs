//! Search analytics for operators: what buyers search for, and what finds nothing.
//!
//! Each search with words is counted under its day (UTC) and the buyer's language,
//! and its text, normalised (NFKC, lower case, single spaces), under that day's
//! queries, with whether it found anything. Nothing else is kept: no client address,
//! no key, no selection. Memory is bounded twice: at most [`QUERIES_PER_DAY`] texts a
//! day, kept by the Space-Saving rule (a new text replaces the least counted one and
//! inherits its count as an overestimate, so a text searched often enough is never
//! lost and the top of the list stays right), and at most [`DAYS_KEPT`] days.
//!
//! The table lives in the data directory (`analytics.json`), written at most every
//! [`SAVE_EVERY`] while searches come in and when the server stops, so a restart
//! keeps it (a crash loses at most the last interval). Texts that found something
//! also complete what buyers type ([`Analytics::completions`]).

use crate::fsutil::write_atomic;
use crate::search::analysis::normalize;
use crate::search::names::{Folded, NameQuery};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use time::Date;

/// Distinct query texts kept per day.
pub const QUERIES_PER_DAY: usize = 5_000;
/// Days kept.
pub const DAYS_KEPT: usize = 92;
/// Longest the table goes unsaved while it changes.
pub const SAVE_EVERY: Duration = Duration::from_secs(30);
/// The file in the data directory.
pub const FILE: &str = "analytics.json";

/// How often one text was searched (within a day).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Counted {
    /// Searches (an overestimate by at most `over` once the day's table is full).
    n: u64,
    /// Of which found nothing.
    zero: u64,
    /// What `n` may overcount: the count of the text it replaced.
    over: u64,
    /// Hits of the latest search of it.
    last_total: u64,
}

/// One day's counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Day {
    searches: u64,
    zero: u64,
    by_lang: BTreeMap<String, u64>,
    queries: HashMap<String, Counted>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Table {
    /// By day, as `YYYY-MM-DD`.
    days: BTreeMap<String, Day>,
}

/// Why the analytics could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The file is not an analytics table.
    #[error("{path}: not an analytics table: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The analytics of one data directory; see the [module docs](self).
pub struct Analytics {
    path: PathBuf,
    state: Mutex<State>,
}

struct State {
    table: Table,
    dirty: bool,
    saved: Instant,
}

/// A text with its count, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QueryCount {
    /// The query as normalised.
    pub query: String,
    /// How often it was searched in the period.
    pub count: u64,
}

/// One day of the report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Searches with words.
    pub searches: u64,
    /// Of which found nothing.
    pub zero_results: u64,
    /// Searches by the buyer's language.
    pub by_lang: BTreeMap<String, u64>,
}

/// What buyers searched for in a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// Searches with words in the period.
    pub searches: u64,
    /// The most searched texts, most first.
    pub top_queries: Vec<QueryCount>,
    /// The most searched texts that found nothing, most first.
    pub zero_result_queries: Vec<QueryCount>,
    /// Per day with searches, oldest first.
    pub days: Vec<DayCount>,
}

/// A date as the table and the API write it.
pub fn day_string(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A `YYYY-MM-DD` date, or `None`.
pub fn parse_day(s: &str) -> Option<Date> {
    let mut parts = s.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// A query's text as counted: normalised, words single-spaced; `None` when blank.
pub fn normalized(words: &str) -> Option<String> {
    let n = normalize(words);
    let joined = n.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

impl Analytics {
    /// The analytics kept in `data_dir`, empty when there are none yet.
    pub fn open(data_dir: &Path) -> Result<Analytics, AnalyticsError> {
        let path = data_dir.join(FILE);
        let shown = path.display().to_string();
        let table = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| AnalyticsError::Corrupt {
                path: shown,
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Table::default(),
            Err(source) => {
                return Err(AnalyticsError::Io {
                    path: shown,
                    source,
                })
            }
        };
        Ok(Analytics {
            path,
            state: Mutex::new(State {
                table,
                dirty: false,
                saved: Instant::now(),
            }),
        })
    }

    /// Counts a search of `words` in `lang` on `day` that found `total` hits.
    pub fn record(&self, words: &str, lang: &str, total: usize, day: Date) {
        let Some(text) = normalized(words) else {
            return;
        };
        let total = total as u64;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let table = &mut state.table;
        let key = day_string(day);
        if !table.days.contains_key(&key) && table.days.len() >= DAYS_KEPT {
            let oldest = table.days.keys().next().cloned().expect("days kept");
            if oldest > key {
                return; // older than every day kept
            }
            table.days.remove(&oldest);
        }
        let d = table.days.entry(key).or_default();
        d.searches += 1;
        d.zero += u64::from(total == 0);
        *d.by_lang.entry(lang.to_owned()).or_default() += 1;
        if !d.queries.contains_key(&text) && d.queries.len() >= QUERIES_PER_DAY {
            let (least, n) = d
                .queries
                .iter()
                .min_by_key(|(_, c)| c.n)
                .map(|(q, c)| (q.clone(), c.n))
                .expect("a full table");
            d.queries.remove(&least);
            d.queries.insert(
                text.clone(),
                Counted {
                    n,
                    over: n,
                    ..Counted::default()
                },
            );
        }
        let c = d.queries.entry(text).or_default();
        c.n += 1;
        c.zero += u64::from(total == 0);
        c.last_total = total;
        state.dirty = true;
    }

    /// The report for the days from `from` to `to` (both included), with the `top`
    /// most searched texts and zero-result texts.
    pub fn report(&self, from: Date, to: Date, top: usize) -> Report {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (first, last) = (day_string(from), day_string(to));
        let mut queries: HashMap<&str, (u64, u64)> = HashMap::new();
        let mut days = Vec::new();
        let mut searches = 0;
        for (day, d) in state.table.days.range(first.clone()..=last.clone()) {
            searches += d.searches;
            days.push(DayCount {
                day: day.clone(),
                searches: d.searches,
                zero_results: d.zero,
                by_lang: d.by_lang.clone(),
            });
            for (q, c) in &d.queries {
                let e = queries.entry(q).or_default();
                e.0 += c.n;
                e.1 += c.zero;
            }
        }
        let ranked = |pick: fn(&(u64, u64)) -> u64| {
            let mut v: Vec<QueryCount> = queries
                .iter()
                .filter(|(_, c)| pick(c) > 0)
                .map(|(q, c)| QueryCount {
                    query: (*q).to_owned(),
                    count: pick(c),
                })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.query.cmp(&b.query)));
            v.truncate(top);
            v
        };
        Report {
            from: first,
            to: last,
            searches,
            top_queries: ranked(|c| c.0),
            zero_result_queries: ranked(|c| c.1),
            days,
        }
    }

    /// Texts buyers searched (any day kept) whose latest search found something and
    /// that begin like `q`, with that search's hits, most searched first.
    pub fn completions(&self, q: &NameQuery, limit: usize) -> Vec<(String, u64)> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut seen: HashMap<&str, (u64, u64)> = HashMap::new();
        for d in state.table.days.values() {
            for (text, c) in &d.queries {
                let e = seen.entry(text).or_default();
                e.0 += c.n;
                // Days are in order: the last one seen is the latest.
                e.1 = c.last_total;
            }
        }
        let mut out: Vec<(u64, String, u64)> = seen
            .into_iter()
            .filter(|(text, (_, total))| {
                *total > 0
                    && q.complete(&Folded::new(text))
                        .is_some_and(|(m, _)| m.is_exact())
            })
            .map(|(text, (n, total))| (n, text.to_owned(), total))
            .collect();
        out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        out.into_iter()
            .take(limit)
            .map(|(_, text, total)| (text, total))
            .collect()
    }

    /// Writes the table when it changed and `SAVE_EVERY` has passed since the last
    /// write (or always, with `now`).
    pub fn save(&self, now: bool) -> Result<(), AnalyticsError> {
        let bytes = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if !state.dirty || (!now && state.saved.elapsed() < SAVE_EVERY) {
                return Ok(());
            }
            state.dirty = false;
            state.saved = Instant::now();
            serde_json::to_vec(&state.table).expect("the table serialises")
        };
        write_atomic(&self.path, &bytes).map_err(|source| {
            // Try again next time.
            self.state.lock().unwrap_or_else(|e| e.into_inner()).dirty = true;
            AnalyticsError::Io {
                path: self.path.display().to_string(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn counts_by_day_language_and_text_within_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let a = Analytics::open(dir.path()).unwrap();
        let day = date!(2026 - 11 - 30);
        for _ in 0..3 {
            a.record("  Excavator ", "en", 12, day);
        }
        a.record("ＥＸＣＡＶＡＴＯＲ", "ja", 12, day);
        a.record("zzqx", "en", 0, day);
        a.record("", "en", 5, day);
        a.record("excavator", "en", 10, date!(2026 - 12 - 01));
        let r = a.report(day, day, 10);
        assert_eq!(r.searches, 5);
        assert_eq!(
            r.top_queries[0],
            QueryCount {
                query: "excavator".into(),
                count: 4
            }
        );
        assert_eq!(r.zero_result_queries.len(), 1);
        assert_eq!(r.days[0].by_lang["en"], 4);
        assert_eq!(r.days[0].by_lang["ja"], 1);
        assert_eq!(a.report(day, date!(2026 - 12 - 01), 10).searches, 6);

        // A full day keeps the most searched text and stays at its bound.
        for i in 0..QUERIES_PER_DAY + 10 {
            a.record(&format!("q{i}"), "en", 1, day);
        }
        let r = a.report(day, day, QUERIES_PER_DAY + 100);
        assert_eq!(r.top_queries.len(), QUERIES_PER_DAY);
        assert_eq!(r.top_queries[0].query, "excavator");

        // Saved and opened again, the same.
        a.save(true).unwrap();
        let b = Analytics::open(dir.path()).unwrap();
        assert_eq!(b.report(day, day, 5), a.report(day, day, 5));
        assert_eq!(parse_day("2026-12-01"), Some(date!(2026 - 12 - 01)));
        assert_eq!(parse_day("2026-13-01"), None);
        assert_eq!(parse_day("20261201"), None);
    }
}
