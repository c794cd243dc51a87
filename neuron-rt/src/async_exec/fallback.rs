//! The fallback path: one thread per model (per core group) running each request with the
//! blocking `nrt_tensor_write` / `nrt_execute` / `nrt_tensor_read`, for runtimes without the
//! `nrta_*` functions (or when forced). Requests of one model run one after another.

use super::slot::Slot;
use crate::Device;
use crate::error::{Error, ErrorContext, Result};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::Arc;
use std::thread::JoinHandle;

struct Queue {
    slots: VecDeque<Arc<Slot>>,
    stop: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

/// The worker thread of one model.
pub(crate) struct Worker {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Worker {
    pub(crate) fn start(device: &Device, context: &ErrorContext) -> Result<Worker> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                slots: VecDeque::new(),
                stop: false,
            }),
            ready: Condvar::new(),
        });
        let thread_shared = shared.clone();
        let device = device.clone();
        let name = format!(
            "neuron-rt-async-{}",
            context.model.as_deref().unwrap_or("model")
        );
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || run(&thread_shared, &device))
            .map_err(|source| Error::AsyncIo {
                call: "spawning the fallback worker thread",
                source,
            })?;
        Ok(Worker {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    pub(crate) fn submit(&self, slot: Arc<Slot>) {
        self.shared.queue.lock().slots.push_back(slot);
        self.shared.ready.notify_one();
    }

    /// Stop the thread once its queue is empty, and join it.
    pub(crate) fn stop(&self) {
        self.shared.queue.lock().stop = true;
        self.shared.ready.notify_one();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(shared: &Shared, device: &Device) {
    loop {
        let slot = {
            let mut queue = shared.queue.lock();
            loop {
                if let Some(slot) = queue.slots.pop_front() {
                    break slot;
                }
                if queue.stop {
                    return;
                }
                shared.ready.wait(&mut queue);
            }
        };
        let Some(model) = slot.model() else {
            continue;
        };
        // The buffers leave the slot while the blocking calls use them.
        let buffers = slot.state.lock().buffers.take();
        let outcome = match buffers {
            Some(buffers) => {
                let outcome = buffers.run_blocking(device.api(), model.model);
                slot.state.lock().buffers = Some(buffers);
                outcome
            }
            None => Err(("nrt_execute", neuron_rt_sys::NRT_STATUS::NRT_INVALID_HANDLE)),
        };
        model.blocking_done(&slot, outcome);
    }
}
