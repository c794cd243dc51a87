//! [`Device`]: the process's handle to the Neuron runtime.

use crate::error::{Error, Result};
use crate::ffi;
use ncg_planner::{CoreRange, Topology};
use neuron_rt_sys::{NrtApi, RuntimeVersion, c_chars_to_string};
use parking_lot::{Condvar, Mutex};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Weak};

/// Environment variable that overrides [`Backend::Auto`]: `emulator` or `hardware`.
pub const BACKEND_ENV: &str = "NEURON_RT_BACKEND";

/// Which runtime a [`Device`] drives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Backend {
    /// The real runtime when this machine has Neuron devices (`/dev/neuron*`), the emulator only
    /// when it has none. On a machine with Neuron devices a missing runtime is an error, never a
    /// silent fall-back to the emulator. `NEURON_RT_BACKEND=emulator|hardware` overrides.
    #[default]
    Auto,
    /// The real `libnrt.so.1`, from `library` or the search order of
    /// [`NrtApi::load`](neuron_rt_sys::NrtApi::load).
    Hardware {
        /// An explicit library path.
        library: Option<PathBuf>,
    },
    /// The built-in emulator.
    Emulator {
        /// The instance to emulate (`"inf2.24xlarge"`); `None` = `NEURON_RT_EMULATOR_INSTANCE`
        /// or the emulator's default, `inf2.xlarge`.
        instance: Option<String>,
    },
}

impl Backend {
    /// The emulator, emulating `instance` (e.g. `"trn1.32xlarge"`).
    #[must_use]
    pub fn emulator(instance: impl Into<String>) -> Backend {
        Backend::Emulator {
            instance: Some(instance.into()),
        }
    }
}

/// The runtime's log level (`NEURON_RT_LOG_LEVEL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// No console output.
    Quiet,
    /// Errors only (the runtime's default).
    Error,
    /// Warnings and errors.
    Warning,
    /// Informational messages.
    Info,
    /// Debug messages.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    fn as_env(self) -> &'static str {
        match self {
            LogLevel::Quiet => "QUIET",
            LogLevel::Error => "ERROR",
            LogLevel::Warning => "WARNING",
            LogLevel::Info => "INFO",
            LogLevel::Debug => "DEBUG",
            LogLevel::Trace => "TRACE",
        }
    }
}

/// Logical NeuronCore size (`NEURON_LOGICAL_NC_CONFIG`): how many physical cores form one
/// logical core on trn2.
///
/// ```
/// use neuron_rt::Lnc;
/// assert_eq!(Lnc::try_from(2).ok(), Some(Lnc::Two));
/// assert!(Lnc::try_from(3).is_err());
/// assert_eq!(Lnc::One.get(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lnc {
    /// One physical core per logical core.
    One,
    /// Two physical cores per logical core (the trn2 default).
    Two,
}

impl Lnc {
    /// The number, 1 or 2.
    pub fn get(self) -> u32 {
        match self {
            Lnc::One => 1,
            Lnc::Two => 2,
        }
    }
}

impl TryFrom<u32> for Lnc {
    type Error = Error;

    fn try_from(value: u32) -> Result<Lnc> {
        match value {
            1 => Ok(Lnc::One),
            2 => Ok(Lnc::Two),
            other => Err(Error::InvalidSetting {
                what: "logical NeuronCore size (LNC)",
                given: other.to_string(),
                expected: "1 or 2 (Lnc::One or Lnc::Two)".into(),
            }),
        }
    }
}

/// Which backend an open [`Device`] is running on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// The real runtime on Neuron hardware.
    Hardware,
    /// The built-in emulator.
    Emulator,
}

/// Settings for [`Device::open`]. Created by [`Device::builder`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "a DeviceBuilder does nothing until `.open()`"]
pub struct DeviceBuilder {
    backend: Backend,
    visible_cores: Option<CoreRange>,
    log_level: Option<LogLevel>,
    lnc: Option<Lnc>,
    lock_dir: Option<PathBuf>,
    kernels: crate::reference_kernel::ReferenceKernels,
    compiled: crate::reference_kernel::CompiledSettings,
}

impl DeviceBuilder {
    /// Choose the backend (default [`Backend::Auto`]).
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Reserve exactly these **global** cores (`NEURON_RT_VISIBLE_CORES`). On the emulator this
    /// is applied directly; on hardware the runtime reads the environment at init, so the
    /// process must be started with the same `NEURON_RT_VISIBLE_CORES` (an ncg-planner plan
    /// gives it) and `open` fails if it differs.
    pub fn visible_cores(mut self, cores: CoreRange) -> Self {
        self.visible_cores = Some(cores);
        self
    }

    /// The runtime's log level (emulator; on hardware set `NEURON_RT_LOG_LEVEL`).
    pub fn log_level(mut self, level: LogLevel) -> Self {
        self.log_level = Some(level);
        self
    }

    /// Logical NeuronCore size (trn2 only; emulator — on hardware set
    /// `NEURON_LOGICAL_NC_CONFIG`). From a number: `Lnc::try_from(n)?`.
    pub fn logical_nc_config(mut self, lnc: Lnc) -> Self {
        self.lnc = Some(lnc);
        self
    }

    /// Directory of the emulator's cross-process core locks (`NEURON_RT_EMULATOR_LOCK_DIR`).
    pub fn emulator_lock_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.lock_dir = Some(dir.into());
        self
    }

    /// Register a CPU reference implementation for the NEFFs named `model` (the header's name,
    /// [`Model::name`](crate::Model::name); the Neuron compiler writes `file.neff`), on the
    /// emulator. The emulator cannot compute a NEFF built by the Neuron compiler: without a
    /// kernel its executions are timed and leave zeros in the outputs. With one, every execution
    /// calls `kernel` on the executing thread with the model's inputs and outputs
    /// ([`KernelIo`](crate::KernelIo)); an `Err` (or a panic) fails the execution with
    /// `NRT_FAILURE` and is logged through the `log` facade. Registering a name again replaces
    /// the kernel. Ignored on hardware. See the [`KernelIo`](crate::KernelIo) example.
    pub fn reference_kernel<F>(mut self, model: impl Into<String>, kernel: F) -> Self
    where
        F: Fn(&mut crate::KernelIo<'_>) -> std::result::Result<(), String> + Send + Sync + 'static,
    {
        self.kernels.insert(model.into(), Box::new(kernel));
        self
    }

    /// Simulated device time of one execution of the compiler NEFF named `model` on the
    /// emulator (`NEURON_RT_EMULATOR_DEVICE_TIME_US` `model=US`); microsecond resolution, at most
    /// 1000 s. Models without their own time use
    /// [`compiled_default_device_time`](Self::compiled_default_device_time) (default 0).
    pub fn compiled_device_time(
        mut self,
        model: impl Into<String>,
        time: std::time::Duration,
    ) -> Self {
        let model = model.into();
        self.compiled.time_us.retain(|(m, _)| *m != model);
        self.compiled.time_us.push((model, time.as_micros() as u64));
        self
    }

    /// Simulated device time of compiler NEFFs without their own
    /// ([`compiled_device_time`](Self::compiled_device_time)) on the emulator.
    pub fn compiled_default_device_time(mut self, time: std::time::Duration) -> Self {
        self.compiled.default_time_us = Some(time.as_micros() as u64);
        self
    }

    /// What a compiler NEFF's outputs hold after an emulated execution without a reference
    /// kernel (`NEURON_RT_EMULATOR_OUTPUT_FILL`; default [`OutputFill::Zeros`](crate::OutputFill)).
    pub fn compiled_output_fill(mut self, fill: crate::OutputFill) -> Self {
        self.compiled.fill = Some(fill);
        self
    }

    /// Open the device (see [`Device::open`]).
    pub fn open(self) -> Result<Device> {
        Device::open_with(self)
    }

    /// The settings in one line, for error messages: `"emulator inf2.xlarge, LNC 2"`.
    fn summary(&self) -> String {
        let mut parts = vec![match &self.backend {
            Backend::Auto => "automatic backend".to_string(),
            Backend::Hardware { library: None } => "hardware".to_string(),
            Backend::Hardware {
                library: Some(path),
            } => format!("hardware ({})", path.display()),
            Backend::Emulator { instance: None } => "emulator".to_string(),
            Backend::Emulator {
                instance: Some(instance),
            } => format!("emulator {instance}"),
        }];
        if let Some(cores) = self.visible_cores {
            parts.push(format!("visible cores {cores}"));
        }
        if let Some(level) = self.log_level {
            parts.push(format!("log level {}", level.as_env()));
        }
        if let Some(lnc) = self.lnc {
            parts.push(format!("LNC {}", lnc.get()));
        }
        if let Some(dir) = &self.lock_dir {
            parts.push(format!("lock dir {}", dir.display()));
        }
        parts.join(", ")
    }
}

/// The instance the runtime reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceInfo {
    /// `nrt_instance_info_t.family` (`NRT_INSTANCE_*`).
    pub family: u32,
    /// `nrt_instance_info_t.size` (`NRT_INSTANCE_SIZE_*`).
    pub size: u32,
    /// The instance type, e.g. `"inf2.24xlarge"`, when family and size are known.
    pub name: Option<String>,
    /// Architecture name.
    pub arch_name: String,
    /// Device revision.
    pub device_revision: String,
}

pub(crate) struct DeviceInner {
    pub(crate) api: NrtApi,
    settings: DeviceBuilder,
    backend: BackendKind,
    instance: Option<InstanceInfo>,
    total_cores: u32,
    visible_cores: u32,
    visible_start: Option<u32>,
    topology: Option<Topology>,
    /// Core groups claimed in this process, relative to the visible cores.
    pub(crate) claimed: Mutex<Vec<CoreRange>>,
}

impl Drop for DeviceInner {
    fn drop(&mut self) {
        // nrt_close under the lifecycle lock, so no open can run init (or set options) while the
        // runtime is closing. Never reached from inside `open_with` while it holds the lock: a
        // failed open closes explicitly, and a reused device is released after the lock.
        let mut lifecycle = LIFECYCLE.lock();
        ffi::close(&self.api);
        if self.backend == BackendKind::Emulator {
            // After nrt_close no model can call a kernel; the closures are dropped next.
            ffi::clear_reference_kernels(&self.api);
        }
        lifecycle.runtime_open = false;
        RUNTIME_CLOSED.notify_all();
    }
}

/// The process's runtime lifecycle: every `nrt_init` (with the option setting before it) and
/// every `nrt_close` happens under this one lock.
struct Lifecycle {
    /// The open device, if any clone is alive.
    device: Weak<DeviceInner>,
    /// `nrt_init` succeeded and `nrt_close` has not run yet. Can be true while `device` is dead:
    /// the last clone was dropped and its `Drop` is waiting for the lock to close.
    runtime_open: bool,
}

static LIFECYCLE: Mutex<Lifecycle> = Mutex::new(Lifecycle {
    device: Weak::new(),
    runtime_open: false,
});
/// Signalled when the runtime has closed.
static RUNTIME_CLOSED: Condvar = Condvar::new();

/// The process's handle to the Neuron runtime.
///
/// The runtime is one per process (`nrt_init` reserves this process's NeuronCores), so there is
/// one `Device` at a time: cloning it is cheap (an `Arc`), opening it again while it is open
/// returns the same device, and the runtime closes when the last clone is dropped (or with
/// [`Device::close`], which reports problems). Core groups and models borrow the `Device`, so
/// none of them can outlive it. For a `'static` device (services, threads), keep it in a
/// `static OnceLock<Device>`.
///
/// ```
/// use neuron_rt::{Backend, Device};
/// let device = Device::builder().backend(Backend::emulator("inf2.24xlarge")).emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-{}", std::process::id()))).open()?;
/// assert_eq!(device.total_cores(), 12);
/// assert_eq!(device.instance().and_then(|i| i.name.clone()).as_deref(), Some("inf2.24xlarge"));
/// # Ok::<(), neuron_rt::Error>(())
/// ```
#[derive(Clone)]
pub struct Device {
    pub(crate) inner: Arc<DeviceInner>,
}

impl Device {
    /// Settings for opening the device.
    pub fn builder() -> DeviceBuilder {
        DeviceBuilder::default()
    }

    /// Open the device with [`Backend::Auto`] and the environment's settings.
    pub fn open() -> Result<Device> {
        Device::builder().open()
    }

    fn open_with(settings: DeviceBuilder) -> Result<Device> {
        let mut lifecycle = LIFECYCLE.lock();
        loop {
            if let Some(inner) = lifecycle.device.upgrade() {
                // Release the lock first: if the other clones go meanwhile, dropping `inner` on
                // the error path below runs nrt_close, which takes the lock.
                drop(lifecycle);
                return if settings == DeviceBuilder::default() || settings == inner.settings {
                    Ok(Device { inner })
                } else {
                    Err(Error::DeviceAlreadyOpen {
                        existing: inner.settings.summary(),
                        requested: settings.summary(),
                    })
                };
            }
            if !lifecycle.runtime_open {
                break;
            }
            // The last clone is gone but its nrt_close has not run yet: wait for it.
            RUNTIME_CLOSED.wait(&mut lifecycle);
        }
        let inner = Arc::new(DeviceInner::open(settings)?);
        lifecycle.device = Arc::downgrade(&inner);
        lifecycle.runtime_open = true;
        Ok(Device { inner })
    }

    /// Close the runtime now. Fails with [`Error::DeviceInUse`] while other clones are alive
    /// (the runtime then closes when the last clone goes). Core groups and models borrow the
    /// device, so the compiler already ensures none is alive here.
    ///
    /// Opening and closing are serialised process-wide: a [`Device::open`] racing with this call
    /// (or with the drop of the last clone) either gets this device, before it closes, or waits
    /// for `nrt_close` to finish and then starts a new runtime.
    pub fn close(self) -> Result<()> {
        let mut inner = self.inner;
        loop {
            match Arc::try_unwrap(inner) {
                Ok(inner) => {
                    drop(inner); // nrt_close, under the lifecycle lock
                    return Ok(());
                }
                Err(shared) => match Arc::strong_count(&shared) - 1 {
                    // The other clone went between the two reads: this is the last one now.
                    0 => inner = shared,
                    others => return Err(Error::DeviceInUse { others }),
                },
            }
        }
    }

    pub(crate) fn api(&self) -> &NrtApi {
        &self.inner.api
    }

    /// Which backend this device runs on.
    pub fn backend(&self) -> BackendKind {
        self.inner.backend
    }

    /// The instance, when the runtime reports it.
    pub fn instance(&self) -> Option<&InstanceInfo> {
        self.inner.instance.as_ref()
    }

    /// Logical NeuronCores in the instance.
    pub fn total_cores(&self) -> u32 {
        self.inner.total_cores
    }

    /// Logical NeuronCores this process reserved. Core numbers in [`CoreRange`]s given to
    /// [`Device::core_group`] are relative to these: 0 is the first visible core.
    pub fn visible_cores(&self) -> u32 {
        self.inner.visible_cores
    }

    /// The global range of the visible cores, when known (always on the emulator; on hardware
    /// when `NEURON_RT_VISIBLE_CORES` is set or all cores are visible).
    pub fn visible_range(&self) -> Option<CoreRange> {
        CoreRange::new(self.inner.visible_start?, self.inner.visible_cores).ok()
    }

    /// The instance topology (chips, cores per chip, links), when the instance is known.
    pub fn topology(&self) -> Option<&Topology> {
        self.inner.topology.as_ref()
    }

    /// Chips in the instance, when known.
    pub fn chips(&self) -> Option<u32> {
        self.topology().map(Topology::chips)
    }

    /// Logical cores per chip, when known.
    pub fn cores_per_chip(&self) -> Option<u32> {
        self.topology().map(Topology::cores_per_chip)
    }

    /// The runtime version read when the library was loaded.
    pub fn runtime_version(&self) -> &RuntimeVersion {
        self.inner.api.version()
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("backend", &self.inner.backend)
            .field(
                "instance",
                &self.inner.instance.as_ref().and_then(|i| i.name.as_deref()),
            )
            .field("total_cores", &self.inner.total_cores)
            .field("visible_cores", &self.inner.visible_cores)
            .field("runtime", &self.inner.api.version().to_string())
            .finish()
    }
}

impl DeviceInner {
    /// Configure and start the runtime. Called with the lifecycle lock held; on failure after
    /// `nrt_init` the runtime is closed here, explicitly: no `DeviceInner` exists yet, so its
    /// `Drop` (which takes the lock) cannot run and deadlock.
    fn open(settings: DeviceBuilder) -> Result<DeviceInner> {
        let (mut api, backend) = resolve_backend(&settings.backend)?;
        match backend {
            BackendKind::Emulator => configure_emulator(&api, &settings)?,
            BackendKind::Hardware => check_hardware_environment(&settings)?,
        }
        if let Err(e) = ffi::init(&api) {
            if backend == BackendKind::Emulator {
                ffi::clear_reference_kernels(&api); // `settings` (the kernels) is dropped next
            }
            return Err(e);
        }
        // The version's detail names the emulated instance, known only now (the previous one is
        // kept if the runtime does not answer).
        let _ = api.refresh_version();
        let (total_cores, visible_cores) = match ffi::core_counts(&api) {
            Ok(counts) => counts,
            Err(e) => {
                ffi::close(&api);
                if backend == BackendKind::Emulator {
                    ffi::clear_reference_kernels(&api);
                }
                return Err(e);
            }
        };
        let instance = ffi::instance_info(&api).map(|raw| InstanceInfo {
            family: raw.family,
            size: raw.size,
            name: instance_name(raw.family, raw.size),
            arch_name: c_chars_to_string(&raw.arch_name),
            device_revision: c_chars_to_string(&raw.device_revision),
        });
        let lnc = settings
            .lnc
            .map(Lnc::get)
            .or_else(|| env_u32("NEURON_LOGICAL_NC_CONFIG"));
        let topology = instance
            .as_ref()
            .and_then(|i| i.name.as_deref())
            .and_then(|name| match lnc {
                Some(lnc) => Topology::preset_with_lnc(name, lnc).ok(),
                None => Topology::preset(name).ok(),
            })
            .filter(|t| t.total_cores() == total_cores);
        let visible_start = visible_start(&settings, total_cores, visible_cores);
        Ok(DeviceInner {
            api,
            settings,
            backend,
            instance,
            total_cores,
            visible_cores,
            visible_start,
            topology,
            claimed: Mutex::new(Vec::new()),
        })
    }
}

fn env_u32(name: &str) -> Option<u32> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Global id of visible core 0, when it can be known.
fn visible_start(settings: &DeviceBuilder, total: u32, visible: u32) -> Option<u32> {
    if let Some(range) = settings.visible_cores {
        return Some(range.start());
    }
    if let Ok(spec) = std::env::var("NEURON_RT_VISIBLE_CORES") {
        // The first id of the (contiguous) spec: "3-5", "3,4,5", "3".
        return spec
            .split([',', '-'])
            .filter_map(|s| s.trim().parse::<u32>().ok())
            .min();
    }
    (visible == total).then_some(0)
}

fn instance_name(family: u32, size: u32) -> Option<String> {
    use neuron_rt_sys::*;
    let family = match family {
        NRT_INSTANCE_INF1 => "inf1",
        NRT_INSTANCE_INF2 => "inf2",
        NRT_INSTANCE_TRN1 => "trn1",
        NRT_INSTANCE_TRN1N => "trn1n",
        NRT_INSTANCE_TRN2 => "trn2",
        NRT_INSTANCE_TRN2U => "trn2u",
        _ => return None,
    };
    let size = match size {
        NRT_INSTANCE_SIZE_1XL => "xlarge",
        NRT_INSTANCE_SIZE_2XL => "2xlarge",
        NRT_INSTANCE_SIZE_3XL => "3xlarge",
        NRT_INSTANCE_SIZE_4XL => "4xlarge",
        NRT_INSTANCE_SIZE_6XL => "6xlarge",
        NRT_INSTANCE_SIZE_8XL => "8xlarge",
        NRT_INSTANCE_SIZE_24XL => "24xlarge",
        NRT_INSTANCE_SIZE_32XL => "32xlarge",
        NRT_INSTANCE_SIZE_48XL => "48xlarge",
        _ => return None,
    };
    Some(format!("{family}.{size}"))
}

fn resolve_backend(backend: &Backend) -> Result<(NrtApi, BackendKind)> {
    match backend {
        Backend::Hardware { library } => {
            Ok((NrtApi::load(library.as_deref())?, BackendKind::Hardware))
        }
        Backend::Emulator { .. } => emulator_api().map(|api| (api, BackendKind::Emulator)),
        Backend::Auto => match std::env::var(BACKEND_ENV).ok().as_deref().map(str::trim) {
            Some("emulator") => emulator_api().map(|api| (api, BackendKind::Emulator)),
            Some("hardware") => Ok((NrtApi::load(None)?, BackendKind::Hardware)),
            Some(other) if !other.is_empty() => Err(Error::InvalidSetting {
                what: "NEURON_RT_BACKEND",
                given: other.into(),
                expected: "\"emulator\" or \"hardware\" (or unset for automatic)".into(),
            }),
            _ => {
                let devices = neuron_rt_sys::neuron_device_nodes();
                if devices.is_empty() {
                    emulator_api().map(|api| (api, BackendKind::Emulator))
                } else {
                    NrtApi::load(None)
                        .map(|api| (api, BackendKind::Hardware))
                        .map_err(|source| Error::HardwareWithoutRuntime {
                            devices: devices
                                .iter()
                                .map(|d| d.display().to_string())
                                .collect::<Vec<_>>()
                                .join(", "),
                            source,
                        })
                }
            }
        },
    }
}

#[cfg(feature = "emulator")]
fn emulator_api() -> Result<NrtApi> {
    Ok(NrtApi::emulator())
}

#[cfg(not(feature = "emulator"))]
fn emulator_api() -> Result<NrtApi> {
    Err(Error::EmulatorNotBuilt)
}

/// Apply the builder's settings as emulator options. Every option is set or cleared, so a
/// previous Device's settings in this process never leak into this one.
fn configure_emulator(api: &NrtApi, settings: &DeviceBuilder) -> Result<()> {
    let instance = match &settings.backend {
        Backend::Emulator { instance } => instance.clone(),
        _ => None,
    };
    ffi::set_emulator_option(api, c"instance", instance.as_deref())?;
    ffi::set_emulator_option(
        api,
        c"lnc",
        settings.lnc.map(|l| l.get().to_string()).as_deref(),
    )?;
    ffi::set_emulator_option(
        api,
        c"visible_cores",
        settings.visible_cores.map(|r| r.to_string()).as_deref(),
    )?;
    ffi::set_emulator_option(api, c"log_level", settings.log_level.map(LogLevel::as_env))?;
    ffi::set_emulator_option(
        api,
        c"lock_dir",
        settings
            .lock_dir
            .as_ref()
            .map(|d| d.to_string_lossy().into_owned())
            .as_deref(),
    )?;
    ffi::set_emulator_option(
        api,
        c"device_time_us",
        settings.compiled.device_time_spec().as_deref(),
    )?;
    ffi::set_emulator_option(api, c"output_fill", settings.compiled.fill_spec())?;
    // The kernels stay alive in `settings`, which the DeviceInner keeps until after nrt_close.
    ffi::register_reference_kernels(api, &settings.kernels)?;
    Ok(())
}

/// On hardware the runtime reads its settings from the environment at init; the builder can
/// only check that the environment asks for the same thing.
fn check_hardware_environment(settings: &DeviceBuilder) -> Result<()> {
    if let Some(range) = settings.visible_cores {
        let env = std::env::var("NEURON_RT_VISIBLE_CORES").unwrap_or_default();
        if env.trim() != range.to_string() {
            return Err(Error::InvalidSetting {
                what: "visible cores on hardware",
                given: format!("NEURON_RT_VISIBLE_CORES={env:?}"),
                expected: format!(
                    "NEURON_RT_VISIBLE_CORES={range} in the environment the process was started \
                     with (the runtime reads it at init)"
                ),
            });
        }
    }
    Ok(())
}
