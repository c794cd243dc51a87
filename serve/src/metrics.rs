//! Prometheus metrics, written by hand in the text exposition format (version 0.0.4): counters
//! and gauges are atomics, histograms fixed buckets of atomics — nothing on the hot path locks.

use crate::error::ErrorKind;
use parking_lot::Mutex;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The content type of `GET /metrics`.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// Request latency buckets, seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5,
];

/// A histogram with fixed upper bounds.
#[derive(Debug)]
pub struct Histogram {
    bounds: Vec<f64>,
    /// Non-cumulative counts per bucket, plus one for `+Inf`.
    counts: Vec<AtomicU64>,
    /// Sum of observations, as `f64` bits.
    sum: AtomicU64,
}

impl Histogram {
    /// A histogram with these upper bounds (ascending).
    pub fn new(bounds: &[f64]) -> Histogram {
        Histogram {
            bounds: bounds.to_vec(),
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }

    /// Record one observation.
    pub fn observe(&self, v: f64) {
        let i = self
            .bounds
            .iter()
            .position(|&b| v <= b)
            .unwrap_or(self.bounds.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + v).to_bits())
            });
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0u64;
        for (i, b) in self.bounds.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{b}\"}} {cumulative}");
        }
        cumulative += self.counts[self.bounds.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
        let sum = f64::from_bits(self.sum.load(Ordering::Relaxed));
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

/// One NeuronCore Group's execution counters.
#[derive(Debug)]
pub struct GroupMetrics {
    /// The group's global cores, e.g. `3` or `4-5`.
    pub cores: String,
    busy_ns: AtomicU64,
    executions: AtomicU64,
    /// (time, busy_ns) at the previous scrape, for the busy fraction since then.
    last_scrape: Mutex<(Instant, u64)>,
}

impl GroupMetrics {
    fn new(cores: String) -> GroupMetrics {
        GroupMetrics {
            cores,
            busy_ns: AtomicU64::new(0),
            executions: AtomicU64::new(0),
            last_scrape: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Record one execution that kept the group busy for `busy`.
    pub fn executed(&self, busy: Duration) {
        self.busy_ns.fetch_add(
            busy.as_nanos().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
        self.executions.fetch_add(1, Ordering::Relaxed);
    }

    /// Executions so far.
    pub fn executions(&self) -> u64 {
        self.executions.load(Ordering::Relaxed)
    }
}

/// Per-model metrics.
#[derive(Debug)]
pub struct ModelMetrics {
    /// The model's name.
    pub name: String,
    requests: AtomicU64,
    errors: [AtomicU64; ErrorKind::ALL.len()],
    inferences: AtomicU64,
    queue_depth: AtomicI64,
    /// Request latency, seconds.
    pub latency: Histogram,
    /// Requests' rows per execution.
    pub batch_size: Histogram,
    /// One entry per group serving the model.
    pub groups: Vec<GroupMetrics>,
}

impl ModelMetrics {
    /// Metrics for a model with a compiled batch of `max_batch`, served by groups on `cores`.
    pub fn new(name: &str, max_batch: usize, cores: &[String]) -> ModelMetrics {
        let bounds: Vec<f64> = (1..=max_batch.max(1)).map(|b| b as f64).collect();
        ModelMetrics {
            name: name.to_string(),
            requests: AtomicU64::new(0),
            errors: std::array::from_fn(|_| AtomicU64::new(0)),
            inferences: AtomicU64::new(0),
            queue_depth: AtomicI64::new(0),
            latency: Histogram::new(LATENCY_BUCKETS),
            batch_size: Histogram::new(&bounds),
            groups: cores.iter().cloned().map(GroupMetrics::new).collect(),
        }
    }

    /// Count a request (any outcome).
    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Count a failed request.
    pub fn error(&self, kind: ErrorKind) {
        self.errors[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Errors of a kind so far.
    pub fn errors(&self, kind: ErrorKind) -> u64 {
        self.errors[kind.index()].load(Ordering::Relaxed)
    }

    /// Requests so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Record an execution of `rows` real (unpadded) rows.
    pub fn batch(&self, rows: usize) {
        self.batch_size.observe(rows as f64);
        self.inferences.fetch_add(rows as u64, Ordering::Relaxed);
    }

    /// Requests entered (+n) or left (−n) the queue.
    pub fn queue_add(&self, n: i64) {
        self.queue_depth.fetch_add(n, Ordering::Relaxed);
    }

    /// Requests waiting in the queue now.
    pub fn queue_depth(&self) -> i64 {
        self.queue_depth.load(Ordering::Relaxed)
    }
}

/// All metrics of one server process.
#[derive(Debug)]
pub struct Metrics {
    /// Per model.
    pub models: Vec<std::sync::Arc<ModelMetrics>>,
    /// Errors of requests for unknown models and routes.
    unrouted_errors: [AtomicU64; ErrorKind::ALL.len()],
    /// `worker` label value in multi-process mode (`mlp#3`).
    worker: Option<String>,
}

impl Metrics {
    /// Metrics over these models; `worker` labels every sample in multi-process mode.
    pub fn new(models: Vec<std::sync::Arc<ModelMetrics>>, worker: Option<String>) -> Metrics {
        Metrics {
            models,
            unrouted_errors: std::array::from_fn(|_| AtomicU64::new(0)),
            worker,
        }
    }

    /// Count an error that belongs to no model.
    pub fn unrouted_error(&self, kind: ErrorKind) {
        self.unrouted_errors[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8192);
        let w = match &self.worker {
            Some(w) => format!(",worker=\"{}\"", escape(w)),
            None => String::new(),
        };
        let model_label = |m: &ModelMetrics| format!("model=\"{}\"{w}", escape(&m.name));

        header(
            &mut out,
            "nrt_serve_requests_total",
            "counter",
            "Inference requests received, by model.",
        );
        for m in &self.models {
            let _ = writeln!(
                out,
                "nrt_serve_requests_total{{{}}} {}",
                model_label(m),
                m.requests()
            );
        }
        header(
            &mut out,
            "nrt_serve_request_errors_total",
            "counter",
            "Failed requests by model and kind (bad_request, not_found, method_not_allowed, payload_too_large, overloaded, unavailable, runtime); model=\"\" for unknown models and routes.",
        );
        for m in &self.models {
            for k in ErrorKind::ALL {
                let _ = writeln!(
                    out,
                    "nrt_serve_request_errors_total{{{},kind=\"{}\"}} {}",
                    model_label(m),
                    k.label(),
                    m.errors(k)
                );
            }
        }
        for k in ErrorKind::ALL {
            let _ = writeln!(
                out,
                "nrt_serve_request_errors_total{{model=\"\"{w},kind=\"{}\"}} {}",
                k.label(),
                self.unrouted_errors[k.index()].load(Ordering::Relaxed)
            );
        }
        header(
            &mut out,
            "nrt_serve_inferences_total",
            "counter",
            "Rows (samples) executed, without padding.",
        );
        for m in &self.models {
            let _ = writeln!(
                out,
                "nrt_serve_inferences_total{{{}}} {}",
                model_label(m),
                m.inferences.load(Ordering::Relaxed)
            );
        }
        header(
            &mut out,
            "nrt_serve_request_duration_seconds",
            "histogram",
            "Infer request latency from receipt to response, seconds.",
        );
        for m in &self.models {
            m.latency.render(
                &mut out,
                "nrt_serve_request_duration_seconds",
                &model_label(m),
            );
        }
        header(
            &mut out,
            "nrt_serve_batch_size",
            "histogram",
            "Real rows per execution (the rest of the compiled batch is padding).",
        );
        for m in &self.models {
            m.batch_size
                .render(&mut out, "nrt_serve_batch_size", &model_label(m));
        }
        header(
            &mut out,
            "nrt_serve_queue_depth",
            "gauge",
            "Requests waiting for a NeuronCore Group.",
        );
        for m in &self.models {
            let _ = writeln!(
                out,
                "nrt_serve_queue_depth{{{}}} {}",
                model_label(m),
                m.queue_depth().max(0)
            );
        }
        header(
            &mut out,
            "nrt_serve_group_executions_total",
            "counter",
            "Executions per NeuronCore Group.",
        );
        for m in &self.models {
            for g in &m.groups {
                let _ = writeln!(
                    out,
                    "nrt_serve_group_executions_total{{{},cores=\"{}\"}} {}",
                    model_label(m),
                    g.cores,
                    g.executions()
                );
            }
        }
        header(
            &mut out,
            "nrt_serve_group_busy_seconds_total",
            "counter",
            "Time each NeuronCore Group spent executing, seconds (rate() gives the busy fraction).",
        );
        for m in &self.models {
            for g in &m.groups {
                let _ = writeln!(
                    out,
                    "nrt_serve_group_busy_seconds_total{{{},cores=\"{}\"}} {}",
                    model_label(m),
                    g.cores,
                    g.busy_ns.load(Ordering::Relaxed) as f64 / 1e9
                );
            }
        }
        header(
            &mut out,
            "nrt_serve_group_busy_fraction",
            "gauge",
            "Fraction of the time since the previous scrape (or the start) each NeuronCore Group spent executing.",
        );
        for m in &self.models {
            for g in &m.groups {
                let now = Instant::now();
                let busy = g.busy_ns.load(Ordering::Relaxed);
                let mut last = g.last_scrape.lock();
                let wall = now.duration_since(last.0).as_nanos() as f64;
                let frac = if wall > 0.0 {
                    (busy.saturating_sub(last.1) as f64 / wall).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                *last = (now, busy);
                let _ = writeln!(
                    out,
                    "nrt_serve_group_busy_fraction{{{},cores=\"{}\"}} {frac:.4}",
                    model_label(m),
                    g.cores
                );
            }
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Escape a label value (`\`, `"` and newlines).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::new(&[1.0, 2.0]);
        for v in [0.5, 1.0, 1.5, 3.0] {
            h.observe(v);
        }
        let mut s = String::new();
        h.render(&mut s, "x", "a=\"b\"");
        assert!(s.contains("x_bucket{a=\"b\",le=\"1\"} 2\n"), "{s}");
        assert!(s.contains("x_bucket{a=\"b\",le=\"2\"} 3\n"), "{s}");
        assert!(s.contains("x_bucket{a=\"b\",le=\"+Inf\"} 4\n"), "{s}");
        assert!(s.contains("x_sum{a=\"b\"} 6\n"), "{s}");
        assert!(s.contains("x_count{a=\"b\"} 4\n"), "{s}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
