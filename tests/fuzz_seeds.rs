//! The generated fuzz seed corpora (`fuzz/seeds-generated/`) and their generator.
//!
//! Every seed is a real fixture written by `neuron_neff::ModelBuilder`, so fuzzing starts deep
//! inside the parsers instead of at the first check. This test checks that each seed is
//! accepted by the parser its target feeds (a seed the parser rejects at the first byte is a
//! wasted seed). The seeds are generated, not committed: with `UPDATE_FUZZ_SEEDS=1` it writes
//! them to `FUZZ_SEEDS_DIR` (default `fuzz/seeds-generated/`, gitignored), which
//! `fuzz/generate-seeds` does before every fuzz run:
//!
//! ```text
//! fuzz/generate-seeds        # these seeds plus the compiler-layout fixtures
//! ```
//!
//! Targets and what their seeds are: `neff_header`, `neff_container` and `emu_load` take whole
//! NEFF files (pkg_version 1, and one pkg_version 2 with a gzip payload of stored blocks); `program_decode` and `emu_program` take `nrtemu/program.bin` bytes. Seeds of
//! targets this generator does not know (added by hand) are left alone.

mod common;

use common::Rng;
use std::path::{Path, PathBuf};
use std::time::Duration;

use neuron_neff::{DType, ModelBuilder, Neff, NeffHeader, Program};

/// Targets fed whole NEFF files.
const NEFF_TARGETS: &[&str] = &["neff_header", "neff_container", "emu_load"];
/// Targets fed program bytes.
const PROGRAM_TARGETS: &[&str] = &["program_decode", "emu_program"];

fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.next_f32()).collect()
}

/// Small models that together use every op, broadcasting, non-f32 dtypes, several cores, LNC 2
/// and a simulated device time.
fn models() -> Vec<(&'static str, ModelBuilder)> {
    vec![
        ("mlp", ModelBuilder::mlp("mlp", &[4, 8, 3], 2, 1)),
        ("noop", ModelBuilder::noop("noop", 16, 8)),
        (
            "all_ops",
            ModelBuilder::new("all-ops")
                .device_time(Duration::from_micros(50))
                .input("x", DType::Float32, &[2, 3, 4])
                .constant_f32("w", &[4, 2], &values(8, 2))
                .constant_f32("b", &[2], &values(2, 3))
                .constant_f32("s", &[3, 1], &values(3, 4))
                .matmul("h", "x", "w")
                .add("hb", "h", "b")
                .mul("hs", "hb", "s")
                .relu("r", "hs")
                .softmax("p", "r")
                .identity("flat", "p", &[12])
                .output("p")
                .output("flat"),
        ),
        (
            "batched_matmul_2cores",
            ModelBuilder::new("bmm")
                .cores(2)
                .input("a", DType::Float32, &[2, 3, 4])
                .input("b", DType::Float32, &[2, 4, 2])
                .matmul("y", "a", "b")
                .output("y"),
        ),
        (
            "int_dtypes_lnc2",
            ModelBuilder::new("dtypes")
                .lnc(2)
                .input("i", DType::Int32, &[2, 3])
                .identity("i2", "i", &[6])
                .output("i2")
                .input("h", DType::Bfloat16, &[4])
                .identity("h2", "h", &[2, 2])
                .output("h2")
                .declare_output("unwritten", DType::Uint8, &[5]),
        ),
    ]
}

/// Every seed this generator writes: (target, file name, bytes).
fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, builder) in models() {
        let neff = builder
            .build()
            .unwrap_or_else(|e| panic!("seed model {name}: {e}"));
        let program = builder.program().unwrap().encode();
        for target in NEFF_TARGETS {
            out.push((*target, format!("{name}.neff"), neff.clone()));
        }
        for target in PROGRAM_TARGETS {
            out.push((*target, format!("{name}.bin"), program.clone()));
        }
    }
    // pkg_version 2 (what the Neuron compiler writes): the same tar, gzip-compressed.
    let mlp = models().remove(0).1.build().unwrap();
    let compressed = gzip_neff(&mlp);
    for target in NEFF_TARGETS {
        out.push((*target, "mlp_gzip.neff".to_string(), compressed.clone()));
    }
    // A header with an empty payload: the smallest NEFF the loader accepts.
    let empty = NeffHeader::new("empty").to_bytes().to_vec();
    for target in NEFF_TARGETS {
        out.push((*target, "empty_payload.neff".to_string(), empty.clone()));
    }
    out
}

/// CRC-32 (IEEE, reflected, polynomial 0xEDB88320), as gzip's trailer needs.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// `data` as a gzip member (RFC 1952) of stored deflate blocks (RFC 1951, BTYPE 00): valid gzip
/// without a compressor, so the seed needs no extra dependency.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]; // deflate, no flags, OS unknown
    let mut chunks = data.chunks(0xFFFF).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(chunk) = chunks.next() {
        let len = chunk.len() as u16;
        out.push(u8::from(chunks.peek().is_none())); // BFINAL on the last block
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// A pkg_version 2 NEFF: the payload of `neff` gzip-compressed, the header updated (the MD5
/// the compiler writes is not checked by the runtime, so the hash field is left as it was).
fn gzip_neff(neff: &[u8]) -> Vec<u8> {
    let mut header = NeffHeader::parse(neff).unwrap();
    let payload = gzip_stored(&neff[header.header_size as usize..]);
    header.pkg_version = 2;
    header.data_size = payload.len() as u64;
    let mut out = header.to_bytes().to_vec();
    out.extend_from_slice(&payload);
    out
}

/// The committed, hand-made seeds.
fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join("seeds")
}

/// Where `UPDATE_FUZZ_SEEDS=1` writes the generated seeds.
fn generated_dir() -> PathBuf {
    match std::env::var_os("FUZZ_SEEDS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz")
            .join("seeds-generated"),
    }
}

/// What the target's parser must accept in a seed.
fn check_accepted(target: &str, file: &str, bytes: &[u8]) {
    let what = format!("generated seed {target}/{file}");
    if NEFF_TARGETS.contains(&target) {
        let neff = Neff::parse(bytes).unwrap_or_else(|e| panic!("{what}: Neff::parse: {e}"));
        if let Some(program) = neff
            .program()
            .unwrap_or_else(|e| panic!("{what}: program: {e}"))
        {
            program.validate().unwrap_or_else(|e| panic!("{what}: {e}"));
        }
    } else {
        Program::decode(bytes).unwrap_or_else(|e| panic!("{what}: Program::decode: {e}"));
    }
}

#[test]
fn crc32_and_gzip_framing() {
    // The CRC-32 check value of "123456789" (RFC 1952's CRC, as zlib computes it).
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    let gz = gzip_stored(b"abc");
    assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
    assert_eq!(&gz[10..15], &[1, 3, 0, 0xFC, 0xFF]); // final stored block, LEN 3, NLEN !3
    assert_eq!(&gz[15..18], b"abc");
    assert_eq!(gz.len(), 10 + 5 + 3 + 8);
}

#[test]
fn seeds_are_accepted_and_written_on_request() {
    let update = std::env::var_os("UPDATE_FUZZ_SEEDS").is_some_and(|v| v == "1");
    let dir = generated_dir();
    let all = seeds();
    assert!(all.len() >= 30, "{} seeds", all.len());
    for (target, file, bytes) in all {
        check_accepted(target, &file, &bytes);
        assert!(
            bytes.len() <= 16 * 1024,
            "seed {target}/{file} is {} bytes",
            bytes.len()
        );
        if update {
            let path = dir.join(target).join(&file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), bytes);
        }
    }
    let dir = seeds_dir();

    // Committed (hand-made) seeds stay small too: large inputs slow every iteration.
    for target in std::fs::read_dir(&dir).unwrap() {
        for seed in std::fs::read_dir(target.unwrap().path()).unwrap() {
            let seed = seed.unwrap();
            let len = seed.metadata().unwrap().len();
            assert!(
                len <= 16 * 1024,
                "{} is {len} bytes; keep seeds under 16 KiB",
                seed.path().display()
            );
        }
    }
}
