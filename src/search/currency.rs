//! Prices in one unit, so that listings in yen, euros and dollars sort and filter
//! together.

use stockyard_schema::domain::Price;

/// US dollars per unit of each currency. Reference rates, not live ones: good enough to
/// order and bucket asking prices of used machinery across markets.
const USD_PER_UNIT: &[(&str, f64)] = &[
    ("AED", 0.272),
    ("AUD", 0.66),
    ("BRL", 0.20),
    ("CAD", 0.73),
    ("CHF", 1.12),
    ("CNY", 0.139),
    ("CZK", 0.043),
    ("DKK", 0.145),
    ("EUR", 1.08),
    ("GBP", 1.27),
    ("HKD", 0.128),
    ("IDR", 0.000063),
    ("INR", 0.012),
    ("JPY", 0.0067),
    ("KRW", 0.00074),
    ("MXN", 0.055),
    ("MYR", 0.21),
    ("NOK", 0.093),
    ("NZD", 0.60),
    ("PHP", 0.0175),
    ("PLN", 0.25),
    ("RUB", 0.011),
    ("SEK", 0.095),
    ("SGD", 0.74),
    ("THB", 0.028),
    ("TRY", 0.030),
    ("USD", 1.0),
    ("VND", 0.00004),
    ("ZAR", 0.054),
];

/// Converts prices to US dollars.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rates;

impl Rates {
    /// The amount in US dollars; `None` for a currency without a rate.
    pub fn to_usd(&self, price: &Price) -> Option<f64> {
        self.usd_per_unit(price.currency.as_str())
            .map(|rate| price.amount * rate)
    }

    /// US dollars per unit of `currency`, if known.
    pub fn usd_per_unit(&self, currency: &str) -> Option<f64> {
        USD_PER_UNIT
            .binary_search_by(|(c, _)| (*c).cmp(currency))
            .ok()
            .map(|i| USD_PER_UNIT[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_converts() {
        assert!(USD_PER_UNIT.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(Rates.usd_per_unit("USD"), Some(1.0));
        assert_eq!(Rates.usd_per_unit("XXX"), None);
    }
}
