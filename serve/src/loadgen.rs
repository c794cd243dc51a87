//! Load generator for an Open Inference Protocol server on this machine: closed loop (N
//! connections, each sending its next request when the previous one is answered) or open loop
//! (requests at a fixed rate, latency measured from each request's scheduled time, so a slow
//! server cannot hide its queueing). Bounded by a request count and a duration; loopback only.

use crate::client::{ClientError, Connection};
use bytes::Bytes;
use hyper::Method;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A setting is out of range.
    #[error("invalid load setting: {0}")]
    Invalid(String),
    /// Talking to the server failed before the run.
    #[error(transparent)]
    Client(#[from] ClientError),
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
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Rows per request.
    pub rows: usize,
    /// Latencies of successful requests, sorted, microseconds.
    pub latencies_us: Vec<u64>,
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
             latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}",
            self.ok,
            self.failures(),
            self.elapsed.as_secs_f64(),
            self.throughput(),
            self.inferences_per_second(),
            ms(self.latency(0.50)),
            ms(self.latency(0.90)),
            ms(self.latency(0.99)),
            ms(self.latency(1.0)),
        );
        if !self.failed.is_empty() || self.io_errors > 0 {
            s.push_str(&format!(
                "\nfailures: {:?} by HTTP status, {} connection errors",
                self.failed, self.io_errors
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
            "elapsed_s": self.elapsed.as_secs_f64(),
            "requests_per_s": self.throughput(),
            "inferences_per_s": self.inferences_per_second(),
            "p50_ms": ms(self.latency(0.50)),
            "p90_ms": ms(self.latency(0.90)),
            "p99_ms": ms(self.latency(0.99)),
            "max_ms": ms(self.latency(1.0)),
        })
    }
}

/// A prepared request body.
struct Body {
    bytes: Bytes,
    headers: Vec<(&'static str, String)>,
}

/// Build the request for `rows` rows of deterministic data from the model metadata.
async fn prepare(conn: &mut Connection, config: &LoadConfig) -> Result<Body, LoadError> {
    let resp = conn.get(&format!("/v2/models/{}", config.model)).await?;
    let meta = resp
        .json()
        .map_err(|e| LoadError::Metadata(format!("not JSON: {e}")))?;
    if !resp.status.is_success() {
        return Err(LoadError::Metadata(format!(
            "GET /v2/models/{} answered {}: {}",
            config.model, resp.status, meta
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
    Ok(Body {
        bytes: bytes.into(),
        headers,
    })
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

/// Run the load; returns when the request count or the duration is reached.
pub async fn run(config: &LoadConfig) -> Result<LoadReport, LoadError> {
    validate(config)?;
    let mut first = Connection::connect(config.addr).await?;
    let body = Arc::new(prepare(&mut first, config).await?);
    let path: Arc<str> = format!("/v2/models/{}/infer", config.model).into();
    let mut conns = Vec::with_capacity(config.connections);
    conns.push(first);
    while conns.len() < config.connections {
        conns.push(Connection::connect(config.addr).await?);
    }
    let start = Instant::now();
    let end = start + config.duration;
    let mut tasks = Vec::with_capacity(config.connections);
    let mut pacer = None;
    match config.mode {
        LoadMode::Closed => {
            let issued = Arc::new(AtomicU64::new(0));
            for conn in conns {
                let (body, path, issued) =
                    (Arc::clone(&body), Arc::clone(&path), Arc::clone(&issued));
                let schedule = Schedule::Closed {
                    issued,
                    total: config.requests,
                };
                tasks.push(tokio::spawn(connection_loop(
                    conn, body, path, end, schedule,
                )));
            }
        }
        LoadMode::Open { rate } => {
            let mut senders = Vec::with_capacity(conns.len());
            for conn in conns {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                senders.push(tx);
                let (body, path) = (Arc::clone(&body), Arc::clone(&path));
                let schedule = Schedule::Open(rx);
                tasks.push(tokio::spawn(connection_loop(
                    conn, body, path, end, schedule,
                )));
            }
            let total = config.requests;
            pacer = Some(
                std::thread::Builder::new()
                    .name("loadgen-pacer".into())
                    .spawn(move || pace(senders, rate, total, start, end))
                    .map_err(|e| {
                        LoadError::Invalid(format!("cannot start the pacer thread: {e}"))
                    })?,
            );
        }
    }
    let mut ok = 0;
    let mut io_errors = 0;
    let mut failed: std::collections::BTreeMap<u16, u64> = Default::default();
    let mut latencies = Vec::new();
    for t in tasks {
        if let Ok(r) = t.await {
            ok += r.ok;
            io_errors += r.io_errors;
            for (s, n) in r.failed {
                *failed.entry(s).or_default() += n;
            }
            latencies.extend(r.latencies_us);
        } else {
            io_errors += 1;
        }
    }
    let elapsed = start.elapsed();
    if let Some(p) = pacer {
        let _ = p.join();
    }
    latencies.sort_unstable();
    Ok(LoadReport {
        ok,
        failed: failed.into_iter().collect(),
        io_errors,
        elapsed,
        rows: config.rows,
        latencies_us: latencies,
    })
}
/// The pacer's shortest sleep: it then hands out every request that has become due, a few at a
/// time at high rates, instead of waking (and waking a connection task) for each one. Requests
/// are still never sent early, and the lag (this plus the sleep's lateness) counts in latency.
const PACER_TICK: Duration = Duration::from_micros(100);

/// The open loop's clock: hands request `seq` to connection `seq % connections` at its scheduled
/// time `start + seq / rate`. A thread with `std::thread::sleep` rather than tokio's timer,
/// whose 1 ms granularity would send each request up to 1 ms late and charge that to the server.
fn pace(
    senders: Vec<tokio::sync::mpsc::UnboundedSender<Instant>>,
    rate: f64,
    total: u64,
    start: Instant,
    end: Instant,
) {
    let connections = senders.len() as u64;
    for seq in 0..total {
        let due = start + Duration::from_secs_f64(seq as f64 / rate);
        if due >= end {
            break;
        }
        let now = Instant::now();
        if due > now {
            std::thread::sleep((due - now).max(PACER_TICK));
        }
        // A closed channel means that connection failed; its requests are not sent.
        let _ = senders[(seq % connections) as usize].send(due);
    }
}

/// Where a connection's next request comes from.
enum Schedule {
    /// Closed loop: at once, while the shared count is below the total.
    Closed { issued: Arc<AtomicU64>, total: u64 },
    /// Open loop: the scheduled times from the pacer.
    Open(tokio::sync::mpsc::UnboundedReceiver<Instant>),
}

impl Schedule {
    /// When the next request is due, or `None` when there is none.
    async fn next(&mut self) -> Option<Instant> {
        match self {
            Schedule::Closed { issued, total } => {
                (issued.fetch_add(1, Ordering::Relaxed) < *total).then(Instant::now)
            }
            Schedule::Open(rx) => rx.recv().await,
        }
    }
}

#[derive(Default)]
struct TaskResult {
    ok: u64,
    io_errors: u64,
    failed: Vec<(u16, u64)>,
    latencies_us: Vec<u64>,
}

async fn connection_loop(
    mut conn: Connection,
    body: Arc<Body>,
    path: Arc<str>,
    end: Instant,
    mut schedule: Schedule,
) -> TaskResult {
    let mut r = TaskResult::default();
    let mut failed: std::collections::BTreeMap<u16, u64> = Default::default();
    while let Some(due) = schedule.next().await {
        if Instant::now() >= end {
            break;
        }
        let resp = conn
            .request(Method::POST, &path, &body.headers, body.bytes.clone())
            .await;
        match resp {
            Ok(resp) if resp.status.is_success() => {
                r.ok += 1;
                r.latencies_us.push(due.elapsed().as_micros() as u64);
            }
            Ok(resp) => *failed.entry(resp.status.as_u16()).or_default() += 1,
            Err(_) => {
                r.io_errors += 1;
                break; // the connection is gone
            }
        }
    }
    r.failed = failed.into_iter().collect();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lat: &[u64]) -> LoadReport {
        LoadReport {
            ok: lat.len() as u64,
            failed: vec![],
            io_errors: 0,
            elapsed: Duration::from_secs(2),
            rows: 4,
            latencies_us: lat.to_vec(),
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

    #[test]
    fn pacer_hands_out_requests_round_robin_never_early() {
        let (senders, mut receivers): (Vec<_>, Vec<_>) = (0..3)
            .map(|_| tokio::sync::mpsc::unbounded_channel::<Instant>())
            .unzip();
        let start = Instant::now();
        // 1 000 req/s for 20 ms at most, but only 10 requests: the count ends the run.
        pace(
            senders,
            1000.0,
            10,
            start,
            start + Duration::from_millis(20),
        );
        let mut got = 0;
        for (c, rx) in receivers.iter_mut().enumerate() {
            let mut k = 0;
            while let Ok(due) = rx.try_recv() {
                let seq = c as u64 + 3 * k;
                let want = start + Duration::from_millis(seq);
                let off = due.max(want) - due.min(want);
                assert!(
                    off < Duration::from_micros(1),
                    "request {seq} due {off:?} off"
                );
                k += 1;
                got += 1;
            }
        }
        assert_eq!(got, 10);
        // Handed out no earlier than due: the last one is due at 9 ms.
        assert!(start.elapsed() >= Duration::from_millis(9));

        // The duration ends the run before the count.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
        let start = Instant::now();
        pace(
            vec![tx],
            1000.0,
            1000,
            start,
            start + Duration::from_millis(5),
        );
        let mut n = 0;
        while rx.try_recv().is_ok() {
            n += 1;
        }
        assert_eq!(n, 5);
    }
}
