//! The `stockyard` command: the service's entry point.

mod cli;

/// Indexing allocates and frees many small strings (tokens, documents, events); with
/// mimalloc a 1M-listing rebuild spends far less time in the allocator than with the
/// system's (see README, Numbers).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run()
}
