//! Async execution on the emulator: completion and data, ordering, the error tracker,
//! cancellation, dropping in flight, the fallback path, concurrency on tokio, two processes.
//!
//! The runtime is one per process: every test holds `LOCK` and drops its device before
//! releasing it.

use ndarray::Array1;
use neuron_neff::{DType, ModelBuilder};
use neuron_rt::neuron_rt_sys::NRT_STATUS;
use neuron_rt::{AsyncMode, Backend, CoreRange, Device, Error, ExecUnit, Input, block_on};
use std::future::Future;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

const DIR_ENV: &str = "NEURON_RT_ASYNC_TEST_DIR";

/// The emulator lock directory: the parent's, also in the two-process test's child.
fn lock_dir() -> std::path::PathBuf {
    std::env::var_os(DIR_ENV)
        .map(Into::into)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("neuron-rt-async-{}", std::process::id()))
        })
}

fn open(instance: &str) -> Device {
    let dir = lock_dir();
    std::fs::create_dir_all(&dir).unwrap();
    Device::builder()
        .backend(Backend::emulator(instance))
        .emulator_lock_dir(dir)
        .open()
        .unwrap()
}

const N: usize = 16;

/// y = x + 1 over N floats, taking `device` of device time.
fn plus_one(device: Duration) -> Vec<u8> {
    ModelBuilder::new("plus-one")
        .input("x", DType::Float32, &[N])
        .constant_f32("one", &[N], &[1.0; N])
        .add("y", "x", "one")
        .output("y")
        .device_time(device)
        .build()
        .unwrap()
}

fn mlp() -> Vec<u8> {
    ModelBuilder::mlp("mlp", &[4, 8, 3], 2, 9).build().unwrap()
}

#[test]
fn run_async_matches_run_on_the_native_path() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let model = device.core_group_of_size(1).unwrap().load(&mlp()).unwrap();
    assert_eq!(model.async_mode().unwrap(), AsyncMode::Native);
    let x = ndarray::Array2::<f32>::from_shape_fn((2, 4), |(i, j)| (i * 4 + j) as f32 / 8.0);
    let inputs = [Input::new("input", &x)];
    let sync = model.run(&inputs).unwrap().array::<f32>("probs").unwrap();
    for _ in 0..3 {
        let out = block_on(model.run_async(&inputs)).unwrap();
        assert_eq!(out.array::<f32>("probs").unwrap(), sync);
    }
    // bad input: a typed error, before anything is queued
    let wrong = ndarray::Array2::<f32>::zeros((3, 4));
    let err = block_on(model.run_async(&[Input::new("input", &wrong)])).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
}

#[test]
fn binding_submit_writes_executes_and_reads() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&plus_one(Duration::from_millis(1)))
        .unwrap();
    let mut binding = model.async_binding().unwrap();
    assert!(!binding.is_in_flight());
    let mut y = [0f32; N];
    for round in 0..5 {
        let x = [round as f32; N];
        binding.write_input("x", &x).unwrap();
        block_on(binding.submit()).unwrap();
        binding.read_output("y", &mut y).unwrap();
        assert_eq!(y, [round as f32 + 1.0; N]);
    }
    // typed errors
    assert!(matches!(
        binding.write_input("x", &[0f32; 3]),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        binding.write_input("x", &[0i32; N]),
        Err(Error::DTypeMismatch { .. })
    ));
    assert!(matches!(
        binding.write_input("nope", &[0f32; N]),
        Err(Error::UnknownTensor { .. })
    ));
}

#[test]
fn pipeline_keeps_requests_in_order_and_paired_with_their_inputs() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&plus_one(Duration::from_micros(200)))
        .unwrap();
    for depth in [1, 2, 4] {
        let mut pipeline = model.pipeline(depth).unwrap();
        assert_eq!(pipeline.depth(), depth);
        let mut seen = Vec::new();
        let mut y = [0f32; N];
        block_on(pipeline.run(
            40,
            |i, b| b.write_input("x", &[i as f32; N]),
            |i, b| {
                b.read_output("y", &mut y)?;
                assert_eq!(y, [i as f32 + 1.0; N], "request {i} (depth {depth})");
                seen.push(i);
                Ok(())
            },
        ))
        .unwrap();
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
    }
}

/// Poll a set of futures to completion together on this thread (a minimal join_all).
fn join_all<F: Future + Unpin>(mut futures: Vec<F>) -> Vec<F::Output> {
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    block_on(std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, r) in futures.iter_mut().zip(results.iter_mut()) {
            if r.is_none() {
                match std::pin::Pin::new(&mut *f).poll(cx) {
                    Poll::Ready(v) => *r = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }));
    results.into_iter().map(Option::unwrap).collect()
}

#[test]
fn many_concurrent_run_async_share_the_slot_pool() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&plus_one(Duration::from_micros(100)))
        .unwrap();
    model.set_async_slots(3);
    let xs: Vec<Array1<f32>> = (0..64).map(|i| Array1::from_elem(N, i as f32)).collect();
    let inputs: Vec<[Input<'_>; 1]> = xs.iter().map(|x| [Input::new("x", x)]).collect();
    let futures: Vec<_> = inputs.iter().map(|i| model.run_async(i)).collect();
    let outs = join_all(futures);
    for (i, out) in outs.into_iter().enumerate() {
        let y = out.unwrap().array::<f32>("y").unwrap();
        assert!(y.iter().all(|&v| v == i as f32 + 1.0), "request {i}");
    }
}

#[test]
fn failures_come_from_the_error_tracker_with_sequence_and_unit() {
    let _g = lock();
    let device = open("inf2.xlarge");
    // A 2 s execution with a 50 ms timeout (read at load): the request is accepted, then fails.
    // SAFETY: every test of this file holds LOCK, so no other thread of this process reads or
    // writes the environment meanwhile.
    unsafe { std::env::set_var("NEURON_RT_EXEC_TIMEOUT", "0.05") };
    let loaded = device
        .core_group_of_size(1)
        .unwrap()
        .load(&plus_one(Duration::from_secs(2)));
    // SAFETY: as above.
    unsafe { std::env::remove_var("NEURON_RT_EXEC_TIMEOUT") };
    let model = loaded.unwrap();
    let mut binding = model.async_binding().unwrap();
    let err = block_on(binding.submit()).unwrap_err();
    let Error::Request(e) = &err else {
        panic!("expected a request error, got {err}");
    };
    assert_eq!(e.status.raw(), NRT_STATUS::NRT_TIMEOUT);
    assert_eq!(e.unit, ExecUnit::Compute);
    assert_eq!(e.call, "nrta_execute_schedule");
    let seq = e.seq.expect("tracker errors carry the sequence id");
    assert_eq!(neuron_rt::neuron_rt_sys::seq_num(seq), 1);
    assert_eq!(e.context.model.as_deref(), Some("plus-one"));
    let text = err.to_string();
    assert!(
        text.contains("NRT_TIMEOUT") && text.contains("COMPUTE"),
        "{text}"
    );
    // the binding is usable again
    assert!(!binding.is_in_flight());
    binding.write_input("x", &[1f32; N]).unwrap();
}

#[test]
fn dropping_a_submission_detaches_the_request() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&plus_one(Duration::from_millis(50)))
        .unwrap();
    let mut binding = model.async_binding().unwrap();
    binding.write_input("x", &[41f32; N]).unwrap();
    {
        let mut submission = pin!(binding.submit());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(submission.as_mut().poll(&mut cx).is_pending());
    } // dropped in flight
    assert!(binding.is_in_flight());
    assert!(matches!(
        binding.write_input("x", &[0f32; N]),
        Err(Error::RequestInFlight { .. })
    ));
    let mut y = [0f32; N];
    assert!(matches!(
        binding.read_output("y", &mut y),
        Err(Error::RequestInFlight { .. })
    ));
    binding.wait().unwrap();
    binding.read_output("y", &mut y).unwrap();
    assert_eq!(y, [42f32; N]); // the detached request completed with its data
    // ready() on an idle binding resolves at once
    block_on(binding.ready()).unwrap();
}

#[test]
fn dropping_futures_and_bindings_in_flight_returns_their_slots() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&plus_one(Duration::from_millis(100)))
        .unwrap();
    model.set_async_slots(1);
    let x = Array1::from_elem(N, 1f32);
    let inputs = [Input::new("x", &x)];
    {
        let mut run = pin!(model.run_async(&inputs));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(run.as_mut().poll(&mut cx).is_pending());
    } // the only pooled slot is in flight and orphaned
    // the next call waits for it to come back, then succeeds
    let y = block_on(model.run_async(&inputs)).unwrap();
    assert!(y.array::<f32>("y").unwrap().iter().all(|&v| v == 2.0));
    // a binding dropped in flight: its slot is freed when the device is done, at the latest by
    // the model's unload, which waits for it
    let mut binding = model.async_binding().unwrap();
    binding.start().unwrap();
    drop(binding);
    let t0 = Instant::now();
    let group = model.unload().unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(5),
        "unload must wait for the device"
    );
    // the cores are free again: a new model runs
    let model = group.load(&plus_one(Duration::ZERO)).unwrap();
    assert!(block_on(model.run_async(&inputs)).is_ok());
}

#[test]
fn forced_fallback_gives_the_same_results() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&plus_one(Duration::from_micros(100)))
        .unwrap();
    assert!(model.force_async_fallback());
    assert_eq!(model.async_mode().unwrap(), AsyncMode::Fallback);
    let mut pipeline = model.pipeline(3).unwrap();
    assert_eq!(pipeline.mode(), AsyncMode::Fallback);
    let mut y = [0f32; N];
    let mut count = 0;
    block_on(pipeline.run(
        12,
        |i, b| b.write_input("x", &[i as f32; N]),
        |i, b| {
            b.read_output("y", &mut y)?;
            assert_eq!(y, [i as f32 + 1.0; N]);
            count += 1;
            Ok(())
        },
    ))
    .unwrap();
    assert_eq!(count, 12);
    let x = Array1::from_elem(N, 5f32);
    let out = block_on(model.run_async(&[Input::new("x", &x)])).unwrap();
    assert!(out.array::<f32>("y").unwrap().iter().all(|&v| v == 6.0));
    // once created, the mode stays
    let other = device
        .core_group_of_size(1)
        .unwrap()
        .load(&plus_one(Duration::ZERO))
        .unwrap();
    assert_eq!(other.async_mode().unwrap(), AsyncMode::Native);
    assert!(!other.force_async_fallback());
}

#[test]
fn fallback_errors_name_the_call_and_unit_without_sequence() {
    let _g = lock();
    let device = open("inf2.xlarge");
    // SAFETY: LOCK is held (see the previous test).
    unsafe { std::env::set_var("NEURON_RT_EXEC_TIMEOUT", "0.05") };
    let loaded = device
        .core_group_of_size(1)
        .unwrap()
        .load(&plus_one(Duration::from_secs(2)));
    // SAFETY: as above.
    unsafe { std::env::remove_var("NEURON_RT_EXEC_TIMEOUT") };
    let model = loaded.unwrap();
    model.force_async_fallback();
    let mut binding = model.async_binding().unwrap();
    let Err(Error::Request(e)) = block_on(binding.submit()) else {
        panic!("expected a request error");
    };
    assert_eq!(
        (e.call, e.status.raw(), e.unit, e.seq),
        (
            "nrt_execute",
            NRT_STATUS::NRT_TIMEOUT,
            ExecUnit::Compute,
            None
        )
    );
}

#[test]
fn tokio_multi_thread_runtime_drives_many_futures() {
    let _g = lock();
    let device = open("inf2.24xlarge");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let models: Vec<_> = (0..4)
        .map(|_| {
            device
                .core_group_of_size(1)
                .unwrap()
                .load(&plus_one(Duration::from_micros(200)))
                .unwrap()
        })
        .collect();
    let total = runtime.block_on(async {
        let mut sum = 0usize;
        // scoped: futures borrow the models, so they are joined here rather than spawned
        let xs: Vec<Array1<f32>> = (0..400).map(|i| Array1::from_elem(N, i as f32)).collect();
        let inputs: Vec<[Input<'_>; 1]> = xs.iter().map(|x| [Input::new("x", x)]).collect();
        let futures = inputs
            .iter()
            .enumerate()
            .map(|(i, inp)| models[i % models.len()].run_async(inp));
        for (i, out) in join_all_async(futures.collect())
            .await
            .into_iter()
            .enumerate()
        {
            let y = out.unwrap().array::<f32>("y").unwrap();
            assert!(y.iter().all(|&v| v == i as f32 + 1.0));
            sum += 1;
        }
        sum
    });
    assert_eq!(total, 400);
}

async fn join_all_async<F: Future + Unpin>(mut futures: Vec<F>) -> Vec<F::Output> {
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, r) in futures.iter_mut().zip(results.iter_mut()) {
            if r.is_none() {
                match std::pin::Pin::new(&mut *f).poll(cx) {
                    Poll::Ready(v) => *r = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

const CHILD_ENV: &str = "NEURON_RT_ASYNC_TEST_CHILD";

/// Runs async requests on core `core`; used by the two-process test (in the child it runs
/// alone, in the parent as a regular test).
fn run_on_core(core: u32) {
    let device = open("inf2.xlarge");
    let model = device
        .core_group(CoreRange::new(core, 1).unwrap())
        .unwrap()
        .load(&plus_one(Duration::from_millis(2)))
        .unwrap();
    let mut pipeline = model.pipeline(2).unwrap();
    let mut y = [0f32; N];
    block_on(pipeline.run(
        25,
        |i, b| b.write_input("x", &[i as f32; N]),
        |i, b| {
            b.read_output("y", &mut y)?;
            assert_eq!(y, [i as f32 + 1.0; N]);
            Ok(())
        },
    ))
    .unwrap();
}

#[test]
fn two_processes_run_async_on_their_own_cores() {
    if let Ok(core) = std::env::var(CHILD_ENV) {
        // child mode: this process was started by the test below with one visible core
        run_on_core(core.parse().unwrap());
        return;
    }
    let _g = lock();
    let dir = lock_dir();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "two_processes_run_async_on_their_own_cores",
            "--nocapture",
        ])
        .env(CHILD_ENV, "0")
        .env("NEURON_RT_VISIBLE_CORES", "1")
        .env(DIR_ENV, &dir)
        .spawn()
        .unwrap();
    // SAFETY: LOCK is held, so no other thread of this process uses the environment.
    unsafe { std::env::set_var("NEURON_RT_VISIBLE_CORES", "0") };
    run_on_core(0);
    // SAFETY: as above.
    unsafe { std::env::remove_var("NEURON_RT_VISIBLE_CORES") };
    let status = child.wait_with_output().unwrap().status;
    assert!(status.success(), "child process failed: {status}");
}

/// The drop-in emulator library built with only the `nrt_*` API exported: a runtime older than
/// the async API, as far as the loader can tell.
fn build_runtime_without_nrta(dir: &std::path::Path) -> std::path::PathBuf {
    let emu = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../neuron-rt-sys/emulator");
    std::fs::create_dir_all(dir).unwrap();
    let map = dir.join("old.map");
    std::fs::write(
        &map,
        "NRT_2.0.0 { global: nrt_*; local: *; };\nNRT_EMU_1.0 { global: nrt_emu_set_option; } NRT_2.0.0;\n",
    )
    .unwrap();
    let mut sources: Vec<_> = std::fs::read_dir(emu.join("src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    let lib = dir.join("libnrt.so.1");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = std::process::Command::new(cc)
        .args([
            "-std=c11",
            "-O1",
            "-fPIC",
            "-shared",
            "-pthread",
            "-fvisibility=hidden",
        ])
        .args(["-D_GNU_SOURCE", "-Wl,-soname,libnrt.so.1"])
        .arg(format!("-I{}", emu.join("../include").display()))
        .arg(format!("-I{}", emu.join("include").display()))
        .arg(format!("-I{}", emu.join("src").display()))
        .args(&sources)
        .arg(format!("-Wl,--version-script={}", map.display()))
        .arg("-o")
        .arg(&lib)
        .arg("-lm")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "building the drop-in: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    lib
}

#[test]
fn a_runtime_without_nrta_falls_back_by_itself() {
    let _g = lock();
    let dir = lock_dir().join("no-nrta");
    let lib = build_runtime_without_nrta(&dir);
    // The drop-in reads its lock directory from the environment.
    let saved = std::env::var_os("NEURON_RT_EMULATOR_LOCK_DIR");
    // SAFETY: LOCK is held, so no other thread of this process uses the environment.
    unsafe { std::env::set_var("NEURON_RT_EMULATOR_LOCK_DIR", lock_dir()) };
    let opened = Device::builder()
        .backend(Backend::Hardware { library: Some(lib) })
        .open();
    // SAFETY: as above.
    unsafe {
        match saved {
            Some(v) => std::env::set_var("NEURON_RT_EMULATOR_LOCK_DIR", v),
            None => std::env::remove_var("NEURON_RT_EMULATOR_LOCK_DIR"),
        }
    }
    let device = opened.unwrap();
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&plus_one(Duration::from_micros(100)))
        .unwrap();
    assert_eq!(model.async_mode().unwrap(), AsyncMode::Fallback);
    let x = Array1::from_elem(N, 3f32);
    let inputs = [Input::new("x", &x)];
    let futures: Vec<_> = (0..8).map(|_| model.run_async(&inputs)).collect();
    for out in join_all(futures) {
        let y = out.unwrap().array::<f32>("y").unwrap();
        assert!(y.iter().all(|&v| v == 4.0));
    }
}
