//! The hand-written catalog of `tests/data/catalog.ndjson` without its listings, for
//! tests that list machines of their own: rates (1 USD = 150 JPY), categories
//! excavators > mini and loaders, makers Komatsu and Hitachi, models pc30 (mini),
//! pc200, zx135 (excavators), wa380 (loaders), zx17 (mini).

/// The catalog's events as NDJSON, listings left out.
pub fn catalog() -> String {
    include_str!("../data/catalog.ndjson")
        .lines()
        .filter(|l| !l.contains("\"MachineListed\""))
        .map(|l| format!("{l}\n"))
        .collect()
}
