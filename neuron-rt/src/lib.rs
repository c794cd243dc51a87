//! Safe Rust API for the AWS Neuron runtime (`libnrt`): load compiled models (NEFF files) onto
//! groups of NeuronCores and run them, on Inferentia/Trainium hardware or on the built-in
//! emulator — the same code either way.
//!
//! ```
//! use neuron_rt::{Backend, Device, Input};
//! use neuron_neff::ModelBuilder;
//!
//! // The emulator here; `Device::open()` picks the real runtime on Neuron hardware.
//! let device = Device::builder().backend(Backend::emulator("inf2.24xlarge")).emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-{}", std::process::id()))).open()?;
//! let neff = ModelBuilder::mlp("classifier", &[4, 16, 3], 8, 42).build()?;
//! let group = device.core_group_of_size(1)?;      // exclusive, contiguous cores
//! let model = group.load(&neff)?;                 // the group now holds this model
//! let x = ndarray::Array2::<f32>::from_elem((8, 4), 0.25);
//! let probs = model.run(&[Input::new("input", &x)])?.array::<f32>("probs")?;
//! assert_eq!(probs.shape(), &[8, 3]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layers
//!
//! | crate | role |
//! |---|---|
//! | `neuron-rt` (this) | [`Device`], [`NeuronCoreGroup`], [`Model`], [`IoBinding`], typed errors |
//! | [`ncg_planner`] | which contiguous cores each worker gets ([`Device::core_groups_for_plan`]) |
//! | [`launch`] (this) | one process per planned worker: spawn, restart, signals; the worker-side [`launch::open_worker_device`] |
//! | [`neuron_neff`] | NEFF header parsing, and the emulator's model builder |
//! | [`neuron_rt_sys`] | raw bindings and the function table (real library or emulator) |
//!
//! # Ownership
//!
//! - [`Device`]: one per process (the runtime is); cheap to clone; closes with its last clone.
//!   Opening and closing are serialised process-wide, so an open racing the last drop either
//!   shares the device or waits for `nrt_close` and starts a new runtime.
//! - [`NeuronCoreGroup`] borrows the device: contiguous cores, never overlapping another group.
//! - [`NeuronCoreGroup::load`] consumes the group and returns a [`Model`]: one model per group,
//!   enforced by the types; [`Model::unload`] gives the group back.
//! - [`Model`] is `Send + Sync`. [`Model::run`] is the convenience path (ndarray in, owned arrays
//!   out); [`Model::binding`] gives an [`IoBinding`] whose write/execute/read allocate nothing.
//!   An `IoBinding` is `Send` but not `Sync`: make one per thread.
//!
//! # NEFFs from the Neuron compiler on the emulator
//!
//! A `model.neff` built by `neuronx-cc` loads on the emulator with its real inputs and outputs
//! (names, dtypes including f16/bf16, shapes), and [`Model::run`] / [`IoBinding`] work on it. The
//! emulator cannot compute the compiler's program, so an execution is **timed, with zeroed
//! outputs** — not the model's results — unless a CPU reference implementation is registered for
//! the model's name with [`DeviceBuilder::reference_kernel`] ([`KernelIo`] has an example;
//! `cargo run --example real_neff` checks `x @ y` against ndarray). Loading refuses a NEFF
//! compiled for another logical-core size than the device's.
//!
//! # Logging
//!
//! Errors that cannot be returned (a failed unload while a model is dropped) are logged through
//! the [`log`](https://docs.rs/log) facade at error level, target `neuron_rt`.
//!
//! # Async execution
//!
//! [`Model::run_async`] (a runtime-agnostic future), [`AsyncBinding`] (allocation-free
//! [`submit`](AsyncBinding::submit)) and [`Pipeline`] (k requests in flight) run requests through
//! libnrt's explicit async API when the runtime has it ([`AsyncMode::Native`]: one reactor thread
//! per device, copies overlapping compute), else on one thread per model with the blocking calls
//! ([`AsyncMode::Fallback`]). Dropping a future detaches its request; nothing the device may still
//! write is freed. Failures are [`Error::Request`] with a [`RequestError`] (call, status,
//! [`ExecUnit`], sequence id). Details on [`AsyncBinding`].
//!
//! # Backends
//!
//! | [`Backend`] | what runs |
//! |---|---|
//! | `Auto` (default) | the real `libnrt.so.1` when `/dev/neuron*` exists — an error if it cannot be loaded there, never a silent emulator — else the emulator |
//! | `Hardware { library }` | the real runtime, from `library` or the search order of [`neuron_rt_sys::NrtApi::load`] |
//! | `Emulator { instance }` | the built-in emulator, emulating an instance type |
//!
//! # Environment variables
//!
//! | variable | read by | meaning |
//! |---|---|---|
//! | `NEURON_RT_BACKEND` | neuron-rt | `emulator` or `hardware`: overrides `Backend::Auto` |
//! | `NEURON_RT_LIB_PATH` | neuron-rt-sys | the libnrt file to load |
//! | `NEURON_RT_VISIBLE_CORES` | runtime, emulator | global cores to reserve: `3`, `3-6`, `3,4,5` |
//! | `NEURON_RT_NUM_CORES` | runtime, emulator | reserve N free contiguous cores |
//! | `NEURON_RT_LOG_LEVEL` | runtime, emulator | `ERROR` (default), `WARNING`, `INFO`, `DEBUG`, `TRACE`, `QUIET` |
//! | `NEURON_LOGICAL_NC_CONFIG` | runtime, emulator | LNC 1 or 2 on trn2 |
//! | `NEURON_RT_EXEC_TIMEOUT` | runtime, emulator | execution timeout in seconds, read at load |
//! | `NEURON_RT_EMULATOR_INSTANCE` | emulator | instance to emulate (default `inf2.xlarge`) |
//! | `NEURON_RT_EMULATOR_LOCK_DIR` | emulator | directory of the cross-process core locks |
//! | `NEURON_RT_EMULATOR_HOST_BANDWIDTH` | emulator | host↔device copy bandwidth in bytes/s (default unlimited), read at `nrt_init` |
//! | `NEURON_RT_ASYNC_FALLBACK` | neuron-rt | `1`: run async requests on the blocking fallback path |
//! | `NEURON_RT_WORKER_MODEL`, `NEURON_RT_WORKER_REPLICA`, `NEURON_RT_WORKER_COUNT`, `NEURON_RT_WORKER_RESTARTS` | [`launch`] | a launched worker's assignment (see [`launch`]) |
//! | `NEURON_RT_EMULATOR_DEVICE_TIME_US` | emulator | device time of compiler NEFFs: `250`, or `file.neff=250,40` ([`DeviceBuilder::compiled_device_time`]) |
//! | `NEURON_RT_EMULATOR_OUTPUT_FILL` | emulator | `zeros` (default) or `pattern`: compiler NEFFs' outputs without a reference kernel ([`DeviceBuilder::compiled_output_fill`]) |
//!
//! # Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `emulator` | on | the built-in emulator backend |
//! | `launch` | on | the multi-process supervisor [`launch::Launcher`] (adds `signal-hook` to catch SIGTERM/SIGINT; `rustix` forwards them, so neuron-rt needs no `unsafe` for signals) |
#![deny(missing_docs)]

mod async_exec;
mod binding;
mod device;
mod dtype_encoding;
mod element;
mod error;
mod ffi;
mod group;
pub mod launch;
mod memory;
mod model;
mod reference_kernel;
mod tensor;

pub use async_exec::{
    ASYNC_FALLBACK_ENV, AsyncBinding, AsyncMode, ExecUnit, Pipeline, Ready, RequestError, RunAsync,
    Submission, block_on,
};
pub use binding::IoBinding;
pub use device::{
    BACKEND_ENV, Backend, BackendKind, Device, DeviceBuilder, InstanceInfo, Lnc, LogLevel,
};
pub use element::{DType, Element};
pub use error::{Error, ErrorContext, Result, RuntimeStatus};
pub use group::NeuronCoreGroup;
pub use half::{bf16, f16};
pub use memory::MemoryStats;
pub use model::{LoadFailed, LoadOptions, Model};
pub use ncg_planner::CoreRange;
pub use neuron_rt_sys::RuntimeVersion;
pub use reference_kernel::{KernelFn, KernelInput, KernelIo, KernelOutput, OutputFill};
pub use tensor::{Input, Outputs, TensorInfo, TensorUsage};

pub use ncg_planner;
pub use neuron_neff;
pub use neuron_rt_sys;

// Thread-safety contract, checked at compile time: devices, groups and models are shared across
// threads (Model: Sync rests on concurrent nrt_execute being the documented use, see
// `RawModel`'s Sync in ffi.rs); a binding moves between threads but is used by one at a time.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    const fn send<T: Send>() {}
    send_sync::<Device>();
    send_sync::<DeviceBuilder>();
    send_sync::<NeuronCoreGroup<'static>>();
    send_sync::<Model<'static>>();
    send::<IoBinding<'static, 'static>>();
    send_sync::<Outputs>();
    send_sync::<Error>();
    send::<AsyncBinding<'static, 'static>>();
    send::<RunAsync<'static, 'static>>();
    send::<Pipeline<'static, 'static>>();
};

/// `IoBinding` is not `Sync`: two threads must never execute on (or read) one binding's tensor
/// sets at once. This fails to compile if it ever becomes `Sync` (the `impls` trick: the call is
/// ambiguous only when both impls apply).
const _: fn() = || {
    trait AmbiguousIfSync<A> {
        fn check() {}
    }
    impl<T: ?Sized> AmbiguousIfSync<()> for T {}
    impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}
    <IoBinding<'static, 'static> as AmbiguousIfSync<_>>::check();
};
