//! Prints what Stockyard's language detection makes of each argument: the languages a
//! query in it would boost (with the detector's lead over the runner-up), and the
//! languages a listing with that text would be indexed as.
//!
//!     cargo run --example detect_language -- "油圧ショベル" "wheel loader" "中古建機"

fn main() {
    let detector = stockyard::search::LanguageDetector::new();
    let names = |set: stockyard::search::LangSet| -> Vec<String> {
        set.langs().map(|l| l.to_string()).collect()
    };
    for text in std::env::args().skip(1) {
        let listing = names(detector.languages_of(&text));
        match detector.detect(&text) {
            Some((set, lead)) => println!(
                "{text:?}: query as {:?} (lead {lead:.2}); listing as {listing:?}",
                names(set)
            ),
            None => println!("{text:?}: query undecided; listing as {listing:?}"),
        }
    }
}
