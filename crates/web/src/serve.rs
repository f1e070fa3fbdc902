//! Running the server: the address (loopback unless told otherwise, and then only with TLS or an
//! explicit `--insecure-http`), TLS from PEM files (rustls with the ring provider), a marker file
//! beside the ledger that tells a CLI command where the server is, and a clean stop on Ctrl-C or
//! SIGTERM (the marker removed, no batch cut: a batch in flight finishes or was never begun).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use taizhang_store::Ledger;

use crate::state::AppState;

/// How long a stop waits for requests in flight (a large import) before it ends them.
const STOP_GRACE: Duration = Duration::from_secs(60);
/// How long a client may take to send a request's headers. Without a timer hyper waits for ever:
/// a connection that sends half a request line and stops was held open indefinitely, so anyone
/// who could reach the port could use up its file descriptors without logging in.
const HEADER_READ: Duration = Duration::from_secs(30);

pub struct ServeOptions {
    pub listen: String,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub insecure_http: bool,
}

/// The address the server is at, as the marker file and the greeting give it.
pub fn marker_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.as_os_str().to_owned();
    name.push(".serve");
    PathBuf::from(name)
}

/// What the marker file says, for the CLI's message when the ledger is busy.
pub fn read_marker(ledger: &Path) -> Option<String> {
    let text = std::fs::read_to_string(marker_path(ledger)).ok()?;
    let line = text.lines().next()?.trim();
    // Only what the server wrote: an address and a process number, nothing to print blindly.
    let printable = line.chars().all(|c| !c.is_control());
    (printable && line.len() < 200).then(|| line.to_string())
}

/// Checks the options, binds, and serves until stopped. `ready` is told the address once listening.
pub fn serve(
    options: ServeOptions,
    ledger: Ledger,
    ready: impl FnOnce(&str),
) -> anyhow::Result<()> {
    let address: SocketAddr = options.listen.trim().parse().map_err(|_| {
        anyhow::anyhow!(
            "--listen 应为“地址:端口”，如 127.0.0.1:8080，而不是“{}”",
            taizhang_core::text::excerpt(&options.listen)
        )
    })?;
    if !address.ip().is_loopback() && options.tls.is_none() && !options.insecure_http {
        bail!(
            "{address} 不是本机地址：口令和台账会以明文经过网络。请用 --tls-cert 和 --tls-key 启用 HTTPS，或明确写上 --insecure-http"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("无法启动服务线程")?;
    let ledger_path = ledger.path().to_path_buf();
    let tls = options.tls.is_some();
    let state = AppState::new(ledger, tls);
    runtime.block_on(run(state, address, options.tls, &ledger_path, ready))
}

async fn run(
    state: AppState,
    address: SocketAddr,
    tls: Option<(PathBuf, PathBuf)>,
    ledger_path: &Path,
    ready: impl FnOnce(&str),
) -> anyhow::Result<()> {
    // Read before anything is written: a certificate that cannot be read leaves no marker behind.
    let tls = match tls {
        Some((cert, key)) => Some(tls_config(&cert, &key).await?),
        None => None,
    };
    let listener = std::net::TcpListener::bind(address)
        .map_err(|e| anyhow::anyhow!("无法在 {address} 上监听：{}", bind_words(&e)))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{bound}/");
    let marker = marker_path(ledger_path);
    std::fs::write(&marker, format!("{url} 进程 {}\n", std::process::id()))
        .with_context(|| format!("无法写入 {}", marker.display()))?;
    ready(&url);
    let handle = axum_server::Handle::new();
    tokio::spawn(stop_on_signal(handle.clone()));
    let app = crate::router(state).into_make_service();
    let served = match tls {
        Some(config) => {
            let mut server = axum_server::from_tcp_rustls(listener, config);
            time_out_headers(server.http_builder());
            server.handle(handle).serve(app).await
        }
        None => {
            // (Under TLS the handshake's own timeout, 10 s, closes a silent connection.)
            let mut server = axum_server::from_tcp(listener).acceptor(FirstByte);
            time_out_headers(server.http_builder());
            server.handle(handle).serve(app).await
        }
    };
    let _ = std::fs::remove_file(&marker);
    served.context("服务中断")
}

/// Gives hyper a timer, so that its header read timeout ([`HEADER_READ`]) takes effect.
fn time_out_headers(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
) {
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ);
}

/// Hands a connection to hyper once its first byte has come, and closes it if none comes within
/// [`HEADER_READ`]: hyper's header timeout starts only with that byte, so a connection that sends
/// nothing at all was held for ever (an idle keep-alive connection hyper closes itself).
#[derive(Clone, Copy)]
struct FirstByte;

impl<S: Send + 'static> axum_server::accept::Accept<tokio::net::TcpStream, S> for FirstByte {
    type Stream = tokio::net::TcpStream;
    type Service = S;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = std::io::Result<(Self::Stream, S)>> + Send>,
    >;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        Box::pin(async move {
            let mut byte = [0u8; 1];
            match tokio::time::timeout(HEADER_READ, stream.peek(&mut byte)).await {
                Ok(Ok(_)) => Ok((stream, service)),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
            }
        })
    }
}

async fn tls_config(
    cert: &Path,
    key: &Path,
) -> anyhow::Result<axum_server::tls_rustls::RustlsConfig> {
    // Installed once per process; a second install (tests) finds it there already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "无法读取证书 {} 或私钥 {}：{}",
                cert.display(),
                key.display(),
                taizhang_interchange::oserr::describe(&e)
            )
        })
}

async fn stop_on_signal(handle: axum_server::Handle) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return handle.graceful_shutdown(Some(STOP_GRACE));
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    handle.graceful_shutdown(Some(STOP_GRACE));
}

fn bind_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => "端口已被占用（另一个 taizhang serve 或别的程序）".into(),
        std::io::ErrorKind::AddrNotAvailable => "本机没有这个地址".into(),
        std::io::ErrorKind::PermissionDenied => "没有权限（1024 以下的端口需要管理员权限）".into(),
        _ => taizhang_interchange::oserr::describe(e),
    }
}
