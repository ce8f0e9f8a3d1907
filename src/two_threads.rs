//! Running two halves of one job at once, where a search was lent a second core.
//!
//! A broad search on a quiet server splits its work (the pass over its hits, the
//! facets, a browse of a selection) into two halves; this runs them side by side and
//! hands back both answers, or the panic of either half as the caller's own.

/// How many threads a step of a search may use: two where the search was lent a
/// second core (`engine::pool`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// The caller's thread alone.
    One,
    /// The caller's and a second one ([`both`]).
    Two,
}

/// Runs `there` on a second thread while `here` runs on this one; both answers, in
/// that order. A panic on the second thread is raised again here.
pub fn both<A, B>(here: impl FnOnce() -> A, there: impl FnOnce() -> B + Send) -> (A, B)
where
    B: Send,
{
    let (a, b) = std::thread::scope(|s| {
        let there = s.spawn(there);
        (here(), there.join())
    });
    (
        a,
        b.unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_halves_answer_and_a_panic_comes_back() {
        let data: Vec<u64> = (1..=1000).collect();
        let (low, high) = both(
            || data[..500].iter().sum::<u64>(),
            || data[500..].iter().sum::<u64>(),
        );
        assert_eq!(low + high, 500_500);
        let caught = std::panic::catch_unwind(|| both(|| 1, || -> u32 { panic!("second half") }));
        let message = caught.expect_err("the second half's panic comes back");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"second half"));
    }
}
