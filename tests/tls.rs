//! `taizhang serve --tls-cert --tls-key`: HTTPS with a certificate the unit gives it, cookies marked
//! Secure, HSTS; and a certificate that cannot be read refused in words.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{free_port, Server, TestLedger};

const PASSWORD: &str = "口令-correct-horse";

/// A self-signed certificate for `localhost`, written as PEM files; its DER for the client to trust.
fn certificate(ledger: &TestLedger) -> (String, String, Vec<u8>) {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("a certificate");
    let cert = ledger.file("cert.pem", &made.cert.pem());
    let key = ledger.file("key.pem", &made.key_pair.serialize_pem());
    (
        cert.display().to_string(),
        key.display().to_string(),
        made.cert.der().to_vec(),
    )
}

fn serve_tls(ledger: &TestLedger, cert: &str, key: &str, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_taizhang"))
        .arg("--ledger")
        .arg(&ledger.path)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--tls-cert", cert, "--tls-key", key])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let server = Server(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "serve did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// One HTTPS request; the whole answer as text.
fn https(port: u16, trusted: &[u8], request: &str) -> String {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(trusted.to_vec()))
        .expect("a root");
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("a name");
    let connection =
        rustls::ClientConnection::new(Arc::new(config), name).expect("a TLS connection");
    let socket = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    let mut tls = rustls::StreamOwned::new(connection, socket);
    tls.write_all(request.as_bytes()).expect("sends");
    let mut answer = Vec::new();
    // The server may close without close_notify once it has answered: what came is the answer.
    let _ = tls.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).to_string()
}

#[test]
fn https_serves_with_secure_cookies_and_hsts() {
    let ledger = TestLedger::new();
    let out = ledger
        .cmd(&[
            "user",
            "add",
            "张会计",
            "--role",
            "maker",
            "--password-stdin",
        ])
        .write_stdin(format!("{PASSWORD}\n"))
        .output()
        .expect("runs");
    assert!(out.status.success());
    let (cert, key, der) = certificate(&ledger);
    let port = free_port();
    let _server = serve_tls(&ledger, &cert, &key, port);
    let page = https(
        port,
        &der,
        "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.to_lowercase()
            .contains("strict-transport-security: max-age="),
        "{page}"
    );
    let form = format!(
        "username=%E5%BC%A0%E4%BC%9A%E8%AE%A1&password={}",
        "%E5%8F%A3%E4%BB%A4-correct-horse"
    );
    let login = https(
        port,
        &der,
        &format!(
            "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    );
    assert!(login.starts_with("HTTP/1.1 303"), "{login}");
    let cookie = login
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie:"))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
}

#[test]
fn a_public_address_is_served_with_tls() {
    let ledger = TestLedger::new();
    let (cert, key, _) = certificate(&ledger);
    // 0.0.0.0 with TLS is allowed: the refusal is for plain HTTP only.
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_taizhang"))
        .arg("--ledger")
        .arg(&ledger.path)
        .args(["serve", "--listen", &format!("0.0.0.0:{port}")])
        .args(["--tls-cert", &cert, "--tls-key", &key])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let started = Instant::now();
    let mut up = false;
    while started.elapsed() < Duration::from_secs(30) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("ends");
    assert!(up, "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn an_unreadable_certificate_is_refused_in_words() {
    let ledger = TestLedger::new();
    let missing = ledger.dir.path().join("none.pem");
    let missing = missing.to_str().expect("utf-8");
    let refused = ledger.refused(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        missing,
        "--tls-key",
        missing,
    ]);
    assert!(
        refused.contains("无法读取证书") && refused.contains("none.pem"),
        "{refused}"
    );
    let marker = ledger.path.with_extension("ledger.serve");
    assert!(!marker.exists(), "no marker left behind");
    let only_one = ledger
        .cmd(&["serve", "--tls-cert", missing])
        .output()
        .expect("runs");
    assert_eq!(
        only_one.status.code(),
        Some(2),
        "--tls-cert needs --tls-key"
    );
}
