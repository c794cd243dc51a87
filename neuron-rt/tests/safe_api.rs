//! The safe API on the emulator: every error path with its message, core groups, loading,
//! run vs binding vs a reference MLP, concurrency and pipelined timing.
//!
//! The runtime is one per process: every test holds `LOCK` and closes its device before
//! releasing it.

use ndarray::{Array2, ArrayD};
use neuron_neff::ModelBuilder;
use neuron_rt::ncg_planner::{ModelSpec, PlanRequest, Topology};
use neuron_rt::{Backend, CoreRange, Device, Error, Input, LoadOptions};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn lock_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("neuron-rt-safe-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn open(instance: &str) -> Device {
    Device::builder()
        .backend(Backend::emulator(instance))
        .emulator_lock_dir(lock_dir())
        .open()
        .unwrap()
}

fn range(start: u32, count: u32) -> CoreRange {
    CoreRange::new(start, count).unwrap()
}

fn mlp(name: &str, seed: u64) -> Vec<u8> {
    ModelBuilder::mlp(name, &[4, 8, 3], 2, seed)
        .build()
        .unwrap()
}

/// The generator `ModelBuilder::mlp` documents for its weights (xorshift64, shifts 13/7/17, seed 0
/// replaced by 0x9E3779B97F4A7C15; floats from the top 24 bits in [-1, 1)), restated here so the
/// test checks the documented algorithm rather than reusing the library's code.
struct XorShift64(u64);

impl XorShift64 {
    fn new(seed: u64) -> Self {
        XorShift64(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
    }
}

/// The MLP `ModelBuilder::mlp` describes, computed in Rust from the same generator.
fn reference_mlp(layers: &[usize], seed: u64, x: &Array2<f32>) -> Array2<f32> {
    let mut rng = XorShift64::new(seed);
    let mut a = x.clone();
    let last = layers.len() - 1;
    for l in 1..=last {
        let (fan_in, fan_out) = (layers[l - 1], layers[l]);
        let scale = 1.0 / (fan_in as f32).sqrt();
        let w: Vec<f32> = (0..fan_in * fan_out)
            .map(|_| rng.next_f32() * scale)
            .collect();
        let b: Vec<f32> = (0..fan_out).map(|_| rng.next_f32() * 0.1).collect();
        let w = Array2::from_shape_vec((fan_in, fan_out), w).unwrap();
        let mut z = a.dot(&w);
        for mut row in z.rows_mut() {
            for (v, bias) in row.iter_mut().zip(&b) {
                *v += bias;
            }
        }
        if l < last {
            z.mapv_inplace(|v| v.max(0.0));
        } else {
            for mut row in z.rows_mut() {
                let m = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                row.mapv_inplace(|v| (v - m).exp());
                let s: f32 = row.sum();
                row.mapv_inplace(|v| v / s);
            }
        }
        a = z;
    }
    a
}

fn assert_close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
    }
}

#[test]
fn group_errors_name_the_ranges() {
    let _g = lock();
    let device = open("inf2.24xlarge"); // 12 cores, 2 per chip
    let a = device.core_group(range(0, 2)).unwrap();
    let err = device.core_group(range(1, 2)).unwrap_err();
    assert!(
        matches!(err, Error::GroupOverlap { requested, existing } if requested == range(1, 2) && existing == range(0, 2))
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&range(1, 2).to_string()) && msg.contains(&range(0, 2).to_string()),
        "{msg}"
    );

    let err = device.core_group(range(11, 2)).unwrap_err();
    assert!(
        matches!(err, Error::GroupOutOfRange { visible: 12, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("0-11"), "{err}");

    let err = device.core_group_of_size(13).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NoFreeCores {
                size: 13,
                visible: 12,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&range(2, 10).to_string()),
        "free blocks listed: {err}"
    );
    assert!(matches!(
        device.core_group_of_size(0),
        Err(Error::InvalidSetting { .. })
    ));

    // A dropped group frees its cores.
    drop(a);
    let again = device.core_group(range(1, 2)).unwrap();
    assert_eq!(again.cores(), range(1, 2));
    drop(again);
    assert_eq!(device.free_core_blocks(), vec![range(0, 12)]);
    device.close().unwrap();
}

#[test]
fn busy_core_ranges_are_global_and_cover_other_processes_and_claims() {
    let _g = lock();
    // trn1.32xlarge has 32 cores; this process sees global cores 8..24.
    let device = Device::builder()
        .backend(Backend::emulator("trn1.32xlarge"))
        .emulator_lock_dir(lock_dir())
        .visible_cores(range(8, 16))
        .open()
        .unwrap();
    assert_eq!(device.busy_core_ranges(), vec![range(0, 8), range(24, 8)]);
    // Local cores 0..2 and 4..8 (global 8..10, 12..16) claimed: merged with the outside.
    let a = device.core_group(range(0, 2)).unwrap();
    let b = device.core_group(range(4, 4)).unwrap();
    assert_eq!(
        device.busy_core_ranges(),
        vec![range(0, 10), range(12, 4), range(24, 8)]
    );
    drop((a, b));
    assert_eq!(device.busy_core_ranges(), vec![range(0, 8), range(24, 8)]);
    device.close().unwrap();
}

#[test]
fn core_group_of_size_prefers_one_chip() {
    let _g = lock();
    let device = open("inf2.24xlarge");
    let one = device.core_group_of_size(1).unwrap();
    assert_eq!(one.cores(), range(0, 1));
    let two = device.core_group_of_size(2).unwrap();
    assert_eq!(two.cores(), range(2, 2), "must not straddle chips 0 and 1");
    let one_more = device.core_group_of_size(1).unwrap();
    assert_eq!(one_more.cores(), range(1, 1), "a single core fills the gap");
    assert_eq!(device.free_core_blocks(), vec![range(4, 8)]);
    drop((one, two, one_more));
    device.close().unwrap();
}

#[test]
fn model_core_count_checks() {
    let _g = lock();
    let device = open("inf2.24xlarge");
    let two_core = ModelBuilder::mlp("wide", &[4, 8, 3], 2, 1)
        .cores(2)
        .build()
        .unwrap();
    let err = device
        .core_group(range(0, 1))
        .unwrap()
        .load(&two_core)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ModelNeedsMoreCores {
                model_cores: 2,
                group_cores: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("wide") && msg.contains("2 NeuronCore") && msg.contains("has 1"),
        "{msg}"
    );
    assert!(msg.contains("create a group of 2"), "{msg}");

    // try_load_with gives the group back.
    let group = device.core_group(range(0, 2)).unwrap();
    let neuron_rt::LoadFailed { error, group } = group
        .try_load_with(&mlp("small", 1), &LoadOptions::default())
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::GroupLargerThanModel {
                model_cores: 1,
                group_cores: 2,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("allow_idle_cores"), "{error}");
    assert!(
        error.to_string().contains("1 core(s) would sit idle"),
        "{error}"
    );
    assert_eq!(group.cores(), range(0, 2));
    assert!(
        device.core_group(range(0, 1)).is_err(),
        "the returned group still holds its cores"
    );
    let model = group
        .load_with(
            &mlp("small", 1),
            &LoadOptions::default().allow_idle_cores(true),
        )
        .unwrap();
    assert_eq!((model.model_cores(), model.idle_cores()), (1, 1));

    // unload returns the group; its cores can be reused.
    let group = model.unload().unwrap();
    assert_eq!(group.cores(), range(0, 2));
    let model = group.load(&two_core).unwrap();
    assert_eq!(model.idle_cores(), 0);
    drop(model);
    assert_eq!(
        device.free_core_blocks(),
        vec![range(0, 12)],
        "a dropped model frees its group"
    );

    // A failed load via load() drops the group.
    let err = device
        .core_group(range(0, 1))
        .unwrap()
        .load(b"not a neff")
        .unwrap_err();
    assert!(matches!(err, Error::Neff { .. }), "{err:?}");
    assert!(err.to_string().contains("invalid NEFF"), "{err}");
    // The cause is returned by source(), not repeated in Display (anyhow would print it twice).
    let cause = std::error::Error::source(&err).expect("the NEFF error is the source");
    assert!(
        !err.to_string().contains(&cause.to_string()),
        "{err} repeats {cause}"
    );
    assert_eq!(device.free_core_blocks(), vec![range(0, 12)]);
    device.close().unwrap();
}

#[test]
fn tensor_errors_on_run_and_binding() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&mlp("m", 3))
        .unwrap();
    let x = Array2::<f32>::ones((2, 4));

    let err = model.run(&[]).unwrap_err();
    assert!(
        matches!(&err, Error::MissingInput { name, .. } if name == "input"),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"input\" was not given"), "{err}");

    // The same input twice is its own error, not a shape problem.
    let err = model
        .run(&[Input::new("input", &x), Input::new("input", &x)])
        .unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateInput { name, times: 2, .. } if name == "input"),
        "{err:?}"
    );
    assert!(err.to_string().contains("given 2 times"), "{err}");

    // Names in messages are quoted: a NUL (or newline) inside one is visible, not printed raw.
    let err = model.run(&[Input::new("in\0put\n", &x)]).unwrap_err();
    assert!(matches!(&err, Error::UnknownTensor { .. }), "{err:?}");
    assert!(err.to_string().contains(r#"named "in\0put\n""#), "{err}");
    assert!(!err.to_string().contains('\0'), "{err}");

    let err = model
        .run(&[Input::new("input", &x), Input::new("nope", &x)])
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownTensor { name, kind: "input", .. } if name == "nope"),
        "{err:?}"
    );
    assert!(err.to_string().contains("its inputs are: input"), "{err}");

    let xi = Array2::<i32>::ones((2, 4));
    let err = model.run(&[Input::new("input", &xi)]).unwrap_err();
    assert!(matches!(err, Error::DTypeMismatch { .. }), "{err:?}");

    let wrong = Array2::<f32>::ones((4, 2));
    let err = model.run(&[Input::new("input", &wrong)]).unwrap_err();
    assert!(
        matches!(&err, Error::ShapeMismatch { tensor, .. } if tensor == "input"),
        "{err:?}"
    );

    let out = model.run(&[Input::new("input", &x)]).unwrap();
    assert!(matches!(
        out.array::<f32>("nope"),
        Err(Error::UnknownTensor { kind: "output", .. })
    ));
    assert!(matches!(
        out.array::<i32>("probs"),
        Err(Error::DTypeMismatch { .. })
    ));

    let mut b = model.binding().unwrap();
    assert!(matches!(
        b.write_input("nope", &[0f32; 8]),
        Err(Error::UnknownTensor { .. })
    ));
    assert!(matches!(
        b.write_input("input", &[0i32; 8]),
        Err(Error::DTypeMismatch { .. })
    ));
    let err = b.write_input("input", &[0f32; 7]).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err:?}");
    let mut small = [0f32; 5];
    assert!(matches!(
        b.read_output("probs", &mut small),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        b.output_index("input"),
        Err(Error::UnknownTensor { kind: "output", .. })
    ));
    assert!(b.input_index("input").is_ok());
    drop(b);
    drop(model);
    device.close().unwrap();
}

#[test]
fn run_binding_and_reference_agree() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let seed = 42;
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&mlp("ref", seed))
        .unwrap();
    assert_eq!(model.name(), "ref");
    assert_eq!(model.inputs()[0].shape, vec![2, 4]);
    assert_eq!(model.outputs()[0].name, "probs");
    let x =
        Array2::from_shape_vec((2, 4), vec![0.5, -1.0, 2.0, 0.25, -0.75, 1.5, 0.0, 3.0]).unwrap();
    let via_run: ArrayD<f32> = model
        .run(&[Input::new("input", &x)])
        .unwrap()
        .array("probs")
        .unwrap();
    assert_eq!(via_run.shape(), &[2, 3]);

    let mut b = model.binding().unwrap();
    b.write_input_array("input", &x).unwrap();
    b.execute().unwrap();
    let mut via_binding = [0f32; 6];
    b.read_output("probs", &mut via_binding).unwrap();
    assert_eq!(
        via_run.as_slice().unwrap(),
        &via_binding,
        "run and binding are bit-identical"
    );
    // The byte-level calls (a server's path): same result, only the byte size checked.
    let x_bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    b.write_input_bytes(0, &x_bytes).unwrap();
    b.execute().unwrap();
    let mut out_bytes = [0u8; 24];
    b.read_output_bytes(0, &mut out_bytes).unwrap();
    let via_bytes: Vec<f32> = out_bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(via_bytes, via_binding);
    let short = b
        .write_input_bytes(0, &x_bytes[1..])
        .unwrap_err()
        .to_string();
    assert!(
        short.contains("32 bytes") && short.contains("input"),
        "{short}"
    );
    assert!(b.read_output_bytes(0, &mut [0u8; 25]).is_err());
    assert!(b.write_input_bytes(7, &x_bytes).is_err(), "no input #7");

    let reference = reference_mlp(&[4, 8, 3], seed, &x);
    assert_close(via_run.as_slice().unwrap(), reference.as_slice().unwrap());
    // Different seeds give different weights (the comparison is not vacuous).
    assert!(
        (reference_mlp(&[4, 8, 3], seed + 1, &x) - &reference)
            .iter()
            .any(|d| d.abs() > 1e-4)
    );
    drop(b);
    drop(model);
    device.close().unwrap();
}

#[test]
fn device_lifecycle_errors() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let err = Device::builder()
        .backend(Backend::emulator("inf2.24xlarge"))
        .emulator_lock_dir(lock_dir())
        .open()
        .err()
        .unwrap();
    assert!(matches!(err, Error::DeviceAlreadyOpen { .. }), "{err:?}");
    assert!(err.to_string().contains("inf2.24xlarge"), "{err}");
    // A one-line summary of both settings, not Debug structs.
    let Error::DeviceAlreadyOpen {
        existing,
        requested,
    } = &err
    else {
        unreachable!()
    };
    assert!(
        existing.starts_with("emulator inf2.xlarge, lock dir "),
        "{existing}"
    );
    assert!(
        requested.starts_with("emulator inf2.24xlarge, lock dir "),
        "{requested}"
    );
    assert!(
        !err.to_string().contains('{') && !err.to_string().contains('\n'),
        "{err}"
    );
    // The same (or default) settings share the open device.
    let same = open("inf2.xlarge");
    let group = same.core_group_of_size(1).unwrap();
    // Handles: `device`, `same` and the clone being closed (groups borrow a handle).
    let err = device.clone().close().unwrap_err();
    assert!(matches!(err, Error::DeviceInUse { others: 2 }), "{err:?}");
    assert!(err.to_string().contains("2 other clone(s)"), "{err}");
    drop(group);
    drop(same);
    device.close().unwrap();
    // After close, a device with other settings opens.
    let other = open("inf2.24xlarge");
    assert_eq!(other.total_cores(), 12);
    other.close().unwrap();
}

#[test]
fn bogus_backend_env_is_invalid_setting() {
    let _g = lock();
    // SAFETY: every test of this binary that opens a device holds LOCK, and no other thread
    // reads the environment while it is held.
    // SAFETY: every test of this binary that opens a device holds LOCK, and no other thread
    unsafe { std::env::set_var(neuron_rt::BACKEND_ENV, "bogus") };
    let result = Device::builder().emulator_lock_dir(lock_dir()).open();
    // SAFETY: as above.
    unsafe { std::env::remove_var(neuron_rt::BACKEND_ENV) };
    let err = result.err().unwrap();
    assert!(
        matches!(&err, Error::InvalidSetting { what: "NEURON_RT_BACKEND", given, .. } if given == "bogus"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("\"emulator\" or \"hardware\""),
        "{err}"
    );
}

#[test]
fn core_groups_for_plan_in_process() {
    let _g = lock();
    let device = open("inf2.24xlarge");
    let topology = Topology::preset("inf2.24xlarge").unwrap();
    let plan = PlanRequest::new(topology)
        .model(ModelSpec::new("m", 2, 3))
        .solve()
        .unwrap();
    assert_eq!(plan.workers().len(), 3);
    let groups = device.core_groups_for_plan(&plan).unwrap();
    assert_eq!(groups.len(), 3);
    for (g, w) in groups.iter().zip(plan.workers()) {
        assert_eq!(g.cores(), w.cores);
        assert_eq!(g.len(), 2);
    }
    // Claiming the same plan again overlaps, and claims nothing.
    let before = device.free_core_blocks();
    assert!(matches!(
        device.core_groups_for_plan(&plan),
        Err(Error::GroupOverlap { .. })
    ));
    assert_eq!(device.free_core_blocks(), before);
    let models: Vec<_> = groups
        .into_iter()
        .map(|g| {
            g.load(
                &ModelBuilder::mlp("m", &[4, 8, 3], 2, 5)
                    .cores(2)
                    .build()
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    let x = Array2::<f32>::ones((2, 4));
    let first: ArrayD<f32> = models[0]
        .run(&[Input::new("input", &x)])
        .unwrap()
        .array("probs")
        .unwrap();
    for m in &models[1..] {
        assert_eq!(
            m.run(&[Input::new("input", &x)])
                .unwrap()
                .array::<f32>("probs")
                .unwrap(),
            first
        );
    }
    drop(models);
    device.close().unwrap();
}

#[test]
fn eight_threads_one_model() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let seed = 9;
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&mlp("shared", seed))
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..8 {
            let model = &model;
            s.spawn(move || {
                let mut b = model.binding().unwrap();
                for i in 0..20 {
                    let v = (t * 100 + i) as f32 / 50.0;
                    let x = Array2::from_shape_fn((2, 4), |(r, c)| v + r as f32 - c as f32 * 0.3);
                    b.write_input_array("input", &x).unwrap();
                    b.execute().unwrap();
                    let mut out = [0f32; 6];
                    b.read_output("probs", &mut out).unwrap();
                    assert_close(
                        &out,
                        reference_mlp(&[4, 8, 3], seed, &x).as_slice().unwrap(),
                    );
                }
            });
        }
    });
    drop(model);
    device.close().unwrap();
}

#[test]
fn two_core_model_serves_concurrent_callers_no_faster_than_the_device() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let t = Duration::from_millis(25);
    let neff = ModelBuilder::mlp("pipe", &[4, 8, 3], 2, 1)
        .cores(2)
        .device_time(t)
        .build()
        .unwrap();
    let model = device.core_group(range(0, 2)).unwrap().load(&neff).unwrap();
    let (callers, n) = (8u32, 2u32);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..callers {
            let model = &model;
            s.spawn(move || {
                let mut b = model.binding().unwrap();
                b.write_input("input", &[0.1f32; 8]).unwrap();
                for _ in 0..n {
                    b.execute().unwrap();
                }
            });
        }
    });
    // A lower bound only (the device time is waited, never shortened): 16 executions of two
    // 12.5 ms stages need at least 17 stages. Pipelining itself is shown by the schedule in
    // two_core_model_pipelines_by_the_schedule, never by a stopwatch.
    let elapsed = start.elapsed();
    let pipelined = t * (callers * n + 1) / 2;
    assert!(
        elapsed >= pipelined,
        "faster than the device allows: {elapsed:?} (at least {pipelined:?})"
    );
    drop(model);
    device.close().unwrap();
}

/// Set in the child process of `two_core_model_pipelines_by_the_schedule`.
const PIPELINE_CHILD: &str = "NEURON_RT_SAFE_API_PIPELINE_CHILD";

/// Concurrent callers of a two-core model are pipelined across its cores, shown by the emulator's
/// schedule rather than by wall-clock time: the model takes 200 ms as two 100 ms stages and the
/// execution timeout (`NEURON_RT_EXEC_TIMEOUT`, read at load, so set in a child process) is
/// 350 ms. Whatever the arrival times, the first execution scheduled completes 200 ms and the
/// second at most 300 ms after it arrives (its first stage overlaps the first's second stage), so
/// at least two of four concurrent callers succeed; the rest may time out. Serialised callers
/// (no pipelining, in the SDK or the emulator) would leave one success whenever the callers
/// arrive within 50 ms of each other.
#[test]
fn two_core_model_pipelines_by_the_schedule() {
    if std::env::var_os(PIPELINE_CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "two_core_model_pipelines_by_the_schedule",
                "--nocapture",
            ])
            .env(PIPELINE_CHILD, "1")
            .env("NEURON_RT_EXEC_TIMEOUT", "0.35")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("pipelined callers:"),
            "child failed: {}\n{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let device = open("inf2.xlarge");
    let neff = ModelBuilder::mlp("pipe", &[4, 8, 3], 2, 1)
        .cores(2)
        .device_time(Duration::from_millis(200))
        .build()
        .unwrap();
    let model = device.core_group(range(0, 2)).unwrap().load(&neff).unwrap();
    let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let model = &model;
                s.spawn(move || {
                    let mut b = model.binding().unwrap();
                    b.write_input("input", &[0.1f32; 8]).unwrap();
                    b.execute()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    for r in &results {
        match r {
            Ok(()) => {}
            Err(Error::Runtime { status, .. }) if status.name() == Some("NRT_TIMEOUT") => {}
            Err(e) => panic!("neither success nor a timeout: {e}"),
        }
    }
    println!("pipelined callers: {ok} of 4 within the timeout");
    assert!(
        ok >= 2,
        "only {ok} of 4 callers completed within the timeout"
    );
    drop(model);
    device.close().unwrap();
}
