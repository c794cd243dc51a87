//! The HTTP front: one accept loop and N *shards*, each a single-threaded tokio runtime on its
//! own thread serving the connections handed to it (round robin).
//!
//! Why not one multi-threaded runtime: its workers take turns at the I/O driver and wake each
//! other to share work; on a small machine that park/unpark traffic was the largest cost of a
//! request (futex waits and wakes, ~30 % of the HTTP threads' samples; BENCHMARKS.md, Serving).
//! A shard never wakes another shard: a connection lives on one thread from accept to close,
//! and only the executors' replies cross threads. One listening socket (not `SO_REUSEPORT` per
//! shard) keeps "address in use" for a second server on the same port.

use axum::Router;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// A shard's listener: connections from the accept loop.
struct ShardListener {
    rx: mpsc::UnboundedReceiver<std::net::TcpStream>,
    local: SocketAddr,
}

impl axum::serve::Listener for ShardListener {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Some(std_stream) = self.rx.recv().await else {
                // The accept loop has stopped (shutdown): no more connections, ever.
                std::future::pending::<()>().await;
                continue;
            };
            // Registering with this shard's reactor fails only when the process is out of
            // resources; the connection is then dropped (closed), as an accept error would.
            let Ok(stream) = tokio::net::TcpStream::from_std(std_stream) else {
                continue;
            };
            match stream.peer_addr() {
                Ok(peer) => return (stream, peer),
                Err(_) => continue, // already gone
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// Accept on `listener` and deal the connections to `shards` in turn, until `stop`.
pub async fn accept_loop(
    listener: tokio::net::TcpListener,
    shards: Vec<mpsc::UnboundedSender<std::net::TcpStream>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut next = 0usize;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => return,
        };
        match accepted {
            Ok((stream, _)) => {
                // Small responses: send them at once (Nagle would hold them for the ACK).
                let _ = stream.set_nodelay(true);
                let Ok(std_stream) = stream.into_std() else {
                    continue;
                };
                // A shard that has stopped drops the connection, which closes it.
                let _ = shards[next % shards.len()].send(std_stream);
                next = next.wrapping_add(1);
            }
            // Out of file descriptors and the like: back off instead of spinning (what
            // axum's own listener does).
            Err(e) => {
                eprintln!("serve: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Serve the connections of one shard until `stop`, then drain them for at most `drain`.
pub async fn serve_shard(
    index: usize,
    rx: mpsc::UnboundedReceiver<std::net::TcpStream>,
    local: SocketAddr,
    router: Router,
    mut stop: watch::Receiver<bool>,
    drain: Duration,
) {
    let mut stop_accepting = stop.clone();
    let server = tokio::spawn(
        axum::serve(ShardListener { rx, local }, router)
            .with_graceful_shutdown(async move {
                let _ = stop_accepting.wait_for(|s| *s).await;
            })
            .into_future(),
    );
    // The drain deadline starts when the stop does.
    let _ = stop.wait_for(|s| *s).await;
    match tokio::time::timeout(drain, server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => eprintln!("serve: HTTP shard {index}: {e}"),
        Ok(Err(e)) => eprintln!("serve: HTTP shard {index} failed: {e}"),
        Err(_) => eprintln!(
            "serve: HTTP shard {index}: in-flight requests did not finish within {:.1} s; closing",
            drain.as_secs_f64()
        ),
    }
}

/// A single-threaded runtime for one shard (or the accept loop's thread).
pub fn shard_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
