//! # neuron-rt-deploy
//!
//! Hands a fleet plan ([`ncg_planner::fleet::FleetPlan`]) to the cluster engines Neuron
//! users run — never a home-made cluster manager:
//!
//! * [`k8s`]: Kubernetes manifests built from `k8s-openapi` types — per model and
//!   instance type a `Deployment` that asks the Neuron device plugin for
//!   `aws.amazon.com/neuroncore` (or `neurondevice`) and lets the Neuron scheduler
//!   extension pick contiguous cores; or, for clusters without the extension, one `Pod`
//!   per worker pinned to its node with its exact `NEURON_RT_VISIBLE_CORES`.
//! * [`ray`]: Ray actor / Ray Serve options (`ray_actor_options.resources.neuron_cores`).
//! * [`models_file`]: the TOML/JSON models-and-catalogue file of the `fleet` example.
//! * [`visible`]: `NEURON_RT_VISIBLE_CORES` in Ray's comma-list spelling (the worker side
//!   reads it with `neuron_rt::launch`).
//! * `neuron-rt-worker` (binary): a worker for Ray actors and pods, on
//!   `neuron_rt::launch::open_worker_device`.
//! * [`env`](mod@env): the worker environment variables, one definition each.
//!
//! This package is not published; it carries the heavy dependencies (`k8s-openapi`,
//! serde, a YAML serializer) so the SDK crates and the quickstart stay light.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod env;
pub mod k8s;
pub mod models_file;
pub mod ray;
pub mod visible;

mod error;
pub use error::DeployError;
