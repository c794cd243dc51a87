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
//! `NEURON_RT_VISIBLE_CORES` requires. [`Topology::placements`] lists a size's legal
//! placements; [`Topology::legal_group_sizes`] the sizes.
//!
//! Legal multi-chip device sets ("families"):
//! * **Ring** (inf1, inf2): any run of adjacent devices with contiguous ids
//!   (`planner-anchors.md` §2.1, \[doc\] scheduler extension). Runs that wrap (11, 0 on
//!   inf2.48xlarge) are adjacent but not id-contiguous, so `NEURON_RT_VISIBLE_CORES`
//!   could not express them: not legal.
//! * **4×4 torus, trn1/trn1n**: 1 device, a row of 4, two rows (`0..7`, `8..15`), all 16
//!   (\[doc\] sets of 1, 4, 8 or 16 devices from fixed families; the two-row family is
//!   taken as the aligned row pairs, matching the DRA driver's `devicegroup8_id`). Rows 1
//!   and 2 are allowed only as an *irregular* placement under [`Strictness::Prefer`].
//! * **4×4 torus, trn2**: the trn1 families plus aligned pairs of row neighbours
//!   (`2j, 2j+1`), because the runtime supports tensor-parallel degree 8 at LNC 2.
//!
//! A group of `s` cores inside one chip starts at a multiple of its alignment: the next
//! power of two of `s` when that divides the chip, else `s` when it divides the chip,
//! else only at the chip's first core.
//!
//! ## Objective
//! All requests are solved at once, exactly: everything fits; then the fewest groups
//! crossing a chip (only under [`Strictness::Prefer`], when there is no other way); then
//! the largest free legal block; then NUMA balance; ties by lowest core index (larger
//! groups first). The search is a depth-first search over core ids with memoised
//! failures, interchangeable groups of one size treated as a multiset, and bounds on the
//! remaining cores, the free block and the NUMA balance; every stage is exhaustive, so
//! the result is exact.
//!
//! ## Device memory
//! [`ModelSpec::with_device_memory`] gives a replica's device-memory need; the models on
//! a chip must then fit its memory ([`Topology::memory_per_chip_bytes`]).
//!
//! ## Fleets
//! [`fleet`] plans replicas across many instances of several types (minimum price, then
//! instance count), each instance planned with the rules above.
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

mod error;
pub mod fleet;
mod placement;
mod plan;
mod range;
mod request;
mod solver;
mod topology;

pub use error::{DoesNotFit, PlanError};
pub use plan::{ENV_TO_REMOVE, Plan, WorkerAssignment};
pub use range::CoreRange;
pub use request::{CORTEX_MODEL_NAME, ModelSpec, PlanRequest, Strictness};
pub use topology::{
    ChipSet, Interconnect, MAX_NUMA_NODES, MAX_TOTAL_CORES, Topology, TopologyBuilder,
};
