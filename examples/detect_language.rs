//! Prints what Stockyard's language detection makes of each argument: the most likely
//! language with its lead over the runner-up, and the languages a listing with that
//! text would be indexed as.
//!
//!     cargo run --example detect_language -- "油圧ショベル" "wheel loader" "中古建機"

fn main() {
    let detector = stockyard::search::LanguageDetector::new();
    for text in std::env::args().skip(1) {
        let langs: Vec<String> = detector
            .languages_of(&text)
            .langs()
            .map(|l| l.to_string())
            .collect();
        match detector.detect(&text) {
            Some((lang, lead)) => {
                println!("{text:?}: {lang} (lead {lead:.2}); listing as {langs:?}")
            }
            None => println!("{text:?}: undecided; listing as {langs:?}"),
        }
    }
}
