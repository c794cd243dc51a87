//! `neuronx`'s `Model::execute` in a loop versus a plain C loop over the linked `nrt_execute`, on
//! the same library, model and tensor sets (a no-op model, 64-byte input and output), interleaved
//! over rounds like `benches/execute_overhead.rs`. Run with `./run.sh` (it builds the drop-in
//! library and a NEURON_DIR for neuronx's build script).

use neuronx::{Placement, Runtime, TensorSet};
use std::ffi::{c_long, c_void};
use std::hint::black_box;
use std::time::Instant;

const ROUNDS: usize = 9;
const ITERS: usize = 200_000;
const WARMUP: usize = 20_000;
const IO_BYTES: usize = 64;

unsafe extern "C" {
    fn neuronx_compare_c_loop(
        model: *mut c_void,
        input: *const c_void,
        output: *mut c_void,
        iters: c_long,
    ) -> f64;
}

type BoxError = Box<dyn std::error::Error>;

fn main() -> Result<(), BoxError> {
    let neff = neuron_neff::ModelBuilder::noop("noop", IO_BYTES, IO_BYTES).build()?;
    let rt = Runtime::new()?;
    let model = rt.load(&neff, 0)?;
    let input = rt.allocate(Placement::Device, 0, IO_BYTES, "input")?;
    let output = rt.allocate(Placement::Device, 0, IO_BYTES, "output")?;
    let mut inputs = TensorSet::new()?;
    inputs.add("input", &input)?;
    let mut outputs = TensorSet::new()?;
    outputs.add("output", &output)?;

    let (m, i, o) = (
        model.as_ptr().cast::<c_void>(),
        inputs.as_ptr().cast_const().cast::<c_void>(),
        outputs.as_ptr().cast::<c_void>(),
    );
    let mut neuronx_loop = |n: usize| -> Result<f64, BoxError> {
        let t = Instant::now();
        for _ in 0..n {
            black_box(&model).execute(&inputs, &mut outputs)?;
        }
        Ok(t.elapsed().as_nanos() as f64 / n as f64)
    };
    let c_loop = |n: usize| -> Result<f64, BoxError> {
        // SAFETY: live model and sets of this runtime for the duration of the call; the neuronx
        // loop does not run at the same time.
        let ns = unsafe { neuronx_compare_c_loop(m, i, o, c_long::try_from(n)?) };
        if ns < 0.0 {
            return Err(format!("nrt_execute failed with status {}", -ns).into());
        }
        Ok(ns)
    };
    neuronx_loop(WARMUP)?;
    c_loop(WARMUP)?;
    let (mut nx, mut c) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            nx.push(neuronx_loop(ITERS)?);
            c.push(c_loop(ITERS)?);
        } else {
            c.push(c_loop(ITERS)?);
            nx.push(neuronx_loop(ITERS)?);
        }
        println!(
            "  round {round}: neuronx {:7.1} ns  C {:7.1} ns",
            nx[round], c[round]
        );
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[0])
    };
    let ((nx_med, nx_best), (c_med, c_best)) = (stats(&mut nx), stats(&mut c));
    println!();
    println!("| loop | median ns/call | best ns/call |");
    println!("|---|---:|---:|");
    println!("| neuronx `Model::execute` | {nx_med:.1} | {nx_best:.1} |");
    println!("| C loop (linked nrt_execute) | {c_med:.1} | {c_best:.1} |");
    println!();
    println!(
        "neuronx/C = {:.3} (median), {:.3} (best)",
        nx_med / c_med,
        nx_best / c_best
    );
    Ok(())
}
