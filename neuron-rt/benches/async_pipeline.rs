//! Async execution throughput against the device limit (plain `Instant` harness,
//! `harness = false`), on the built-in emulator.
//!
//! Run: `cargo bench -p neuron-rt --bench async_pipeline` (short; `ASYNC_BENCH_SCALE=5` for a
//! longer, quieter-machine run). Two parts, ratios within one run:
//!
//! 1. **Overlap.** A no-op model with device time `D` and `S` bytes in and out; the emulator's
//!    host bandwidth option makes each copy take `C = S / bandwidth`. A sync loop
//!    (`IoBinding`: write, execute, read) can reach `1 / (2C + D)`; the async pipeline can
//!    overlap the copies of one request with the compute of another, up to the limit
//!    `1 / max(D, C)`. Measured: sync, and `Pipeline` of depth 1, 2, 4. Target: depth ≥ 2
//!    reaches ≥ 0.95 × the limit.
//! 2. **Concurrency.** 10,000 (× scale) `run_async` futures spawned at once on a 2-worker tokio
//!    runtime across 8 single-core groups (model device time `D2`, small I/O): throughput
//!    against the device limit `8 / D2`; target ≥ 0.95. The futures await; no executor thread
//!    blocks.
//! 3. **Waiting strategy.** Per-request cost (device time 0 and 100 µs, 64 B copies, one request
//!    at a time on a current-thread tokio runtime) of `AsyncBinding::submit().await` — waited for by the
//!    device's reactor thread — against the same write → execute → read chain on the raw
//!    `nrta_*` table where each step awaits its completion handle with tokio's `AsyncFd`
//!    (registered with tokio's own reactor; no extra thread).

use neuron_neff::ModelBuilder;
use neuron_rt::neuron_rt_sys::{
    NRT_STATUS, NRT_TENSOR_PLACEMENT_DEVICE, NrtApi, nrt_model_t, nrt_tensor_set_t, nrt_tensor_t,
};
use neuron_rt::{Backend, Device, Input, Model};
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

const D: Duration = Duration::from_millis(2);
const S: usize = 256 * 1024;
const BANDWIDTH: f64 = 256.0 * 1024.0 * 1024.0; // bytes/s: C = 1 ms
const D2: Duration = Duration::from_millis(2);
const GROUPS: usize = 8;

fn scale() -> usize {
    std::env::var("ASYNC_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lock_dir =
        std::env::temp_dir().join(format!("neuron-rt-async-bench-{}", std::process::id()));
    let open = || {
        Device::builder()
            .backend(Backend::emulator("inf2.48xlarge"))
            .emulator_lock_dir(&lock_dir)
            .open()
    };
    // Part 3 first, with instantaneous copies (no bandwidth limit): only the software path.
    {
        let device = open()?;
        for device_time in [Duration::ZERO, Duration::from_micros(100)] {
            waiting_strategy(&device, device_time)?;
        }
    }
    // The emulator reads the bandwidth at nrt_init (the next Device::open).
    // SAFETY: single-threaded here (the previous device and its threads are gone); nothing
    // else reads the environment concurrently.
    unsafe { std::env::set_var("NEURON_RT_EMULATOR_HOST_BANDWIDTH", BANDWIDTH.to_string()) };
    let device = open()?;
    overlap(&device)?;
    concurrency(&device)?;
    Ok(())
}

/// A no-op model with 64-byte tensors made through the raw table (for the AsyncFd variant).
struct RawIo {
    api: NrtApi,
    model: *mut nrt_model_t,
    sets: [*mut nrt_tensor_set_t; 2],
    tensors: [*mut nrt_tensor_t; 2],
}

impl RawIo {
    fn new(neff: &[u8], vnc: i32) -> Result<RawIo, Box<dyn std::error::Error>> {
        let api = NrtApi::emulator();
        let mut raw = RawIo {
            api,
            model: std::ptr::null_mut(),
            sets: [std::ptr::null_mut(); 2],
            tensors: [std::ptr::null_mut(); 2],
        };
        let ok = |st: NRT_STATUS, call: &str| {
            if st.is_success() {
                Ok(())
            } else {
                Err(format!("{call}: {st}"))
            }
        };
        // SAFETY: valid buffers and out-pointers; every handle is recorded for Drop.
        unsafe {
            ok(
                (raw.api.nrt_load)(neff.as_ptr().cast(), neff.len(), vnc, -1, &mut raw.model),
                "nrt_load",
            )?;
            for (i, name) in [c"input", c"output"].into_iter().enumerate() {
                ok((raw.api.nrt_allocate_tensor_set)(&mut raw.sets[i]), "set")?;
                ok(
                    (raw.api.nrt_tensor_allocate)(
                        NRT_TENSOR_PLACEMENT_DEVICE,
                        vnc,
                        64,
                        name.as_ptr(),
                        &mut raw.tensors[i],
                    ),
                    "tensor",
                )?;
                ok(
                    (raw.api.nrt_add_tensor_to_tensor_set)(
                        raw.sets[i],
                        name.as_ptr(),
                        raw.tensors[i],
                    ),
                    "add",
                )?;
            }
        }
        Ok(raw)
    }

    /// One request: write, execute, read, each step awaited with tokio's AsyncFd.
    async fn request(
        &self,
        host_in: &[u8; 64],
        host_out: &mut [u8; 64],
    ) -> Result<(), Box<dyn std::error::Error>> {
        let api = &self.api;
        let mut seq = 0;
        // SAFETY: live handles of this table; the host buffers outlive the awaited completion.
        let st = unsafe {
            (api.nrta_tensor_write.get()?)(
                self.tensors[0],
                host_in.as_ptr().cast(),
                0,
                64,
                0,
                std::ptr::null_mut(),
                &mut seq,
            )
        };
        self.await_seq(st, seq).await?;
        // SAFETY: as above.
        let st = unsafe {
            (api.nrta_execute_schedule.get()?)(
                self.model,
                self.sets[0],
                self.sets[1],
                0,
                std::ptr::null_mut(),
                &mut seq,
            )
        };
        self.await_seq(st, seq).await?;
        // SAFETY: as above.
        let st = unsafe {
            (api.nrta_tensor_read.get()?)(
                host_out.as_mut_ptr().cast(),
                self.tensors[1],
                0,
                64,
                0,
                std::ptr::null_mut(),
                &mut seq,
            )
        };
        self.await_seq(st, seq).await
    }

    async fn await_seq(&self, st: NRT_STATUS, seq: u64) -> Result<(), Box<dyn std::error::Error>> {
        if !st.is_success() {
            return Err(format!("schedule: {st}").into());
        }
        let mut fd = -1;
        // SAFETY: valid out-pointer.
        let st = unsafe { (self.api.nrta_get_completion_handle.get()?)(seq, &mut fd) };
        if !st.is_success() {
            return Err(format!("nrta_get_completion_handle: {st}").into());
        }
        // SAFETY: a new descriptor owned by us (nrt_async.h: the caller closes it).
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: `owned` is an open descriptor that the AsyncFd owns until it is dropped; it is
        // never replaced or closed meanwhile.
        let afd = unsafe {
            tokio::io::unix::AsyncFd::register_with_interest(owned, tokio::io::Interest::READABLE)
        }
        .map_err(|e| e.to_string())?;
        let _ready = afd.readable().await?;
        Ok(())
    }
}

impl Drop for RawIo {
    fn drop(&mut self) {
        // SAFETY: handles made by this table, freed once (sets before tensors).
        unsafe {
            for set in &mut self.sets {
                if !set.is_null() {
                    (self.api.nrt_destroy_tensor_set)(set);
                }
            }
            for tensor in &mut self.tensors {
                if !tensor.is_null() {
                    (self.api.nrt_tensor_free)(tensor);
                }
            }
            if !self.model.is_null() {
                let _ = (self.api.nrt_unload)(self.model);
            }
        }
    }
}

fn waiting_strategy(
    device: &Device,
    device_time: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let n = 1000 * scale();
    let neff = ModelBuilder::noop("noop", 64, 64)
        .device_time(device_time)
        .build()?;
    let model = device.core_group_of_size(1)?.load(&neff)?;
    let other = device.core_group_of_size(1)?;
    let raw = RawIo::new(&neff, i32::try_from(other.cores().start())?)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut binding = model.async_binding()?;
    let (host_in, mut host_out) = ([1u8; 64], [0u8; 64]);
    let (mut ours, mut asyncfd) = (Vec::new(), Vec::new());
    runtime.block_on(async {
        for round in 0..5 {
            for k in 0..2 {
                let t0 = Instant::now();
                if (k + round) % 2 == 0 {
                    for _ in 0..n {
                        binding.write_input_at(0, &host_in)?;
                        binding.submit().await?;
                        binding.read_output_at(0, &mut host_out)?;
                    }
                    ours.push(t0.elapsed().as_nanos() as f64 / n as f64);
                } else {
                    for _ in 0..n {
                        raw.request(&host_in, &mut host_out).await?;
                    }
                    asyncfd.push(t0.elapsed().as_nanos() as f64 / n as f64);
                }
            }
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, b) = (median(&mut ours), median(&mut asyncfd));
    println!(
        "waiting strategy, D = {} us ({n} sequential requests x 5 rounds, median): neuron-rt (reactor thread) {a:.0} ns/request, tokio AsyncFd per step {b:.0} ns/request (ratio {:.2})",
        device_time.as_micros(),
        a / b
    );
    drop(other);
    Ok(())
}

fn overlap(device: &Device) -> Result<(), Box<dyn std::error::Error>> {
    let n = 150 * scale();
    let neff = ModelBuilder::noop("io-model", S, S)
        .device_time(D)
        .build()?;
    let model = device.core_group_of_size(1)?.load(&neff)?;
    let copy = S as f64 / BANDWIDTH;
    let d = D.as_secs_f64();
    let limit = 1.0 / d.max(copy);
    let sync_limit = 1.0 / (2.0 * copy + d);
    println!(
        "overlap: D = {:.2} ms, S = {} KiB in + out, copy C = {:.2} ms; limit 1/max(D, C) = {:.0}/s, sync bound 1/(2C+D) = {:.0}/s, {n} requests each",
        d * 1e3,
        S / 1024,
        copy * 1e3,
        limit,
        sync_limit
    );
    let input = vec![1u8; S];
    let mut output = vec![0u8; S];

    let mut binding = model.binding()?;
    binding.write_input_at(0, &input)?; // warm-up
    binding.execute()?;
    let t0 = Instant::now();
    for _ in 0..n {
        binding.write_input_at(0, &input)?;
        binding.execute()?;
        binding.read_output_at(0, &mut output)?;
    }
    let sync = n as f64 / t0.elapsed().as_secs_f64();
    drop(binding);
    println!(
        "  sync loop           {:>7.1} req/s  {:.3} of limit",
        sync,
        sync / limit
    );
    for depth in [1, 2, 4] {
        let rate = pipeline_rate(&model, depth, n, &input, &mut output)?;
        let ratio = rate / limit;
        let verdict = if depth == 1 {
            "(no overlap possible)"
        } else if ratio >= 0.95 {
            "PASS (>= 0.95)"
        } else {
            "FAIL (< 0.95)"
        };
        println!("  pipeline depth {depth}    {rate:>7.1} req/s  {ratio:.3} of limit  {verdict}");
    }
    Ok(())
}

fn pipeline_rate(
    model: &Model<'_>,
    depth: usize,
    n: usize,
    input: &[u8],
    output: &mut [u8],
) -> Result<f64, Box<dyn std::error::Error>> {
    let mut pipeline = model.pipeline(depth)?;
    // warm-up (allocations, reactor start)
    neuron_rt::block_on(pipeline.run(depth, |_, b| b.write_input_at(0, input), |_, _| Ok(())))?;
    let t0 = Instant::now();
    neuron_rt::block_on(pipeline.run(
        n,
        |_, b| b.write_input_at(0, input),
        |_, b| b.read_output_at(0, output),
    ))?;
    Ok(n as f64 / t0.elapsed().as_secs_f64())
}

fn concurrency(device: &Device) -> Result<(), Box<dyn std::error::Error>> {
    let total = 10_000 * scale();
    let neff = ModelBuilder::noop("small", 64, 64)
        .device_time(D2)
        .build()?;
    // 'static borrows for tokio::spawn: the device and models live until the process exits.
    let device: &'static Device = Box::leak(Box::new(device.clone()));
    let models: &'static [Model<'static>] = Box::leak(
        (0..GROUPS)
            .map(|_| device.core_group_of_size(1)?.load(&neff))
            .collect::<Result<Vec<_>, _>>()?
            .into_boxed_slice(),
    );
    let limit = GROUPS as f64 / D2.as_secs_f64();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let input: &'static ndarray::Array1<u8> =
        Box::leak(Box::new(ndarray::Array1::from_elem(64, 3u8)));
    let elapsed = runtime.block_on(async move {
        // warm-up: one request per model
        for model in models {
            model.run_async(&[Input::new("input", input)]).await?;
        }
        let t0 = Instant::now();
        let handles: Vec<_> = (0..total)
            .map(|i| {
                tokio::spawn(async move {
                    let inputs = [Input::new("input", input)];
                    models[i % GROUPS].run_async(&inputs).await.map(|_| ())
                })
            })
            .collect();
        for handle in handles {
            handle.await??;
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(t0.elapsed())
    });
    let elapsed = elapsed.map_err(|e| e.to_string())?;
    let rate = total as f64 / elapsed.as_secs_f64();
    let ratio = rate / limit;
    println!(
        "concurrency: {total} run_async futures on a 2-worker tokio runtime, {GROUPS} groups, D = {:.1} ms: {:.0} req/s, device limit {:.0} req/s, {ratio:.3} of limit  {}",
        D2.as_secs_f64() * 1e3,
        rate,
        limit,
        if ratio >= 0.95 {
            "PASS (>= 0.95)"
        } else {
            "FAIL (< 0.95)"
        }
    );
    Ok(())
}
