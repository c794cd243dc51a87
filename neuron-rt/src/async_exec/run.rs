//! [`Model::run_async`](crate::Model::run_async): the convenience path, on pooled slots.

use super::slot::{ModelAsync, Owner, Slot, poll_slot};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::tensor::{Input, Outputs};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

enum Stage {
    /// Waiting for a free slot of the model's pool.
    Acquire,
    /// The request is in flight on this slot.
    InFlight(Arc<Slot>),
    /// Resolved (or failed before starting).
    Finished,
}

/// The future of [`Model::run_async`](crate::Model::run_async): resolves to the outputs.
///
/// The inputs are copied into a pooled slot's staging buffers when a slot is free (the future
/// waits for one without blocking). Dropping the future before it resolves detaches the request:
/// the slot returns to the pool once the device is done with it.
#[must_use = "futures do nothing unless polled"]
pub struct RunAsync<'a, 'd> {
    model: &'a Model<'d>,
    inputs: &'a [Input<'a>],
    state: Option<Arc<ModelAsync>>,
    stage: Stage,
    /// Place in the model's queue of futures waiting for a slot.
    ticket: Option<u64>,
}

impl<'a, 'd> RunAsync<'a, 'd> {
    pub(crate) fn new(model: &'a Model<'d>, inputs: &'a [Input<'a>]) -> Self {
        RunAsync {
            model,
            inputs,
            state: None,
            stage: Stage::Acquire,
            ticket: None,
        }
    }

    fn fill_and_start(&self, state: &Arc<ModelAsync>, slot: &Arc<Slot>) -> Result<()> {
        {
            let mut st = slot.state.lock();
            let Some(buffers) = st.buffers.as_mut() else {
                return Err(self.model.unknown_tensor("input", "(slot freed)"));
            };
            for input in self.inputs {
                let index = state
                    .inputs()
                    .iter()
                    .position(|i| i.name == input.name)
                    .ok_or_else(|| self.model.unknown_tensor("input", &input.name))?;
                buffers.host_in[index]
                    .as_mut_slice()
                    .copy_from_slice(&input.bytes);
            }
        }
        state.start(slot)
    }

    fn outputs(&self, state: &ModelAsync, slot: &Slot) -> Outputs {
        let st = slot.state.lock();
        let tensors = state
            .outputs()
            .iter()
            .enumerate()
            .map(|(i, info)| {
                let bytes = st
                    .buffers
                    .as_ref()
                    .map(|b| b.host_out[i].as_slice().to_vec())
                    .unwrap_or_default();
                (info.clone(), bytes)
            })
            .collect();
        Outputs {
            model: self.model.name().to_string(),
            tensors,
        }
    }
}

impl Future for RunAsync<'_, '_> {
    type Output = Result<Outputs>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Outputs>> {
        let this = &mut *self;
        let state = match &this.state {
            Some(state) => state.clone(),
            None => {
                if let Err(e) = this.model.check_inputs(this.inputs) {
                    this.stage = Stage::Finished;
                    return Poll::Ready(Err(e));
                }
                match this.model.async_state.get(this.model) {
                    Ok(state) => {
                        this.state = Some(state.clone());
                        state
                    }
                    Err(e) => {
                        this.stage = Stage::Finished;
                        return Poll::Ready(Err(e));
                    }
                }
            }
        };
        if let Stage::Acquire = this.stage {
            let slot = match state.acquire_slot(cx.waker(), &mut this.ticket) {
                Ok(Some(slot)) => slot,
                Ok(None) => return Poll::Pending,
                Err(e) => {
                    this.stage = Stage::Finished;
                    return Poll::Ready(Err(e));
                }
            };
            slot.state.lock().waker = Some(cx.waker().clone());
            if let Err(e) = this.fill_and_start(&state, &slot) {
                state.release_slot(slot);
                this.stage = Stage::Finished;
                return Poll::Ready(Err(e));
            }
            this.stage = Stage::InFlight(slot);
        }
        let Stage::InFlight(slot) = &this.stage else {
            return Poll::Ready(Err(Error::RequestInFlight {
                model: format!("{} (RunAsync polled after completion)", this.model.name()),
            }));
        };
        let Poll::Ready(result) = poll_slot(slot, cx) else {
            return Poll::Pending;
        };
        let outputs = result.map(|()| this.outputs(&state, slot));
        if let Stage::InFlight(slot) = std::mem::replace(&mut this.stage, Stage::Finished) {
            state.release_slot(slot);
        }
        Poll::Ready(outputs)
    }
}

impl Drop for RunAsync<'_, '_> {
    fn drop(&mut self) {
        let Some(state) = &self.state else {
            return;
        };
        match std::mem::replace(&mut self.stage, Stage::Finished) {
            Stage::InFlight(slot) => {
                let mut st = slot.state.lock();
                if st.phase.in_flight() {
                    st.owner = Owner::Orphan; // the reactor/worker returns it to the pool
                } else {
                    drop(st);
                    state.release_slot(slot);
                }
            }
            // Leave the queue; if its wake-up was already spent, pass one on.
            Stage::Acquire => state.cancel_wait(&mut self.ticket),
            Stage::Finished => {}
        }
    }
}

impl fmt::Debug for RunAsync<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Acquire => "waiting for a slot",
            Stage::InFlight(_) => "in flight",
            Stage::Finished => "finished",
        };
        f.debug_struct("RunAsync")
            .field("model", &self.model.name())
            .field("stage", &stage)
            .finish()
    }
}
