//! A NEFF built by the Neuron compiler, on the emulator: list its real inputs and outputs, run it
//! with a CPU reference kernel (`x @ y` in f16) and check the result against ndarray.
//!
//! ```text
//! cargo run --example real_neff                      # a fixture in the compiler's layout
//! cargo run --example real_neff -- matmul_small.neff # your own compiled x @ y NEFF
//! ```
//!
//! The emulator cannot run the compiler's program: without a reference kernel an execution is
//! timed (`NEURON_RT_EMULATOR_DEVICE_TIME_US`) and leaves zeros in the outputs.

use ndarray::{Array2, ArrayView2, Ix2};
use neuron_neff::{CompilerNeffBuilder, Neff};
use neuron_rt::{Backend, Device, Input, KernelIo, Lnc, f16};

/// The reference: f32 products and sums (like the device's PE array), rounded to f16 once.
fn matmul_f16(x: ArrayView2<'_, f16>, y: ArrayView2<'_, f16>) -> Array2<f16> {
    x.mapv(f32::from)
        .dot(&y.mapv(f32::from))
        .mapv(f16::from_f32)
}

fn kernel(io: &mut KernelIo<'_>) -> Result<(), String> {
    let x = io.input_array::<f16>("x")?.into_dimensionality::<Ix2>();
    let y = io.input_array::<f16>("y")?.into_dimensionality::<Ix2>();
    let z = matmul_f16(x.map_err(|e| e.to_string())?, y.map_err(|e| e.to_string())?);
    io.output_array_mut::<f16>("output0")?.assign(&z.into_dyn());
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let neff = match std::env::args().nth(1) {
        Some(path) => std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?,
        None => CompilerNeffBuilder::matmul("file.neff", 128, 256, 128).build()?,
    };
    let header = Neff::parse(&neff)?.header().clone();
    println!(
        "NEFF '{}': {} logical core(s), compiled for LNC {}",
        header.name(),
        header.core_count(),
        header.lnc_size()
    );
    let device = Device::builder()
        .backend(Backend::emulator("trn2.48xlarge"))
        .logical_nc_config(Lnc::try_from(header.lnc_size())?)
        .reference_kernel(header.name(), kernel)
        .open()?;
    let group = device.core_group_of_size(header.core_count())?;
    let model = group.load(&neff)?;
    for t in model.inputs().iter().chain(model.outputs()) {
        println!("  {t}");
    }
    let dims = |name: &str| -> Result<(usize, usize), String> {
        match model
            .inputs()
            .iter()
            .find(|t| t.name == name)
            .map(|t| &t.shape[..])
        {
            Some(&[a, b]) => Ok((a, b)),
            _ => Err(format!(
                "this example expects 2-D inputs x and y (x @ y), not '{name}'"
            )),
        }
    };
    let ((m, k), (k2, n)) = (dims("x")?, dims("y")?);
    assert_eq!(k, k2, "x's columns must equal y's rows");
    let x = Array2::from_shape_fn((m, k), |(i, j)| {
        f16::from_f32(((i * 7 + j) % 13) as f32 / 8.0)
    });
    let y = Array2::from_shape_fn((k, n), |(i, j)| {
        f16::from_f32(((i + 3 * j) % 11) as f32 / 16.0 - 0.25)
    });
    let z = model
        .run(&[Input::new("x", &x), Input::new("y", &y)])?
        .array::<f16>("output0")?
        .into_dimensionality::<Ix2>()?;
    let expected = matmul_f16(x.view(), y.view());
    assert_eq!(z, expected, "output0 differs from x @ y");
    println!("output0 == x @ y ({m}x{k} @ {k}x{n}, f16) — checked against ndarray");
    Ok(())
}
