//! Dynamic batching: one queue per model, one executor thread per NeuronCore Group.
//!
//! A free executor takes the requests at the head of the queue as soon as they fill the compiled
//! batch, or when the oldest has waited the batching delay — whichever comes first (Triton's
//! `max_queue_delay`). A request is never split across executions; a partial batch is padded
//! with zeros and each request gets its own rows of every output back.

use crate::metrics::{GroupMetrics, ModelMetrics};
use crate::model::ModelInfo;
use neuron_rt::{IoBinding, Model};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How a model's requests are batched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchConfig {
    /// Rows per execution: the model's compiled batch.
    pub max_batch: usize,
    /// How long the oldest request may wait for the batch to fill.
    pub delay: Duration,
    /// Off: every request runs alone (padded), for comparison.
    pub batching: bool,
    /// Requests allowed to wait; more are refused with 503.
    pub max_queue: usize,
}

/// What an execution gives each request: its rows of every output, or the runtime's error.
pub type ExecResult = Result<Vec<Vec<u8>>, String>;

/// A request waiting for an executor.
pub struct Pending {
    rows: usize,
    inputs: Vec<Vec<u8>>,
    enqueued: Instant,
    reply: oneshot::Sender<ExecResult>,
}

/// Why a request was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// More rows than the compiled batch.
    #[error("request of {rows} rows is larger than the batch size {max}")]
    TooLarge {
        /// Rows asked for.
        rows: usize,
        /// The batch size.
        max: usize,
    },
    /// The queue is full.
    #[error("model queue is full ({0} requests waiting); retry later or add NeuronCore Groups")]
    Full(usize),
    /// The server is shutting down.
    #[error("the server is shutting down")]
    Closed,
}

struct State {
    pending: VecDeque<Pending>,
    rows: usize,
    closed: bool,
}

/// A model's request queue, shared by the HTTP handlers (producers) and the executors.
pub struct BatchQueue {
    state: Mutex<State>,
    cv: Condvar,
    config: BatchConfig,
    metrics: Arc<ModelMetrics>,
}

impl BatchQueue {
    /// An empty queue.
    pub fn new(config: BatchConfig, metrics: Arc<ModelMetrics>) -> BatchQueue {
        BatchQueue {
            state: Mutex::new(State {
                pending: VecDeque::new(),
                rows: 0,
                closed: false,
            }),
            cv: Condvar::new(),
            config,
            metrics,
        }
    }

    /// The batching settings.
    pub fn config(&self) -> &BatchConfig {
        &self.config
    }

    /// Queue a request of `rows` rows (`inputs`: one buffer per model input); the receiver
    /// resolves when its execution is done.
    pub fn submit(
        &self,
        rows: usize,
        inputs: Vec<Vec<u8>>,
    ) -> Result<oneshot::Receiver<ExecResult>, SubmitError> {
        if rows > self.config.max_batch || rows == 0 {
            return Err(SubmitError::TooLarge {
                rows,
                max: self.config.max_batch,
            });
        }
        let (tx, rx) = oneshot::channel();
        let wake = {
            let mut st = self.state.lock();
            if st.closed {
                return Err(SubmitError::Closed);
            }
            if st.pending.len() >= self.config.max_queue {
                return Err(SubmitError::Full(st.pending.len()));
            }
            st.pending.push_back(Pending {
                rows,
                inputs,
                enqueued: Instant::now(),
                reply: tx,
            });
            st.rows += rows;
            // Wake an executor only when it has something new to decide: the first request
            // (an idle executor then waits for its deadline), a full batch, or every request
            // without batching. Otherwise the waiting executor's deadline is unchanged.
            !self.config.batching || st.pending.len() == 1 || st.rows >= self.config.max_batch
        };
        self.metrics.queue_add(1);
        if wake {
            self.cv.notify_one();
        }
        Ok(rx)
    }

    /// Refuse new requests; executors finish what is queued, then stop.
    pub fn close(&self) {
        self.state.lock().closed = true;
        self.cv.notify_all();
    }

    /// Wait for the next batch: `None` once closed and drained.
    pub fn next_batch(&self) -> Option<Vec<Pending>> {
        let mut st = self.state.lock();
        loop {
            let Some(oldest) = st.pending.front() else {
                if st.closed {
                    return None;
                }
                self.cv.wait(&mut st);
                continue;
            };
            let deadline = oldest.enqueued + self.config.delay;
            let ready = !self.config.batching
                || st.rows >= self.config.max_batch
                || st.closed
                || Instant::now() >= deadline;
            if ready {
                let batch = self.take(&mut st);
                let more = !st.pending.is_empty();
                drop(st);
                self.metrics.queue_add(-(batch.len() as i64));
                if more {
                    // Another executor may be idle in an untimed wait.
                    self.cv.notify_one();
                }
                return Some(batch);
            }
            self.cv.wait_until(&mut st, deadline);
        }
    }

    /// Whole requests from the head while they fit in one batch (one only without batching).
    fn take(&self, st: &mut State) -> Vec<Pending> {
        let mut out = Vec::new();
        let mut rows = 0;
        while let Some(p) = st.pending.front() {
            let fits = rows + p.rows <= self.config.max_batch;
            if !fits || (!self.config.batching && !out.is_empty()) {
                break;
            }
            rows += p.rows;
            if let Some(p) = st.pending.pop_front() {
                st.rows -= p.rows;
                out.push(p);
            }
        }
        out
    }
}

/// Execute one padded batch through the executor's host buffers (one per tensor, the batch's
/// bytes in the tensor's own layout); returns each request's rows of every output.
fn execute_batch(
    binding: &mut IoBinding<'_, '_>,
    info: &ModelInfo,
    inputs: &mut [Vec<u8>],
    outputs: &mut [Vec<u8>],
    batch: &[Pending],
) -> Result<Vec<Vec<Vec<u8>>>, neuron_rt::Error> {
    for (i, buf) in inputs.iter_mut().enumerate() {
        let mut at = 0;
        for p in batch {
            let src = &p.inputs[i];
            buf[at..at + src.len()].copy_from_slice(src);
            at += src.len();
        }
        // Pad: zero rows, so an execution never sees a previous request's data.
        buf[at..].fill(0);
        binding.write_input_bytes(i, buf)?;
    }
    binding.execute()?;
    for (o, out) in outputs.iter_mut().enumerate() {
        binding.read_output_bytes(o, out)?;
    }
    let mut per_request = Vec::with_capacity(batch.len());
    let mut row = 0;
    for p in batch {
        let outs = info
            .outputs
            .iter()
            .enumerate()
            .map(|(o, spec)| {
                let start = row * spec.sample_bytes;
                outputs[o][start..start + p.rows * spec.sample_bytes].to_vec()
            })
            .collect();
        per_request.push(outs);
        row += p.rows;
    }
    Ok(per_request)
}

/// Serve `queue` on `model` until the queue is closed and drained: the body of one executor
/// thread (one per NeuronCore Group). `ready` is called once the binding is allocated.
pub fn run_executor(
    model: &Model<'_>,
    info: &ModelInfo,
    queue: &BatchQueue,
    metrics: &ModelMetrics,
    group: &GroupMetrics,
    ready: impl FnOnce(),
) -> Result<(), neuron_rt::Error> {
    let mut binding = model.binding()?;
    let b = info.max_batch;
    let buffers = |tensors: &[crate::model::TensorSpec]| -> Vec<Vec<u8>> {
        tensors
            .iter()
            .map(|t| vec![0; b * t.sample_bytes])
            .collect()
    };
    let (mut inputs, mut outputs) = (buffers(&info.inputs), buffers(&info.outputs));
    ready();
    while let Some(batch) = queue.next_batch() {
        let rows: usize = batch.iter().map(|p| p.rows).sum();
        let started = Instant::now();
        let result = execute_batch(&mut binding, info, &mut inputs, &mut outputs, &batch);
        group.executed(started.elapsed());
        match result {
            Ok(per_request) => {
                metrics.batch(rows);
                for (p, outs) in batch.into_iter().zip(per_request) {
                    // The client may have gone away; nothing to do then.
                    let _ = p.reply.send(Ok(outs));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for p in batch {
                    let _ = p.reply.send(Err(msg.clone()));
                }
            }
        }
    }
    Ok(())
}
