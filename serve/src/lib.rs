//! # neuron-rt-serve
//!
//! An HTTP inference server for models on NeuronCores, speaking the **Open Inference Protocol**
//! (KServe v2, the protocol of Triton, KServe and Seldon), with **dynamic batching** per model,
//! Prometheus **metrics**, an **in-process** mode (one model per NeuronCore Group, N groups, one
//! executor thread each) and a **multi-process** mode (the `neuron_rt::launch` launcher starts
//! one serving process per group; they share the port with `SO_REUSEPORT`). It runs on the
//! emulator by default, with a built-in MLP, so it works on any machine:
//!
//! ```text
//! cargo run --release --example serve            # 8 groups of an emulated inf2.24xlarge
//! cargo run --release --example loadgen          # closed-loop load, prints p50/p90/p99
//! ```
//!
//! Not published: the examples and this library show how to serve with neuron-rt.
//!
//! ## Endpoints
//!
//! | method, path | answer |
//! |---|---|
//! | `GET /v2/health/live`, `GET /v2/health/ready` | 200 / 503 (`ready` is false while starting or draining) |
//! | `GET /v2` | server metadata with `extensions: ["binary_tensor_data", "model_configuration"]` |
//! | `GET /v2/models/{name}[/versions/1]` | model metadata: inputs/outputs `{name, datatype, shape}`, batch dimension `-1` |
//! | `GET /v2/models/{name}[/versions/1]/ready` | 200 / 503 |
//! | `GET /v2/models/{name}[/versions/1]/config` | Triton-style config with `max_batch_size` |
//! | `POST /v2/models/{name}[/versions/1]/infer` | JSON tensors, or the binary extension (`Inference-Header-Content-Length`, `binary_data_size`, `binary_data`, `binary_data_output`) |
//! | `GET /metrics` | Prometheus text: requests, errors by kind, latency and batch-size histograms, queue depth, per-group executions / busy seconds / busy fraction |
//!
//! Errors are `{"error": "..."}` with 400 (malformed JSON, unknown input, wrong datatype or
//! shape, batch larger than the model's), 404 (unknown model, version or route), 405, 413 (body
//! too large), 503 (queue full, shutting down) or 500 (the runtime failed; the message names the
//! status, e.g. `NRT_TIMEOUT`).
//!
//! ## Dynamic batching
//!
//! Every request's leading dimension is its rows; the model's compiled batch is the maximum.
//! A free executor takes the queued requests as soon as they fill the batch, or when the oldest
//! has waited `batch_delay_ms` (default 2 ms). Requests are never split; partial batches are
//! padded with zero rows and each request gets its own rows of every output. `--no-batching`
//! runs every request alone. See [`batcher`].
//!
//! ## Execution
//!
//! Each NeuronCore Group has one executor thread calling `IoBinding::execute` (the blocking
//! path: allocation-free, one binding per thread).

#![forbid(unsafe_code)]

pub mod batcher;
pub mod cli;
pub mod client;
pub mod config;
pub mod error;
pub mod http;
pub mod loadgen;
pub mod metrics;
pub mod model;
pub mod protocol;
pub mod server;
mod shards;

pub use config::{ModelConfig, ServeConfig};
pub use model::{MlpSpec, ModelInfo};
pub use server::{Mode, RunningServer, ServeError, start};
