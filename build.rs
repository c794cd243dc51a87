//! Build script of the root package: compiles the C baselines used by
//! `benches/execute_overhead.rs` (`benches/c/exec_loop.c`) and `benches/async_overhead.rs`
//! (`benches/c/nrta_loop.c`) into static libraries in `OUT_DIR`.
//!
//! Only the search path is emitted here: the bench links the library itself
//! (`#[link(name = "neuron_rt_bench_exec_loop", kind = "static")]`), so the other targets of the
//! package do not carry it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=benches/c/exec_loop.c");
    println!("cargo:rerun-if-changed=benches/c/nrta_loop.c");
    println!("cargo:rerun-if-changed=neuron-rt-sys/include/nrt/nrt_async.h");
    println!("cargo:rerun-if-changed=neuron-rt-sys/include/nrt/nrt.h");
    println!("cargo:rerun-if-changed=neuron-rt-sys/include/nrt/nrt_status.h");
    cc::Build::new()
        .file("benches/c/exec_loop.c")
        .include("neuron-rt-sys/include")
        .opt_level(2)
        .warnings(true)
        .cargo_metadata(false)
        .compile("neuron_rt_bench_exec_loop");
    cc::Build::new()
        .file("benches/c/nrta_loop.c")
        .include("neuron-rt-sys/include")
        .opt_level(2)
        .warnings(true)
        .cargo_metadata(false)
        .compile("neuron_rt_bench_nrta_loop");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    println!("cargo:rustc-link-search=native={out_dir}");
}
