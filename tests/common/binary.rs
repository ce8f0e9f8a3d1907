//! The real `stockyard` binary, for tests that need a process of its own (to kill it,
//! signal it, or see how it exits): SIGKILLed when dropped, so that a failing test
//! leaves no server behind.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A free port on 127.0.0.1, for a server that must come back on the same one.
#[allow(dead_code)] // not every test crate restarts its server
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `stockyard` with the API keys of the environment left out.
#[allow(dead_code)] // not every test crate builds its own command
pub fn stockyard() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stockyard"));
    command.env_remove("STOCKYARD_API_KEYS");
    command
}

/// The running binary, SIGKILLed when dropped.
pub struct Server(pub Child);

impl Server {
    /// Starts `serve_command` (listening on any port, `127.0.0.1:0`) and waits until it
    /// says where it listens; returns it with that base URL (`http://…` or
    /// `https://…`). Panics with what it printed when it exits first.
    #[allow(dead_code)] // see stockyard()
    pub fn start(mut serve_command: Command) -> (Server, String) {
        let mut server = Server(serve_command.stderr(Stdio::piped()).spawn().unwrap());
        let mut lines = BufReader::new(server.0.stderr.take().unwrap()).lines();
        let mut said = String::new();
        let base = loop {
            let Some(Ok(line)) = lines.next() else {
                panic!(
                    "serve stopped ({}) before listening:\n{said}",
                    server.0.wait().unwrap()
                );
            };
            if let Some(rest) = line.split("serving on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
            said.push_str(&line);
            said.push('\n');
        };
        // Keep reading, so that the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        (server, base)
    }

    /// SIGKILL, and wait for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
