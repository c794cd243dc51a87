//! Writes NEFFs plus input and expected-output vectors for the Rust/C cross-check.
//!
//! ```text
//! cargo run -p neuron-neff --example cross_check_vectors -- OUT_DIR
//! ```
//!
//! For each case NAME it writes `NAME.neff` (built with `ModelBuilder`), `NAME.in.bin` (the
//! inputs, concatenated in io order) and `NAME.expected.bin` (the outputs computed by
//! `Program::evaluate`, concatenated in io order). The emulator's C test
//! (`neuron-rt-sys/emulator/tests/run_program_test.sh`) loads each NEFF with the C tar reader and
//! program parser, runs it on the inputs and compares.

use std::path::Path;

use neuron_neff::{DType, ModelBuilder, Neff};

/// The generator `ModelBuilder::mlp` documents for its weights (xorshift64, shifts 13/7/17, seed 0
/// replaced by 0x9E3779B97F4A7C15; floats from the top 24 bits in [-1, 1)), restated here so the
/// test checks the documented algorithm rather than reusing the library's code.
pub struct XorShift64(u64);

impl XorShift64 {
    pub fn new(seed: u64) -> Self {
        XorShift64(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
    }
}

/// One cross-check case: a name and a builder.
pub fn cases() -> Vec<(&'static str, ModelBuilder)> {
    let f = |n: usize, seed: u64| -> Vec<f32> {
        let mut r = XorShift64::new(seed);
        (0..n).map(|_| r.next_f32()).collect()
    };
    vec![
        ("mlp_4_16_3", ModelBuilder::mlp("mlp", &[4, 16, 3], 8, 1)),
        (
            "mlp_deep_2cores",
            ModelBuilder::mlp("deep", &[8, 32, 16, 4], 2, 7)
                .cores(2)
                .device_time(std::time::Duration::from_micros(100)),
        ),
        ("noop", ModelBuilder::noop("noop", 64, 32)),
        (
            "add_row_broadcast",
            ModelBuilder::new("add")
                .input("a", DType::Float32, &[2, 3])
                .input("b", DType::Float32, &[3])
                .add("c", "a", "b")
                .output("c"),
        ),
        (
            "add_outer_broadcast",
            ModelBuilder::new("add2")
                .input("a", DType::Float32, &[2, 1])
                .input("b", DType::Float32, &[1, 3])
                .add("c", "a", "b")
                .output("c"),
        ),
        (
            "mul_3d_broadcast",
            ModelBuilder::new("mul")
                .input("a", DType::Float32, &[2, 1, 4])
                .constant_f32("s", &[3, 1], &f(3, 5))
                .mul("c", "a", "s")
                .output("c"),
        ),
        (
            "matmul_batched_2d_b",
            ModelBuilder::new("mm")
                .input("a", DType::Float32, &[3, 4, 5])
                .constant_f32("w", &[5, 6], &f(30, 9))
                .matmul("y", "a", "w")
                .output("y"),
        ),
        (
            "matmul_batched_b",
            ModelBuilder::new("bmm")
                .input("a", DType::Float32, &[2, 3, 4])
                .input("b", DType::Float32, &[2, 4, 2])
                .matmul("y", "a", "b")
                .output("y"),
        ),
        (
            "relu_softmax_large",
            ModelBuilder::new("sm")
                .input("x", DType::Float32, &[4, 5])
                .constant_f32("big", &[1], &[1000.0])
                .mul("xl", "x", "big")
                .softmax("probs", "xl")
                .relu("r", "x")
                .output("probs")
                .output("r"),
        ),
        (
            "identity_int32_reshape",
            ModelBuilder::new("id")
                .input("x", DType::Int32, &[2, 3, 4])
                .identity("flat", "x", &[24])
                .output("flat")
                .input("h", DType::Bfloat16, &[6])
                .identity("h2", "h", &[3, 2])
                .output("h2"),
        ),
    ]
}

/// Deterministic input bytes for an input tensor of this dtype and size.
pub fn input_bytes(dtype: DType, size: usize, seed: u64) -> Vec<u8> {
    let mut r = XorShift64::new(seed);
    if dtype == DType::Float32 {
        (0..size / 4)
            .flat_map(|_| (r.next_f32() * 4.0).to_le_bytes())
            .collect()
    } else {
        (0..size).map(|_| r.next_u64() as u8).collect()
    }
}

/// Writes every case into `dir`; returns the case names.
pub fn write_all(dir: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let mut names = Vec::new();
    for (name, builder) in cases() {
        let neff = builder.build()?;
        let program = Neff::parse(&neff)?
            .program()?
            .ok_or("the builder wrote no program")?;
        let inputs: Vec<Vec<u8>> = program
            .inputs()
            .enumerate()
            .map(|(i, t)| input_bytes(t.dtype, t.size_bytes() as usize, 100 + i as u64))
            .collect();
        let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
        let outputs = program.evaluate(&refs)?;
        std::fs::write(dir.join(format!("{name}.neff")), &neff)?;
        std::fs::write(dir.join(format!("{name}.in.bin")), inputs.concat())?;
        std::fs::write(dir.join(format!("{name}.expected.bin")), outputs.concat())?;
        names.push(name.to_string());
    }
    Ok(names)
}

#[allow(dead_code)] // unused when this file is included by tests/cross_check.rs
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: cross_check_vectors OUT_DIR");
        std::process::exit(2);
    };
    let names = write_all(Path::new(&dir))?;
    println!(
        "wrote {} cross-check cases to {}",
        names.len(),
        dir.to_string_lossy()
    );
    Ok(())
}
