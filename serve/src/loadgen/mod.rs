//! Load generator for an Open Inference Protocol server on this machine: closed loop (N
//! connections, each sending its next request when the previous one is answered) or open loop
//! (requests at a fixed rate, latency measured from each request's scheduled time, so a slow
//! server cannot hide its queueing). Bounded by a request count and a duration; loopback only.
//!
//! One thread drives every connection with one epoll set (a thread hand-off per request would
//! take CPU from the server under test on a small machine), with plain HTTP/1.1 keep-alive
//! requests encoded once.

mod event_loop;
mod wire;

use event_loop::Schedule;
pub use event_loop::{OPEN_LOOP_TICK, RequestRecord};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Longest run allowed.
pub const MAX_DURATION: Duration = Duration::from_secs(600);
/// Most requests allowed.
pub const MAX_REQUESTS: u64 = 10_000_000;
/// Most connections allowed.
pub const MAX_CONNECTIONS: usize = 1024;

/// Closed or open loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoadMode {
    /// `connections` clients, each with one request in flight.
    Closed,
    /// Requests at `rate` per second, spread over the connections.
    Open {
        /// Requests per second.
        rate: f64,
    },
}

/// A load run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The server (must be a loopback address).
    pub addr: SocketAddr,
    /// The model to call.
    pub model: String,
    /// Closed or open loop.
    pub mode: LoadMode,
    /// Connections.
    pub connections: usize,
    /// Stop after this many requests…
    pub requests: u64,
    /// …or after this long, whichever comes first.
    pub duration: Duration,
    /// Rows per request.
    pub rows: usize,
    /// Send inputs and ask for outputs with the binary tensor extension.
    pub binary: bool,
    /// Keep a [`RequestRecord`] per answered request in the report (`--trace`).
    pub record_each: bool,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A setting is out of range.
    #[error("invalid load setting: {0}")]
    Invalid(String),
    /// Talking to the server failed before the run.
    #[error("cannot reach the server at {addr}: {why}")]
    Connect {
        /// The server.
        addr: SocketAddr,
        /// What failed.
        why: String,
    },
    /// The event loop could not be set up (epoll, timerfd).
    #[error("load generator: {0}")]
    Io(#[from] std::io::Error),
    /// The server's model metadata was unusable.
    #[error("model metadata: {0}")]
    Metadata(String),
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Requests answered with 200.
    pub ok: u64,
    /// Requests answered with another status, by status.
    pub failed: Vec<(u16, u64)>,
    /// Requests that failed at the connection level.
    pub io_errors: u64,
    /// Why the first connection failed, when one did.
    pub first_io_error: Option<String>,
    /// Open loop: requests that fell due but found every connection busy until the end (the
    /// server could not keep up with the rate; raise `connections` or lower the rate).
    pub unsent: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Rows per request.
    pub rows: usize,
    /// Latencies of successful requests, sorted, microseconds.
    pub latencies_us: Vec<u64>,
    /// The most a request was sent after its due time (the load generator's own lateness,
    /// included in the latencies): large values mean the client, not only the server, was
    /// short of CPU.
    pub max_send_lag: Duration,
    /// Every answered request, when `record_each` was set.
    pub requests: Vec<RequestRecord>,
}

impl LoadReport {
    /// Successful requests per second.
    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Successful rows (inferences) per second.
    pub fn inferences_per_second(&self) -> f64 {
        self.throughput() * self.rows as f64
    }

    /// The q-quantile latency (0 ≤ q ≤ 1), nearest rank.
    pub fn latency(&self, q: f64) -> Duration {
        if self.latencies_us.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * self.latencies_us.len() as f64).ceil() as usize)
            .clamp(1, self.latencies_us.len());
        Duration::from_micros(self.latencies_us[rank - 1])
    }

    /// Requests that did not succeed.
    pub fn failures(&self) -> u64 {
        self.failed.iter().map(|(_, n)| n).sum::<u64>() + self.io_errors
    }

    /// A human-readable summary.
    pub fn summary(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let mut s = format!(
            "requests: {} ok, {} failed in {:.2} s\nthroughput: {:.1} req/s, {:.1} inferences/s\n\
             latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}  (client send lag max {:.3})",
            self.ok,
            self.failures(),
            self.elapsed.as_secs_f64(),
            self.throughput(),
            self.inferences_per_second(),
            ms(self.latency(0.50)),
            ms(self.latency(0.90)),
            ms(self.latency(0.99)),
            ms(self.latency(1.0)),
            ms(self.max_send_lag),
        );
        if !self.failed.is_empty() || self.io_errors > 0 {
            s.push_str(&format!(
                "\nfailures: {:?} by HTTP status, {} connection errors",
                self.failed, self.io_errors
            ));
            if let Some(e) = &self.first_io_error {
                s.push_str(&format!(" (first: {e})"));
            }
        }
        if self.unsent > 0 {
            s.push_str(&format!(
                "\nunsent: {} requests fell due while every connection was busy (server saturated, or too few connections)",
                self.unsent
            ));
        }
        s
    }

    /// One JSON object with the figures.
    pub fn json(&self) -> serde_json::Value {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        serde_json::json!({
            "ok": self.ok,
            "failed": self.failures(),
            "unsent": self.unsent,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "requests_per_s": self.throughput(),
            "inferences_per_s": self.inferences_per_second(),
            "p50_ms": ms(self.latency(0.50)),
            "p90_ms": ms(self.latency(0.90)),
            "p99_ms": ms(self.latency(0.99)),
            "max_ms": ms(self.latency(1.0)),
            "max_send_lag_ms": ms(self.max_send_lag),
        })
    }
}

/// Build the inference request (bytes on the wire) for `rows` rows of deterministic data from
/// the model's metadata, read on `conn`.
fn prepare(conn: &mut TcpStream, config: &LoadConfig) -> Result<Vec<u8>, LoadError> {
    let host = config.addr.to_string();
    let get = wire::encode_request(
        "GET",
        &format!("/v2/models/{}", config.model),
        &host,
        &[],
        &[],
    );
    let (status, body) = wire::exchange(conn, &get).map_err(|why| LoadError::Connect {
        addr: config.addr,
        why,
    })?;
    let meta: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| LoadError::Metadata(format!("not JSON: {e}")))?;
    if !(200..300).contains(&status) {
        return Err(LoadError::Metadata(format!(
            "GET /v2/models/{} answered {}: {}",
            config.model, status, meta
        )));
    }
    let inputs = meta["inputs"]
        .as_array()
        .ok_or_else(|| LoadError::Metadata("no inputs".into()))?;
    let mut json_inputs = Vec::new();
    let mut binary = Vec::new();
    for (k, input) in inputs.iter().enumerate() {
        let name = input["name"].as_str().unwrap_or_default();
        let datatype = input["datatype"].as_str().unwrap_or_default();
        let dims: Vec<i64> = input["shape"]
            .as_array()
            .map(|a| a.iter().filter_map(|d| d.as_i64()).collect())
            .unwrap_or_default();
        let mut shape = vec![config.rows as i64];
        shape.extend(dims.iter().skip(1).copied());
        let count: i64 = shape.iter().product();
        if count <= 0 || shape[1..].iter().any(|&d| d < 0) {
            return Err(LoadError::Metadata(format!(
                "input '{name}' has shape {dims:?}"
            )));
        }
        if datatype != "FP32" {
            return Err(LoadError::Metadata(format!(
                "input '{name}' is {datatype}; loadgen generates FP32 inputs only"
            )));
        }
        let values: Vec<f32> = (0..count)
            .map(|i| ((i as f32 + k as f32) * 0.37).sin())
            .collect();
        if config.binary {
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            json_inputs.push(serde_json::json!({
                "name": name, "shape": shape, "datatype": datatype,
                "parameters": { "binary_data_size": bytes.len() },
            }));
            binary.extend(bytes);
        } else {
            json_inputs.push(serde_json::json!({
                "name": name, "shape": shape, "datatype": datatype, "data": values,
            }));
        }
    }
    let mut req = serde_json::json!({ "inputs": json_inputs });
    if config.binary {
        req["parameters"] = serde_json::json!({ "binary_data_output": true });
    }
    let mut bytes = serde_json::to_vec(&req).unwrap_or_default();
    let mut headers = Vec::new();
    if config.binary {
        headers.push((
            crate::protocol::HEADER_CONTENT_LENGTH,
            bytes.len().to_string(),
        ));
        headers.push(("content-type", "application/octet-stream".to_string()));
        bytes.extend(binary);
    } else {
        headers.push(("content-type", "application/json".to_string()));
    }
    Ok(wire::encode_request(
        "POST",
        &format!("/v2/models/{}/infer", config.model),
        &host,
        &headers,
        &bytes,
    ))
}

fn validate(config: &LoadConfig) -> Result<(), LoadError> {
    let bad = |m: String| Err(LoadError::Invalid(m));
    if !config.addr.ip().is_loopback() {
        return bad(format!(
            "{} is not a loopback address; loadgen only loads servers on this machine",
            config.addr
        ));
    }
    if config.requests == 0 || config.requests > MAX_REQUESTS {
        return bad(format!("requests must be between 1 and {MAX_REQUESTS}"));
    }
    if config.duration.is_zero() || config.duration > MAX_DURATION {
        return bad(format!(
            "duration must be between 0 and {} s",
            MAX_DURATION.as_secs()
        ));
    }
    if config.connections == 0 || config.connections > MAX_CONNECTIONS {
        return bad(format!(
            "connections must be between 1 and {MAX_CONNECTIONS}"
        ));
    }
    if config.rows == 0 {
        return bad("rows per request must be at least 1".into());
    }
    if let LoadMode::Open { rate } = config.mode {
        if !(rate.is_finite() && rate > 0.0 && rate <= 10_000_000.0) {
            return bad(format!(
                "rate {rate} must be a positive number of requests per second"
            ));
        }
    }
    Ok(())
}

/// Run the load on this thread; returns when the request count or the duration is reached and
/// the answers in flight are in.
pub fn run(config: &LoadConfig) -> Result<LoadReport, LoadError> {
    validate(config)?;
    let connect = || {
        TcpStream::connect(config.addr).map_err(|e| LoadError::Connect {
            addr: config.addr,
            why: e.to_string(),
        })
    };
    let mut first = connect()?;
    let request = prepare(&mut first, config)?;
    let mut streams = Vec::with_capacity(config.connections);
    streams.push(first);
    while streams.len() < config.connections {
        streams.push(connect()?);
    }
    // Warm-up, not measured: one request per connection, so the run does not time the
    // server accepting connections and its first executions (~10 ms stalls otherwise).
    let warm = Instant::now();
    let warm_up = event_loop::drive(
        &mut streams,
        &request,
        Schedule::Closed,
        config.connections as u64,
        warm,
        warm + WARM_UP_LIMIT,
        false,
    )?;
    if warm_up.io_errors > 0 || warm_up.ok + warm_up.failed.values().sum::<u64>() == 0 {
        return Err(LoadError::Connect {
            addr: config.addr,
            why: format!(
                "the warm-up requests failed: {}",
                warm_up
                    .first_error
                    .unwrap_or_else(|| "no answer".to_string())
            ),
        });
    }
    let schedule = match config.mode {
        LoadMode::Closed => Schedule::Closed,
        LoadMode::Open { rate } => Schedule::Open { rate },
    };
    let start = Instant::now();
    let outcome = event_loop::drive(
        &mut streams,
        &request,
        schedule,
        config.requests,
        start,
        start + config.duration,
        config.record_each,
    )?;
    let mut latencies = outcome.latencies_us;
    latencies.sort_unstable();
    Ok(LoadReport {
        ok: outcome.ok,
        failed: outcome.failed.into_iter().collect(),
        io_errors: outcome.io_errors,
        first_io_error: outcome.first_error,
        unsent: outcome.unsent,
        elapsed: outcome.elapsed,
        rows: config.rows,
        latencies_us: latencies,
        max_send_lag: outcome.max_send_lag,
        requests: outcome.requests,
    })
}

/// Longest the warm-up may take.
const WARM_UP_LIMIT: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lat: &[u64]) -> LoadReport {
        LoadReport {
            ok: lat.len() as u64,
            failed: vec![],
            io_errors: 0,
            first_io_error: None,
            unsent: 0,
            elapsed: Duration::from_secs(2),
            rows: 4,
            latencies_us: lat.to_vec(),
            max_send_lag: Duration::ZERO,
            requests: vec![],
        }
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let r = report(&(1..=100).collect::<Vec<_>>());
        assert_eq!(r.latency(0.5), Duration::from_micros(50));
        assert_eq!(r.latency(0.99), Duration::from_micros(99));
        assert_eq!(r.latency(1.0), Duration::from_micros(100));
        assert_eq!(r.throughput(), 50.0);
        assert_eq!(r.inferences_per_second(), 200.0);
        assert_eq!(report(&[]).latency(0.5), Duration::ZERO);
    }

    #[test]
    fn only_loopback_and_bounded_runs() {
        let mut c = LoadConfig {
            addr: "10.0.0.1:8000".parse().unwrap(),
            model: "m".into(),
            mode: LoadMode::Closed,
            connections: 1,
            requests: 10,
            duration: Duration::from_secs(1),
            rows: 1,
            binary: false,
            record_each: false,
        };
        assert!(
            validate(&c)
                .unwrap_err()
                .to_string()
                .contains("not a loopback")
        );
        c.addr = "127.0.0.1:8000".parse().unwrap();
        assert!(validate(&c).is_ok());
        c.duration = Duration::from_secs(3600);
        assert!(validate(&c).is_err());
        c.duration = Duration::from_secs(1);
        c.mode = LoadMode::Open { rate: 0.0 };
        assert!(validate(&c).is_err());
    }
}
