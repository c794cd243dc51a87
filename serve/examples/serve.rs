//! Open Inference Protocol (KServe v2) server with dynamic batching, on the emulator by default.
//!
//! ```text
//! cargo run --release --example serve                      # built-in MLP on 8 groups
//! cargo run --release --example serve -- --processes       # one process per group, shared port
//! cargo run --release --example serve -- --config serve.toml
//! cargo run --example serve -- --help
//! ```

fn main() {
    std::process::exit(neuron_rt_serve::cli::serve_main());
}
