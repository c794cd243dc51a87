//! ModelBuilder errors and output, and Neff parsing of built and corrupted files.

use std::time::Duration;

use neuron_neff::{
    BuildError, DType, HashCheck, ModelBuilder, Neff, NeffError, NeffHeader, OpKind, Program,
    TensorKind,
};

#[track_caller]
fn build_err(b: ModelBuilder) -> BuildError {
    b.build().expect_err("build should fail")
}

#[test]
fn full_example_from_the_docs() {
    let w1 = vec![0.25f32; 4 * 16];
    let b1 = vec![0.5f32; 16];
    let bytes = ModelBuilder::new("mlp")
        .cores(1)
        .device_time(Duration::from_micros(200))
        .input("x", DType::Float32, &[8, 4])
        .constant_f32("w1", &[4, 16], &w1)
        .constant_f32("b1", &[16], &b1)
        .matmul("h1", "x", "w1")
        .add("h1b", "h1", "b1")
        .relu("a1", "h1b")
        .softmax("probs", "a1")
        .identity("flat", "probs", &[128])
        .input("a", DType::Float32, &[2])
        .input("b", DType::Float32, &[2])
        .mul("m", "a", "b")
        .output("probs")
        .output("m")
        .declare_output("out", DType::Float32, &[1])
        .lnc(1)
        .build()
        .unwrap();
    let neff = Neff::parse(&bytes).unwrap();
    let h = neff.header();
    assert_eq!(h.pkg_version, 1);
    assert_eq!(h.header_size, 1024);
    assert_eq!(h.data_size as usize, bytes.len() - 1024);
    assert_eq!(h.neff_version_major, 2);
    assert_eq!((h.num_tpb, h.requested_tpb_count, h.lnc_size()), (1, 1, 1));
    assert_eq!(h.name(), "mlp");
    assert_eq!(h.feature_bits, 0);
    assert_eq!(neff.hash_check(), HashCheck::Match);
    let names: Vec<String> = neff
        .members()
        .unwrap()
        .iter()
        .map(|e| e.name_str())
        .collect();
    assert_eq!(names, ["nrtemu/program.bin"]);
    let p = neff.program().unwrap().unwrap();
    assert_eq!(p.device_time_ns, 200_000);
    let io: Vec<(&str, TensorKind)> = p
        .io_tensors()
        .iter()
        .map(|t| (t.name.as_str(), t.kind))
        .collect();
    assert_eq!(
        io,
        [
            ("x", TensorKind::Input),
            ("a", TensorKind::Input),
            ("b", TensorKind::Input),
            ("probs", TensorKind::Output),
            ("m", TensorKind::Output),
            ("out", TensorKind::Output),
        ]
    );
    let by_name = |n: &str| p.tensors.iter().find(|t| t.name == n).unwrap();
    assert_eq!(by_name("h1").dims, [8, 16]);
    assert_eq!(by_name("h1").kind, TensorKind::Intermediate);
    assert_eq!(by_name("flat").dims, [128]);
    assert_eq!(p.ops.len(), 6);
    assert_eq!(p.ops[0].kind, OpKind::MatMul);
    // every probability row sums to 1
    let x: Vec<u8> = (0..32)
        .flat_map(|i| (i as f32 * 0.1).to_le_bytes())
        .collect();
    let ab: Vec<u8> = [2f32, 3.].iter().flat_map(|v| v.to_le_bytes()).collect();
    let out = p.evaluate(&[&x, &ab, &ab]).unwrap();
    for row in out[0].chunks(16 * 4) {
        let s: f32 = row
            .chunks(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .sum();
        assert!((s - 1.0).abs() < 1e-5);
    }
    assert_eq!(
        out[1],
        [4f32, 9.]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>()
    );
}

#[test]
fn builder_is_deterministic_and_header_fields_follow_settings() {
    let a = ModelBuilder::mlp("m", &[4, 8, 2], 3, 9)
        .cores(4)
        .lnc(2)
        .build()
        .unwrap();
    let b = ModelBuilder::mlp("m", &[4, 8, 2], 3, 9)
        .cores(4)
        .lnc(2)
        .build()
        .unwrap();
    assert_eq!(a, b);
    let c = ModelBuilder::mlp("m", &[4, 8, 2], 3, 10).build().unwrap();
    assert_ne!(a[1024..], c[1024..]);
    let h = NeffHeader::parse(&a).unwrap();
    assert_eq!(
        (h.core_count(), h.requested_tpb_count, h.lnc_size()),
        (4, 4, 2)
    );
    assert!(h.check_lnc(1).is_err());
    assert_eq!(h.uuid[6] >> 4, 4);
    assert_eq!(h.uuid[..6], h.hash[..6]);
}

#[test]
fn mlp_structure() {
    let p = ModelBuilder::mlp("m", &[4, 16, 8, 3], 5, 1)
        .program()
        .unwrap();
    let names: Vec<&str> = p.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "input", "w1", "b1", "h1", "z1", "a1", "w2", "b2", "h2", "z2", "a2", "w3", "b3", "h3",
            "z3", "probs"
        ]
    );
    let kinds: Vec<OpKind> = p.ops.iter().map(|o| o.kind).collect();
    use OpKind::*;
    assert_eq!(
        kinds,
        [MatMul, Add, Relu, MatMul, Add, Relu, MatMul, Add, Softmax]
    );
    assert_eq!(p.outputs().next().unwrap().dims, [5, 3]);
    // weights are in [-1/sqrt(fan_in), 1/sqrt(fan_in))
    let w1: Vec<f32> = p.tensors[1]
        .data
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert!(w1.iter().all(|v| v.abs() <= 0.5));
    assert!(w1.iter().any(|v| *v != w1[0]));
    let e = build_err(ModelBuilder::mlp("m", &[4], 1, 1));
    assert_eq!(
        e.to_string(),
        "mlp layer count is 1, expected at least 2 (input width and output width)"
    );
    let e = build_err(ModelBuilder::mlp("m", &[4, 3], 0, 1));
    assert!(
        e.to_string()
            .contains("tensor 'input' has shape [0, 4]: a dimension is 0")
    );
}

#[test]
fn noop_model() {
    let bytes = ModelBuilder::noop("noop", 16, 8).build().unwrap();
    let p = Neff::parse(&bytes).unwrap().program().unwrap().unwrap();
    assert!(p.ops.is_empty());
    assert_eq!(p.device_time_ns, 0);
    let io: Vec<(String, DType, Vec<u32>)> = p
        .io_tensors()
        .iter()
        .map(|t| (t.name.clone(), t.dtype, t.dims.clone()))
        .collect();
    assert_eq!(
        io,
        [
            ("input".to_string(), DType::Uint8, vec![16]),
            ("output".to_string(), DType::Uint8, vec![8])
        ]
    );
    assert!(
        build_err(ModelBuilder::noop("n", 0, 8))
            .to_string()
            .contains("a dimension is 0")
    );
}

#[test]
fn builder_errors_name_op_tensor_got_and_expected() {
    let x = || ModelBuilder::new("m").input("x", DType::Float32, &[8, 4]);
    let e = build_err(x().matmul("h", "x", "w").output("h"));
    assert_eq!(
        e.to_string(),
        "op 0 (MATMUL) writing 'h': input 'w' is not defined; define it first with .input(), \
         .constant() or an earlier op"
    );
    let e = build_err(
        x().input("w", DType::Float32, &[5, 3])
            .matmul("h", "x", "w"),
    );
    assert!(matches!(
        e,
        BuildError::Op {
            index: 0,
            op: OpKind::MatMul,
            ..
        }
    ));
    let e = build_err(
        x().input("y", DType::Float32, &[3])
            .relu("r", "x")
            .add("s", "r", "y"),
    );
    assert_eq!(
        e.to_string(),
        "op 1 (ADD) writing 's': inputs 'r' [8,4] and 'y' [3] do not broadcast, expected each \
         dimension pair (right-aligned) to be equal or 1"
    );
    let e = build_err(x().input("u", DType::Uint8, &[4]).relu("r", "u"));
    assert_eq!(
        e.to_string(),
        "op 0 (RELU) writing 'r': input 'u' has dtype UINT8, expected FLOAT32"
    );
    let e = build_err(x().identity("f", "x", &[31]));
    assert_eq!(
        e.to_string(),
        "op 0 (IDENTITY) writing 'f': output 'f' has shape [31] (31 elements), expected 32 \
         elements like input 'x' [8,4]"
    );
    let e = build_err(x().relu("x", "x"));
    assert_eq!(
        e.to_string(),
        "tensor 'x' is defined twice; every input, constant and op result needs its own name"
    );
    let e = build_err(x().constant_f32("w", &[2, 2], &[1.0; 3]));
    assert_eq!(
        e.to_string(),
        "constant 'w' has 12 bytes of data, expected 16 (float32 [2, 2])"
    );
    let e = build_err(x().output("nope"));
    assert!(e.to_string().starts_with("output 'nope' is not defined"));
    let e = build_err(x().output("x"));
    assert_eq!(
        e.to_string(),
        "'x' is an input and cannot be a model output; copy it with .identity(\"x_out\", \"x\", \
         shape) and mark that"
    );
    let e = build_err(x().constant_f32("c", &[1], &[1.0]).output("c"));
    assert!(
        e.to_string()
            .contains("'c' is a constant and cannot be a model output")
    );
    let e = build_err(ModelBuilder::new("m").constant_f32("c", &[1], &[1.0]));
    assert_eq!(e, BuildError::NoIo);
    let e = build_err(x().cores(0));
    assert_eq!(e.to_string(), "cores is 0, expected at least 1");
    let e = build_err(x().lnc(0));
    assert!(e.to_string().starts_with("lnc is 0, expected at least 1"));
    let e = build_err(ModelBuilder::new("").input("x", DType::Int8, &[1]));
    assert!(
        e.to_string()
            .contains("model name '' is invalid: it is empty")
    );
    let e = build_err(ModelBuilder::new("n".repeat(256)).input("x", DType::Int8, &[1]));
    assert!(e.to_string().contains("longer than 255 bytes"));
    let e = build_err(ModelBuilder::new("m").input("", DType::Int8, &[1]));
    assert!(
        e.to_string()
            .contains("tensor name '' is invalid: it is empty")
    );
    let e = build_err(ModelBuilder::new("m").input("a\0", DType::Int8, &[1]));
    assert!(e.to_string().contains("NUL"));
    let e = build_err(ModelBuilder::new("m").input("x", DType::Int8, &[1; 9]));
    assert!(e.to_string().contains("more than 8 dimensions"));
    let e = build_err(ModelBuilder::new("m").input("x", DType::Float32, &[1 << 20, 1 << 13]));
    assert!(matches!(e, BuildError::Program(_)));
    assert!(e.to_string().contains("size exceeds the 16 GiB limit"));
    let e = build_err(x().device_time(Duration::MAX));
    assert!(e.to_string().contains("device time (ns)"));
}

#[test]
fn neff_without_program_or_compressed() {
    // a compiler-style NEFF: tar without nrtemu/program.bin
    let payload = tar_of(&[("neff.json", b"{}")]);
    let mut h = NeffHeader::new("compiled");
    h.set_payload_hash(&payload);
    let mut bytes = h.to_bytes().to_vec();
    bytes.extend_from_slice(&payload);
    let neff = Neff::parse(&bytes).unwrap();
    assert_eq!(neff.program().unwrap(), None);
    assert_eq!(neff.member("neff.json").unwrap(), Some(&b"{}"[..]));
    assert_eq!(neff.member("nope").unwrap(), None);
    // gzip payload
    let mut h = NeffHeader::new("gz");
    h.pkg_version = 2;
    let gz = [0x1f, 0x8b, 8, 0, 0, 0];
    h.data_size = gz.len() as u64;
    h.hash = [0xAB; 32];
    let mut bytes = h.to_bytes().to_vec();
    bytes.extend_from_slice(&gz);
    let neff = Neff::parse(&bytes).unwrap();
    assert!(neff.is_compressed());
    assert_eq!(neff.program().unwrap(), None);
    assert_eq!(neff.hash_check(), HashCheck::NotChecked);
    assert!(neff.verify_hash());
    let e = neff.member("x").unwrap_err();
    assert_eq!(e, NeffError::CompressedPayload);
    assert!(e.to_string().contains("Neff::tar_payload()"));
}

#[test]
fn corrupted_neffs_are_errors_not_panics() {
    let bytes = ModelBuilder::mlp("m", &[3, 4, 2], 2, 5).build().unwrap();
    // hash mismatch is detected but parse still succeeds (the check is opt-in)
    let mut c = bytes.clone();
    let last = c.len() - 1100;
    c[last] ^= 1;
    let n = Neff::parse(&c).unwrap();
    assert_eq!(n.hash_check(), HashCheck::Mismatch);
    assert!(!n.verify_hash());
    // truncation
    for len in [0, 100, 1023, 1024, 1500, bytes.len() - 1] {
        let e = Neff::parse(&bytes[..len]).unwrap_err();
        assert_eq!(e.status_name(), "NRT_INVALID");
    }
    let e = Neff::parse(&bytes[..bytes.len() - 1]).unwrap_err();
    assert!(e.to_string().contains("NEFF is truncated: header says"));
    // a broken tar header in the payload
    let mut c = bytes.clone();
    c[1024 + 5] ^= 0x40;
    let n = Neff::parse(&c).unwrap();
    let e = n.program().unwrap_err();
    assert!(matches!(e, NeffError::Tar(_)));
    assert!(
        e.to_string()
            .starts_with("NEFF payload: tar header at offset 0: checksum is")
    );
    // an invalid program
    let mut c = bytes.clone();
    c[1024 + 512 + 12] = 1; // program flags
    let e = Neff::parse(&c).unwrap().program().unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid emulator program (nrtemu/program.bin): flags is 0x1, expected 0"
    );
    assert_eq!(e.status_name(), "NRT_INVALID");
    // flip every byte of the file: never panics (every 509th under Miri, where each hash takes
    // seconds in the interpreter; the neff_container fuzz target covers the rest)
    let stride = if cfg!(miri) { 509 } else { 1 };
    for i in (0..bytes.len()).step_by(stride) {
        let mut c = bytes.clone();
        c[i] ^= 0xA5;
        if let Ok(n) = Neff::parse(&c) {
            let _ = n.verify_hash();
            let _ = n.members();
            if let Ok(Some(p)) = n.program() {
                let _ = p.validate();
            }
        }
    }
    for len in (0..bytes.len()).step_by(stride) {
        if let Ok(n) = Neff::parse(&bytes[..len]) {
            let _ = n.program();
        }
    }
}

#[test]
fn program_of_builder_validates_like_the_parser() {
    let p = ModelBuilder::new("m")
        .input("x", DType::Float32, &[2, 3])
        .softmax("y", "x")
        .output("y")
        .program()
        .unwrap();
    assert_eq!(Program::decode(&p.encode()).unwrap(), p);
}

/// A plain ustar archive of regular files (the `tar` crate, like the library's writer).
fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_path(name).unwrap();
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}
