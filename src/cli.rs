//! Command-line interface.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Stockyard: search and faceted catalog for marketplaces of used machinery.
#[derive(Debug, Parser)]
#[command(name = "stockyard", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a generated demo catalog as NDJSON events to stdout.
    ///
    /// The same seed and size always give the same bytes. The bundled demo file
    /// (data/demo-catalog.ndjson) is `generate --seed 2026 --listings 3000`.
    Generate {
        /// Seed of the random choices.
        #[arg(long, default_value_t = stockyard_schema::demo::DEMO_SEED)]
        seed: u64,
        /// Number of machine listings.
        #[arg(long, default_value_t = stockyard_schema::demo::DEMO_LISTINGS)]
        listings: usize,
    },
}

/// Parses the command line and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Generate { seed, listings } => {
            let stdout = std::io::stdout().lock();
            match stockyard_schema::demo::write_ndjson(seed, listings, stdout) {
                Ok(_) => ExitCode::SUCCESS,
                // A closed pipe (`| head`) is the reader's choice, not a failure.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("stockyard generate: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
