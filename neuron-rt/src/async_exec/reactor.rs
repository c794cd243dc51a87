//! The reactor: one thread per device that waits for async requests to complete and drives
//! each request's next step.
//!
//! Per execution unit (the `xu_id` of a sequence id) it keeps the watched requests in
//! submission order; requests on one unit complete in order, so only the oldest needs a
//! completion handle (`nrta_get_completion_handle`), registered with `epoll`. When it fires, the
//! reactor pops every completed request (`nrta_is_completed`), re-arms for the new oldest, reads
//! the error trackers of the affected models, and advances each request (schedules its next
//! step, or finishes it and wakes its future). Submitting threads arm a unit themselves when it
//! was idle, so the reactor thread only wakes on completions. Per request: no allocation (the
//! queues keep their capacity); per completion batch: one `epoll_wait`, and per unit one
//! handle (`nrta_get_completion_handle`, `epoll_ctl` add/delete, `close`).
//!
//! `rustix` gives safe `epoll`/`eventfd` wrappers (owned descriptors, no hand-written FFI).

use super::slot::{ModelAsync, Slot};
use crate::Device;
use crate::error::{Error, Result};
use crate::ffi::nrta::AsyncFns;
use neuron_rt_sys::{NRT_STATUS, seq_xu_id};
use parking_lot::Mutex;
use rustix::event::{EventfdFlags, epoll, eventfd};
use std::collections::VecDeque;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::{JoinHandle, ThreadId};

const WAKE_KEY: u64 = u64::MAX;

/// A watched request: the last request of a slot's current step.
struct Watch {
    seq: u64,
    fns: AsyncFns,
    slot: Arc<Slot>,
}

#[derive(Default)]
struct UnitQueue {
    pending: VecDeque<Watch>,
    armed: Option<OwnedFd>,
}

struct Shared {
    epoll: OwnedFd,
    wake: OwnedFd,
    stop: AtomicBool,
    /// Indexed by xu_id.
    units: Mutex<Vec<UnitQueue>>,
}

/// A device's reactor; the thread stops when the last handle (held by models' async states)
/// is dropped.
pub(crate) struct ReactorHandle {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    thread_id: ThreadId,
    device_key: usize,
}

/// Reactors by device (`Arc` address of the device's inner state).
static REACTORS: Mutex<Vec<(usize, Weak<ReactorHandle>)>> = Mutex::new(Vec::new());

/// The device's reactor, started on first use.
pub(crate) fn for_device(device: &Device) -> Result<Arc<ReactorHandle>> {
    let key = Arc::as_ptr(&device.inner) as usize;
    let mut reactors = REACTORS.lock();
    reactors.retain(|(_, weak)| weak.strong_count() > 0);
    if let Some(existing) = reactors
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, weak)| weak.upgrade())
    {
        return Ok(existing);
    }
    let handle = Arc::new(ReactorHandle::start(key)?);
    reactors.push((key, Arc::downgrade(&handle)));
    Ok(handle)
}

fn io_error(call: &'static str, e: rustix::io::Errno) -> Error {
    Error::AsyncIo {
        call,
        source: e.into(),
    }
}

impl ReactorHandle {
    fn start(device_key: usize) -> Result<ReactorHandle> {
        let epoll =
            epoll::create(epoll::CreateFlags::CLOEXEC).map_err(|e| io_error("epoll_create", e))?;
        let wake = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)
            .map_err(|e| io_error("eventfd", e))?;
        epoll::add(
            &epoll,
            &wake,
            epoll::EventData::new_u64(WAKE_KEY),
            epoll::EventFlags::IN,
        )
        .map_err(|e| io_error("epoll_ctl", e))?;
        let shared = Arc::new(Shared {
            epoll,
            wake,
            stop: AtomicBool::new(false),
            units: Mutex::new(Vec::new()),
        });
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("neuron-rt-reactor".into())
            .spawn(move || run(&thread_shared))
            .map_err(|source| Error::AsyncIo {
                call: "spawning the reactor thread",
                source,
            })?;
        let thread_id = thread.thread().id();
        Ok(ReactorHandle {
            shared,
            thread: Some(thread),
            thread_id,
            device_key,
        })
    }

    /// Watch request `seq` (the last of `slot`'s current step); arm its unit if it was idle.
    pub(crate) fn watch(&self, fns: AsyncFns, seq: u64, slot: Arc<Slot>) -> Result<(), NRT_STATUS> {
        let xu = usize::from(seq_xu_id(seq));
        let mut units = self.shared.units.lock();
        if units.len() <= xu {
            units.resize_with(xu + 1, UnitQueue::default);
        }
        let queue = &mut units[xu];
        queue.pending.push_back(Watch { seq, fns, slot });
        if queue.armed.is_none() {
            if let Err(status) = arm(&self.shared, queue, xu) {
                queue.pending.pop_back();
                return Err(status);
            }
        }
        Ok(())
    }
}

impl Drop for ReactorHandle {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        let _ = rustix::io::write(&self.shared.wake, &1u64.to_ne_bytes());
        if let Some(thread) = self.thread.take() {
            // Never join from the reactor thread itself (it may drop the last handle).
            if std::thread::current().id() != self.thread_id {
                let _ = thread.join();
            }
        }
        let _ = self.device_key;
    }
}

/// Register a completion handle for the oldest pending request of `queue`.
fn arm(shared: &Shared, queue: &mut UnitQueue, xu: usize) -> Result<(), NRT_STATUS> {
    let Some(head) = queue.pending.front() else {
        return Ok(());
    };
    let fd = head.fns.completion_handle(head.seq)?;
    epoll::add(
        &shared.epoll,
        &fd,
        epoll::EventData::new_u64(xu as u64),
        epoll::EventFlags::IN,
    )
    .map_err(|_| NRT_STATUS::NRT_RESOURCE)?;
    queue.armed = Some(fd);
    Ok(())
}

/// A request whose step completed (or whose completion could not be observed).
struct Completed {
    watch: Watch,
    model: Option<Arc<ModelAsync>>,
    failure: Option<(u64, u64)>,
}

fn run(shared: &Shared) {
    let mut events = [epoll::Event {
        flags: epoll::EventFlags::empty(),
        data: epoll::EventData::new_u64(0),
    }; 64];
    let mut completed: Vec<Completed> = Vec::with_capacity(256);
    let mut drained: Vec<*const ModelAsync> = Vec::with_capacity(16);
    loop {
        let n = match epoll::wait(&shared.epoll, &mut events[..], None) {
            Ok(n) => n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => {
                crate::error::report_dropped_error("async reactor", &io_error("epoll_wait", e));
                return;
            }
        };
        for event in &events[..n] {
            let key = event.data.u64();
            if key == WAKE_KEY {
                let mut buf = [0u8; 8];
                let _ = rustix::io::read(&shared.wake, &mut buf);
                if shared.stop.load(Ordering::Acquire) {
                    return;
                }
            } else {
                collect(shared, key as usize, &mut completed);
            }
        }
        // Failures are reported by the trackers once their requests completed: read them
        // before advancing, so a failed step is not followed by the next one.
        drained.clear();
        for done in &mut completed {
            if let Some(model) = &done.model {
                let ptr = Arc::as_ptr(model);
                if !drained.contains(&ptr) {
                    drained.push(ptr);
                    model.drain_errors();
                }
                if done.failure.is_none() {
                    done.failure = model.take_error_for(&done.watch.slot);
                }
            }
        }
        for done in completed.drain(..) {
            if let Some(model) = done.model {
                model.step_completed(&done.watch.slot, done.watch.seq, done.failure);
            }
        }
    }
}

/// Pop the completed requests of unit `xu` and re-arm it for the rest.
fn collect(shared: &Shared, xu: usize, completed: &mut Vec<Completed>) {
    let mut units = shared.units.lock();
    let Some(queue) = units.get_mut(xu) else {
        return;
    };
    if let Some(fd) = queue.armed.take() {
        let _ = epoll::delete(&shared.epoll, &fd);
    }
    while let Some(head) = queue.pending.front() {
        let failure = match head.fns.is_completed(head.seq) {
            Ok(true) => None,
            Ok(false) => break,
            // The runtime no longer knows the request: report it as failed.
            Err(status) => Some((head.seq, u64::from(status.0))),
        };
        let Some(watch) = queue.pending.pop_front() else {
            break;
        };
        let model = watch.slot.model();
        completed.push(Completed {
            watch,
            model,
            failure,
        });
    }
    while !queue.pending.is_empty() {
        match arm(shared, queue, xu) {
            Ok(()) => break,
            Err(status) => {
                // Cannot wait for this request: fail it rather than hang its future.
                if let Some(watch) = queue.pending.pop_front() {
                    let model = watch.slot.model();
                    let seq = watch.seq;
                    completed.push(Completed {
                        watch,
                        model,
                        failure: Some((seq, u64::from(status.0))),
                    });
                }
            }
        }
    }
}
