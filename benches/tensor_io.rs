//! Host↔device copy throughput of `IoBinding::write_input_at` / `read_output_at` against a plain
//! `copy_from_slice` of the same size (plain `Instant` harness, `harness = false`).
//!
//! Run: `cargo bench --bench tensor_io`. For each size, an identity model `y = x` (one FLOAT32
//! input, one FLOAT32 output of that size) is loaded on the built-in emulator; write, read and
//! memcpy are interleaved over `ROUNDS` rounds (order rotated each round), each measurement
//! repeating the copy until about `BYTES_PER_SAMPLE` bytes have moved. Reports median GB/s
//! (10^9 bytes/s) and the ratio to memcpy, with PASS/FAIL against the target ≥ 0.9 × memcpy for
//! sizes ≥ 1 MiB.

use std::hint::black_box;
use std::time::Instant;

use neuron_neff::{DType, ModelBuilder};
use neuron_rt::{Backend, Device};

const SIZES: [(usize, &str); 5] = [
    (4 << 10, "4 KiB"),
    (64 << 10, "64 KiB"),
    (1 << 20, "1 MiB"),
    (16 << 20, "16 MiB"),
    (64 << 20, "64 MiB"),
];
const ROUNDS: usize = 9;
const BYTES_PER_SAMPLE: usize = 512 << 20;
const TARGET_RATIO: f64 = 0.9;
const TARGET_FROM: usize = 1 << 20;

type BoxError = Box<dyn std::error::Error>;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// GB/s of `reps` runs of `f`, each moving `bytes` bytes.
fn gbps(
    bytes: usize,
    reps: usize,
    mut f: impl FnMut() -> Result<(), BoxError>,
) -> Result<f64, BoxError> {
    let t = Instant::now();
    for _ in 0..reps {
        f()?;
    }
    Ok((bytes * reps) as f64 / t.elapsed().as_nanos() as f64)
}

struct Row {
    label: &'static str,
    bytes: usize,
    write: f64,
    read: f64,
    memcpy: f64,
}

fn main() -> Result<(), BoxError> {
    let lock_dir = std::env::temp_dir().join(format!("neuron-rt-bench-io-{}", std::process::id()));
    std::fs::create_dir_all(&lock_dir)?;
    let device = Device::builder()
        .backend(Backend::emulator("inf2.xlarge"))
        .emulator_lock_dir(&lock_dir)
        .open()?;

    println!(
        "tensor_io: identity f32 model on emulator inf2.xlarge; {ROUNDS} rounds, ~{} MiB per sample; GB/s = 1e9 B/s",
        BYTES_PER_SAMPLE >> 20
    );
    let mut rows = Vec::new();
    for (bytes, label) in SIZES {
        let n = bytes / 4;
        let neff = ModelBuilder::new(format!("identity_{n}"))
            .input("x", DType::Float32, &[n])
            .identity("y", "x", &[n])
            .output("y")
            .build()?;
        let model = device.core_group_of_size(1)?.load(&neff)?;
        let mut binding = model.binding()?;
        let (xi, yi) = (binding.input_index("x")?, binding.output_index("y")?);

        let src: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let mut dst = vec![0f32; n];
        let mut host = vec![0f32; n];
        // Check the data path once: write, execute, read back the same values.
        binding.write_input_at(xi, &src)?;
        binding.execute()?;
        binding.read_output_at(yi, &mut dst)?;
        if dst != src {
            return Err(format!("{label}: identity output differs from its input").into());
        }

        let reps = (BYTES_PER_SAMPLE / bytes).max(1);
        let write = |binding: &mut neuron_rt::IoBinding<'_, '_>| {
            gbps(bytes, reps, || {
                Ok(binding.write_input_at(xi, black_box(&src))?)
            })
        };
        let read = |binding: &mut neuron_rt::IoBinding<'_, '_>, dst: &mut [f32]| {
            gbps(bytes, reps, || {
                binding.read_output_at(yi, black_box(&mut *dst))?;
                Ok(())
            })
        };
        let memcpy = |host: &mut [f32]| {
            gbps(bytes, reps, || {
                black_box(&mut *host).copy_from_slice(black_box(&src));
                Ok(())
            })
        };
        // Warm-up: touch every page of every buffer.
        write(&mut binding)?;
        read(&mut binding, &mut dst)?;
        memcpy(&mut host)?;

        let (mut w, mut r, mut m) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            for k in 0..3 {
                match (round + k) % 3 {
                    0 => w.push(write(&mut binding)?),
                    1 => r.push(read(&mut binding, &mut dst)?),
                    _ => m.push(memcpy(&mut host)?),
                }
            }
        }
        let row = Row {
            label,
            bytes,
            write: median(&mut w),
            read: median(&mut r),
            memcpy: median(&mut m),
        };
        println!(
            "  {label:>7}: write {:6.2}  read {:6.2}  memcpy {:6.2} GB/s  (write spread {:.2}-{:.2}, read {:.2}-{:.2}, memcpy {:.2}-{:.2})",
            row.write,
            row.read,
            row.memcpy,
            w[0],
            w[ROUNDS - 1],
            r[0],
            r[ROUNDS - 1],
            m[0],
            m[ROUNDS - 1]
        );
        rows.push(row);
        drop(binding);
        drop(model);
    }

    println!();
    println!(
        "| size | write GB/s | read GB/s | memcpy GB/s | write/memcpy | read/memcpy | target ≥ {TARGET_RATIO} |"
    );
    println!(
        "|-----:|-----------:|----------:|------------:|-------------:|------------:|:------|"
    );
    let mut all_pass = true;
    for row in &rows {
        let (wr, rr) = (row.write / row.memcpy, row.read / row.memcpy);
        let verdict = if row.bytes < TARGET_FROM {
            "n/a (< 1 MiB)"
        } else if wr >= TARGET_RATIO && rr >= TARGET_RATIO {
            "PASS"
        } else {
            all_pass = false;
            "FAIL"
        };
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {wr:.3} | {rr:.3} | {verdict} |",
            row.label, row.write, row.read, row.memcpy
        );
    }
    println!();
    println!(
        "target write and read >= {TARGET_RATIO} x memcpy from 1 MiB up: {}",
        if all_pass { "PASS" } else { "FAIL" }
    );

    drop(device);
    let _ = std::fs::remove_dir_all(&lock_dir);
    Ok(())
}
