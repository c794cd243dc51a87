//! `neff`: inspect NEFF files and write emulator models.
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

use neuron_neff::{HashCheck, ModelBuilder, Neff};

const HELP: &str = "\
neff — inspect NEFF files and write neuron-rt emulator models

USAGE:
    neff inspect FILE
    neff mlp OUT [--layers 4,16,3] [--batch 8] [--cores 1] [--device-time-us 100] [--seed 1]
                 [--name mlp] [--lnc 1]
    neff noop OUT [--input-bytes 4] [--output-bytes 4] [--cores 1] [--device-time-us 0]
                  [--name noop] [--lnc 1]
    neff --help

COMMANDS:
    inspect   print the header fields, payload members, emulator program (tensors and ops)
              and whether the header hash matches the payload
    mlp       write a multi-layer perceptron: input \"input\" [batch, layers[0]], dense layers
              with relu, softmax into output \"probs\"; weights from a xorshift64 seeded --seed
    noop      write a model with one UINT8 input and output and no ops (overhead benchmarks)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
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

fn run(args: &[String]) -> Result<String, String> {
    match args.first().map(String::as_str) {
        None => Err(format!("no command given\n\n{HELP}")),
        Some("-h" | "--help" | "help") => Ok(HELP.to_string()),
        Some("inspect") => match &args[1..] {
            [file] => inspect(file),
            _ => Err("usage: neff inspect FILE".into()),
        },
        Some(cmd @ ("mlp" | "noop")) => write_model(cmd, &args[1..]),
        Some(other) => Err(format!(
            "unknown command '{other}'; expected inspect, mlp or noop (see neff --help)"
        )),
    }
}

struct Opts {
    layers: Vec<usize>,
    batch: usize,
    cores: u32,
    lnc: u32,
    device_time_us: Option<u64>,
    seed: u64,
    name: Option<String>,
    input_bytes: usize,
    output_bytes: usize,
}

fn num<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{flag} expects a non-negative integer, got '{v}'"))
}

fn write_model(cmd: &str, args: &[String]) -> Result<String, String> {
    let Some((out, rest)) = args.split_first() else {
        return Err(format!("usage: neff {cmd} OUT [options] (see neff --help)"));
    };
    if out.starts_with("--") {
        return Err(format!(
            "neff {cmd}: the output file comes first, got option '{out}'"
        ));
    }
    let mut o = Opts {
        layers: vec![4, 16, 3],
        batch: 8,
        cores: 1,
        lnc: 1,
        device_time_us: None,
        seed: 1,
        name: None,
        input_bytes: 4,
        output_bytes: 4,
    };
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let Some(v) = it.next() else {
            return Err(format!("{flag} needs a value"));
        };
        match (cmd, flag.as_str()) {
            ("mlp", "--layers") => {
                o.layers = v
                    .split(',')
                    .map(|s| num(flag, s.trim()))
                    .collect::<Result<_, _>>()?;
            }
            ("mlp", "--batch") => o.batch = num(flag, v)?,
            ("mlp", "--seed") => o.seed = num(flag, v)?,
            ("noop", "--input-bytes") => o.input_bytes = num(flag, v)?,
            ("noop", "--output-bytes") => o.output_bytes = num(flag, v)?,
            (_, "--cores") => o.cores = num(flag, v)?,
            (_, "--lnc") => o.lnc = num(flag, v)?,
            (_, "--device-time-us") => o.device_time_us = Some(num(flag, v)?),
            (_, "--name") => o.name = Some(v.clone()),
            _ => {
                return Err(format!(
                    "neff {cmd}: unknown option '{flag}' (see neff --help)"
                ));
            }
        }
    }
    let builder = if cmd == "mlp" {
        ModelBuilder::mlp(
            o.name.clone().unwrap_or_else(|| "mlp".into()),
            &o.layers,
            o.batch,
            o.seed,
        )
        .device_time(Duration::from_micros(o.device_time_us.unwrap_or(100)))
    } else {
        ModelBuilder::noop(
            o.name.clone().unwrap_or_else(|| "noop".into()),
            o.input_bytes,
            o.output_bytes,
        )
        .device_time(Duration::from_micros(o.device_time_us.unwrap_or(0)))
    };
    let bytes = builder
        .cores(o.cores)
        .lnc(o.lnc)
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
            HashCheck::NotChecked => "not checked (pkg_version 2 carries an MD5)",
        }
    );
    if neff.is_compressed() {
        let _ = writeln!(w, "members              (gzip payload; not listed)");
        return Ok(s);
    }
    match neff.members() {
        Ok(members) => {
            let _ = writeln!(w, "members              {}", members.len());
            for m in &members {
                let _ = writeln!(
                    w,
                    "  {:<40} {:>10} bytes  type '{}'",
                    m.name_str(),
                    m.data.len(),
                    if m.type_flag == 0 {
                        '0'
                    } else {
                        m.type_flag as char
                    }
                );
            }
        }
        Err(e) => {
            let _ = writeln!(w, "members              ERROR: {e}");
            return Ok(s);
        }
    }
    match neff.program() {
        Ok(None) => {
            let _ = writeln!(
                w,
                "program              none (not an emulator NEFF: loads for metadata only)"
            );
        }
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
