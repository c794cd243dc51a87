//! Quickstart: open the device (the emulator on a machine without Neuron hardware), split its
//! cores into groups, write and load a small MLP, run a batch and print the predictions.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use ndarray::Array2;
use neuron_neff::ModelBuilder;
use neuron_rt::{Backend, Device, Input};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Auto: the real runtime on Neuron hardware, else the emulator. Without hardware we ask the
    // emulator for an inf2.24xlarge (6 chips x 2 cores) so there are cores to split.
    let backend = if neuron_rt_sys::neuron_device_nodes().is_empty() {
        Backend::emulator("inf2.24xlarge")
    } else {
        Backend::Auto
    };
    let device = Device::builder().backend(backend).open()?;
    println!(
        "device: {:?} {} — {} cores visible of {}, runtime {}",
        device.backend(),
        device
            .instance()
            .and_then(|i| i.name.clone())
            .unwrap_or_else(|| "unknown instance".into()),
        device.visible_cores(),
        device.total_cores(),
        device.runtime_version()
    );

    // A 4 -> 16 -> 3 classifier for batches of 8, with deterministic weights and 200 µs of
    // simulated device time per execution on the emulator.
    let neff = ModelBuilder::mlp("iris-mlp", &[4, 16, 3], 8, 42)
        .device_time(std::time::Duration::from_micros(200))
        .build()?;

    // Two one-core groups, one model each (a group holds exactly one model).
    let first = device.core_group_of_size(1)?;
    let second = device.core_group_of_size(1)?;
    println!("groups: {} and {}", first.cores(), second.cores());
    let model_a = first.load(&neff)?;
    let model_b = second.load(&neff)?;
    for input in model_a.inputs() {
        println!("input  {input}");
    }
    for output in model_a.outputs() {
        println!("output {output}");
    }

    // A batch of 8 samples.
    let batch = Array2::from_shape_fn((8, 4), |(i, j)| ((i * 4 + j) as f32 * 0.37).sin());
    let probs = model_a
        .run(&[Input::new("input", &batch)])?
        .array::<f32>("probs")?;
    let again = model_b
        .run(&[Input::new("input", &batch)])?
        .array::<f32>("probs")?;
    assert_eq!(
        probs, again,
        "the same model on two groups gives the same answer"
    );

    println!("predictions:");
    for (i, row) in probs.outer_iter().enumerate() {
        let (class, p) =
            row.iter().enumerate().fold(
                (0, f32::MIN),
                |best, (c, &p)| if p > best.1 { (c, p) } else { best },
            );
        println!("  sample {i}: class {class} (p = {p:.3}), probabilities {row:.3}");
    }

    // Unloading gives the group back; dropping everything closes the runtime.
    let group = model_a.unload()?;
    println!(
        "unloaded; group {} is free to load another model",
        group.cores()
    );
    Ok(())
}
