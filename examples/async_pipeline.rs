//! Async pipeline: keep k requests in flight so that the host↔device copies of one request
//! overlap the compute of another, and compare the throughput with a blocking loop and with the
//! overlap limit `1 / max(device time, copy time)`.
//!
//! ```text
//! cargo run --release --example async_pipeline
//! ```
//!
//! On the emulator the model is a no-op with 2 ms of device time and 256 KiB in and out, and the
//! emulated host bandwidth (`NEURON_RT_EMULATOR_HOST_BANDWIDTH`) makes each copy take 1 ms.

use neuron_neff::ModelBuilder;
use neuron_rt::{Backend, Device, block_on};
use std::time::{Duration, Instant};

const DEVICE_TIME: Duration = Duration::from_millis(2);
const BYTES: usize = 256 * 1024;
const BANDWIDTH: f64 = 256.0 * 1024.0 * 1024.0; // bytes per second
const REQUESTS: usize = 100;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = if neuron_rt_sys::neuron_device_nodes().is_empty() {
        // Read by the emulator when the device opens.
        // SAFETY: no other thread exists yet.
        unsafe {
            std::env::set_var("NEURON_RT_EMULATOR_HOST_BANDWIDTH", BANDWIDTH.to_string());
        }
        Backend::emulator("inf2.xlarge")
    } else {
        Backend::Auto
    };
    let device = Device::builder().backend(backend).open()?;
    let neff = ModelBuilder::noop("io-model", BYTES, BYTES)
        .device_time(DEVICE_TIME)
        .build()?;
    let model = device.core_group_of_size(1)?.load(&neff)?;
    let copy = BYTES as f64 / BANDWIDTH;
    let limit = 1.0 / DEVICE_TIME.as_secs_f64().max(copy);
    println!(
        "model: {:.1} ms device time, {} KiB in and out ({:.1} ms per copy); async mode {:?}",
        DEVICE_TIME.as_secs_f64() * 1e3,
        BYTES / 1024,
        copy * 1e3,
        model.async_mode()?
    );
    println!("overlap limit 1/max(D, copy) = {limit:.0} requests/s");

    let input = vec![7u8; BYTES];
    let mut output = vec![0u8; BYTES];

    // Blocking loop: write, execute, read, one after the other.
    let mut binding = model.binding()?;
    let t0 = Instant::now();
    for _ in 0..REQUESTS {
        binding.write_input_at(0, &input)?;
        binding.execute()?;
        binding.read_output_at(0, &mut output)?;
    }
    let rate = REQUESTS as f64 / t0.elapsed().as_secs_f64();
    println!(
        "blocking loop      {rate:>6.0} requests/s  ({:.2} of the limit)",
        rate / limit
    );
    drop(binding);

    // Async pipeline of depth k: while request i computes, request i+1's input is written and
    // request i-1's output read.
    for depth in [1, 2, 4] {
        let mut pipeline = model.pipeline(depth)?;
        let t0 = Instant::now();
        block_on(pipeline.run(
            REQUESTS,
            |_, b| b.write_input_at(0, &input),
            |_, b| b.read_output_at(0, &mut output),
        ))?;
        let rate = REQUESTS as f64 / t0.elapsed().as_secs_f64();
        println!(
            "pipeline depth {depth}   {rate:>6.0} requests/s  ({:.2} of the limit)",
            rate / limit
        );
    }
    Ok(())
}
