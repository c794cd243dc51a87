//! A worker for cluster engines (Ray actors, Kubernetes pods): reads its assignment from
//! the environment with `neuron_rt::launch::open_worker_device` (which accepts Ray's comma
//! lists when contiguous and refuses a set with a gap), opens the device on exactly those
//! cores, loads its model, runs it once and reports one JSON line on stdout.
//!
//! Environment ([`neuron_rt_deploy::env`]): `NEURON_RT_VISIBLE_CORES` (required),
//! `NEURON_RT_WORKER_MODEL`, `NEURON_RT_WORKER_REPLICA`, `NEURON_RT_WORKER_MODEL_PATH` (a
//! NEFF; without it a small built-in MLP is used).
//!
//! `--hold-ms N` keeps the cores reserved N ms after the run (tests use it to overlap
//! workers). On an unusable assignment the launcher contract's exit codes apply
//! (`neuron_rt::launch::EXIT_BAD_ASSIGNMENT`, `EXIT_CORES_UNAVAILABLE`), with the reason on
//! stderr.

use std::process::ExitCode;
use std::time::Duration;

use ndarray::Array2;
use neuron_neff::ModelBuilder;
use neuron_rt::Input;
use neuron_rt::launch::open_worker_device;
use neuron_rt_deploy::env;

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
    let (assignment, device) = open_worker_device().unwrap_or_else(|e| e.exit());
    let given = assignment.visible_cores_text.clone();
    let cores = assignment.cores;
    let model = assignment.model.clone().unwrap_or_else(|| "demo".into());
    let replica = assignment
        .replica
        .map_or_else(|| "-".to_string(), |r| r.to_string());
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
