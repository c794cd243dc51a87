//! [`AsyncBinding`]: one slot of your own, and the futures that wait for its request.

use super::AsyncMode;
use super::slot::{ModelAsync, Owner, Phase, Slot, poll_slot};
use crate::binding::{check_typed, size_mismatch};
use crate::element::Element;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::tensor::TensorInfo;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Device tensors and host staging buffers for one model request at a time, submitted
/// asynchronously: write the inputs (into host staging), [`submit`](Self::submit) (or
/// [`start`](Self::start) + [`ready`](Self::ready)), read the outputs. Nothing is allocated per
/// request.
///
/// While a request is in flight its buffers belong to the device: `submit` borrows the binding
/// mutably until the request completes. If the [`Submission`] is dropped early the request
/// still completes (it is *detached*); until [`ready`](Self::ready) or [`wait`](Self::wait) has
/// observed that, the binding's methods return [`Error::RequestInFlight`]. Dropping the binding
/// with a request in flight hands its buffers to the model's pool, freed once the device is done.
///
/// # Model
///
/// A request is *write every input → execute → read every output* on one **slot** (device
/// tensors plus host staging buffers, allocated once and reused). With the async API
/// ([`AsyncMode::Native`](crate::AsyncMode::Native)) each step is queued on an execution unit of the model's NeuronCore
/// (`TENSOR_WRITE`, `COMPUTE`, `TENSOR_READ`): requests on one unit complete in order, and the
/// units run in parallel, so the copies of one request overlap the compute of another. Nothing
/// orders different units, so the next step of a request is queued when the previous one has
/// completed — by the **reactor**, one thread per [`Device`](crate::Device), which waits on the
/// runtime's completion handles (`epoll`, one armed handle per unit with pending requests) and
/// wakes the futures. The futures are plain [`std::future::Future`]s: any executor (tokio,
/// async-std, smol, `block_on`) drives them.
///
/// Entry points:
/// - [`Model::run_async`](crate::Model::run_async): named arrays in, owned [`Outputs`](crate::Outputs)
///   out, on a slot from the model's pool ([`Model::set_async_slots`](crate::Model::set_async_slots),
///   default 4): thousands of concurrent calls share a few slots, waiting (asynchronously) for one;
/// - [`Model::async_binding`](crate::Model::async_binding): one slot of your own —
///   [`submit`](Self::submit) allocates nothing;
/// - [`Model::pipeline`](crate::Model::pipeline): `k` slots kept in flight ([`Pipeline::run`](crate::Pipeline::run)).
///
/// # Ownership and cancellation
///
/// A slot's buffers belong to the device while a request is in flight. [`submit`](Self::submit)
/// borrows the binding mutably, so its buffers cannot be touched until the future completes.
/// **Dropping a future never frees memory the device may still use: it detaches.** The request
/// runs to completion; a detached `AsyncBinding` refuses access ([`Error::RequestInFlight`](crate::Error::RequestInFlight))
/// until [`ready`](Self::ready) / [`wait`](Self::wait); a binding or `run_async` future dropped
/// in flight hands its slot to the reactor, which returns it to the model's pool on completion.
/// Nothing blocks in `Drop` except the model's: unloading a model waits for its in-flight
/// requests (at most their remaining device time).
///
/// # Errors
///
/// A failed request gives [`Error::Request`](crate::Error::Request) with a [`RequestError`](crate::RequestError): the
/// call, the runtime status, the execution unit and, for a failure reported by the runtime's
/// error tracker after scheduling, the request's sequence id.
///
/// # Fallback
///
/// Runtimes without the `nrta_*` functions (before 2.29), or a model forced with
/// [`Model::force_async_fallback`](crate::Model::force_async_fallback) or the environment
/// variable `NEURON_RT_ASYNC_FALLBACK=1`, run the same API on one thread per model (that is, per
/// core group) calling the blocking `nrt_tensor_write` / `nrt_execute` / `nrt_tensor_read`.
/// Differences: requests of one model run one at a time, so copies do not overlap compute; errors
/// carry no sequence id; the futures and ownership rules are the same.
///
/// # Example
///
/// ```
/// use neuron_rt::{Backend, Device};
/// use neuron_neff::ModelBuilder;
/// let device = Device::builder().backend(Backend::emulator("inf2.xlarge")).emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-async-{}", std::process::id()))).open()?;
/// let neff = ModelBuilder::mlp("mlp", &[4, 8, 3], 2, 7).build()?;
/// let model = device.core_group_of_size(1)?.load(&neff)?;
/// let mut binding = model.async_binding()?;
/// binding.write_input("input", &[0.5f32; 8])?;
/// // any executor; here a minimal one
/// neuron_rt::block_on(binding.submit())?;
/// let mut probs = [0f32; 6];
/// binding.read_output("probs", &mut probs)?;
/// assert!((probs[..3].iter().sum::<f32>() - 1.0).abs() < 1e-5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AsyncBinding<'m, 'd> {
    model: &'m Model<'d>,
    state: Arc<ModelAsync>,
    slot: Arc<Slot>,
}

impl<'m, 'd> AsyncBinding<'m, 'd> {
    pub(crate) fn new(model: &'m Model<'d>) -> Result<Self> {
        let state = model.async_state.get(model)?;
        let slot = state.new_slot()?;
        Ok(AsyncBinding { model, state, slot })
    }

    /// The model this binding belongs to.
    pub fn model(&self) -> &'m Model<'d> {
        self.model
    }

    /// How requests run ([`AsyncMode::Native`] or the [`AsyncMode::Fallback`] thread).
    pub fn mode(&self) -> AsyncMode {
        self.state.mode()
    }

    /// Whether a request is in flight (submitted and not yet observed complete).
    pub fn is_in_flight(&self) -> bool {
        self.slot.state.lock().phase.in_flight()
    }

    /// Index of input `name`.
    pub fn input_index(&self, name: &str) -> Result<usize> {
        self.model.tensor_index("input", name)
    }

    /// Index of output `name`.
    pub fn output_index(&self, name: &str) -> Result<usize> {
        self.model.tensor_index("output", name)
    }

    /// Copy `data` into the staging buffer of input `name` (sent to the device by the next
    /// request); its length must be the input's element count.
    pub fn write_input<T: Element>(&mut self, name: &str, data: &[T]) -> Result<()> {
        let index = self.input_index(name)?;
        self.write_input_at(index, data)
    }

    /// Copy `data` into the staging buffer of input number `index`; no allocation.
    pub fn write_input_at<T: Element>(&mut self, index: usize, data: &[T]) -> Result<()> {
        let info = info_at(self.model, self.state.inputs(), index, "input")?;
        check_typed(self.model, info, T::DTYPE, data.len())?;
        self.write_input_bytes(index, bytemuck::cast_slice(data))
    }

    /// Copy raw bytes into the staging buffer of input number `index` (exact size).
    pub fn write_input_bytes(&mut self, index: usize, bytes: &[u8]) -> Result<()> {
        let info = info_at(self.model, self.state.inputs(), index, "input")?;
        if bytes.len() != info.size_bytes {
            return Err(size_mismatch(self.model, info, bytes.len()));
        }
        let mut st = self.slot.state.lock();
        self.check_idle(st.phase)?;
        let host = st
            .buffers
            .as_mut()
            .and_then(|b| b.host_in.get_mut(index))
            .ok_or_else(|| self.model.unknown_tensor("input", &format!("#{index}")))?;
        host.as_mut_slice().copy_from_slice(bytes);
        Ok(())
    }

    /// Copy output `name` of the last completed request into `out`.
    pub fn read_output<T: Element>(&self, name: &str, out: &mut [T]) -> Result<()> {
        let index = self.output_index(name)?;
        self.read_output_at(index, out)
    }

    /// Copy output number `index` of the last completed request into `out`; no allocation.
    pub fn read_output_at<T: Element>(&self, index: usize, out: &mut [T]) -> Result<()> {
        let info = info_at(self.model, self.state.outputs(), index, "output")?;
        check_typed(self.model, info, T::DTYPE, out.len())?;
        self.read_output_bytes(index, bytemuck::cast_slice_mut(out))
    }

    /// Copy the raw bytes of output number `index` into `out` (exact size).
    pub fn read_output_bytes(&self, index: usize, out: &mut [u8]) -> Result<()> {
        let info = info_at(self.model, self.state.outputs(), index, "output")?;
        if out.len() != info.size_bytes {
            return Err(size_mismatch(self.model, info, out.len()));
        }
        let st = self.slot.state.lock();
        self.check_idle(st.phase)?;
        let host = st
            .buffers
            .as_ref()
            .and_then(|b| b.host_out.get(index))
            .ok_or_else(|| self.model.unknown_tensor("output", &format!("#{index}")))?;
        out.copy_from_slice(host.as_slice());
        Ok(())
    }

    fn check_idle(&self, phase: Phase) -> Result<()> {
        if phase.in_flight() {
            return Err(Error::RequestInFlight {
                model: self.model.name().into(),
            });
        }
        Ok(())
    }

    /// Submit a request (write inputs → execute → read outputs) and wait for it.
    ///
    /// The future starts the request when first polled and resolves when the outputs are in the
    /// staging buffers. Dropping it early detaches the request (see the type's docs).
    pub fn submit(&mut self) -> Submission<'_, 'm, 'd> {
        Submission {
            binding: self,
            started: false,
        }
    }

    /// Start a request now, without waiting; observe its completion with [`ready`](Self::ready)
    /// or [`wait`](Self::wait). Fails with [`Error::RequestInFlight`] if one is in flight.
    pub fn start(&mut self) -> Result<()> {
        self.state.start(&self.slot)
    }

    /// A future that resolves when the binding's request (started by [`start`](Self::start) or
    /// by a dropped [`Submission`]) has completed, with its result (`Ok` when nothing was in
    /// flight).
    pub fn ready(&self) -> Ready<'_> {
        Ready { slot: &self.slot }
    }

    /// Block the calling thread until the binding's request has completed; its result.
    pub fn wait(&self) -> Result<()> {
        match self.slot.wait() {
            Some(result) => result.map_err(Error::from),
            None => Ok(()),
        }
    }
}

/// The future of [`AsyncBinding::submit`].
#[must_use = "futures do nothing unless polled"]
pub struct Submission<'b, 'm, 'd> {
    binding: &'b mut AsyncBinding<'m, 'd>,
    started: bool,
}

impl Future for Submission<'_, '_, '_> {
    type Output = Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if !self.started {
            self.started = true;
            // Register the waker before starting so that no completion is missed.
            self.binding.slot.state.lock().waker = Some(cx.waker().clone());
            self.binding.start()?;
        }
        poll_slot(&self.binding.slot, cx)
    }
}

impl fmt::Debug for Submission<'_, '_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Submission")
            .field("model", &self.binding.model.name())
            .field("started", &self.started)
            .finish()
    }
}

/// The future of [`AsyncBinding::ready`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Ready<'b> {
    slot: &'b Arc<Slot>,
}

impl Future for Ready<'_> {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        poll_slot(self.slot, cx)
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot")
            .field("phase", &self.state.lock().phase)
            .finish()
    }
}

impl Drop for AsyncBinding<'_, '_> {
    fn drop(&mut self) {
        let mut st = self.slot.state.lock();
        if st.phase.in_flight() {
            // The device may still use the buffers: the reactor (or worker) returns the slot to
            // the model's pool when the request completes; the model frees it at unload.
            st.owner = Owner::Orphan;
            return;
        }
        drop(st);
        self.state.free_slot(&self.slot);
    }
}

impl fmt::Debug for AsyncBinding<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncBinding")
            .field("model", &self.model.name())
            .field("mode", &self.mode())
            .field("in_flight", &self.is_in_flight())
            .finish()
    }
}

pub(crate) fn info_at<'a>(
    model: &Model<'_>,
    list: &'a [TensorInfo],
    index: usize,
    kind: &'static str,
) -> Result<&'a TensorInfo> {
    list.get(index)
        .ok_or_else(|| model.unknown_tensor(kind, &format!("#{index}")))
}
