//! HTTPS against the real `stockyard` binary, with a self-signed certificate for
//! 127.0.0.1 made at test time: a client offering `h2` and `http/1.1` gets HTTP/2,
//! and one connection carries the API calls and many notification streams at once;
//! a client offering only `http/1.1` is served HTTP/1.1; SIGTERM still stops the
//! service cleanly; a certificate or key that cannot be used stops `serve` with an
//! error naming its file.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/sse.rs"]
mod sse;
#[path = "common/unlisted.rs"]
mod unlisted;

use binary::{stockyard, Server};
use bytes::Bytes;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

const KEY: &str = "tls-test-key-0123";

/// A self-signed certificate for 127.0.0.1 and localhost, as PEM files in `dir`.
struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    der: rustls::pki_types::CertificateDer<'static>,
}

fn certificate(dir: &Path) -> Certificate {
    let made =
        rcgen::generate_simple_self_signed(["127.0.0.1".into(), "localhost".into()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    Certificate {
        cert,
        key,
        der: made.cert.der().clone(),
    }
}

/// A configuration file in `dir` with `[tls]` set to `cert` and `key`.
fn config(dir: &Path, cert: &Path, key: &Path) -> PathBuf {
    let file = dir.join("stockyard.toml");
    std::fs::write(
        &file,
        format!(
            "[tls]\ncert = {}\nkey = {}\n",
            toml_string(cert),
            toml_string(key)
        ),
    )
    .unwrap();
    file
}

fn toml_string(path: &Path) -> String {
    serde_json::to_string(path.to_str().unwrap()).unwrap()
}

/// `stockyard --config FILE serve` on a fresh data directory in `dir`.
fn serve_command(dir: &Path, config: &Path) -> std::process::Command {
    let mut command = stockyard();
    command
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .env("STOCKYARD_API_KEYS", KEY)
        .env("RUST_LOG", "warn");
    command
}

/// Starts the binary with TLS; returns it and its `https://` base URL.
fn start(dir: &Path) -> (Server, String, Certificate) {
    let cert = certificate(dir);
    let (server, base) = Server::start(serve_command(dir, &config(dir, &cert.cert, &cert.key)));
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    (server, base, cert)
}

/// A TLS connection to `base` that trusts only `cert` and offers `alpn`.
async fn connect(
    base: &str,
    cert: &Certificate,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = tokio::net::TcpStream::connect(base.trim_start_matches("https://"))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap()
}

/// One HTTP/2 response: status, content type and the whole body. A body is JSON,
/// or NDJSON when it ends with a newline.
async fn call(
    client: &mut h2::client::SendRequest<Bytes>,
    method: &str,
    url: String,
    body: Option<String>,
) -> (u16, String, String) {
    let ndjson = body.as_ref().is_some_and(|b| b.ends_with('\n'));
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {KEY}"))
        .header(
            "content-type",
            if ndjson {
                "application/x-ndjson"
            } else {
                "application/json"
            },
        )
        .body(())
        .unwrap();
    *client = client.clone().ready().await.unwrap();
    let (response, mut send) = client.send_request(request, body.is_none()).unwrap();
    if let Some(body) = body {
        send.send_data(Bytes::from(body), true).unwrap();
    }
    let response = response.await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let mut body = response.into_body();
    let mut text = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        text.extend_from_slice(&chunk);
    }
    (status, content_type, String::from_utf8(text).unwrap())
}

#[test]
fn h2_over_tls_carries_many_notification_streams_on_one_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, cert) = start(dir.path());
    const STREAMS: usize = 12;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let got: Vec<String> = runtime.block_on(async {
        // GIVEN one TLS connection on which the client offered h2 and http/1.1
        let tls = connect(&base, &cert, &[b"h2", b"http/1.1"]).await;
        // THEN ALPN chose h2
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (mut client, connection) = h2::client::handshake(tls).await.unwrap();
        tokio::spawn(connection);
        let url = |path: &str| format!("{base}{path}");
        let started = Instant::now();
        while call(&mut client, "GET", url("/ready"), None).await.0 != 200 {
            assert!(started.elapsed() < Duration::from_secs(120), "ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (status, content_type, body) = call(&mut client, "GET", url("/health"), None).await;
        assert_eq!((status, content_type.as_str()), (200, "application/json"));
        assert!(body.starts_with('{'), "{body}");
        // AND the catalog and the saved searches go over the same connection
        let events = url("/events?wait=true");
        let (status, _, body) = call(
            &mut client,
            "POST",
            events.clone(),
            Some(unlisted::catalog()),
        )
        .await;
        assert_eq!(status, 202, "{body}");
        for i in 0..STREAMS {
            let saved = json!({"saved_search_id": "loaders", "query": {"category": ["loaders"]}});
            let (status, _, body) = call(
                &mut client,
                "POST",
                url(&format!("/subscribers/t{i}/saved-searches")),
                Some(saved.to_string()),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }
        // WHEN every subscriber's stream is opened on it
        let mut bodies = Vec::new();
        for i in 0..STREAMS {
            let request = http::Request::get(url(&format!("/subscribers/t{i}/notifications")))
                .header("accept", "text/event-stream")
                .header("authorization", format!("Bearer {KEY}"))
                .body(())
                .unwrap();
            client = client.ready().await.unwrap();
            let (response, _) = client.send_request(request, true).unwrap();
            let response = response.await.unwrap();
            assert_eq!(response.status(), 200, "stream {i}");
            assert_eq!(
                response.headers()["content-type"],
                "text/event-stream",
                "stream {i}"
            );
            bodies.push(response.into_body());
        }
        // AND a wheel loader is listed, still on the same connection
        let listed = json!({"id": "wl-1", "type": "MachineListed", "at": "2026-02-01T00:00:00Z",
                            "data": {"machine_id": "WL1", "model_id": "wa380", "title": "WA380"}});
        let (status, _, body) =
            call(&mut client, "POST", events, Some(listed.to_string() + "\n")).await;
        assert_eq!(status, 202, "{body}");
        // THEN every stream tells it
        let mut got = Vec::new();
        for mut body in bodies {
            got.push(sse::until_data_frame(&mut body).await);
        }
        got
    });
    assert_eq!(got.len(), STREAMS);
    sse::assert_each_told(&got, "t", "WL1");
}

#[test]
fn http1_over_tls_still_works_and_sigterm_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base, cert) = start(dir.path());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let response = runtime.block_on(async {
        // GIVEN a client that offers only http/1.1
        let mut tls = connect(&base, &cert, &[b"http/1.1"]).await;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        // WHEN it asks for /health
        tls.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        tls.read_to_string(&mut response).await.unwrap();
        response
    });
    // THEN it is answered in HTTP/1.1
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    assert!(body.starts_with('{'), "{body}");
    // AND with no connection open, SIGTERM stops it cleanly.
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "exit status {status}");
}

#[test]
fn stockyard_status_asks_a_tls_listener() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, cert) = start(dir.path());
    let addr = base.trim_start_matches("https://");
    let status = |extra: &[&str]| {
        stockyard()
            .args(["status", "--addr", addr, "--api-key", KEY])
            .args(extra)
            .output()
            .unwrap()
    };
    // GIVEN the server's certificate to trust, WHEN status asks, THEN it answers
    // over TLS with the indexer's status.
    let trusted = cert.cert.to_str().unwrap();
    let out = status(&["--ca-cert", trusted]);
    assert!(out.status.success(), "{out:?}");
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(shown["head"].is_u64(), "{shown}");
    // The name the certificate carries may be given instead of the address.
    let out = status(&["--ca-cert", trusted, "--server-name", "localhost"]);
    assert!(out.status.success(), "{out:?}");
    // A name it does not carry, or no TLS at all, is refused with the reason.
    let out = status(&["--ca-cert", trusted, "--server-name", "example.org"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("TLS with"), "{said}");
    let out = status(&[]);
    assert!(!out.status.success(), "plain HTTP to a TLS listener");
}

#[test]
fn a_certificate_or_key_that_cannot_be_used_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let good = certificate(dir.path());
    let other_dir = dir.path().join("other");
    std::fs::create_dir(&other_dir).unwrap();
    let other = certificate(&other_dir);
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let missing = dir.path().join("missing-key.pem");
    let cases: [(&Path, &Path, &[&str]); 4] = [
        // The key file is missing.
        (
            &good.cert,
            &missing,
            &["tls.key", "missing-key.pem", "cannot read"],
        ),
        // The certificate file holds no certificate.
        (
            &garbage,
            &good.key,
            &["tls.cert", "garbage.pem", "no CERTIFICATE"],
        ),
        // The key file holds a certificate, not a key.
        (
            &good.cert,
            &good.cert,
            &["tls.key", "cert.pem", "no PRIVATE KEY"],
        ),
        // The key is another certificate's.
        (
            &good.cert,
            &other.key,
            &["tls.key", "other/key.pem", "tls.cert"],
        ),
    ];
    for (cert, key, named) in cases {
        let file = config(dir.path(), cert, key);
        let out = serve_command(dir.path(), &file).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{cert:?} {key:?}: {stderr}");
        for n in named {
            assert!(stderr.contains(n), "{cert:?} {key:?} names {n}: {stderr}");
        }
    }
    // Only one of the two is a configuration error.
    std::fs::write(
        dir.path().join("stockyard.toml"),
        format!("[tls]\ncert = {}\n", toml_string(&good.cert)),
    )
    .unwrap();
    let out = serve_command(dir.path(), &dir.path().join("stockyard.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("tls.key: not set, but tls.cert is"),
        "{stderr}"
    );
}
