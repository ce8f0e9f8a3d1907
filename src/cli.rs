//! Command-line interface.

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use stockyard::config::{Config, ConfigError, SourceConfig};
use stockyard::engine::{Engine, Format, IngestError};
use stockyard::search::LanguageDetector;

/// Stockyard: search and faceted catalog for marketplaces of used machinery.
///
/// Settings come from defaults, then the TOML file given with --config, then the
/// environment (STOCKYARD_LISTEN, STOCKYARD_DATA_DIR, STOCKYARD_API_KEYS as a
/// comma-separated list, STOCKYARD_LOG_JSON), then the flags.
#[derive(Debug, Parser)]
#[command(name = "stockyard", version, about)]
struct Cli {
    /// A TOML configuration file (see README.md for every key).
    #[arg(long, global = true, env = "STOCKYARD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// Settings shared by the commands that open the data directory.
#[derive(Debug, Args)]
struct DataArgs {
    /// Where the event log and the indexes live [default: ./stockyard-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// `stockyard serve`.
#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on [default: 127.0.0.1:7700].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Load the bundled demo catalog when the event log is empty.
    #[arg(long)]
    demo: bool,
    /// Follow this NDJSON file as an event source (from where the last run stopped).
    #[arg(long, conflicts_with = "nats_url")]
    source_file: Option<PathBuf>,
    /// Read events from this NATS server's JetStream (e.g. nats://127.0.0.1:4222).
    #[arg(long, requires = "nats_consumer")]
    nats_url: Option<String>,
    /// JetStream stream name (created when missing).
    #[arg(long, default_value = "CATALOG")]
    nats_stream: String,
    /// Subject the events are published on.
    #[arg(long, default_value = "catalog.events")]
    nats_subject: String,
    /// This replica's durable consumer name (one per replica).
    #[arg(long)]
    nats_consumer: Option<String>,
    /// The graph that answers facets and browsing: embedded or neo4j.
    #[arg(long, value_parser = ["embedded", "neo4j"])]
    graph: Option<String>,
    /// Neo4j: bolt://host:port.
    #[arg(long)]
    neo4j_uri: Option<String>,
    /// Neo4j user.
    #[arg(long)]
    neo4j_user: Option<String>,
    /// Neo4j database.
    #[arg(long)]
    neo4j_database: Option<String>,
    /// Log lines as JSON.
    #[arg(long)]
    log_json: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (search, browse, ingest, admin, search page at /).
    Serve(Box<ServeArgs>),
    /// Append the events of an NDJSON file to the log and index them.
    ///
    /// The file is taken in chunks of whole lines; a chunk with an invalid event is
    /// refused whole (its errors listed) and the command stops there. Events already
    /// in the log are skipped, so running it again is safe.
    Ingest {
        /// The NDJSON file (`-` for standard input).
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Rebuild the indexes from event 0 into a new generation and switch to it.
    Rebuild {
        #[command(flatten)]
        data: DataArgs,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Show a running service's indexer status (GET /events/status).
    Status {
        /// The service's address [default: the configured listen address].
        #[arg(long)]
        addr: Option<SocketAddr>,
        /// API key [default: the first configured key].
        #[arg(long)]
        api_key: Option<String>,
        /// Speak TLS, trusting the certificates in this PEM file [default: the
        /// configured `tls.cert`, when there is one].
        #[arg(long)]
        ca_cert: Option<PathBuf>,
        /// The name the server's certificate must carry [default: the address].
        #[arg(long)]
        server_name: Option<String>,
    },
    /// Print a token that speaks for one subscriber: it opens that subscriber's saved
    /// searches, watches and notifications, and nothing else.
    ///
    /// Signed with `alerts.token_secret` when configured, else with the data
    /// directory's own secret (made by the first `serve`). Open the search page as
    /// `/#token=<token>` to save searches and see notifications as that buyer.
    Token {
        /// The subscriber id.
        subscriber: String,
        #[command(flatten)]
        data: DataArgs,
        /// Seconds it lasts.
        #[arg(long, default_value_t = 86_400)]
        ttl: u64,
    },
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
    let result = match cli.command {
        Command::Generate { seed, listings } => generate(seed, listings),
        command => Config::load(cli.config.as_deref())
            .map_err(|e| e.to_string())
            .and_then(|config| run_with(config, command)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stockyard: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(seed: u64, listings: usize) -> Result<(), String> {
    let stdout = std::io::stdout().lock();
    match stockyard_schema::demo::write_ndjson(seed, listings, stdout) {
        Ok(_) => Ok(()),
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn run_with(mut config: Config, command: Command) -> Result<(), String> {
    match command {
        Command::Serve(args) => {
            let ServeArgs {
                data,
                listen,
                demo,
                source_file,
                nats_url,
                nats_stream,
                nats_subject,
                nats_consumer,
                graph,
                neo4j_uri,
                neo4j_user,
                neo4j_database,
                log_json,
            } = *args;
            // The password stays out of the command line: config file or
            // STOCKYARD_NEO4J_PASSWORD.
            if let Some(g) = graph {
                config.graph.backend = g.parse().map_err(|e: ConfigError| e.to_string())?;
            }
            for (value, slot) in [
                (neo4j_uri, &mut config.graph.uri),
                (neo4j_user, &mut config.graph.user),
                (neo4j_database, &mut config.graph.database),
            ] {
                if let Some(v) = value {
                    *slot = v;
                }
            }
            config.check().map_err(|e| e.to_string())?;
            if let Some(d) = data.data_dir {
                config.data_dir = d;
            }
            if let Some(l) = listen {
                config.listen = l;
            }
            if let Some(path) = source_file {
                config.source = SourceConfig::File { path };
            }
            if let (Some(url), Some(consumer)) = (nats_url, nats_consumer) {
                config.source = SourceConfig::Nats {
                    url,
                    stream: nats_stream,
                    subject: nats_subject,
                    consumer,
                };
            }
            config.log_json |= log_json;
            init_logging(config.log_json);
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime
                .block_on(stockyard::server::serve(
                    config,
                    demo,
                    |r| {
                        tracing::info!(addr = %r.addr, tls = r.tls, "listening");
                        let scheme = if r.tls { "https" } else { "http" };
                        eprintln!(
                            "stockyard: serving on {scheme}://{} (search page at /)",
                            r.addr
                        );
                    },
                    stockyard::server::shutdown_signal(),
                ))
                .map_err(|e| e.to_string())
        }
        Command::Ingest { file, data, quiet } => {
            if let Some(d) = data.data_dir {
                config.data_dir = d;
            }
            ingest(&config, &file, quiet)
        }
        Command::Rebuild { data, quiet } => {
            if let Some(d) = data.data_dir {
                config.data_dir = d;
            }
            rebuild(&config, quiet)
        }
        Command::Status {
            addr,
            api_key,
            ca_cert,
            server_name,
        } => {
            let addr = addr.unwrap_or(config.listen);
            let key = api_key.or_else(|| config.api_keys.first().map(|k| k.expose().to_owned()));
            let trusted = match ca_cert {
                Some(path) => Some(path),
                None => config
                    .tls_files()
                    .map_err(|e| e.to_string())?
                    .map(|f| f.cert),
            };
            let tls =
                trusted.map(|path| (path, server_name.unwrap_or_else(|| addr.ip().to_string())));
            status(addr, key.as_deref(), tls)
        }
        Command::Token {
            subscriber,
            data,
            ttl,
        } => {
            if let Some(d) = data.data_dir {
                config.data_dir = d;
            }
            config.check().map_err(|e| e.to_string())?;
            token(&config, &subscriber, ttl)
        }
        Command::Generate { .. } => unreachable!("handled before the configuration is read"),
    }
}

fn token(config: &Config, subscriber: &str, ttl: u64) -> Result<(), String> {
    let who =
        stockyard_schema::SubscriberId::new(subscriber).map_err(|e| format!("subscriber: {e}"))?;
    let secret = config.alerts.token_secret.as_ref().map(|s| s.expose());
    // Without a configured secret the data directory's is used; making one in a
    // directory no server uses would print a token no server accepts.
    if secret.is_none() && !config.data_dir.is_dir() {
        return Err(format!(
            "{} is not a data directory (start the service once, or pass --data-dir)",
            config.data_dir.display()
        ));
    }
    let key = stockyard::alerts::TokenKey::load(secret, &config.data_dir)
        .map_err(|e| format!("{}: {e}", config.data_dir.display()))?;
    let expires = stockyard::alerts::token::unix_now().saturating_add(ttl);
    println!("{}", key.mint(&who, expires));
    Ok(())
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn open(config: &Config) -> Result<Arc<Engine>, String> {
    Engine::open(config.engine(), Arc::new(LanguageDetector::new())).map_err(|e| e.to_string())
}

fn bar(len: u64, quiet: bool, unit: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}}) {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Lines per ingest chunk.
const CHUNK_LINES: usize = 5_000;

fn ingest(config: &Config, file: &PathBuf, quiet: bool) -> Result<(), String> {
    let engine = open(config)?;
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let progress = bar(size, quiet, "bytes");
    let mut chunk = String::new();
    let mut lines = 0usize;
    let mut first_line = 1usize;
    let (mut accepted, mut duplicates) = (0usize, 0usize);
    let mut flush = |chunk: &mut String, first_line: usize| -> Result<(), String> {
        loop {
            match engine.ingest(chunk, Format::Ndjson) {
                Ok(done) => {
                    accepted += done.accepted;
                    duplicates += done.duplicates;
                    break;
                }
                Err(IngestError::Empty) => break,
                // The file outruns the indexer: this process owns it, so wait until it
                // has worked off half of its backlog, then send the same chunk again.
                Err(IngestError::Busy { lag }) => {
                    progress.set_message("(waiting for the indexer)");
                    let target = engine.head().saturating_sub(lag / 2);
                    while !engine.wait_visible(target, Duration::from_millis(200)) {}
                    progress.set_message("");
                }
                Err(IngestError::Rejected { count, errors }) => {
                    for e in errors {
                        let at = first_line + e.line - 1;
                        let field = e
                            .field
                            .map(|f| format!(" field `{f}`:"))
                            .unwrap_or_default();
                        eprintln!("line {at}:{field} {}", e.message);
                    }
                    return Err(format!("{count} invalid event(s) in the chunk from line {first_line}; nothing from there on was ingested"));
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        progress.inc(chunk.len() as u64);
        chunk.clear();
        Ok(())
    };
    for line in reader.lines() {
        let line = line.map_err(|e| e.to_string())?;
        chunk.push_str(&line);
        chunk.push('\n');
        lines += 1;
        if lines.is_multiple_of(CHUNK_LINES) {
            flush(&mut chunk, first_line)?;
            first_line = lines + 1;
        }
    }
    if !chunk.is_empty() {
        flush(&mut chunk, first_line)?;
    }
    progress.finish_and_clear();
    let head = engine.head();
    let indexing = bar(head, quiet, "events indexed");
    while !engine.wait_visible(head, Duration::from_millis(200)) {
        indexing.set_position(engine.applied());
    }
    indexing.finish_and_clear();
    engine.shutdown();
    println!("{accepted} events appended, {duplicates} already in the log; {head} events indexed");
    Ok(())
}

fn rebuild(config: &Config, quiet: bool) -> Result<(), String> {
    let engine = open(config)?;
    let progress = bar(engine.head(), quiet, "events");
    let generation = engine
        .rebuild_blocking(|p| {
            progress.set_length(p.head);
            progress.set_position(p.applied);
        })
        .map_err(|e| e.to_string())?;
    progress.finish_and_clear();
    engine.shutdown();
    println!(
        "generation {generation} rebuilt from {} events and serving",
        engine.head()
    );
    Ok(())
}

/// Asks `GET /events/status` over plain HTTP/1.1, or over TLS when `tls` names the
/// certificates to trust and the name to expect.
fn status(
    addr: SocketAddr,
    key: Option<&str>,
    tls: Option<(PathBuf, String)>,
) -> Result<(), String> {
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("cannot reach {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let auth = key
        .map(|k| format!("Authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET /events/status HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
    let mut response = String::new();
    match tls {
        None => {
            stream
                .write_all(request.as_bytes())
                .map_err(|e| e.to_string())?;
            stream
                .read_to_string(&mut response)
                .map_err(|e| e.to_string())?;
        }
        Some((trusted, name)) => {
            let config =
                stockyard::server::tls::client_config(&trusted).map_err(|e| e.to_string())?;
            let server_name = rustls::pki_types::ServerName::try_from(name.clone())
                .map_err(|e| format!("--server-name {name}: {e}"))?;
            let connection =
                rustls::ClientConnection::new(config, server_name).map_err(|e| e.to_string())?;
            let mut tls = rustls::StreamOwned::new(connection, stream);
            tls.write_all(request.as_bytes())
                .map_err(|e| format!("TLS with {addr}: {e}"))?;
            tls.read_to_string(&mut response)
                .map_err(|e| format!("TLS with {addr}: {e}"))?;
        }
    }
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "{}: {body}",
            head.lines().next().unwrap_or_default()
        ));
    }
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    println!(
        "{}",
        serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
    );
    Ok(())
}
