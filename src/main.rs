//! The `stockyard` command: the service's entry point.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
