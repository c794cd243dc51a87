//! Per-request overhead of the async API against a C loop over `nrta_*` (plain `Instant`
//! harness, `harness = false`).
//!
//! Run: `cargo bench --bench async_overhead`. A no-op model (64 B in and out, zero device time,
//! zero-time copies) so that only the software path is measured. One request = write the input,
//! execute, read the output, each step waited for before the next. Interleaved rounds, median
//! ns per request:
//!
//! * `C spin`:   `benches/c/nrta_loop.c`, waiting with `nrta_is_completed` in a loop;
//! * `C handle`: the same, waiting on `nrta_get_completion_handle` with `poll` (a reactor's
//!   system calls, on one thread);
//! * `submit`:   `AsyncBinding::submit` driven by `neuron_rt::block_on` (reactor thread, wakers);
//! * `run_async`: `Model::run_async` (pooled slot, owned outputs) under `block_on`;
//! * `pipeline 4`: `Pipeline` of depth 4, per request amortised.

use neuron_neff::ModelBuilder;
use neuron_rt::{Backend, Device, Input, block_on};
use std::ffi::{c_int, c_long, c_void};
use std::time::Instant;

const IO_BYTES: usize = 64;
const ROUNDS: usize = 5;
const ITERS: usize = 2_000;

type BoxError = Box<dyn std::error::Error>;

#[link(name = "neuron_rt_bench_nrta_loop", kind = "static")]
unsafe extern "C" {
    /// `benches/c/nrta_loop.c`: ns per request, or a negative status.
    fn nrt_bench_c_nrta_loop(
        neff: *const c_void,
        neff_len: usize,
        vnc: c_int,
        size: usize,
        iters: c_long,
        mode: c_int,
    ) -> f64;
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), BoxError> {
    let neff = ModelBuilder::noop("noop", IO_BYTES, IO_BYTES).build()?;
    let lock_dir =
        std::env::temp_dir().join(format!("neuron-rt-async-overhead-{}", std::process::id()));
    let device = Device::builder()
        .backend(Backend::emulator("inf2.xlarge"))
        .emulator_lock_dir(&lock_dir)
        .open()?;
    let model = device.core_group_of_size(1)?.load(&neff)?;
    let c_vnc: c_int = if model.group().cores().start() == 0 {
        1
    } else {
        0
    };
    let mut binding = model.async_binding()?;
    let mut pipeline = model.pipeline(4)?;
    let input = ndarray::Array1::from_elem(IO_BYTES, 1u8);
    let inputs = [Input::new("input", &input)];
    let mut out = [0u8; IO_BYTES];

    let c_loop = |mode: c_int, n: usize| -> Result<f64, BoxError> {
        // SAFETY: `neff` is a valid buffer of its length for the call; the C function loads and
        // frees its own model and tensors.
        let ns = unsafe {
            nrt_bench_c_nrta_loop(
                neff.as_ptr().cast(),
                neff.len(),
                c_vnc,
                IO_BYTES,
                c_long::try_from(n)?,
                mode,
            )
        };
        if ns < 0.0 {
            return Err(format!("C nrta loop failed with status {}", -ns).into());
        }
        Ok(ns)
    };
    let mut submit = |n: usize| -> Result<f64, BoxError> {
        let t = Instant::now();
        for _ in 0..n {
            binding.write_input_at(0, input.as_slice().unwrap_or(&[]))?;
            block_on(binding.submit())?;
            binding.read_output_at(0, &mut out)?;
        }
        Ok(t.elapsed().as_nanos() as f64 / n as f64)
    };
    let run_async = |n: usize| -> Result<f64, BoxError> {
        let t = Instant::now();
        for _ in 0..n {
            block_on(model.run_async(&inputs))?;
        }
        Ok(t.elapsed().as_nanos() as f64 / n as f64)
    };
    let mut pipelined = |n: usize| -> Result<f64, BoxError> {
        let t = Instant::now();
        let data = input.as_slice().unwrap_or(&[]);
        let mut sink = [0u8; IO_BYTES];
        block_on(pipeline.run(
            n,
            |_, b| b.write_input_at(0, data),
            |_, b| b.read_output_at(0, &mut sink),
        ))?;
        Ok(t.elapsed().as_nanos() as f64 / n as f64)
    };

    // warm-up
    c_loop(0, 200)?;
    c_loop(1, 200)?;
    submit(200)?;
    run_async(200)?;
    pipelined(200)?;

    let names = ["C spin", "C handle", "submit", "run_async", "pipeline 4"];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for round in 0..ROUNDS {
        for k in 0..names.len() {
            let method = (k + round) % names.len();
            let ns = match method {
                0 => c_loop(0, ITERS)?,
                1 => c_loop(1, ITERS)?,
                2 => submit(ITERS)?,
                3 => run_async(ITERS)?,
                _ => pipelined(ITERS)?,
            };
            samples[method].push(ns);
        }
    }
    let medians: Vec<f64> = samples.iter_mut().map(|s| median(s)).collect();
    println!("async request overhead ({ROUNDS} rounds x {ITERS} requests, median ns/request):");
    for (name, ns) in names.iter().zip(&medians) {
        println!(
            "  {name:<11} {ns:>9.0} ns   {:.2} x C handle   {:.2} x C spin",
            ns / medians[1],
            ns / medians[0]
        );
    }
    Ok(())
}
