//! A small HTTP/1.1 keep-alive client (one connection, one request at a time), for the load
//! generator and the tests.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Method, Request, StatusCode};
use std::net::SocketAddr;

/// A response: status, the binary extension's header, body.
#[derive(Debug, Clone)]
pub struct ClientResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Inference-Header-Content-Length`, when present.
    pub header_len: Option<usize>,
    /// The body.
    pub body: Bytes,
}

impl ClientResponse {
    /// The body (or its JSON part) as JSON.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        let n = self
            .header_len
            .unwrap_or(self.body.len())
            .min(self.body.len());
        serde_json::from_slice(&self.body[..n])
    }

    /// The binary part after the JSON header.
    pub fn binary(&self) -> &[u8] {
        let n = self
            .header_len
            .unwrap_or(self.body.len())
            .min(self.body.len());
        &self.body[n..]
    }
}

/// A client error.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connecting failed.
    #[error("connect to {addr}: {source}")]
    Connect {
        /// The server.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP exchange failed.
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    /// The request could not be built.
    #[error("request: {0}")]
    Request(#[from] hyper::http::Error),
}

/// One keep-alive connection.
pub struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    /// Connect to `addr`.
    pub async fn connect(addr: SocketAddr) -> Result<Connection, ClientError> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|source| ClientError::Connect { addr, source })?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Connection {
            sender,
            host: addr.to_string(),
        })
    }

    /// Send a request and read the whole response.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<ClientResponse, ClientError> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req.body(Full::new(body))?;
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status();
        let h = resp.headers();
        let content_type = h
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let header_len = h
            .get(crate::protocol::HEADER_CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = resp.into_body().collect().await?.to_bytes();
        Ok(ClientResponse {
            status,
            content_type,
            header_len,
            body,
        })
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Result<ClientResponse, ClientError> {
        self.request(Method::GET, path, &[], Bytes::new()).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(
        &mut self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<ClientResponse, ClientError> {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.request(
            Method::POST,
            path,
            &[("content-type", "application/json".to_string())],
            bytes.into(),
        )
        .await
    }
}
