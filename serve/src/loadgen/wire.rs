//! The load generator's HTTP/1.1: requests encoded once into bytes, responses framed by
//! `Content-Length` with `httparse`. Just enough of HTTP for a keep-alive client of our own
//! server; anything else (chunked bodies, a closed connection) is reported, not guessed at.

use std::io::{Read, Write};
use std::net::TcpStream;

/// Most response headers read.
const MAX_HEADERS: usize = 32;
/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// `method path` with `headers` and `body`, as the bytes sent on the wire.
pub fn encode_request(
    method: &str,
    path: &str,
    host: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A complete response found at the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed {
    /// HTTP status.
    pub status: u16,
    /// Bytes of head before the body.
    pub head_len: usize,
    /// Bytes of head and body: what to drop from the buffer.
    pub total_len: usize,
}

/// The first response in `buf`: `Ok(None)` while incomplete, an error when it cannot be framed.
pub fn parse_response(buf: &[u8]) -> Result<Option<Framed>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let head_len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
            return Err(format!("response head longer than {MAX_HEAD} bytes"));
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("malformed response: {e}")),
    };
    let status = resp.code.unwrap_or(0);
    let mut body_len = None;
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or_else(|| "unreadable Content-Length".to_string())?;
            body_len = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err("chunked responses are not supported by loadgen".into());
        }
    }
    // Without a length only bodiless statuses can be framed.
    let body_len = match (body_len, status) {
        (Some(n), _) => n,
        (None, 100..=199 | 204 | 304) => 0,
        (None, _) => return Err(format!("response {status} without Content-Length")),
    };
    let total_len = head_len + body_len;
    Ok((buf.len() >= total_len).then_some(Framed {
        status,
        head_len,
        total_len,
    }))
}

/// Send `request` on a blocking stream and read one whole response: (status, body).
pub fn exchange(stream: &mut TcpStream, request: &[u8]) -> Result<(u16, Vec<u8>), String> {
    stream
        .write_all(request)
        .map_err(|e| format!("send: {e}"))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(f) = parse_response(&buf)? {
            return Ok((f.status, buf[f.head_len..f.total_len].to_vec()));
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err("the server closed the connection mid-response".into()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("receive: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_their_length() {
        let r = encode_request(
            "POST",
            "/v2/models/m/infer",
            "127.0.0.1:1",
            &[("content-type", "application/json".into())],
            b"{}",
        );
        let text = String::from_utf8(r).unwrap();
        assert!(text.starts_with("POST /v2/models/m/infer HTTP/1.1\r\nhost: 127.0.0.1:1\r\n"));
        assert!(text.ends_with("content-length: 2\r\n\r\n{}"));
    }

    #[test]
    fn responses_are_framed_by_length() {
        let one = b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc";
        let mut two = one.to_vec();
        two.extend_from_slice(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        let f = parse_response(&two).unwrap().unwrap();
        assert_eq!(
            f,
            Framed {
                status: 200,
                head_len: one.len() - 3,
                total_len: one.len()
            }
        );
        let g = parse_response(&two[f.total_len..]).unwrap().unwrap();
        assert_eq!(g.status, 400);
        assert_eq!(g.total_len, two.len() - f.total_len);
        // Incomplete head or body: not yet.
        assert_eq!(parse_response(&one[..10]).unwrap(), None);
        assert_eq!(parse_response(&one[..one.len() - 1]).unwrap(), None);
    }

    #[test]
    fn unframeable_responses_are_errors() {
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
        assert!(parse_response(chunked).unwrap_err().contains("chunked"));
        let no_len = b"HTTP/1.1 200 OK\r\n\r\n";
        assert!(
            parse_response(no_len)
                .unwrap_err()
                .contains("without Content-Length")
        );
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n\r\n".as_slice()).is_err());
        assert_eq!(
            parse_response(b"HTTP/1.1 204 No Content\r\n\r\n")
                .unwrap()
                .unwrap()
                .total_len,
            27
        );
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }
}
