//! Stress: one `Model` shared by 16 threads, each with its own `IoBinding`, running many
//! executions on the emulator; every output is compared element-wise (bit for bit) with a
//! single-threaded reference computed first, which is itself checked against the pure-Rust
//! interpreter (`neuron_neff::Program::evaluate`).
//!
//! CI runs it at a small size. Scale it up for a long run (executions per thread × SCALE):
//!
//! ```text
//! NEURON_RT_STRESS_SCALE=50 cargo test --release --test stress_shared_model -- --nocapture
//! ```

mod common;

use common::Rng;
use neuron_neff::{ModelBuilder, Neff};
use neuron_rt::{Backend, Device};
use std::time::Duration;

const THREADS: usize = 16;
/// Executions per thread at scale 1.
const EXECUTIONS_PER_THREAD: usize = 400;
/// Distinct inputs; thread t runs input (t * 7 + i) % INPUTS at step i, so at any moment the
/// threads run different inputs and a mixed-up output buffer shows.
const INPUTS: usize = 37;
const LAYERS: [usize; 4] = [16, 48, 24, 10];
const BATCH: usize = 4;

/// `NEURON_RT_STRESS_SCALE` (default 1): multiplies the work of the stress tests.
fn scale() -> usize {
    match std::env::var("NEURON_RT_STRESS_SCALE") {
        Ok(v) => v
            .parse::<usize>()
            .ok()
            .filter(|&s| s > 0)
            .unwrap_or_else(|| panic!("NEURON_RT_STRESS_SCALE={v:?}: expected a positive integer")),
        Err(_) => 1,
    }
}

fn input(k: usize) -> Vec<f32> {
    let mut r = Rng::new(1000 + k as u64);
    (0..BATCH * LAYERS[0]).map(|_| r.next_f32() * 3.0).collect()
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn sixteen_threads_share_one_model() {
    let lock_dir =
        std::env::temp_dir().join(format!("neuron-rt-stress-model-{}", std::process::id()));
    std::fs::create_dir_all(&lock_dir).unwrap();
    let device = Device::builder()
        .backend(Backend::emulator("inf2.xlarge"))
        .emulator_lock_dir(&lock_dir)
        .open()
        .unwrap();
    // A small simulated device time makes executions overlap inside the emulator's queue.
    let neff = ModelBuilder::mlp("stress", &LAYERS, BATCH, 5)
        .device_time(Duration::from_micros(20))
        .build()
        .unwrap();
    let program = Neff::parse(&neff).unwrap().program().unwrap().unwrap();
    let model = device.core_group_of_size(1).unwrap().load(&neff).unwrap();
    let out_len = BATCH * LAYERS[LAYERS.len() - 1];

    // Single-threaded reference, one binding, before any concurrency.
    let inputs: Vec<Vec<f32>> = (0..INPUTS).map(input).collect();
    let mut reference = Vec::with_capacity(INPUTS);
    let mut binding = model.binding().unwrap();
    for (k, x) in inputs.iter().enumerate() {
        binding.write_input("input", x).unwrap();
        binding.execute().unwrap();
        let mut out = vec![0f32; out_len];
        binding.read_output("probs", &mut out).unwrap();
        let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
        let expected = f32s(&program.evaluate(&[&bytes]).unwrap()[0]);
        assert_eq!(
            out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            expected.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "input {k}: the emulator and Program::evaluate disagree"
        );
        reference.push(out);
    }
    drop(binding);

    let executions = EXECUTIONS_PER_THREAD * scale();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (model, inputs, reference) = (&model, &inputs, &reference);
                s.spawn(move || {
                    let mut binding = model.binding().unwrap();
                    let mut out = vec![0f32; out_len];
                    for i in 0..executions {
                        let k = (t * 7 + i) % INPUTS;
                        binding.write_input("input", &inputs[k]).unwrap();
                        binding.execute().unwrap();
                        out.fill(f32::NAN);
                        binding.read_output("probs", &mut out).unwrap();
                        for (e, (got, want)) in out.iter().zip(&reference[k]).enumerate() {
                            assert!(
                                got.to_bits() == want.to_bits(),
                                "thread {t}, execution {i}, input {k}, element {e}: got {got}, \
                                 expected {want} (single-threaded reference)"
                            );
                        }
                    }
                    executions
                })
            })
            .collect();
        let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, THREADS * executions);
    });
    drop(model);
    device.close().unwrap();
    let _ = std::fs::remove_dir_all(&lock_dir);
}
