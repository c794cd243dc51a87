//! # ncg-planner
//!
//! A pure, deterministic planner that splits the NeuronCores of an AWS Inferentia or
//! Trainium instance into **NeuronCore Groups** (contiguous core ranges), one per
//! worker process, for any mix of models.
//!
//! * [`Topology`]: every instance of the reference (inf1, inf2, trn1, trn1n, trn2 at
//!   LNC 1 and 2, one host of a Trn2 UltraServer) with chips, cores per chip, device
//!   memory, ring/torus links and NUMA nodes where documented; custom topologies from
//!   data ([`Topology::custom`]).
//! * [`PlanRequest`]: models with compiled core counts and replicas ([`ModelSpec`]),
//!   Cortex's equal split ([`PlanRequest::cortex`]), busy cores that must not move.
//! * [`Plan`]: per worker the global [`CoreRange`], `NEURON_RT_VISIBLE_CORES`, the
//!   `/dev/neuronN` devices, local core indices and NUMA node; idle cores and a
//!   fragmentation score; a readable table via `Display`.
//! * [`PlanError`]: errors that say what would fit.
//!
//! ## Rules
//! A group that fits in a chip sits inside one chip at an aligned start; a larger group
//! takes whole chips of a legal device set (adjacent on the ring; rows / row pairs / all
//! on the 4×4 torus); a group's global ids are always contiguous, as
//! `NEURON_RT_VISIBLE_CORES` requires. See [`topology`] and [`placement`].
//!
//! ## Objective
//! All requests are solved at once, exactly: everything fits; then the fewest groups
//! crossing a chip (only under [`Strictness::Prefer`], when there is no other way); then
//! the largest free legal block; then NUMA balance; ties by lowest core index (larger
//! groups first). See [`solver`].
//!
//! ```
//! use ncg_planner::{ModelSpec, PlanRequest, Topology};
//! let topo = Topology::preset_with_lnc("trn2.48xlarge", 1)?;
//! let plan = PlanRequest::new(topo)
//!     .model(ModelSpec::new("llama", 16, 2))
//!     .model(ModelSpec::new("bert", 2, 4))
//!     .solve()?;
//! let w = plan.worker("bert", 0).unwrap();
//! assert_eq!(w.visible_cores_env(), "32-33");
//! assert_eq!(w.device_paths(), vec!["/dev/neuron4"]);
//! println!("{plan}");
//! # Ok::<(), ncg_planner::PlanError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod placement;
pub mod plan;
pub mod range;
pub mod request;
pub mod solver;
pub mod topology;

pub use error::{DoesNotFit, PlanError};
pub use plan::{ENV_TO_REMOVE, Plan, WorkerAssignment};
pub use range::CoreRange;
pub use request::{CORTEX_MODEL_NAME, ModelSpec, PlanRequest, Strictness};
pub use topology::{ChipSet, Interconnect, MAX_TOTAL_CORES, Topology, TopologyBuilder};
