//! The external tools some tests need, from `../shared/tools` (see `../shared/README.md`).
//!
//! A test that needs a tool calls [`need`]: when the tool is missing it skips with a
//! message, unless `CI` is set, where a missing tool fails the test: CI must never
//! silently skip.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `shared/` beside the workspace (the first ancestor of this crate that has one), or
/// `STOCKYARD_SHARED`.
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STOCKYARD_SHARED") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared"))
        .find(|s| s.join("tools").is_dir())
        .unwrap_or_else(|| PathBuf::from("../shared"))
}

/// Whether `program --version` runs.
pub fn has_program(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Returns `Some(value)`, or skips (outside CI) or fails (in CI) when it is `None`.
pub fn need<T>(what: Option<T>, why: &str) -> Option<T> {
    if what.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("CI must provide {why}");
        }
        eprintln!("SKIPPED: {why} is missing on this machine");
    }
    what
}

/// A prepared copy of `shared/tools/cypher-lint` with its dependencies installed.
#[allow(dead_code)] // not every test crate that includes this file lints
pub struct Linter {
    dir: PathBuf,
}

/// What the linter said.
#[allow(dead_code)] // see Linter
pub struct LintReport {
    pub passed: usize,
    /// Ids of the statements it refused, with its messages.
    pub failed: Vec<(String, String)>,
    pub summary: String,
}

#[allow(dead_code)] // see Linter
impl Linter {
    /// Copies the tool into the target directory and runs `npm ci` there once.
    pub fn prepare() -> Option<Linter> {
        let src = shared_dir().join("tools/cypher-lint");
        if !src.join("lint.cjs").exists() || !has_program("node") || !has_program("npm") {
            return None;
        }
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cypher-lint");
        std::fs::create_dir_all(&dir).expect("create lint dir");
        for f in ["lint.cjs", "package.json", "package-lock.json"] {
            std::fs::copy(src.join(f), dir.join(f)).expect("copy cypher-lint");
        }
        if !dir
            .join("node_modules/@neo4j-cypher/language-support")
            .exists()
        {
            let out = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .output()
                .expect("run npm ci");
            assert!(
                out.status.success(),
                "npm ci for cypher-lint failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(Linter { dir })
    }

    /// Lints `(id, cypher)` pairs in one run; also keeps them in `file` (JSON Lines).
    pub fn lint(&self, file: &str, statements: &[(String, String)]) -> LintReport {
        let path = self.dir.join(file);
        let mut jsonl = String::new();
        for (id, cypher) in statements {
            jsonl.push_str(&serde_json::json!({ "id": id, "cypher": cypher }).to_string());
            jsonl.push('\n');
        }
        std::fs::write(&path, jsonl).expect("write statements");
        let out = Command::new("node")
            .arg(self.dir.join("lint.cjs"))
            .arg(&path)
            .output()
            .expect("run node");
        assert!(
            out.status.code() != Some(2),
            "cypher-lint rejected its input: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut report = LintReport {
            passed: 0,
            failed: Vec::new(),
            summary: String::new(),
        };
        for line in stdout.lines() {
            if line.starts_with("ok ") {
                report.passed += 1;
            } else if let Some(rest) = line.strip_prefix("error ") {
                let (id, msg) = rest.split_once(" at ").unwrap_or((rest, ""));
                report.failed.push((id.to_owned(), msg.to_owned()));
            } else if line.contains(" passed, ") {
                report.summary = line.to_owned();
            }
        }
        report
    }
}

/// A Bolt graph server (`shared/tools/bolt-server`) on free local ports, stopped when
/// dropped.
pub struct BoltServer {
    state: PathBuf,
    /// Ports, to start again on the same ones.
    #[allow(dead_code)] // read by restart, which only the service's tests use
    ports: (u16, u16),
    pub uri: String,
    pub user: String,
    pub password: String,
    pub database: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a local port")
        .port()
}

impl BoltServer {
    /// Starts the server; `None` when the script or python3 is missing.
    pub fn start(name: &str) -> Option<BoltServer> {
        let tools = shared_dir().join("tools/bolt-server");
        if !tools.join("start.sh").exists() || !has_program("python3") {
            return None;
        }
        let state = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bolt-{name}"));
        // A server left over from an interrupted run would block the start.
        let _ = Command::new("bash")
            .arg(tools.join("stop.sh"))
            .arg(&state)
            .output();
        let ports = (free_port(), free_port());
        let out = start(&state, ports);
        assert!(
            out.status.success(),
            "bolt server did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let vars: std::collections::HashMap<String, String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Some(BoltServer {
            state,
            ports,
            uri: vars["BOLT_URI"].clone(),
            user: vars["BOLT_USER"].clone(),
            password: vars["BOLT_PASSWORD"].clone(),
            database: vars["BOLT_DATABASE"].clone(),
        })
    }
}

fn start(state: &Path, (bolt, http): (u16, u16)) -> std::process::Output {
    Command::new("bash")
        .arg(shared_dir().join("tools/bolt-server/start.sh"))
        .arg(state)
        .env("BOLT_PORT", bolt.to_string())
        .env("HTTP_PORT", http.to_string())
        .output()
        .expect("run bolt-server/start.sh")
}

#[allow(dead_code)] // only the service's tests stop and restart a server
impl BoltServer {
    /// Stops the server, keeping its data.
    pub fn stop(&self) {
        let out = Command::new("bash")
            .arg(shared_dir().join("tools/bolt-server/stop.sh"))
            .arg(&self.state)
            .output()
            .expect("run bolt-server/stop.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts it again on the same ports with the same data.
    pub fn restart(&self) {
        let out = start(&self.state, self.ports);
        assert!(
            out.status.success(),
            "bolt server did not start again: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for BoltServer {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(shared_dir().join("tools/bolt-server/stop.sh"))
            .arg(&self.state)
            .output();
    }
}
