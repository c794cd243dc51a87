//! Device memory statistics per NeuronCore ([`Device::memory_stats`]).

use crate::error::{Error, ErrorContext, Result};
use crate::{CoreRange, Device, ffi};

/// Device memory of one NeuronCore, as the runtime accounts it (`nrt_get_vnc_memory_stats`,
/// runtime 2.27 and later).
///
/// On the emulator, `bytes_used` counts the core's device tensors and the constants of the
/// models whose first core it is, and `bytes_limit` is the memory of the core's chip, which the
/// chip's cores share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MemoryStats {
    /// Bytes of device memory in use on the core.
    pub bytes_used: u64,
    /// Bytes of device memory the core can use at most.
    pub bytes_limit: u64,
}

impl MemoryStats {
    /// `bytes_limit - bytes_used` (0 if the runtime reports more used than the limit).
    pub fn bytes_free(&self) -> u64 {
        self.bytes_limit.saturating_sub(self.bytes_used)
    }
}

impl Device {
    /// Device memory used by visible NeuronCore `core` (relative to this process's visible
    /// cores, like every core number in neuron-rt).
    ///
    /// Errors: [`Error::GroupOutOfRange`] for a core past the visible ones;
    /// [`Error::MissingSymbol`] on a runtime older than 2.27; [`Error::Runtime`] if the runtime
    /// refuses.
    ///
    /// ```
    /// use neuron_rt::{Backend, Device};
    /// use neuron_neff::ModelBuilder;
    ///
    /// let device = Device::builder()
    ///     .backend(Backend::emulator("inf2.xlarge"))
    ///     .emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-mem-{}", std::process::id())))
    ///     .open()?;
    /// let before = device.memory_stats(0)?;
    /// let model = device
    ///     .core_group_of_size(1)?
    ///     .load(&ModelBuilder::mlp("mlp", &[4, 8, 2], 1, 7).build()?)?;
    /// let binding = model.binding()?; // device tensors for every input and output
    /// let after = device.memory_stats(0)?;
    /// assert!(after.bytes_used > before.bytes_used);
    /// assert!(after.bytes_free() < before.bytes_free());
    /// # drop(binding);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory_stats(&self, core: u32) -> Result<MemoryStats> {
        let visible = self.visible_cores();
        let requested = CoreRange::new(core, 1)?;
        if core >= visible {
            return Err(Error::GroupOutOfRange { requested, visible });
        }
        let context = || ErrorContext {
            cores: Some(requested),
            ..Default::default()
        };
        let raw = ffi::vnc_memory_stats(self.api(), core, context)?;
        Ok(MemoryStats {
            bytes_used: raw.bytes_used as u64,
            bytes_limit: raw.bytes_limit as u64,
        })
    }
}
