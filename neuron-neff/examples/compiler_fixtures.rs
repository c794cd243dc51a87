//! Writes NEFFs in the Neuron compiler's layout (`CompilerNeffBuilder`) to a directory: valid
//! ones (gzip and plain tar, LNC 1 and 2, every fallback) and malformed ones, plus their payloads
//! and JSON members. Used by `fuzz/generate-seeds` for the fuzz seeds and to try the emulator's
//! loader from C (`run_neff`-style clients).
//!
//! ```text
//! cargo run -p neuron-neff --example compiler_fixtures -- OUT_DIR
//! ```

use neuron_neff::{CompilerNeffBuilder, DType, Neff};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: compiler_fixtures OUT_DIR")?;
    let out = Path::new(&out);
    std::fs::create_dir_all(out)?;
    let m = || CompilerNeffBuilder::matmul("file.neff", 2, 4, 3).padding(64);
    let fixtures: Vec<(&str, CompilerNeffBuilder)> = vec![
        ("matmul_lnc2", m()),
        ("matmul_lnc1", m().lnc(1).duplicate_heads(false)),
        ("matmul_plain_tar", m().compressed(false)),
        ("matmul_stored", m().compression_level(0)),
        ("no_attrs", m().without_attrs()),
        ("tensor_map_only", m().without_attrs().without_signature()),
        (
            "lnc1_mixed",
            CompilerNeffBuilder::new("mixed.neff")
                .input("a", DType::Bfloat16, &[2, 2])
                .input("b", DType::Int64, &[3])
                .output("c", DType::Uint8, &[])
                .output("d", DType::Float32, &[1, 2, 3]),
        ),
        ("bad_def_size", m().def_size("x", 7)),
        ("bad_json", m().replace_member("neff.json", "{\"nodes\": [")),
        ("missing_kelf", m().remove_member("kelf-0.json")),
        ("unknown_dtype", m().input_raw("q", "complex64", &[2])),
    ];
    for (name, b) in fixtures {
        let bytes = b.build()?;
        std::fs::write(out.join(format!("{name}.neff")), &bytes)?;
        let neff = Neff::parse(&bytes)?;
        std::fs::write(out.join(format!("{name}.payload")), neff.payload())?;
        if let Ok(tar) = neff.tar_payload() {
            std::fs::write(out.join(format!("{name}.tar")), &tar[..])?;
        }
        for (member, data) in b.members() {
            if member.ends_with(".json") {
                let file = format!("{name}.{}", member.replace('/', "_"));
                std::fs::write(out.join(file), data)?;
            }
        }
    }
    println!("wrote fixtures to {}", out.display());
    Ok(())
}
