//! Load generator for the serve example (loopback only, bounded by requests and time).
//!
//! ```text
//! cargo run --release --example loadgen                          # closed loop, 64 connections
//! cargo run --release --example loadgen -- --rate 20000          # open loop
//! cargo run --release --example loadgen -- --binary --rows 4 --json
//! ```

fn main() {
    std::process::exit(neuron_rt_serve::cli::loadgen_main());
}
