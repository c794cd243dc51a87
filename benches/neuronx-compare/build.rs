//! Compiles the C loop (`src/exec_loop.c`), which calls the linked `nrt_execute` directly, as a
//! C client of libnrt does; neuronx's build script links libnrt itself.

fn main() {
    println!("cargo:rerun-if-changed=src/exec_loop.c");
    cc::Build::new()
        .file("src/exec_loop.c")
        .include("../../neuron-rt-sys/include")
        .opt_level(2)
        .warnings(true)
        .compile("neuronx_compare_exec_loop");
}
