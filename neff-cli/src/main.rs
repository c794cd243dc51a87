//! `neff`: inspect NEFF files (emulator and Neuron-compiler layouts) and write emulator models.
//!
//! ```text
//! neff inspect FILE
//! neff mlp OUT [--layers 4,16,3] [--batch 8] [--cores 1] [--device-time-us 100] [--seed 1]
//!              [--name mlp] [--lnc 1]
//! neff noop OUT [--input-bytes 4] [--output-bytes 4] [--cores 1] [--device-time-us 0]
//!               [--name noop] [--lnc 1]
//! neff --help
//! ```
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use neuron_neff::{HashCheck, IoKind, ModelBuilder, Neff};

/// neff — inspect NEFF files and write neuron-rt emulator models
#[derive(Debug, Parser)]
#[command(name = "neff", version, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the header fields, payload members (gzip payloads too), the I/O tensors of a NEFF
    /// built by the Neuron compiler or the emulator program (tensors and ops), and whether the
    /// header hash matches the payload
    Inspect {
        /// The NEFF file
        file: String,
    },
    /// Write a multi-layer perceptron: input "input" of shape (batch, first layer size), dense layers with
    /// relu, softmax into output "probs"; weights from a xorshift64 seeded --seed
    Mlp {
        /// Output file
        out: String,
        /// Layer sizes, comma separated
        #[arg(long, value_delimiter = ',', default_value = "4,16,3")]
        layers: Vec<usize>,
        /// Batch size
        #[arg(long, default_value_t = 8)]
        batch: usize,
        /// Weight seed
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Simulated device time of one execution, microseconds
        #[arg(long, default_value_t = 100)]
        device_time_us: u64,
        #[command(flatten)]
        common: Common,
    },
    /// Write a model with one UINT8 input and output and no ops (overhead benchmarks)
    Noop {
        /// Output file
        out: String,
        /// Input size in bytes
        #[arg(long, default_value_t = 4)]
        input_bytes: usize,
        /// Output size in bytes
        #[arg(long, default_value_t = 4)]
        output_bytes: usize,
        /// Simulated device time of one execution, microseconds
        #[arg(long, default_value_t = 0)]
        device_time_us: u64,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Args)]
struct Common {
    /// Logical NeuronCores the model occupies
    #[arg(long, default_value_t = 1)]
    cores: u32,
    /// Logical core size recorded in the header (2 for trn2 at LNC 2)
    #[arg(long, default_value_t = 1)]
    lnc: u32,
    /// Model name in the header (default: the command's name)
    #[arg(long)]
    name: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Inspect { file } => inspect(file),
        Command::Mlp {
            out,
            layers,
            batch,
            seed,
            device_time_us,
            common,
        } => write_model(
            out,
            common,
            ModelBuilder::mlp(name(common, "mlp"), layers, *batch, *seed)
                .device_time(Duration::from_micros(*device_time_us)),
        ),
        Command::Noop {
            out,
            input_bytes,
            output_bytes,
            device_time_us,
            common,
        } => write_model(
            out,
            common,
            ModelBuilder::noop(name(common, "noop"), *input_bytes, *output_bytes)
                .device_time(Duration::from_micros(*device_time_us)),
        ),
    };
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("neff: {msg}");
            ExitCode::from(2)
        }
    }
}

fn name(common: &Common, default: &str) -> String {
    common.name.clone().unwrap_or_else(|| default.into())
}

fn write_model(out: &str, common: &Common, builder: ModelBuilder) -> Result<String, String> {
    let bytes = builder
        .cores(common.cores)
        .lnc(common.lnc)
        .build()
        .map_err(|e| format!("cannot build the model: {e}"))?;
    std::fs::write(out, &bytes).map_err(|e| format!("cannot write {out}: {e}"))?;
    Ok(format!("wrote {out} ({} bytes)\n", bytes.len()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn inspect(file: &str) -> Result<String, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let neff = Neff::parse(&bytes)
        .map_err(|e| format!("{file}: {e} (the runtime returns {})", e.status_name()))?;
    let h = neff.header();
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "file                 {file} ({} bytes)", bytes.len());
    let _ = writeln!(w, "name                 {}", h.name());
    let _ = writeln!(
        w,
        "pkg_version          {} ({})",
        h.pkg_version,
        if h.pkg_version == 1 {
            "tar"
        } else {
            "gzip tar"
        }
    );
    let _ = writeln!(w, "header_size          {}", h.header_size);
    let _ = writeln!(w, "data_size            {}", h.data_size);
    let _ = writeln!(
        w,
        "neff_version         {}.{}",
        h.neff_version_major, h.neff_version_minor
    );
    let _ = writeln!(w, "build_version        {}", h.build_version());
    let _ = writeln!(
        w,
        "num_tpb              {} (cores: {})",
        h.num_tpb,
        h.core_count()
    );
    let _ = writeln!(w, "requested_tpb_count  {}", h.requested_tpb_count);
    let _ = writeln!(
        w,
        "lnc_size             {} (LNC {})",
        h.lnc_size,
        h.lnc_size()
    );
    let _ = writeln!(w, "feature_bits         {:#x}", h.feature_bits);
    let tpn = if h.tpb_per_node.iter().all(|&b| b == 0) {
        "all zero".to_string()
    } else {
        hex(&h.tpb_per_node)
    };
    let _ = writeln!(w, "tpb_per_node         {tpn}");
    let _ = writeln!(w, "uuid                 {}", hex(&h.uuid));
    let _ = writeln!(w, "hash                 {}", hex(&h.hash));
    let _ = writeln!(
        w,
        "hash check           {}",
        match neff.hash_check() {
            HashCheck::Match => "ok (SHA-256 of the payload)",
            HashCheck::Mismatch =>
                "MISMATCH: the payload's SHA-256 differs (NEURON_RT_VALIDATE_HASH=1 would reject it)",
            HashCheck::NotChecked =>
                "not checked (pkg_version 2: a 16-byte MD5 whose input is undocumented; compiler NEFFs do not match the MD5 of the stored payload)",
        }
    );
    match neff.member_list() {
        Ok(members) => {
            let gz = if neff.is_compressed() {
                " (gzip payload, decompressed)"
            } else {
                ""
            };
            let _ = writeln!(w, "members              {}{gz}", members.len());
            for m in &members {
                let kind = if m.is_file { "" } else { "  (not a file)" };
                let _ = writeln!(w, "  {:<48} {:>10} bytes{kind}", m.name, m.size);
            }
        }
        Err(e) => {
            let _ = writeln!(w, "members              ERROR: {e}");
            return Ok(s);
        }
    }
    match neff.program() {
        Ok(None) => match neff.compiler_layout() {
            Ok(Some(layout)) => {
                let _ = writeln!(
                    w,
                    "compiler layout      {} tensors, {} subgraphs ({}); the emulator runs it \
                     as a timed execution (outputs are not computed)",
                    layout.tensors().len(),
                    layout.subgraphs().len(),
                    layout
                        .subgraphs()
                        .iter()
                        .map(|g| g.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                for t in layout.tensors() {
                    let dims: Vec<String> = t.shape.iter().map(u32::to_string).collect();
                    let _ = writeln!(
                        w,
                        "  {:<6} {}: {}[{}] {} bytes",
                        if t.kind == IoKind::Input {
                            "input"
                        } else {
                            "output"
                        },
                        t.name,
                        t.dtype.name(),
                        dims.join(", "),
                        t.size_bytes
                    );
                }
            }
            Ok(None) => {
                let _ = writeln!(
                    w,
                    "program              none (no emulator program and no neff.json: loads for \
                     metadata only)"
                );
            }
            Err(e) => {
                let _ = writeln!(w, "compiler layout      INVALID: {e}");
            }
        },
        Err(e) => {
            let _ = writeln!(w, "program              INVALID: {e}");
        }
        Ok(Some(p)) => {
            let _ = writeln!(
                w,
                "program              {} tensors, {} ops, device time {} ns, constants {} bytes, scratch {} bytes",
                p.tensors.len(),
                p.ops.len(),
                p.device_time_ns,
                p.constant_bytes(),
                p.scratch_bytes()
            );
            for (i, t) in p.tensors.iter().enumerate() {
                let dims: Vec<String> = t.dims.iter().map(u32::to_string).collect();
                let _ = writeln!(
                    w,
                    "  tensor {i:<4} {:<13} {:<24} {:<8} [{}] {} bytes",
                    t.kind.name(),
                    t.name,
                    t.dtype.name(),
                    dims.join(","),
                    t.size_bytes()
                );
            }
            for (i, op) in p.ops.iter().enumerate() {
                let ins: Vec<&str> = op
                    .inputs
                    .iter()
                    .map(|&x| p.tensors[x as usize].name.as_str())
                    .collect();
                let _ = writeln!(
                    w,
                    "  op {i:<4} {:<9} {} -> {}",
                    op.kind.name(),
                    ins.join(", "),
                    p.tensors[op.output as usize].name
                );
            }
        }
    }
    Ok(s)
}
