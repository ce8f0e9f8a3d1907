//! Prices in one unit, so that listings in yen, euros and dollars filter, sort and
//! bucket together.
//!
//! Rates are not part of the code: a marketplace publishes them as
//! `CurrencyRatesPublished` events, and the latest set applies from then on. Listings
//! keep their amount and currency (the text index stores both as fast fields, the
//! graphs as properties), so a new set reindexes nothing: the embedded graph derives
//! each machine's US-dollar amount again in memory, Neo4j turns a dollar range into
//! one range per currency when a search runs, and sorting converts each hit's amount as
//! it is read. Until a set is published only US dollars convert.

use std::sync::Arc;
use stockyard_schema::domain::{Currency, Price};
use stockyard_schema::event::{CurrencyRates, Timestamp};

/// The latest published rates, as US dollars per unit of each currency. Cheap to
/// clone (one shared table), so every search and every graph version carries its own.
#[derive(Clone, Default)]
pub struct Rates(Option<Arc<Table>>);

struct Table {
    /// US dollars per unit, by [`Currency::dense`]; NaN where the set has no rate.
    usd_per_unit: Box<[f64]>,
    published: CurrencyRates,
}

impl std::fmt::Debug for Rates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("Rates(USD only)"),
            Some(t) => write!(
                f,
                "Rates({} currencies as of {})",
                t.published.rates.len() + 1,
                t.published.as_of
            ),
        }
    }
}

impl Rates {
    /// The rates of a published set. The decoder guarantees the set quotes US dollars;
    /// should it not, only US dollars convert.
    pub fn published(set: &CurrencyRates) -> Rates {
        let mut usd_per_unit = vec![f64::NAN; Currency::DENSE_CODES].into_boxed_slice();
        let currencies = set.rates.keys().copied().chain([set.base, Currency::USD]);
        for c in currencies {
            if let Some(rate) = set.usd_per_unit(c).filter(|r| r.is_finite() && *r > 0.0) {
                usd_per_unit[usize::from(c.dense())] = rate;
            }
        }
        Rates(Some(Arc::new(Table {
            usd_per_unit,
            published: set.clone(),
        })))
    }

    /// Whether both are the same table (not merely equal rates): what a search's
    /// answer may be kept under ([`crate::engine`]'s cache).
    pub fn same(&self, other: &Rates) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The set these rates come from; `None` before any was published.
    pub fn set(&self) -> Option<&CurrencyRates> {
        self.0.as_ref().map(|t| &t.published)
    }

    /// When the rates were taken; `None` before any set was published.
    pub fn as_of(&self) -> Option<Timestamp> {
        self.set().map(|s| s.as_of)
    }

    /// US dollars per unit of the currency numbered `dense` ([`Currency::dense`]): the
    /// lookup made for every hit sorted by price.
    #[inline]
    pub fn usd_per_dense(&self, dense: u16) -> Option<f64> {
        match &self.0 {
            Some(t) => t
                .usd_per_unit
                .get(usize::from(dense))
                .copied()
                .filter(|r| !r.is_nan()),
            None => (dense == Currency::USD.dense()).then_some(1.0),
        }
    }

    /// US dollars per unit of `currency`, if it has a rate.
    pub fn usd_per_unit(&self, currency: Currency) -> Option<f64> {
        self.usd_per_dense(currency.dense())
    }

    /// The amount in US dollars; `None` for a currency without a rate.
    pub fn to_usd(&self, price: &Price) -> Option<f64> {
        self.usd_per_unit(price.currency)
            .map(|rate| price.amount * rate)
    }

    /// Every currency with a rate and its US dollars per unit, in code order.
    pub fn each(&self) -> Vec<(Currency, f64)> {
        match self.set() {
            None => vec![(Currency::USD, 1.0)],
            Some(set) => {
                let mut all: Vec<Currency> = set.rates.keys().copied().collect();
                all.extend([set.base, Currency::USD]);
                all.sort_unstable();
                all.dedup();
                all.into_iter()
                    .filter_map(|c| Some((c, self.usd_per_unit(c)?)))
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Currency {
        Currency::new(s).unwrap()
    }

    #[test]
    fn dense_codes_are_distinct_and_round_trip() {
        for s in ["AAA", "USD", "JPY", "EUR", "ZZZ"] {
            let c = code(s);
            assert!(usize::from(c.dense()) < Currency::DENSE_CODES);
            assert_eq!(Currency::from_dense(c.dense()), Some(c));
        }
        assert_ne!(code("JPY").dense(), code("YPJ").dense());
        assert_eq!(Currency::from_dense(Currency::DENSE_CODES as u16), None);
    }

    #[test]
    fn before_any_set_only_dollars_convert() {
        let none = Rates::default();
        assert_eq!(none.usd_per_unit(Currency::USD), Some(1.0));
        assert_eq!(none.usd_per_unit(code("JPY")), None);
        assert_eq!(none.as_of(), None);
    }

    #[test]
    fn a_set_on_another_base_converts_through_its_dollar_rate() {
        let set = CurrencyRates {
            base: code("EUR"),
            rates: [(code("USD"), 1.25), (code("JPY"), 160.0)].into(),
            as_of: Timestamp::parse("2026-11-30T00:00:00Z").unwrap(),
        };
        let r = Rates::published(&set);
        assert_eq!(r.usd_per_unit(code("EUR")), Some(1.25));
        assert_eq!(r.usd_per_unit(Currency::USD), Some(1.0));
        assert_eq!(r.usd_per_unit(code("JPY")), Some(1.25 / 160.0));
        assert_eq!(r.usd_per_unit(code("GBP")), None, "left out: no rate");
        let each: Vec<String> = r.each().iter().map(|(c, _)| c.to_string()).collect();
        assert_eq!(each, ["EUR", "JPY", "USD"]);
        let p = Price {
            amount: 1_600_000.0,
            currency: code("JPY"),
        };
        assert_eq!(r.to_usd(&p), Some(12_500.0));
    }
}
