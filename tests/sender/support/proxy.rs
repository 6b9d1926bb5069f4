//! A small HTTP proxy for the tests that completes `CONNECT` tunnels, so that an `https` send
//! through a proxy can be followed all the way: the client asks for a tunnel, the proxy answers
//! `200 Connection established` and then copies bytes both ways, and the TLS handshake and the
//! request run inside the tunnel, end to end between the client and the server.
//!
//! It only ever connects to 127.0.0.1 (tests never leave the machine): a `CONNECT` to any other
//! host is answered 403, a request that is not a `CONNECT` 405, and a target that refuses the
//! connection 502. Every request line it was sent is logged, and the bytes it carried each way
//! are counted, so a test can tell a tunnel that was used from one that was only asked for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The longest request head the proxy reads before giving up on a connection.
const HEAD_LIMIT: usize = 16 * 1024;
/// How long a client may take to send its request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);

/// A running tunnelling proxy on 127.0.0.1; it stops when the test's runtime does.
pub(crate) struct TunnelProxy {
    /// `http://127.0.0.1:PORT`, to give to `ClientBuilder::proxy`.
    pub base: String,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// The request line of every request received, in order (`CONNECT 127.0.0.1:443 HTTP/1.1`).
    request_lines: Mutex<Vec<String>>,
    /// Bytes carried from clients to targets, and from targets to clients, through tunnels.
    upstream: AtomicU64,
    downstream: AtomicU64,
}

impl TunnelProxy {
    /// Binds 127.0.0.1 on an ephemeral port; returns once it accepts connections.
    pub(crate) async fn start() -> TunnelProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(tunnel(client, serving.clone()));
            }
        });
        TunnelProxy { base, shared }
    }

    /// The request line of every request the proxy was sent, in order.
    pub(crate) fn request_lines(&self) -> Vec<String> {
        self.shared.request_lines.lock().unwrap().clone()
    }

    /// Bytes carried so far from clients to their targets through tunnels.
    pub(crate) fn bytes_upstream(&self) -> u64 {
        self.shared.upstream.load(Ordering::SeqCst)
    }

    /// Bytes carried so far from targets back to clients through tunnels.
    pub(crate) fn bytes_downstream(&self) -> u64 {
        self.shared.downstream.load(Ordering::SeqCst)
    }
}

/// Serves one client connection: reads its request head, opens the tunnel and copies.
async fn tunnel(mut client: TcpStream, shared: Arc<Shared>) {
    let Ok(Some((head, early))) = tokio::time::timeout(HEAD_DEADLINE, read_head(&mut client)).await
    else {
        return;
    };
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    shared
        .request_lines
        .lock()
        .unwrap()
        .push(request_line.clone());
    let mut words = request_line.split(' ');
    let (method, target) = (words.next().unwrap_or_default(), words.next());
    let refuse = |status: &str| {
        format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    };
    if method != "CONNECT" {
        let _ = client
            .write_all(refuse("405 Method Not Allowed").as_bytes())
            .await;
        return;
    }
    let Some(target) = target.filter(|t| t.starts_with("127.0.0.1:")) else {
        let _ = client.write_all(refuse("403 Forbidden").as_bytes()).await;
        return;
    };
    let Ok(mut server) = TcpStream::connect(target).await else {
        let _ = client.write_all(refuse("502 Bad Gateway").as_bytes()).await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    // Whatever the client sent after its head already belongs to the tunnel.
    if !early.is_empty() {
        if server.write_all(&early).await.is_err() {
            return;
        }
        shared
            .upstream
            .fetch_add(early.len() as u64, Ordering::SeqCst);
    }
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pump(client_read, server_write, shared.clone(), |s| &s.upstream);
    let down = pump(server_read, client_write, shared.clone(), |s| &s.downstream);
    tokio::join!(up, down);
}

/// Copies until end of stream or an error, counting what it carried, then closes the writing
/// side so the other end sees the end of stream too.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    shared: Arc<Shared>,
    counter: fn(&Shared) -> &AtomicU64,
) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
        counter(&shared).fetch_add(n as u64, Ordering::SeqCst);
    }
    let _ = to.shutdown().await;
}

/// The request head (up to and including the blank line) as text, and the bytes read past it;
/// `None` if the connection ends first or the head is too long.
async fn read_head(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..i + 4]).into_owned();
            return Some((head, buffer.split_off(i + 4)));
        }
        if buffer.len() > HEAD_LIMIT {
            return None;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}
