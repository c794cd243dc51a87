//! Per-call overhead of `IoBinding::execute` on a no-op model, on both paths (plain `Instant`
//! harness, `harness = false`).
//!
//! Run (the second path needs the drop-in library; without `NEURON_RT_BENCH_LIBRARY` only the
//! first is measured):
//!
//! ```text
//! make -C neuron-rt-sys/emulator OUT=/tmp/emu
//! NEURON_RT_BENCH_LIBRARY=/tmp/emu/libnrt.so.1 NEURON_RT_EMULATOR_LOCK_DIR=/tmp/emu-locks \
//!   cargo bench --bench execute_overhead
//! ```
//!
//! Paths:
//! * **built-in**: the emulator compiled into neuron-rt-sys (`Backend::Emulator`); the C loop
//!   calls its `neuron_rt_emu_nrt_execute` directly (`benches/c/exec_loop.c`);
//! * **drop-in**: the emulator's standalone `libnrt.so.1`, loaded as the real runtime
//!   (`Backend::Hardware { library }`); the C loop calls the library's `nrt_execute` through its
//!   address, as a C client linked with `-lnrt` does through the PLT.
//!
//! On each path, three ways of executing the same no-op model (no ops, zero device time, 64-byte
//! input and output): `safe` = `IoBinding::execute` (model on core 0); `raw` =
//! `(api.nrt_execute)(model, in, out)` through the function table; `C` = the C loop (raw and C on
//! a model made with raw calls on core 1). They are interleaved over `ROUNDS` rounds of `ITERS`
//! calls (the order rotates every round); the table shows the median and the best round, and
//! the verdict is safe/C ≤ `TARGET_RATIO` on the best rounds (the machine is shared: the best of
//! several rounds is the least disturbed).

use std::ffi::{CStr, c_long, c_void};
use std::hint::black_box;
use std::ptr;
use std::time::Instant;

use neuron_neff::ModelBuilder;
use neuron_rt::{Backend, Device};
use neuron_rt_sys::{
    NRT_STATUS, NRT_TENSOR_PLACEMENT_DEVICE, NrtApi, nrt_model_t, nrt_tensor_set_t, nrt_tensor_t,
};

const ROUNDS: usize = 15;
const ITERS: usize = 100_000;
const WARMUP: usize = 20_000;
const IO_BYTES: usize = 64;
const TARGET_RATIO: f64 = 1.02;

type BoxError = Box<dyn std::error::Error>;

#[link(name = "neuron_rt_bench_exec_loop", kind = "static")]
unsafe extern "C" {
    /// `benches/c/exec_loop.c`: `iters` calls of `neuron_rt_emu_nrt_execute`; ns per call, or
    /// a negative status if one failed.
    fn nrt_bench_c_exec_loop(
        model: *mut c_void,
        input_set: *const c_void,
        output_set: *mut c_void,
        iters: c_long,
    ) -> f64;
    /// The same loop calling `execute`, a library's `nrt_execute`, through its address.
    fn nrt_bench_c_exec_loop_fn(
        execute: *mut c_void,
        model: *mut c_void,
        input_set: *const c_void,
        output_set: *mut c_void,
        iters: c_long,
    ) -> f64;
}

fn ok(status: NRT_STATUS, call: &str) -> Result<(), BoxError> {
    if status == NRT_STATUS::NRT_SUCCESS {
        Ok(())
    } else {
        Err(format!("{call} failed: {status:?}").into())
    }
}

/// A model, its tensors and tensor sets, all made and freed through the raw table.
struct RawModel<'a> {
    api: &'a NrtApi,
    model: *mut nrt_model_t,
    tensors: Vec<*mut nrt_tensor_t>,
    input_set: *mut nrt_tensor_set_t,
    output_set: *mut nrt_tensor_set_t,
}

impl<'a> RawModel<'a> {
    fn load(api: &'a NrtApi, neff: &[u8], vnc: i32) -> Result<Self, BoxError> {
        let mut raw = RawModel {
            api,
            model: ptr::null_mut(),
            tensors: Vec::new(),
            input_set: ptr::null_mut(),
            output_set: ptr::null_mut(),
        };
        // SAFETY: `neff` is a valid buffer of `neff.len()` bytes; the out pointer is valid.
        let status =
            unsafe { (api.nrt_load)(neff.as_ptr().cast(), neff.len(), vnc, 1, &mut raw.model) };
        ok(status, "nrt_load")?;
        // SAFETY: valid out pointers; on failure `Drop` frees whatever was made.
        unsafe {
            ok(
                (api.nrt_allocate_tensor_set)(&mut raw.input_set),
                "nrt_allocate_tensor_set",
            )?;
            ok(
                (api.nrt_allocate_tensor_set)(&mut raw.output_set),
                "nrt_allocate_tensor_set",
            )?;
        }
        let io: [(&CStr, *mut nrt_tensor_set_t); 2] =
            [(c"input", raw.input_set), (c"output", raw.output_set)];
        for (name, set) in io {
            let mut tensor = ptr::null_mut();
            // SAFETY: `name` is NUL-terminated, `set` is a live set from this table and the out
            // pointer is valid; the tensor is recorded for `Drop` before it is added.
            unsafe {
                ok(
                    (api.nrt_tensor_allocate)(
                        NRT_TENSOR_PLACEMENT_DEVICE,
                        vnc,
                        IO_BYTES,
                        name.as_ptr(),
                        &mut tensor,
                    ),
                    "nrt_tensor_allocate",
                )?;
                raw.tensors.push(tensor);
                ok(
                    (api.nrt_add_tensor_to_tensor_set)(set, name.as_ptr(), tensor),
                    "nrt_add_tensor_to_tensor_set",
                )?;
            }
        }
        Ok(raw)
    }

    #[inline]
    fn execute(&self) -> NRT_STATUS {
        // SAFETY: model and sets are live handles from this table, freed only in `Drop`.
        unsafe { (self.api.nrt_execute)(self.model, self.input_set, self.output_set) }
    }
}

impl Drop for RawModel<'_> {
    fn drop(&mut self) {
        // SAFETY: every handle was made by this table and is freed exactly once (sets first:
        // they refer to the tensors); null handles are skipped.
        unsafe {
            if !self.input_set.is_null() {
                (self.api.nrt_destroy_tensor_set)(&mut self.input_set);
            }
            if !self.output_set.is_null() {
                (self.api.nrt_destroy_tensor_set)(&mut self.output_set);
            }
            for tensor in &mut self.tensors {
                (self.api.nrt_tensor_free)(tensor);
            }
            if !self.model.is_null() {
                let _ = (self.api.nrt_unload)(self.model);
            }
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Which C loop a path is compared with.
#[derive(Clone, Copy)]
enum CLoop {
    /// The built-in emulator's prefixed symbol, called directly.
    Direct,
    /// The table's `nrt_execute`, called through its address.
    Pointer,
}

/// Median and best ns/call of the three methods on one path.
struct PathResult {
    name: &'static str,
    safe: (f64, f64),
    raw: (f64, f64),
    c: (f64, f64),
}

fn bench_path(
    name: &'static str,
    device: &Device,
    api: &NrtApi,
    c_loop: CLoop,
    neff: &[u8],
) -> Result<PathResult, BoxError> {
    let model = device.core_group_of_size(1)?.load(neff)?;
    let safe_vnc = model.group().cores().start();
    let raw_vnc = if safe_vnc == 0 { 1 } else { 0 };
    let mut binding = model.binding()?;
    binding.write_input_at(0, &[1u8; IO_BYTES])?;
    let raw = RawModel::load(api, neff, raw_vnc)?;

    let safe_loop =
        |binding: &mut neuron_rt::IoBinding<'_, '_>, n: usize| -> Result<f64, BoxError> {
            let t = Instant::now();
            for _ in 0..n {
                black_box(&mut *binding).execute()?;
            }
            Ok(t.elapsed().as_nanos() as f64 / n as f64)
        };
    let raw_loop = |n: usize| -> Result<f64, BoxError> {
        let t = Instant::now();
        for _ in 0..n {
            ok(black_box(&raw).execute(), "nrt_execute")?;
        }
        Ok(t.elapsed().as_nanos() as f64 / n as f64)
    };
    let c = |n: usize| -> Result<f64, BoxError> {
        let n = c_long::try_from(n)?;
        let (model, input, output) = (
            raw.model.cast(),
            raw.input_set.cast_const().cast(),
            raw.output_set.cast(),
        );
        // SAFETY: the model and sets are live raw handles for the duration of the call, and
        // `api.nrt_execute` is the library's nrt_execute, which stays loaded.
        let ns = unsafe {
            match c_loop {
                CLoop::Direct => nrt_bench_c_exec_loop(model, input, output, n),
                CLoop::Pointer => nrt_bench_c_exec_loop_fn(
                    api.nrt_execute as *mut c_void,
                    model,
                    input,
                    output,
                    n,
                ),
            }
        };
        if ns < 0.0 {
            return Err(format!("nrt_execute (C loop) failed with status {}", -ns).into());
        }
        Ok(ns)
    };

    // Warm-up: caches, branch predictors, CPU frequency.
    safe_loop(&mut binding, WARMUP)?;
    raw_loop(WARMUP)?;
    c(WARMUP)?;

    println!(
        "{name}: no-op model ({IO_BYTES} B in / {IO_BYTES} B out), safe on core {safe_vnc}, \
         raw + C on core {raw_vnc}; {ROUNDS} rounds x {ITERS} calls"
    );
    let (mut safe, mut rawv, mut cv) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Rotate the order so no method always runs first or last.
        for k in 0..3 {
            match (round + k) % 3 {
                0 => safe.push(safe_loop(&mut binding, ITERS)?),
                1 => rawv.push(raw_loop(ITERS)?),
                _ => cv.push(c(ITERS)?),
            }
        }
        println!(
            "  round {round}: safe {:7.1} ns  raw {:7.1} ns  C {:7.1} ns",
            safe[round], rawv[round], cv[round]
        );
    }
    let stats = |v: &mut Vec<f64>| (median(v), v.iter().copied().fold(f64::INFINITY, f64::min));
    Ok(PathResult {
        name,
        safe: stats(&mut safe),
        raw: stats(&mut rawv),
        c: stats(&mut cv),
    })
}

fn main() -> Result<(), BoxError> {
    let neff = ModelBuilder::noop("noop", IO_BYTES, IO_BYTES).build()?;
    let lock_dir = std::env::temp_dir().join(format!("neuron-rt-bench-{}", std::process::id()));
    std::fs::create_dir_all(&lock_dir)?;
    let mut results = Vec::new();

    // Path 1: the built-in emulator. One Device per process at a time: closed before path 2.
    {
        let device = Device::builder()
            .backend(Backend::emulator("inf2.xlarge"))
            .emulator_lock_dir(&lock_dir)
            .open()?;
        let api = NrtApi::emulator();
        results.push(bench_path(
            "built-in emulator",
            &device,
            &api,
            CLoop::Direct,
            &neff,
        )?);
        device.close()?;
    }

    // Path 2: the drop-in libnrt.so.1 loaded as the real runtime.
    match std::env::var_os("NEURON_RT_BENCH_LIBRARY") {
        Some(library) => {
            let library = std::path::PathBuf::from(library);
            let device = Device::builder()
                .backend(Backend::Hardware {
                    library: Some(library.clone()),
                })
                .open()?;
            // The same library (the loader keeps one per path): the Device already ran nrt_init.
            let api = NrtApi::load(Some(&library))?;
            results.push(bench_path(
                "drop-in libnrt.so.1 via Backend::Hardware",
                &device,
                &api,
                CLoop::Pointer,
                &neff,
            )?);
            device.close()?;
        }
        None => println!(
            "(drop-in path skipped: set NEURON_RT_BENCH_LIBRARY to the libnrt.so.1 built by \
             `make -C neuron-rt-sys/emulator`)"
        ),
    }

    println!();
    println!(
        "| path | safe ns/call (median / best) | raw table | C loop | safe/C median | safe/C best |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut pass = true;
    for r in &results {
        let (median_ratio, best_ratio) = (r.safe.0 / r.c.0, r.safe.1 / r.c.1);
        pass &= best_ratio <= TARGET_RATIO;
        println!(
            "| {} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {median_ratio:.3} | {best_ratio:.3} |",
            r.name, r.safe.0, r.safe.1, r.raw.0, r.raw.1, r.c.0, r.c.1
        );
    }
    println!();
    println!(
        "target safe <= {TARGET_RATIO:.2} x C (best rounds) on every path: {}",
        if pass { "PASS" } else { "FAIL" }
    );
    let _ = std::fs::remove_dir_all(&lock_dir);
    Ok(())
}
