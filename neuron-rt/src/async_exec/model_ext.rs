//! The async entry points on [`Model`].

use super::AsyncMode;
use super::binding::AsyncBinding;
use super::pipeline::Pipeline;
use super::run::RunAsync;
use crate::error::Result;
use crate::model::Model;
use crate::tensor::Input;

impl<'d> Model<'d> {
    /// Run once asynchronously: named host arrays in, owned outputs out (like [`Model::run`]).
    ///
    /// The returned future works on any executor. Concurrent calls share the model's pool of
    /// slots ([`set_async_slots`](Self::set_async_slots), default 4) and wait for a free one
    /// without blocking; with libnrt's async API the copies of one request overlap the compute
    /// of another. See the [`async_exec` docs](crate::AsyncBinding) for ownership and
    /// cancellation.
    ///
    /// ```
    /// use neuron_rt::{Backend, Device, Input};
    /// use neuron_neff::ModelBuilder;
    /// let device = Device::builder().backend(Backend::emulator("inf2.xlarge")).emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-run-async-{}", std::process::id()))).open()?;
    /// let neff = ModelBuilder::mlp("mlp", &[4, 8, 3], 2, 7).build()?;
    /// let model = device.core_group_of_size(1)?.load(&neff)?;
    /// let x = ndarray::Array2::<f32>::ones((2, 4));
    /// let inputs = [Input::new("input", &x)];
    /// let out = neuron_rt::block_on(model.run_async(&inputs))?;
    /// assert_eq!(out.array::<f32>("probs")?.shape(), &[2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_async<'a>(&'a self, inputs: &'a [Input<'a>]) -> RunAsync<'a, 'd> {
        RunAsync::new(self, inputs)
    }

    /// A binding of your own for asynchronous requests: the allocation-free async hot path.
    pub fn async_binding(&self) -> Result<AsyncBinding<'_, 'd>> {
        AsyncBinding::new(self)
    }

    /// `depth` async bindings used round-robin to keep up to `depth` requests in flight.
    pub fn pipeline(&self, depth: usize) -> Result<Pipeline<'_, 'd>> {
        Pipeline::new(self, depth)
    }

    /// How this model's async requests run: [`AsyncMode::Native`] when the runtime exports
    /// libnrt's async API (`nrta_*`, runtime 2.29+), else [`AsyncMode::Fallback`].
    pub fn async_mode(&self) -> Result<AsyncMode> {
        Ok(self.async_state.get(self)?.mode())
    }

    /// Use the fallback path (blocking calls on a thread per model) even when the runtime has
    /// the async API — for tests and comparisons. Takes effect if called before the model's
    /// first async use; returns whether the model now uses the fallback.
    pub fn force_async_fallback(&self) -> bool {
        self.async_state.force_fallback()
    }

    /// Slots (device tensors + staging buffers) that [`run_async`](Self::run_async) keeps for
    /// this model, i.e. its requests in flight at most (default 4, minimum 1).
    pub fn set_async_slots(&self, slots: usize) {
        self.async_state.set_max_slots(slots);
    }
}
