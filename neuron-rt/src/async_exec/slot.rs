//! Slots (one request's buffers and state machine) and a model's async state (mode, error
//! tracker, slot pool, in-flight count).
//!
//! Lock order: slot state → tracker → reactor units; the pool and in-flight locks are taken
//! alone.

use super::fallback::Worker;
use super::reactor::{self, ReactorHandle};
use super::{ASYNC_FALLBACK_ENV, AsyncMode, ExecUnit, RequestError};
use crate::device::DeviceInner;
use crate::error::{Error, ErrorContext, Result, RuntimeStatus};
use crate::ffi::nrta::{AsyncFns, ModelPtr, SlotBuffers, Tracker};
use crate::model::Model;
use crate::tensor::TensorInfo;
use neuron_rt_sys::NRT_STATUS;
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};

/// Default number of pooled slots per model for `run_async`.
pub(crate) const DEFAULT_SLOTS: usize = 4;

/// Where a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No request, or its result was taken.
    Idle,
    /// Inputs being written; the range of their sequence ids.
    Writes(u64, u64),
    /// The model has no inputs: nothing to write.
    NoInputs,
    /// Executing.
    Execute(u64),
    /// Outputs being read.
    Reads(u64, u64),
    /// On the fallback worker.
    Blocking,
    /// Completed; the result waits in `SlotState::result`.
    Done,
}

impl Phase {
    fn range(self) -> Option<(u64, u64)> {
        match self {
            Phase::Writes(a, b) | Phase::Reads(a, b) => Some((a, b)),
            Phase::Execute(s) => Some((s, s)),
            _ => None,
        }
    }

    fn call_and_unit(self) -> (&'static str, ExecUnit) {
        match self {
            Phase::Writes(..) => ("nrta_tensor_write", ExecUnit::TensorWrite),
            Phase::Reads(..) => ("nrta_tensor_read", ExecUnit::TensorRead),
            _ => ("nrta_execute_schedule", ExecUnit::Compute),
        }
    }

    pub(crate) fn in_flight(self) -> bool {
        !matches!(self, Phase::Idle | Phase::Done)
    }
}

/// Who gets the slot back when its request completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// An `AsyncBinding` or a `run_async` future: it takes the result.
    Holder,
    /// Its holder was dropped in flight: return it to the model's pool on completion.
    Orphan,
}

pub(crate) struct SlotState {
    /// `None` only while the fallback worker runs the request, or after the buffers were freed.
    pub(crate) buffers: Option<SlotBuffers>,
    pub(crate) phase: Phase,
    pub(crate) result: Option<std::result::Result<(), RequestError>>,
    pub(crate) waker: Option<Waker>,
    pub(crate) owner: Owner,
    /// Set when the request finished; `after_finish` clears it (exactly once per request).
    finished: bool,
}

/// One request's buffers and state, shared by its holder, the reactor (or the fallback worker).
pub(crate) struct Slot {
    pub(crate) state: Mutex<SlotState>,
    done: Condvar,
    model: Weak<ModelAsync>,
}

enum Engine {
    Native {
        fns: AsyncFns,
        /// `None` after shutdown (destroyed while the library is surely loaded).
        tracker: Mutex<Option<Tracker>>,
        reactor: Arc<ReactorHandle>,
    },
    Fallback {
        worker: Worker,
    },
}

/// A model's async state, created on first async use.
pub(crate) struct ModelAsync {
    engine: Engine,
    pub(crate) model: ModelPtr,
    /// Weak: the reactor thread may drop the last `Arc<ModelAsync>`, which must not keep the
    /// device open (nor close it).
    device: Weak<DeviceInner>,
    pub(crate) context: ErrorContext,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
    vnc: i32,
    idle: Mutex<Vec<Arc<Slot>>>,
    created: AtomicUsize,
    max_slots: AtomicUsize,
    /// Futures waiting for a pooled slot, by ticket, woken in order.
    slot_waiters: Mutex<Waiters>,
    in_flight: Mutex<usize>,
    drained: Condvar,
    /// Failures read from the tracker, not yet matched to a request step (sequence, status).
    pending_errors: Mutex<Vec<(u64, u64)>>,
}

/// The per-model field of [`Model`]: lazily created async state; `Drop` waits for the model's
/// in-flight requests and frees its slots, before the model is unloaded.
pub(crate) struct AsyncState {
    inner: Mutex<Option<Arc<ModelAsync>>>,
    force_fallback: AtomicBool,
    max_slots: AtomicUsize,
}

impl Default for AsyncState {
    fn default() -> Self {
        AsyncState {
            inner: Mutex::new(None),
            force_fallback: AtomicBool::new(false),
            max_slots: AtomicUsize::new(DEFAULT_SLOTS),
        }
    }
}

impl AsyncState {
    /// The model's async state, created on first use.
    pub(crate) fn get(&self, model: &Model<'_>) -> Result<Arc<ModelAsync>> {
        let mut inner = self.inner.lock();
        if let Some(existing) = inner.as_ref() {
            return Ok(existing.clone());
        }
        let fallback = self.force_fallback.load(Ordering::Relaxed) || env_forces_fallback();
        let created = ModelAsync::new(model, fallback, self.max_slots.load(Ordering::Relaxed))?;
        *inner = Some(created.clone());
        Ok(created)
    }

    pub(crate) fn force_fallback(&self) -> bool {
        let inner = self.inner.lock();
        match inner.as_ref() {
            Some(state) => matches!(state.engine, Engine::Fallback { .. }),
            None => {
                self.force_fallback.store(true, Ordering::Relaxed);
                true
            }
        }
    }

    pub(crate) fn set_max_slots(&self, slots: usize) {
        let slots = slots.max(1);
        self.max_slots.store(slots, Ordering::Relaxed);
        if let Some(state) = self.inner.lock().as_ref() {
            state.max_slots.store(slots, Ordering::Relaxed);
            state.wake_slot_waiter();
        }
    }
}

impl Drop for AsyncState {
    fn drop(&mut self) {
        if let Some(state) = self.inner.get_mut().take() {
            state.shutdown();
        }
    }
}

fn env_forces_fallback() -> bool {
    std::env::var(ASYNC_FALLBACK_ENV)
        .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
        .unwrap_or(false)
}

impl ModelAsync {
    fn new(model: &Model<'_>, fallback: bool, max_slots: usize) -> Result<Arc<ModelAsync>> {
        let device = model.device();
        let api = device.api();
        let raw = model.raw();
        let context = model.context(None);
        let start = model.group().cores().start();
        let vnc = model.vnc();
        let fns = if fallback {
            None
        } else {
            AsyncFns::load(api).ok()
        };
        let engine = match fns {
            Some(fns) => Engine::Native {
                fns,
                tracker: Mutex::new(Some(Tracker::create(fns, start, || context.clone())?)),
                reactor: reactor::for_device(device)?,
            },
            None => Engine::Fallback {
                worker: Worker::start(device, &context)?,
            },
        };
        Ok(Arc::new(ModelAsync {
            engine,
            model: ModelPtr::of(raw),
            device: Arc::downgrade(&device.inner),
            context,
            inputs: model.inputs().to_vec(),
            outputs: model.outputs().to_vec(),
            vnc,
            idle: Mutex::new(Vec::new()),
            created: AtomicUsize::new(0),
            max_slots: AtomicUsize::new(max_slots),
            slot_waiters: Mutex::new(Waiters::default()),
            in_flight: Mutex::new(0),
            drained: Condvar::new(),
            pending_errors: Mutex::new(Vec::new()),
        }))
    }

    pub(crate) fn mode(&self) -> AsyncMode {
        match self.engine {
            Engine::Native { .. } => AsyncMode::Native,
            Engine::Fallback { .. } => AsyncMode::Fallback,
        }
    }

    pub(crate) fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    pub(crate) fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    /// A new slot (device tensors, sets, staging buffers), owned by the caller.
    pub(crate) fn new_slot(self: &Arc<Self>) -> Result<Arc<Slot>> {
        let buffers = self.allocate_buffers()?;
        Ok(Arc::new(Slot {
            state: Mutex::new(SlotState {
                buffers: Some(buffers),
                phase: Phase::Idle,
                result: None,
                waker: None,
                owner: Owner::Holder,
                finished: false,
            }),
            done: Condvar::new(),
            model: Arc::downgrade(self),
        }))
    }

    fn allocate_buffers(&self) -> Result<SlotBuffers> {
        let device = self
            .device
            .upgrade()
            .ok_or_else(|| Error::RequestInFlight {
                model: format!(
                    "{} (device closed)",
                    self.context.model.as_deref().unwrap_or("")
                ),
            })?;
        let names = |infos: &[TensorInfo]| -> Result<Vec<(CString, usize)>> {
            infos
                .iter()
                .map(|info| {
                    CString::new(info.name.as_str())
                        .map(|name| (name, info.size_bytes))
                        .map_err(|_| Error::NulInName {
                            what: "tensor name",
                            name: info.name.clone(),
                        })
                })
                .collect()
        };
        let (inputs, outputs) = (names(&self.inputs)?, names(&self.outputs)?);
        fn refs(v: &[(CString, usize)]) -> Vec<(&std::ffi::CStr, usize)> {
            v.iter().map(|(n, s)| (n.as_c_str(), *s)).collect()
        }
        SlotBuffers::allocate(&device.api, self.vnc, &refs(&inputs), &refs(&outputs))
    }

    /// Take a pooled slot, make one (up to the limit), or register `waker` under `*ticket` and
    /// return `None`. A future keeps its ticket between polls so that it is queued once.
    pub(crate) fn acquire_slot(
        self: &Arc<Self>,
        waker: &Waker,
        ticket: &mut Option<u64>,
    ) -> Result<Option<Arc<Slot>>> {
        if let Some(slot) = self.take_idle(ticket) {
            return Ok(Some(slot));
        }
        let max = self.max_slots.load(Ordering::Relaxed);
        let below_max = self
            .created
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok();
        if below_max {
            self.cancel_wait(ticket);
            return match self.new_slot() {
                Ok(slot) => Ok(Some(slot)),
                Err(e) => {
                    self.created.fetch_sub(1, Ordering::Relaxed);
                    Err(e)
                }
            };
        }
        self.slot_waiters.lock().register(waker, ticket);
        // A slot may have come back between the two locks.
        Ok(self.take_idle(ticket))
    }

    fn take_idle(&self, ticket: &mut Option<u64>) -> Option<Arc<Slot>> {
        let slot = self.idle.lock().pop()?;
        self.cancel_wait(ticket);
        Some(slot)
    }

    /// Withdraw a waiting future's ticket. If it had already been popped (its wake-up was
    /// spent), pass a wake-up on so that no free slot is left unclaimed.
    pub(crate) fn cancel_wait(&self, ticket: &mut Option<u64>) {
        if let Some(t) = ticket.take() {
            let queued = self.slot_waiters.lock().remove(t);
            if !queued {
                self.wake_slot_waiter();
            }
        }
    }

    /// Give a slot (not in flight) back to the pool and wake one waiter.
    pub(crate) fn release_slot(&self, slot: Arc<Slot>) {
        {
            let mut st = slot.state.lock();
            st.owner = Owner::Holder;
            st.phase = Phase::Idle;
            st.result = None;
            st.waker = None;
        }
        self.idle.lock().push(slot);
        self.wake_slot_waiter();
    }

    pub(crate) fn wake_slot_waiter(&self) {
        let waker = self.slot_waiters.lock().queue.pop_front().map(|(_, w)| w);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Free a slot's buffers now (its holder is done with it and nothing is in flight).
    pub(crate) fn free_slot(&self, slot: &Slot) {
        let buffers = slot.state.lock().buffers.take();
        // The device outlives every model (models borrow it), so the upgrade succeeds whenever
        // a holder or the model frees a slot.
        if let (Some(buffers), Some(device)) = (buffers, self.device.upgrade()) {
            buffers.free(&device.api);
        }
    }

    /// Start the request of `slot` (idle, buffers present): the first step is scheduled here,
    /// the rest by the reactor or the worker.
    pub(crate) fn start(self: &Arc<Self>, slot: &Arc<Slot>) -> Result<()> {
        let mut st = slot.state.lock();
        if st.phase.in_flight() {
            return Err(Error::RequestInFlight {
                model: self.context.model.clone().unwrap_or_default(),
            });
        }
        st.result = None;
        *self.in_flight.lock() += 1;
        match &self.engine {
            Engine::Native { .. } => {
                st.phase = Phase::Idle;
                self.advance_locked(slot, &mut st);
                drop(st);
                self.after_finish(slot);
            }
            Engine::Fallback { worker } => {
                st.phase = Phase::Blocking;
                drop(st);
                worker.submit(slot.clone());
            }
        }
        Ok(())
    }

    /// Schedule the step after `st.phase` (which has completed), skipping empty steps; finish the
    /// request after the reads or on a scheduling failure.
    fn advance_locked(&self, slot: &Arc<Slot>, st: &mut SlotState) {
        let Engine::Native {
            fns,
            tracker,
            reactor,
        } = &self.engine
        else {
            return;
        };
        let mut tracker_guard = tracker.lock();
        let (Some(buffers), Some(tracker)) = (st.buffers.as_ref(), tracker_guard.as_mut()) else {
            drop(tracker_guard);
            let e = self.error(
                "nrta_execute_schedule",
                ExecUnit::Compute,
                NRT_STATUS::NRT_INVALID_HANDLE,
                None,
            );
            return self.finish_locked(st, Err(e));
        };
        let mut phase = st.phase;
        loop {
            let scheduled = match phase {
                Phase::Idle => match buffers.schedule_writes(fns, tracker) {
                    Ok(Some((a, b))) => Ok(Phase::Writes(a, b)),
                    Ok(None) => Ok(Phase::NoInputs),
                    Err((i, status)) => Err(self.tensor_error(
                        "nrta_tensor_write",
                        ExecUnit::TensorWrite,
                        status,
                        &self.inputs,
                        i,
                    )),
                },
                Phase::Writes(..) | Phase::NoInputs => {
                    match buffers.schedule_execute(fns, self.model, tracker) {
                        Ok(seq) => Ok(Phase::Execute(seq)),
                        Err(status) => Err(self.error(
                            "nrta_execute_schedule",
                            ExecUnit::Compute,
                            status,
                            None,
                        )),
                    }
                }
                Phase::Execute(_) => match buffers.schedule_reads(fns, tracker) {
                    Ok(Some((a, b))) => Ok(Phase::Reads(a, b)),
                    Ok(None) => Ok(Phase::Done),
                    Err((i, status)) => Err(self.tensor_error(
                        "nrta_tensor_read",
                        ExecUnit::TensorRead,
                        status,
                        &self.outputs,
                        i,
                    )),
                },
                Phase::Reads(..) => Ok(Phase::Done),
                Phase::Blocking | Phase::Done => return,
            };
            let next = match scheduled {
                Ok(Phase::Done) => {
                    drop(tracker_guard);
                    return self.finish_locked(st, Ok(()));
                }
                Ok(next) => next,
                Err(e) => {
                    drop(tracker_guard);
                    return self.finish_locked(st, Err(e));
                }
            };
            st.phase = next;
            let Some((first, last)) = next.range() else {
                phase = next; // nothing was queued (no inputs): schedule the next step now
                continue;
            };
            // Already complete (e.g. a small copy): go on here, without a reactor round trip.
            if fns.is_completed(last) == Ok(true) {
                self.drain_tracker(tracker);
                if let Some((failed, code)) = self.take_error(first, last) {
                    drop(tracker_guard);
                    let (call, unit) = next.call_and_unit();
                    let status = NRT_STATUS(u32::try_from(code).unwrap_or(u32::MAX));
                    let e = self.error(call, unit, status, Some(failed));
                    return self.finish_locked(st, Err(e));
                }
                phase = next;
                continue;
            }
            drop(tracker_guard);
            if let Err(status) = reactor.watch(*fns, last, slot.clone()) {
                let (call, unit) = next.call_and_unit();
                let e = self.error(call, unit, status, Some(last));
                self.finish_locked(st, Err(e));
            }
            return;
        }
    }

    /// Called by the reactor: the step whose last request is `seq` has completed; `failure` is
    /// what the error tracker reported for one of its requests.
    pub(crate) fn step_completed(&self, slot: &Arc<Slot>, seq: u64, failure: Option<(u64, u64)>) {
        let mut st = slot.state.lock();
        let Some((_, last)) = st.phase.range() else {
            return;
        };
        if last != seq {
            return;
        }
        if let Some((failed, code)) = failure {
            let (call, unit) = st.phase.call_and_unit();
            let status = NRT_STATUS(u32::try_from(code).unwrap_or(u32::MAX));
            let e = self.error(call, unit, status, Some(failed));
            self.finish_locked(&mut st, Err(e));
        } else {
            self.advance_locked(slot, &mut st);
        }
        drop(st);
        self.after_finish(slot);
    }

    /// Read the tracker's new failures into the pending list.
    fn drain_tracker(&self, tracker: &mut Tracker) {
        let mut pending = self.pending_errors.lock();
        let status = tracker.drain(&mut pending);
        drop(pending);
        if !status.is_success() {
            crate::error::report_dropped_error(
                "reading the async error tracker",
                &Error::from(self.error(
                    "nrta_error_tracker_get_list",
                    ExecUnit::Compute,
                    status,
                    None,
                )),
            );
        }
    }

    /// Called by the reactor once per batch: read the model's error tracker.
    pub(crate) fn drain_errors(&self) {
        if let Engine::Native { tracker, .. } = &self.engine {
            if let Some(tracker) = tracker.lock().as_mut() {
                self.drain_tracker(tracker);
            }
        }
    }

    /// Remove and return a pending failure of a request in the step `first..=last` (one unit).
    fn take_error(&self, first: u64, last: u64) -> Option<(u64, u64)> {
        use neuron_rt_sys::{seq_num, seq_xu_id};
        let mut pending = self.pending_errors.lock();
        let i = pending.iter().position(|&(seq, _)| {
            seq_xu_id(seq) == seq_xu_id(first)
                && (seq_num(first)..=seq_num(last)).contains(&seq_num(seq))
        })?;
        Some(pending.swap_remove(i))
    }

    /// Called by the reactor: a pending failure of `slot`'s current step, if any.
    pub(crate) fn take_error_for(&self, slot: &Slot) -> Option<(u64, u64)> {
        let (first, last) = slot.state.lock().phase.range()?;
        self.take_error(first, last)
    }

    /// Called by the fallback worker with the outcome of the blocking calls.
    pub(crate) fn blocking_done(
        &self,
        slot: &Arc<Slot>,
        outcome: std::result::Result<(), (&'static str, NRT_STATUS)>,
    ) {
        let mut st = slot.state.lock();
        let result = outcome.map_err(|(call, status)| {
            let unit = match call {
                "nrt_tensor_write" => ExecUnit::TensorWrite,
                "nrt_tensor_read" => ExecUnit::TensorRead,
                _ => ExecUnit::Compute,
            };
            self.error(call, unit, status, None)
        });
        self.finish_locked(&mut st, result);
        drop(st);
        self.after_finish(slot);
    }

    fn finish_locked(&self, st: &mut SlotState, result: std::result::Result<(), RequestError>) {
        st.phase = Phase::Done;
        st.result = Some(result);
        st.finished = true;
        if let Some(waker) = st.waker.take() {
            waker.wake();
        }
    }

    /// After a request finished (called without the slot lock by whoever may have finished it):
    /// wake blocking waiters, return an orphaned slot to the pool, then count the request out
    /// (last, so that `shutdown` sees the slot back in the pool).
    pub(crate) fn after_finish(&self, slot: &Arc<Slot>) {
        let (finished, orphan) = {
            let mut st = slot.state.lock();
            let finished = std::mem::take(&mut st.finished);
            (finished, finished && st.owner == Owner::Orphan)
        };
        if !finished {
            return;
        }
        slot.done.notify_all();
        if orphan {
            self.release_slot(slot.clone());
        }
        let mut n = self.in_flight.lock();
        *n = n.saturating_sub(1);
        if *n == 0 {
            self.drained.notify_all();
        }
    }

    fn error(
        &self,
        call: &'static str,
        unit: ExecUnit,
        status: NRT_STATUS,
        seq: Option<u64>,
    ) -> RequestError {
        RequestError {
            call,
            status: failure_status(status),
            unit,
            seq,
            context: self.context.clone(),
        }
    }

    fn tensor_error(
        &self,
        call: &'static str,
        unit: ExecUnit,
        status: NRT_STATUS,
        infos: &[TensorInfo],
        i: usize,
    ) -> RequestError {
        let mut e = self.error(call, unit, status, None);
        e.context.tensor = infos.get(i).map(|t| t.name.clone());
        e
    }

    /// Wait until no request of this model is in flight, then free the pooled slots.
    fn shutdown(&self) {
        let mut n = self.in_flight.lock();
        while *n > 0 {
            self.drained.wait(&mut n);
        }
        drop(n);
        for slot in self.idle.lock().drain(..) {
            self.free_slot(&slot);
        }
        match &self.engine {
            Engine::Fallback { worker } => worker.stop(),
            Engine::Native { tracker, .. } => drop(tracker.lock().take()),
        }
    }
}

/// `status` as a failure (`NRT_FAILURE` should a success ever reach an error path).
fn failure_status(status: NRT_STATUS) -> RuntimeStatus {
    RuntimeStatus::from_raw(status)
        .or_else(|| RuntimeStatus::from_raw(NRT_STATUS::NRT_FAILURE))
        .unwrap_or_else(|| unreachable!("NRT_FAILURE is a failure status"))
}

/// The queue of futures waiting for a pooled slot.
#[derive(Default)]
struct Waiters {
    queue: VecDeque<(u64, Waker)>,
    next: u64,
}

impl Waiters {
    /// Queue `waker` (or refresh it, if `ticket` is still queued).
    fn register(&mut self, waker: &Waker, ticket: &mut Option<u64>) {
        if let Some(t) = *ticket {
            if let Some(entry) = self.queue.iter_mut().find(|(id, _)| *id == t) {
                if !entry.1.will_wake(waker) {
                    entry.1 = waker.clone();
                }
                return;
            }
        }
        let t = self.next;
        self.next += 1;
        self.queue.push_back((t, waker.clone()));
        *ticket = Some(t);
    }

    /// Remove `ticket`; whether it was still queued.
    fn remove(&mut self, ticket: u64) -> bool {
        match self.queue.iter().position(|(id, _)| *id == ticket) {
            Some(i) => {
                self.queue.remove(i);
                true
            }
            None => false,
        }
    }
}

impl Slot {
    /// Block until the slot has no request in flight; the request's result (if not yet taken).
    pub(crate) fn wait(&self) -> Option<std::result::Result<(), RequestError>> {
        let mut st = self.state.lock();
        while st.phase.in_flight() {
            self.done.wait(&mut st);
        }
        take_result(&mut st)
    }

    pub(crate) fn model(&self) -> Option<Arc<ModelAsync>> {
        self.model.upgrade()
    }
}

/// Take a completed request's result, leaving the slot idle.
pub(crate) fn take_result(st: &mut SlotState) -> Option<std::result::Result<(), RequestError>> {
    if st.phase == Phase::Done {
        st.phase = Phase::Idle;
    }
    st.result.take()
}

/// Poll a slot for completion: the request's result once done (registering the waker while in
/// flight). Shared by the binding's futures and `run_async`.
pub(crate) fn poll_slot(slot: &Slot, cx: &mut Context<'_>) -> Poll<Result<()>> {
    let mut st = slot.state.lock();
    if st.phase.in_flight() {
        match &st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => st.waker = Some(cx.waker().clone()),
        }
        return Poll::Pending;
    }
    Poll::Ready(match take_result(&mut st) {
        Some(result) => result.map_err(Error::from),
        None => Ok(()),
    })
}
