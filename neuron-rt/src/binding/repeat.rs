//! Repeated execution ([`IoBinding::execute_repeat`]).

use super::IoBinding;
use crate::error::{Error, Result, check};
use std::ffi::c_int;

impl IoBinding<'_, '_> {
    /// Execute the model `count` times back-to-back in one runtime call
    /// (`nrt_execute_repeat`): iteration *n* reads the outputs of iteration *n − 1* as its
    /// inputs (the first reads the bound inputs); the bound outputs hold the last iteration's
    /// results.
    ///
    /// The model must be built for it: the runtime requires a NEFF compiled for repeated
    /// execution; the emulator requires each output to match the input at the same position in
    /// dtype and shape. Errors: [`Error::InvalidSetting`] for `count` 0 or above `i32::MAX`;
    /// [`Error::Runtime`] (`NRT_INVALID`) for a model not built for it;
    /// [`Error::MissingSymbol`] if the runtime lacks the call.
    ///
    /// ```
    /// use neuron_rt::{Backend, Device};
    /// use neuron_neff::{DType, ModelBuilder};
    ///
    /// let device = Device::builder()
    ///     .backend(Backend::emulator("inf2.xlarge"))
    ///     .emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-rep-{}", std::process::id())))
    ///     .open()?;
    /// // y = x + 1: the output matches the input, so it can be fed back.
    /// let neff = ModelBuilder::new("increment")
    ///     .input("x", DType::Float32, &[4])
    ///     .constant_f32("one", &[4], &[1.0; 4])
    ///     .add("y", "x", "one")
    ///     .output("y")
    ///     .build()?;
    /// let model = device.core_group_of_size(1)?.load(&neff)?;
    /// let mut binding = model.binding()?;
    /// binding.write_input("x", &[0.0f32, 10.0, 20.0, 30.0])?;
    /// binding.execute_repeat(5)?;
    /// let mut y = [0.0f32; 4];
    /// binding.read_output("y", &mut y)?;
    /// assert_eq!(y, [5.0, 15.0, 25.0, 35.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute_repeat(&mut self, count: u32) -> Result<()> {
        let n = c_int::try_from(count)
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| Error::InvalidSetting {
                what: "repeat count",
                given: count.to_string(),
                expected: format!("1 to {}", c_int::MAX),
            })?;
        let model = self.model;
        let status = self.execution.call_repeat(model.device().api(), n)?;
        check(status, "nrt_execute_repeat", || model.context(None))
    }
}
