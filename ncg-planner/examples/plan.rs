//! Plan NeuronCore Groups for an instance from the command line.
//!
//! ```text
//! cargo run --example plan -- trn2.48xlarge --lnc 1 llama=16x2 bert=2x4 --busy 0-3
//! cargo run --example plan -- inf1.6xlarge --cortex chips=2,workers=4
//! cargo run --example plan -- --help
//! ```
//!
//! Output: a table (worker, global cores, core count, `/dev/neuronN` devices, local core
//! indices, NUMA node), a chip map, then one line per worker such as
//! `worker bert#0: NEURON_RT_VISIBLE_CORES=0-1 NEURON_RT_NUM_CORES=2 devices=/dev/neuron0`.
//! Give a worker `NEURON_RT_VISIBLE_CORES` (not both variables: the runtime warns) and
//! mount the listed devices in its container.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use ncg_planner::{CoreRange, ModelSpec, PlanRequest, Strictness, Topology};

/// Split an instance's NeuronCores into NeuronCore Groups, one per worker.
#[derive(Parser)]
#[command(name = "plan")]
struct Args {
    /// Instance type, e.g. inf2.48xlarge, trn1.32xlarge, trn2.48xlarge, trn2-ultraserver
    /// (one host). `--list` prints every preset.
    #[arg(required_unless_present = "list")]
    instance: Option<String>,

    /// Models in priority order for error reports: NAME=CORES (one worker),
    /// NAME=CORESxREPLICAS (REPLICAS workers with CORES cores each),
    /// NAME=CORESxREPLICAS/GROUP (each worker gets GROUP >= CORES cores).
    /// Examples: bert=2x4 llama=16x2 resnet=1x8/2
    #[arg(value_parser = parse_model)]
    models: Vec<ModelSpec>,

    /// Logical NeuronCore config (trn2: 1 or 2, default 2); core ids and CORES count
    /// logical cores.
    #[arg(long)]
    lnc: Option<u32>,

    /// Cores already in use that must not move: ids or inclusive ranges, comma-separated
    /// (`--busy 0-3,17`); may be repeated.
    #[arg(long, value_delimiter = ',')]
    busy: Vec<CoreRange>,

    /// Cortex's form `chips=C,workers=W`: one replica on C chips, cores split equally
    /// over W workers (named worker#0..).
    #[arg(long, value_parser = parse_cortex)]
    cortex: Option<(u32, u32)>,

    /// Refuse groups that cross a chip boundary or use chip sets outside the instance's
    /// legal device sets (default: allow them only when nothing else fits, and flag them).
    #[arg(long)]
    strict: bool,

    /// List instance presets and exit.
    #[arg(long)]
    list: bool,
}

fn parse_u32(what: &str, s: &str) -> Result<u32, String> {
    s.trim()
        .parse::<u32>()
        .map_err(|_| format!("{what}: expected a non-negative integer, got `{s}`"))
}

fn parse_model(arg: &str) -> Result<ModelSpec, String> {
    let (name, spec) = arg.split_once('=').ok_or_else(|| {
        format!("`{arg}` is not a model: expected NAME=CORES[xREPLICAS][/GROUP], e.g. bert=2x4")
    })?;
    if name.is_empty() {
        return Err(format!("`{arg}`: the model name before `=` is empty"));
    }
    let (spec, group) = match spec.split_once('/') {
        Some((a, g)) => (a, Some(parse_u32("group size", g)?)),
        None => (spec, None),
    };
    let (cores, replicas) = match spec.split_once(['x', 'X']) {
        Some((c, r)) => (c, parse_u32("replica count", r)?),
        None => (spec, 1),
    };
    let mut m = ModelSpec::new(name, parse_u32("core count", cores)?, replicas);
    if let Some(g) = group {
        m = m.with_group_cores(g);
    }
    Ok(m)
}

fn parse_cortex(s: &str) -> Result<(u32, u32), String> {
    let (mut chips, mut workers) = (None, None);
    for part in s.split(',') {
        match part.split_once('=') {
            Some(("chips", v)) => chips = Some(parse_u32("chips", v)?),
            Some(("workers", v)) => workers = Some(parse_u32("workers", v)?),
            _ => return Err(format!("unexpected `{part}`; expected chips=C,workers=W")),
        }
    }
    match (chips, workers) {
        (Some(c), Some(w)) => Ok((c, w)),
        _ => Err("needs both chips=C and workers=W, e.g. chips=1,workers=4".into()),
    }
}

fn run(args: Args) -> Result<(), String> {
    if args.list {
        // Stop quietly when the reader goes away (`| head`).
        let mut out = std::io::stdout().lock();
        for p in Topology::presets() {
            if writeln!(out, "{p}").is_err() {
                break;
            }
        }
        return Ok(());
    }
    let instance = args.instance.ok_or("missing instance type; try --help")?;
    let topo = match args.lnc {
        Some(l) => Topology::preset_with_lnc(&instance, l),
        None => Topology::preset(&instance),
    }
    .map_err(|e| e.to_string())?;
    if args.models.is_empty() && args.cortex.is_none() {
        return Err("nothing to plan: give at least one model (e.g. bert=2x4) or --cortex".into());
    }
    let mut req = match args.cortex {
        Some((c, w)) => PlanRequest::cortex(topo, c, w),
        None => PlanRequest::new(topo),
    }
    .models(args.models)
    .busy_ranges(args.busy);
    if args.strict {
        req = req.strictness(Strictness::Strict);
    }
    let plan = req.solve().map_err(|e| e.to_string())?;
    println!("{plan}");
    for line in plan.env_lines() {
        println!("{line}");
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
