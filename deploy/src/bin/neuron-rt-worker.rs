//! A worker for cluster engines (Ray actors, Kubernetes pods): reads its assignment from
//! the environment, opens the device on exactly those cores, loads its model, runs it
//! once and reports one JSON line on stdout.
//!
//! Environment ([`neuron_rt_deploy::env`]): `NEURON_RT_VISIBLE_CORES` (required; a
//! range or a comma list of contiguous ids, as Ray writes it), `NEURON_RT_WORKER_MODEL`,
//! `NEURON_RT_WORKER_REPLICA`, `NEURON_RT_WORKER_MODEL_PATH` (a NEFF; without it a small
//! built-in MLP is used), `NEURON_RT_WORKER_COMPILED_CORES`.
//!
//! `--hold-ms N` keeps the cores reserved N ms after the run (tests use it to overlap
//! workers). Exit status 2 with the reason on stderr when the assignment is unusable
//! (e.g. non-contiguous cores).

use std::process::ExitCode;
use std::time::Duration;

use ndarray::Array2;
use neuron_neff::ModelBuilder;
use neuron_rt::{Device, Input};
use neuron_rt_deploy::{env, visible};

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn run() -> Result<String, Box<dyn std::error::Error>> {
    let mut hold = Duration::ZERO;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--hold-ms" => {
                let v = args
                    .next()
                    .ok_or("--hold-ms needs a value in milliseconds")?;
                hold = Duration::from_millis(
                    v.parse()
                        .map_err(|_| format!("--hold-ms: expected milliseconds, got `{v}`"))?,
                );
            }
            other => return Err(format!("unknown argument `{other}`; see the file's docs").into()),
        }
    }
    let given = var(env::VISIBLE_CORES).ok_or(
        "NEURON_RT_VISIBLE_CORES is not set: a worker must be told its cores (the cluster \
         engine or the fleet plan sets it)",
    )?;
    // Refuse a non-contiguous set before the runtime does, with the reason.
    let cores = visible::parse_visible_cores(&given)?;
    let model = var(env::MODEL).unwrap_or_else(|| "demo".into());
    let replica = var(env::REPLICA).unwrap_or_else(|| "-".into());
    let device = Device::open()?;
    let reserved = device
        .visible_range()
        .ok_or("the runtime did not report which cores it reserved")?;
    if reserved != cores {
        return Err(format!(
            "the runtime reserved cores {reserved} but NEURON_RT_VISIBLE_CORES named {cores}"
        )
        .into());
    }
    let group = device.core_group_of_size(device.visible_cores())?;
    let neff = match var(env::MODEL_PATH) {
        Some(p) => std::fs::read(&p).map_err(|e| format!("{}={p}: {e}", env::MODEL_PATH))?,
        None => ModelBuilder::mlp(&model, &[4, 8, 3], 2, 7)
            .cores(cores.count())
            .build()?,
    };
    let loaded = group.load(&neff)?;
    let batch = Array2::from_shape_fn((2, 4), |(i, j)| (i * 4 + j) as f32 * 0.25);
    let out = loaded.run(&[Input::new("input", &batch)])?;
    let probs = out.array::<f32>("probs")?;
    let sum: f32 = probs.iter().sum();
    std::thread::sleep(hold);
    Ok(format!(
        "{{\"model\":\"{model}\",\"replica\":\"{replica}\",\"visible\":\"{given}\",\
         \"cores\":\"{cores}\",\"first\":{},\"count\":{},\"pid\":{},\"probs_sum\":{sum}}}",
        cores.start(),
        cores.count(),
        std::process::id()
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("neuron-rt-worker: error: {e}");
            ExitCode::from(2)
        }
    }
}
