//! Plan a fleet from a models file, print the plan and its cost, and write Kubernetes
//! manifests and Ray options.
//!
//! ```text
//! cargo run --example fleet -- deploy/examples/models.toml --out deploy-out/ \
//!     --image registry.example/neuron-worker:1.0
//! ```
//!
//! Writes `deployments.yaml` (scheduler-extension form), `static-pods.yaml` (one pod per
//! worker pinned to its node with its exact cores) and `ray-options.json`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use neuron_rt_deploy::k8s::{self, K8sOptions, NeuronResource};
use neuron_rt_deploy::models_file::ModelsFile;
use neuron_rt_deploy::{DeployError, ray};

#[derive(Clone, Copy, ValueEnum)]
enum Resource {
    /// aws.amazon.com/neuroncore: the group's core count.
    Neuroncore,
    /// aws.amazon.com/neurondevice: whole chips (whole-chip groups only).
    Neurondevice,
}

/// Plan replicas across instance types (minimum price, then instance count) and write
/// Kubernetes manifests and Ray options.
#[derive(Parser)]
#[command(name = "fleet")]
struct Args {
    /// Models file (.toml or .json): [[model]], [[instance]], optional [[node]].
    models: PathBuf,
    /// Directory for deployments.yaml, static-pods.yaml and ray-options.json.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker container image.
    #[arg(long, default_value = "neuron-rt-worker:latest")]
    image: String,
    /// Namespace of the objects.
    #[arg(long)]
    namespace: Option<String>,
    /// Scheduler running the Neuron scheduler extension.
    #[arg(long, default_value = "my-scheduler")]
    scheduler_name: String,
    /// Device-plugin resource the Deployments request.
    #[arg(long, value_enum, default_value_t = Resource::Neuroncore)]
    resource: Resource,
    /// Port of the worker's HTTP server (probes).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Stop the search after this many milliseconds (the plan then reports its gap).
    #[arg(long)]
    time_budget_ms: Option<u64>,
}

fn run(args: Args) -> Result<(), DeployError> {
    let file = ModelsFile::read(&args.models)?;
    let mut req = file.request()?;
    if let Some(ms) = args.time_budget_ms {
        req = req.time_budget(Duration::from_millis(ms));
    }
    let plan = req.solve()?;
    print!("{plan}");
    let paths: BTreeMap<String, String> = file
        .models
        .iter()
        .filter_map(|m| m.path.clone().map(|p| (m.name.clone(), p)))
        .collect();
    let mut opts = K8sOptions::new(args.image);
    opts.namespace = args.namespace;
    opts.scheduler_name = Some(args.scheduler_name);
    opts.port = args.port;
    opts.model_paths = paths.clone();
    opts.resource = match args.resource {
        Resource::Neuroncore => NeuronResource::Cores,
        Resource::Neurondevice => NeuronResource::Devices,
    };
    let deployments = k8s::to_yaml(&k8s::deployments(&plan, &opts)?)?;
    let pods = k8s::to_yaml(&k8s::static_pods(&plan, &opts)?)?;
    let ray_json = ray::to_json(&ray::options(&plan, &paths))?;
    if let Some(dir) = args.out {
        let io = |e: std::io::Error| DeployError::InvalidOption {
            option: "--out",
            reason: format!("{}: {e}", dir.display()),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        for (name, text) in [
            ("deployments.yaml", &deployments),
            ("static-pods.yaml", &pods),
            ("ray-options.json", &ray_json),
        ] {
            std::fs::write(dir.join(name), text).map_err(io)?;
            println!("wrote {}", dir.join(name).display());
        }
    } else {
        println!("(no --out: nothing written; showing the Deployments)\n{deployments}");
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
