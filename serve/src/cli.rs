//! Command lines of `examples/serve.rs` and `examples/loadgen.rs`.

use crate::config::{ModelConfig, ServeConfig};
use crate::loadgen::{LoadConfig, LoadMode};
use crate::model::MlpSpec;
use crate::server::{self, Mode};
use clap::Parser;
use ncg_planner::{ModelSpec, PlanRequest, Topology};
use neuron_rt::launch::{Launcher, RestartPolicy, WorkerEnv};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Open Inference Protocol (KServe v2) server on neuron-rt, with dynamic batching.
#[derive(Debug, Parser)]
#[command(name = "serve", version)]
pub struct ServeArgs {
    /// TOML or JSON configuration file (see the crate docs); flags below override its
    /// server-wide settings.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long)]
    pub host: Option<IpAddr>,
    /// Port (0: any free port, in-process mode).
    #[arg(long)]
    pub port: Option<u16>,
    /// Run on the emulator, emulating this instance (default: Neuron hardware when present,
    /// else the emulator as inf2.24xlarge).
    #[arg(long)]
    pub instance: Option<String>,
    /// Served model name (without --config).
    #[arg(long, default_value = "mlp", conflicts_with = "config")]
    pub model: String,
    /// A compiled NEFF to serve instead of the built-in MLP (without --config).
    #[arg(long, conflicts_with = "config")]
    pub neff: Option<PathBuf>,
    /// NeuronCore Groups (replicas) for the model (without --config).
    #[arg(long, default_value_t = 8, conflicts_with = "config")]
    pub groups: u32,
    /// Built-in MLP: compiled batch size.
    #[arg(long, default_value_t = 8, conflicts_with_all = ["config", "neff"])]
    pub batch: usize,
    /// Built-in MLP: simulated device time per execution, microseconds.
    #[arg(long, default_value_t = 1000, conflicts_with_all = ["config", "neff"])]
    pub device_time_us: u64,
    /// Built-in MLP: layer widths, input first.
    #[arg(long, value_delimiter = ',', default_value = "16,64,10", conflicts_with_all = ["config", "neff"])]
    pub layers: Vec<usize>,
    /// Longest wait for a batch to fill, milliseconds.
    #[arg(long)]
    pub batch_delay_ms: Option<f64>,
    /// Run every request alone (no dynamic batching), for comparison.
    #[arg(long)]
    pub no_batching: bool,
    /// Requests allowed to wait per model before 503.
    #[arg(long)]
    pub max_queue: Option<usize>,
    /// Largest request body, bytes.
    #[arg(long)]
    pub max_body_bytes: Option<usize>,
    /// HTTP threads per process.
    #[arg(long)]
    pub http_threads: Option<usize>,
    /// How long shutdown waits for in-flight requests, seconds.
    #[arg(long)]
    pub shutdown_timeout_s: Option<f64>,
    /// Multi-process mode: the launcher starts one serving process per group, all on the
    /// same port (SO_REUSEPORT).
    #[arg(long)]
    pub processes: bool,
    /// Emulator core-lock directory.
    #[arg(long)]
    pub emulator_lock_dir: Option<PathBuf>,
    /// Internal: run as a launched worker (set by --processes).
    #[arg(long, hide = true)]
    pub worker: bool,
}

impl ServeArgs {
    /// The configuration these arguments describe.
    pub fn to_config(&self) -> Result<ServeConfig, crate::config::ConfigError> {
        let mut c = match &self.config {
            Some(path) => ServeConfig::from_file(path)?,
            None => {
                let mut c = ServeConfig::default();
                let mut m = ModelConfig::builtin_mlp(
                    &self.model,
                    self.groups,
                    MlpSpec {
                        layers: self.layers.clone(),
                        batch: self.batch,
                        device_time_us: self.device_time_us,
                        ..MlpSpec::default()
                    },
                );
                if let Some(neff) = &self.neff {
                    m.neff = Some(neff.clone());
                    m.mlp = None;
                }
                c.models = vec![m];
                c
            }
        };
        if let Some(v) = self.host {
            c.host = v;
        }
        if let Some(v) = self.port {
            c.port = v;
        }
        if let Some(v) = &self.instance {
            c.instance = Some(v.clone());
        }
        if let Some(v) = self.batch_delay_ms {
            c.batch_delay_ms = v;
        }
        if self.no_batching {
            c.batching = false;
            for m in &mut c.models {
                m.batching = Some(false);
            }
        }
        if let Some(v) = self.max_queue {
            c.max_queue = v;
        }
        if let Some(v) = self.max_body_bytes {
            c.max_body_bytes = v;
        }
        if let Some(v) = self.http_threads {
            c.http_threads = Some(v);
        }
        if let Some(v) = self.shutdown_timeout_s {
            c.shutdown_timeout_s = v;
        }
        if self.processes {
            c.processes = true;
        }
        if let Some(v) = &self.emulator_lock_dir {
            c.emulator_lock_dir = Some(v.clone());
        }
        c.validate()?;
        Ok(c)
    }
}

/// `main` of `examples/serve.rs`.
pub fn serve_main() -> i32 {
    let args = ServeArgs::parse();
    let config = match args.to_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("serve: {e}");
            return 2;
        }
    };
    if args.worker {
        return run_worker(config);
    }
    if config.processes {
        return run_launcher(config);
    }
    let server = match server::start(config.clone(), Mode::InProcess, true) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("serve: {e}");
            return e.exit_code();
        }
    };
    print_banner(&config, server.addr, "in-process");
    match server.wait() {
        Ok(()) => {
            eprintln!("serve: stopped");
            0
        }
        Err(e) => {
            eprintln!("serve: {e}");
            e.exit_code()
        }
    }
}

fn print_banner(config: &ServeConfig, addr: SocketAddr, mode: &str) {
    for m in &config.models {
        eprintln!(
            "serve: model '{}' on {} group(s), batching {} (delay {:.2} ms)",
            m.name,
            m.groups,
            if config.batching_of(m) { "on" } else { "off" },
            config.delay_of(m).as_secs_f64() * 1e3
        );
    }
    eprintln!(
        "serve: {mode} mode, listening on http://{addr} — try: curl http://{addr}/v2/models/{}",
        config.models[0].name
    );
    eprintln!("serve: load it with: cargo run --release --example loadgen -- --url http://{addr}");
}

/// A launched worker: serve the assigned model on the assigned cores, on the shared port.
fn run_worker(config: ServeConfig) -> i32 {
    let env = match WorkerEnv::from_env() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("serve worker: {e}");
            return e.exit_code();
        }
    };
    let id = env.id();
    match server::start(config, Mode::Worker(env), true) {
        Ok(s) => {
            eprintln!("serve worker {id}: listening on http://{}", s.addr);
            match s.wait() {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("serve worker {id}: {e}");
                    e.exit_code()
                }
            }
        }
        Err(e) => {
            eprintln!("serve worker {id}: {e}");
            e.exit_code()
        }
    }
}

/// Multi-process mode: plan the groups, start one worker process per group with the launcher.
fn run_launcher(config: ServeConfig) -> i32 {
    let hardware = !neuron_rt::neuron_rt_sys::neuron_device_nodes().is_empty();
    let emulated = !hardware || config.instance.is_some();
    let instance = config
        .instance
        .clone()
        .unwrap_or_else(|| crate::config::DEFAULT_INSTANCE.to_string());
    let plan = (|| -> Result<ncg_planner::Plan, String> {
        let topology = if emulated {
            Topology::preset(&instance).map_err(|e| e.to_string())?
        } else {
            // The launcher must not open the runtime (that would reserve every core), and this
            // version has no other way to learn the instance type.
            return Err(
                "multi-process mode is not supported on Neuron hardware yet: the launcher needs \
                 the instance topology without opening the runtime. Use the in-process mode, or \
                 neuron_rt::launch::Launcher with a plan for your instance \
                 (ncg_planner::Topology::preset) and `serve --worker` as the worker command"
                    .into(),
            );
        };
        let m = &config.models[0];
        let neff = m.neff_bytes().map_err(|e| e.to_string())?;
        let header = neuron_neff::NeffHeader::parse(&neff).map_err(|e| e.to_string())?;
        PlanRequest::new(topology)
            .model(ModelSpec::new(
                m.name.clone(),
                header.core_count(),
                m.groups,
            ))
            .solve()
            .map_err(|e| e.to_string())
    })();
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            eprintln!("serve: {e}");
            return 1;
        }
    };
    eprintln!("serve: plan\n{plan}");
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("serve: cannot find this program to start workers: {e}");
            return 1;
        }
    };
    // Workers get the same arguments plus --worker.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .chain(["--worker".to_string()])
        .collect();
    let mut launcher = Launcher::new(&plan, exe)
        .args(args)
        .shutdown_timeout(config.shutdown_timeout() + Duration::from_secs(5))
        .restart_policy(RestartPolicy::default());
    if emulated {
        launcher = launcher
            .env("NEURON_RT_BACKEND", "emulator")
            .env("NEURON_RT_EMULATOR_INSTANCE", &instance);
    }
    if let Some(dir) = &config.emulator_lock_dir {
        launcher = launcher.env("NEURON_RT_EMULATOR_LOCK_DIR", dir);
    }
    let addr = SocketAddr::new(config.host, config.port);
    print_banner(
        &config,
        addr,
        &format!("multi-process ({} workers)", plan.workers().len()),
    );
    match launcher.start() {
        Ok(sup) => {
            let report = sup.run(|e| eprintln!("launcher: {e}"));
            report.exit_code()
        }
        Err(e) => {
            eprintln!("serve: {e}");
            1
        }
    }
}

/// Load generator for an Open Inference Protocol server on this machine.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
pub struct LoadgenArgs {
    /// The server (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub url: String,
    /// The model.
    #[arg(long, default_value = "mlp")]
    pub model: String,
    /// Open loop at this many requests per second (default: closed loop).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Connections (closed loop: requests in flight).
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Stop after this many requests.
    #[arg(long, default_value_t = 20_000)]
    pub requests: u64,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration_s: f64,
    /// Rows per request.
    #[arg(long, default_value_t = 1)]
    pub rows: usize,
    /// Use the binary tensor extension.
    #[arg(long)]
    pub binary: bool,
    /// Print one JSON line instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Write every answered request to this file, one line each: due time from the start,
    /// send lag and latency, microseconds (to find when a slow tail happened).
    #[arg(long)]
    pub trace: Option<std::path::PathBuf>,
}

fn parse_url(url: &str) -> Result<SocketAddr, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url:?}: only http:// URLs are supported"))?;
    let hostport = rest.split('/').next().unwrap_or_default();
    let hostport = hostport.replace("localhost", "127.0.0.1");
    hostport
        .parse::<SocketAddr>()
        .map_err(|_| format!("{url:?}: expected http://127.0.0.1:PORT"))
}

/// `main` of `examples/loadgen.rs`.
pub fn loadgen_main() -> i32 {
    let args = LoadgenArgs::parse();
    let addr = match parse_url(&args.url) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}");
            return 2;
        }
    };
    if !(args.duration_s.is_finite() && args.duration_s > 0.0) {
        eprintln!("loadgen: --duration-s must be a positive number");
        return 2;
    }
    let config = LoadConfig {
        addr,
        model: args.model.clone(),
        mode: match args.rate {
            Some(rate) => LoadMode::Open { rate },
            None => LoadMode::Closed,
        },
        connections: args.connections,
        requests: args.requests,
        duration: Duration::from_secs_f64(args.duration_s.min(1e6)),
        rows: args.rows,
        binary: args.binary,
        record_each: args.trace.is_some(),
    };
    if !args.json {
        eprintln!(
            "loadgen: {} against {} model '{}', {} connection(s), {} row(s)/request, {}, at most {} requests / {:.1} s",
            match config.mode {
                LoadMode::Closed => "closed loop".to_string(),
                LoadMode::Open { rate } => format!("open loop at {rate:.0} req/s"),
            },
            addr,
            config.model,
            config.connections,
            config.rows,
            if config.binary {
                "binary tensors"
            } else {
                "JSON tensors"
            },
            config.requests,
            config.duration.as_secs_f64()
        );
    }
    match crate::loadgen::run(&config) {
        Ok(report) => {
            if let Some(path) = &args.trace {
                let mut text = String::from("# due_us send_lag_us latency_us\n");
                for r in &report.requests {
                    text.push_str(&format!(
                        "{} {} {}\n",
                        r.due_us, r.send_lag_us, r.latency_us
                    ));
                }
                if let Err(e) = std::fs::write(path, text) {
                    eprintln!("loadgen: cannot write the trace to {}: {e}", path.display());
                    return 1;
                }
            }
            if args.json {
                println!("{}", report.json());
            } else {
                println!("{}", report.summary());
            }
            if report.ok == 0 { 1 } else { 0 }
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("http://127.0.0.1:8000").unwrap().port(), 8000);
        assert_eq!(parse_url("http://localhost:9/v2").unwrap().port(), 9);
        assert!(parse_url("https://127.0.0.1:1").is_err());
        assert!(parse_url("http://example.com:80").is_err());
    }

    #[test]
    fn flags_make_a_config() {
        let a = ServeArgs::parse_from(["serve", "--groups", "2", "--no-batching", "--port", "0"]);
        let c = a.to_config().unwrap();
        assert_eq!(c.models[0].groups, 2);
        assert!(!c.batching_of(&c.models[0]));
        assert_eq!(c.port, 0);
        assert!(
            ServeArgs::try_parse_from(["serve", "--config", "x.toml", "--groups", "2"]).is_err()
        );
    }
}
