//! Serving HTTP/1.1 in a world of slow and hostile clients: at most [`Limits::connections`] connections at
//! once (the rest wait in the kernel's backlog, never taking a file descriptor from the database or the
//! providers' calls), each request's head read within [`Limits::head`] (an idle keep-alive connection is
//! closed after as long), and accepting goes on after a failure such as running out of file descriptors.
//! Bodies get their own deadline in [`crate::boundary`]. Live streams are ordinary long responses: once their
//! head is read, nothing here cuts them.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// What a connection may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Connections served at once.
    pub connections: usize,
    /// How long the head of a request (and the wait for the next one on a kept-alive connection) may take.
    pub head: Duration,
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the requests under way finish (live
/// streams must be ended by the caller as part of `shutdown`).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let places = Arc::new(Semaphore::new(limits.connections));
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.head);
    tokio::pin!(shutdown);
    loop {
        let place = tokio::select! {
            place = places.clone().acquire_owned() => place.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors (or a connection reset before it was accepted): wait a little
                    // for some to be freed, and go on accepting.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let _place = place;
            tokio::pin!(connection);
            loop {
                tokio::select! {
                    _ = connection.as_mut() => break,
                    _ = stopped.changed() => connection.as_mut().graceful_shutdown(),
                }
            }
        });
    }
    let _ = stopping.send(true);
    drop(listener);
    // Every connection gives its place back when it ends.
    let all = u32::try_from(limits.connections).unwrap_or(u32::MAX);
    let _ = places.acquire_many(all).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn an_unfinished_head_is_cut_off_after_its_time() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let router = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let limits = Limits { connections: 4, head: Duration::from_millis(300) };
        tokio::spawn(serve(listener, router, limits, std::future::pending()));
        let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
        stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.expect("write");
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "still open after 3 s");
    }
}
