//! Plan NeuronCore Groups for an instance from the command line.
//!
//! ```text
//! cargo run --example plan -- trn2.48xlarge --lnc 1 llama=16x2 bert=2x4 --busy 0-3
//! cargo run --example plan -- inf1.6xlarge --cortex chips=2,workers=4
//! cargo run --example plan -- --help
//! ```

use std::process::ExitCode;

use ncg_planner::{CoreRange, ModelSpec, PlanRequest, Strictness, Topology};

const HELP: &str = "\
plan: split an instance's NeuronCores into NeuronCore Groups, one per worker

USAGE:
    cargo run --example plan -- <INSTANCE> [OPTIONS] [MODEL...]

INSTANCE:
    An instance type, e.g. inf2.48xlarge, trn1.32xlarge, trn2.48xlarge,
    trn2-ultraserver (one host). `--list` prints every preset.

MODEL (any number, in priority order for error reports):
    NAME=CORES            one worker of a model compiled for CORES NeuronCores
    NAME=CORESxREPLICAS   REPLICAS workers, each with its own group of CORES cores
    NAME=CORESxREPLICAS/GROUP
                          each worker gets GROUP cores (>= CORES), e.g. to replicate
                          the model inside the process or round up to a legal size
    Examples: bert=2x4   llama=16x2   resnet=1x8/2

OPTIONS:
    --lnc N               logical NeuronCore config (trn2: 1 or 2, default 2);
                          core ids and CORES count logical cores
    --busy RANGES         cores already in use that must not move, comma-separated
                          ids or inclusive ranges: --busy 0-3,17
    --cortex chips=C,workers=W
                          Cortex's form: one replica on C chips, cores split equally
                          over W workers (named worker#0..)
    --strict              refuse groups that cross a chip boundary or use chip sets
                          outside the instance's legal device sets (default: allow
                          them only when nothing else fits, and flag them)
    --list                list instance presets and exit
    -h, --help            this text

OUTPUT:
    A table (worker, global cores, core count, /dev/neuronN devices, local core
    indices, NUMA node), a chip map, then one line per worker:
    worker bert#0: NEURON_RT_VISIBLE_CORES=0-1 NEURON_RT_NUM_CORES=2 devices=/dev/neuron0
    Give a worker NEURON_RT_VISIBLE_CORES (not both variables: the runtime warns)
    and mount the listed devices in its container.
";

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
        Some((a, g)) => (a, Some(parse_u32(&format!("group size in `{arg}`"), g)?)),
        None => (spec, None),
    };
    let (cores, replicas) = match spec.split_once(['x', 'X']) {
        Some((c, r)) => (c, parse_u32(&format!("replica count in `{arg}`"), r)?),
        None => (spec, 1),
    };
    let cores = parse_u32(&format!("core count in `{arg}`"), cores)?;
    let mut m = ModelSpec::new(name, cores, replicas);
    if let Some(g) = group {
        m = m.with_group_cores(g);
    }
    Ok(m)
}

fn parse_busy(s: &str) -> Result<Vec<CoreRange>, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.parse::<CoreRange>().map_err(|e| format!("--busy: {e}")))
        .collect()
}

fn parse_cortex(s: &str) -> Result<(u32, u32), String> {
    let (mut chips, mut workers) = (None, None);
    for part in s.split(',') {
        match part.split_once('=') {
            Some(("chips", v)) => chips = Some(parse_u32("--cortex chips", v)?),
            Some(("workers", v)) => workers = Some(parse_u32("--cortex workers", v)?),
            _ => {
                return Err(format!(
                    "--cortex: unexpected `{part}`; expected chips=C,workers=W"
                ));
            }
        }
    }
    match (chips, workers) {
        (Some(c), Some(w)) => Ok((c, w)),
        _ => {
            Err("--cortex needs both chips=C and workers=W, e.g. --cortex chips=1,workers=4".into())
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    if args.is_empty() {
        return Err("missing instance type; try --help".into());
    }
    let mut instance = None;
    let mut lnc = None;
    let mut busy = Vec::new();
    let mut cortex = None;
    let mut strict = false;
    let mut models = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value; try --help"))
        };
        match a.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--list" => {
                for p in Topology::presets() {
                    println!("{p}");
                }
                return Ok(());
            }
            "--lnc" => lnc = Some(parse_u32("--lnc", &value("--lnc")?)?),
            "--busy" => busy.extend(parse_busy(&value("--busy")?)?),
            "--cortex" => cortex = Some(parse_cortex(&value("--cortex")?)?),
            "--strict" => strict = true,
            s if s.starts_with('-') => return Err(format!("unknown option `{s}`; try --help")),
            s if s.contains('=') => models.push(parse_model(s)?),
            s if instance.is_none() => instance = Some(s.to_string()),
            s => {
                return Err(format!(
                    "unexpected argument `{s}`: models are written NAME=CORES[xREPLICAS], e.g. bert=2x4"
                ));
            }
        }
    }
    let instance = instance.ok_or("missing instance type, e.g. trn2.48xlarge; try --help")?;
    let topo = match lnc {
        Some(l) => Topology::preset_with_lnc(&instance, l),
        None => Topology::preset(&instance),
    }
    .map_err(|e| e.to_string())?;
    let mut req = match cortex {
        Some((c, w)) => PlanRequest::cortex(topo, c, w),
        None => PlanRequest::new(topo),
    };
    if models.is_empty() && cortex.is_none() {
        return Err("nothing to plan: give at least one model (e.g. bert=2x4) or --cortex".into());
    }
    req = req.models(models).busy_ranges(busy);
    if strict {
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
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
