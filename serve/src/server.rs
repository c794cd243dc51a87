//! Starting and stopping a server: open the device, plan and load the models, run one executor
//! thread per NeuronCore Group and the HTTP server, drain on shutdown.

use crate::batcher::{BatchConfig, BatchQueue, run_executor};
use crate::config::{ConfigError, DEFAULT_INSTANCE, ServeConfig};
use crate::http::{AppState, ServedModel, router};
use crate::metrics::{Metrics, ModelMetrics};
use crate::model::{ModelInfo, UnservableModel};
use crate::shards;
use ncg_planner::{ModelSpec, PlanRequest, Topology};
use neuron_rt::launch::{WorkerEnv, WorkerError};
use neuron_rt::{Backend, Device, Model};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The runtime failed (device, group, load).
    #[error(transparent)]
    Runtime(#[from] neuron_rt::Error),
    /// The planner could not split the cores.
    #[error(transparent)]
    Plan(#[from] ncg_planner::PlanError),
    /// A model cannot be served over the protocol.
    #[error(transparent)]
    Unservable(#[from] UnservableModel),
    /// The worker's assignment was rejected (multi-process mode).
    #[error(transparent)]
    Worker(#[from] WorkerError),
    /// The NEFF header is invalid.
    #[error("model '{model}': {source}")]
    Neff {
        /// The model.
        model: String,
        /// The header problem.
        source: neuron_neff::NeffError,
    },
    /// The listening socket could not be set up.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Another I/O problem (threads, runtime).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The server thread died.
    #[error("the server thread panicked")]
    Panicked,
    /// The server thread ended before it listened, without an error.
    #[error("the server stopped before it started listening")]
    StoppedEarly,
}

impl ServeError {
    /// A process exit code: the launcher's codes for a worker that cannot get its cores or
    /// whose assignment is bad, else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            ServeError::Worker(e) => e.exit_code(),
            _ => 1,
        }
    }
}

/// How the server runs.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Every configured model on its groups, in this process.
    InProcess,
    /// One launched worker: the model and cores of its assignment, on a shared port.
    Worker(WorkerEnv),
}

/// A server running on its own thread.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), ServeError>>>,
}

impl RunningServer {
    /// Graceful shutdown: stop accepting, drain in-flight requests, stop the executors, close
    /// the device.
    pub fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.join()
    }

    /// Wait until the server stops by itself (SIGTERM/SIGINT when signals are handled).
    pub fn wait(mut self) -> Result<(), ServeError> {
        self.join()
    }

    fn join(&mut self) -> Result<(), ServeError> {
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| ServeError::Panicked)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.join();
    }
}

/// Start a server. Returns once it listens (or failed to start). With `handle_signals`,
/// SIGTERM and SIGINT shut it down gracefully.
pub fn start(
    config: ServeConfig,
    mode: Mode,
    handle_signals: bool,
) -> Result<RunningServer, ServeError> {
    config.validate()?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("neuron-serve".into())
        .spawn(move || serve_thread(config, mode, handle_signals, ready_tx, stop_rx))
        .map_err(|source| ServeError::Io {
            what: "spawning the server thread",
            source,
        })?;
    match ready_rx.recv() {
        Ok(addr) => Ok(RunningServer {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        // The thread ended before listening: its result says why.
        Err(_) => match thread.join() {
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) => Err(ServeError::StoppedEarly),
            Err(_) => Err(ServeError::Panicked),
        },
    }
}

fn open_device(config: &ServeConfig, mode: &Mode) -> Result<Device, ServeError> {
    let mut builder = Device::builder();
    if let Some(dir) = &config.emulator_lock_dir {
        builder = builder.emulator_lock_dir(dir);
    }
    let hardware = !neuron_rt::neuron_rt_sys::neuron_device_nodes().is_empty();
    match mode {
        Mode::Worker(env) => {
            // The launcher passed the backend and instance in the environment.
            Ok(env.open_device_with(builder)?)
        }
        Mode::InProcess => {
            if !hardware || config.instance.is_some() {
                let instance = config.instance.as_deref().unwrap_or(DEFAULT_INSTANCE);
                builder = builder.backend(Backend::emulator(instance));
            }
            Ok(builder.open()?)
        }
    }
}

struct Loaded<'d> {
    name: String,
    model: Model<'d>,
    cores: String,
}

fn serve_thread(
    config: ServeConfig,
    mode: Mode,
    handle_signals: bool,
    ready_tx: std::sync::mpsc::Sender<SocketAddr>,
    stop_rx: oneshot::Receiver<()>,
) -> Result<(), ServeError> {
    let device = open_device(&config, &mode)?;
    let models_cfg: Vec<_> = match &mode {
        Mode::InProcess => config.models.clone(),
        Mode::Worker(env) => {
            let wanted = env.model.clone().unwrap_or_default();
            let m = config
                .models
                .iter()
                .find(|m| m.name == wanted)
                .ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "this worker was assigned model {wanted:?} (NEURON_RT_WORKER_MODEL) \
                         which the configuration does not have"
                    ))
                })?;
            vec![m.clone()]
        }
    };
    let mut neffs: HashMap<String, Vec<u8>> = HashMap::new();
    for m in &models_cfg {
        neffs.insert(m.name.clone(), m.neff_bytes()?);
    }
    // Groups: the plan's (in-process) or this worker's whole reservation.
    let groups = match &mode {
        Mode::InProcess => {
            let topology = match device.topology() {
                Some(t) => t.clone(),
                None => Topology::preset(config.instance.as_deref().unwrap_or(DEFAULT_INSTANCE))?,
            };
            // Plan around cores this process's other groups (or other processes) hold.
            let mut req = PlanRequest::new(topology).busy_ranges(device.busy_core_ranges());
            for m in &models_cfg {
                let header = neuron_neff::NeffHeader::parse(&neffs[&m.name]).map_err(|source| {
                    ServeError::Neff {
                        model: m.name.clone(),
                        source,
                    }
                })?;
                req = req.model(ModelSpec::new(
                    m.name.clone(),
                    header.core_count(),
                    m.groups,
                ));
            }
            let plan = req.solve()?;
            let groups = device.core_groups_for_plan(&plan)?;
            plan.workers()
                .iter()
                .map(|w| (w.model.clone(), w.cores.to_string()))
                .zip(groups)
                .collect::<Vec<_>>()
        }
        Mode::Worker(env) => {
            let group = device.core_group_of_size(env.cores.count())?;
            vec![((models_cfg[0].name.clone(), env.cores.to_string()), group)]
        }
    };
    let mut loaded: Vec<Loaded<'_>> = Vec::with_capacity(groups.len());
    for ((name, cores), group) in groups {
        let model = group.load(&neffs[&name])?;
        loaded.push(Loaded { name, model, cores });
    }
    // One queue and metrics per model.
    let mut served: HashMap<String, Arc<ServedModel>> = HashMap::new();
    let mut metric_list = Vec::new();
    for m in &models_cfg {
        let Some(first) = loaded.iter().find(|l| l.name == m.name) else {
            continue;
        };
        let info = ModelInfo::of_model(&m.name, &first.model)?;
        let cores: Vec<String> = loaded
            .iter()
            .filter(|l| l.name == m.name)
            .map(|l| l.cores.clone())
            .collect();
        let metrics = Arc::new(ModelMetrics::new(&m.name, info.max_batch, &cores));
        metric_list.push(Arc::clone(&metrics));
        let queue = Arc::new(BatchQueue::new(
            BatchConfig {
                max_batch: info.max_batch,
                delay: config.delay_of(m),
                batching: config.batching_of(m),
                max_queue: config.max_queue,
            },
            Arc::clone(&metrics),
        ));
        served.insert(
            m.name.clone(),
            Arc::new(ServedModel {
                info,
                queue,
                metrics,
                groups_ready: Default::default(),
                groups: cores.len(),
            }),
        );
    }
    let worker_label = match &mode {
        Mode::Worker(env) => Some(env.id()),
        Mode::InProcess => None,
    };
    let state = Arc::new(AppState {
        models: served.clone(),
        metrics: Arc::new(Metrics::new(metric_list, worker_label)),
        max_body_bytes: config.max_body_bytes,
        shutting_down: Default::default(),
    });
    let reuse_port = matches!(mode, Mode::Worker(_));
    // One HTTP thread per worker process; in-process, one per CPU (2 to 8).
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads = config
        .http_threads
        .unwrap_or(if reuse_port { 1 } else { cpus.clamp(2, 8) });

    std::thread::scope(|scope| -> Result<(), ServeError> {
        // Executors: one thread per group, each with its own binding.
        let mut group_index: HashMap<&str, usize> = HashMap::new();
        for l in &loaded {
            let sm = Arc::clone(&served[&l.name]);
            let gi = group_index.entry(&l.name).or_insert(0);
            let my_index = *gi;
            *gi += 1;
            let model = &l.model;
            std::thread::Builder::new()
                .name(format!("exec-{}-{}", l.name, l.cores))
                .spawn_scoped(scope, move || {
                    let group = &sm.metrics.groups[my_index];
                    let ready = || {
                        sm.groups_ready.fetch_add(1, Ordering::SeqCst);
                    };
                    if let Err(e) =
                        run_executor(model, &sm.info, &sm.queue, &sm.metrics, group, ready)
                    {
                        eprintln!(
                            "serve: executor for '{}' on cores {} failed: {e}",
                            sm.info.name, group.cores
                        );
                    }
                })
                .map_err(|source| ServeError::Io {
                    what: "spawning an executor thread",
                    source,
                })?;
        }
        let result = run_http(
            &config,
            state.clone(),
            threads,
            reuse_port,
            handle_signals,
            ready_tx,
            stop_rx,
        );
        // Drained (or failed): let the executors finish what is queued and stop.
        state.shutting_down.store(true, Ordering::SeqCst);
        for m in served.values() {
            m.queue.close();
        }
        result
    })?;
    drop(loaded);
    drop(device);
    Ok(())
}

fn bind(addr: SocketAddr, reuse_port: bool) -> Result<std::net::TcpListener, ServeError> {
    use socket2::{Domain, Socket, Type};
    let err = |source| ServeError::Listen { addr, source };
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None).map_err(err)?;
    socket.set_reuse_address(true).map_err(err)?;
    if reuse_port {
        // Multi-process mode: every worker binds the same port; the kernel spreads connections.
        socket.set_reuse_port(true).map_err(err)?;
    }
    socket.bind(&addr.into()).map_err(err)?;
    socket.listen(1024).map_err(err)?;
    socket.set_nonblocking(true).map_err(err)?;
    Ok(socket.into())
}

fn run_http(
    config: &ServeConfig,
    state: Arc<AppState>,
    threads: usize,
    reuse_port: bool,
    handle_signals: bool,
    ready_tx: std::sync::mpsc::Sender<SocketAddr>,
    stop_rx: oneshot::Receiver<()>,
) -> Result<(), ServeError> {
    let io = |what| move |source| ServeError::Io { what, source };
    let addr = SocketAddr::new(config.host, config.port);
    let std_listener = bind(addr, reuse_port)?;
    let local = std_listener
        .local_addr()
        .map_err(|source| ServeError::Listen { addr, source })?;
    let drain = config.shutdown_timeout();
    let (stop_tx, stop_watch) = tokio::sync::watch::channel(false);
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..threads.max(1))
        .map(|_| tokio::sync::mpsc::unbounded_channel())
        .unzip();
    let mut receivers = receivers.into_iter().enumerate();
    let (_, first_rx) = receivers.next().expect("at least one shard");
    let rt = shards::shard_runtime().map_err(io("starting the tokio runtime"))?;
    // Shards 1..n on threads of their own; shard 0 on this thread with the accept loop.
    let mut others = Vec::new();
    for (index, rx) in receivers {
        let (router, stop) = (router(Arc::clone(&state)), stop_watch.clone());
        let shard_rt = shards::shard_runtime().map_err(io("starting the tokio runtime"))?;
        let thread = std::thread::Builder::new()
            .name(format!("serve-http-{index}"))
            .spawn(move || {
                shard_rt.block_on(shards::serve_shard(index, rx, local, router, stop, drain))
            })
            .map_err(io("spawning an HTTP thread"))?;
        others.push(thread);
    }
    let result = rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(std_listener)
            .map_err(|source| ServeError::Listen { addr, source })?;
        let acceptor = tokio::spawn(shards::accept_loop(listener, senders, stop_watch.clone()));
        let shard0 = tokio::spawn(shards::serve_shard(
            0,
            first_rx,
            local,
            router(Arc::clone(&state)),
            stop_watch.clone(),
            drain,
        ));
        let _ = ready_tx.send(local);
        wait_for_stop(stop_rx, handle_signals).await;
        state.shutting_down.store(true, Ordering::SeqCst);
        let _ = stop_tx.send(true);
        let _ = acceptor.await;
        let _ = shard0.await;
        Ok(())
    });
    for t in others {
        if t.join().is_err() {
            eprintln!("serve: an HTTP thread panicked");
        }
    }
    result
}

async fn wait_for_stop(stop_rx: oneshot::Receiver<()>, handle_signals: bool) {
    if !handle_signals {
        let _ = stop_rx.await;
        return;
    }
    use tokio::signal::unix::{SignalKind, signal};
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        _ => {
            eprintln!("serve: cannot install signal handlers; stop with the handle only");
            let _ = stop_rx.await;
            return;
        }
    };
    tokio::select! {
        _ = stop_rx => {}
        _ = term.recv() => eprintln!("serve: SIGTERM received, draining"),
        _ = int.recv() => eprintln!("serve: SIGINT received, draining"),
    }
}
