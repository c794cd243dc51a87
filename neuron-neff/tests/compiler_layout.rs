//! The Rust reader of the compiler layout (`FORMAT.md` §5) on fixtures: the real matmul layout,
//! LNC 1 and 2, plain and gzip payloads, every fallback, and each malformed variant with the
//! member and problem it must name. `tests/compiler_neff.rs` (root package) loads the same
//! fixtures through the C emulator and checks it agrees.

use neuron_neff::{
    CompilerNeffBuilder, DType, IoKind, Neff, NeffError, dtype_from_compiler_name, gunzip_payload,
};

fn layout(b: CompilerNeffBuilder) -> Result<neuron_neff::CompilerLayout, NeffError> {
    let bytes = b.build().expect("fixture builds");
    Neff::parse(&bytes)?
        .compiler_layout()
        .map(|l| l.expect("compiler layout"))
}

fn err(b: CompilerNeffBuilder) -> String {
    layout(b).expect_err("must be rejected").to_string()
}

fn summary(l: &neuron_neff::CompilerLayout) -> Vec<String> {
    l.tensors()
        .iter()
        .map(|t| {
            format!(
                "{:?} {} {} {:?} {}",
                t.kind, t.name, t.dtype, t.shape, t.size_bytes
            )
        })
        .collect()
}

#[test]
fn matmul_layout_reports_three_tensors() {
    let l = layout(CompilerNeffBuilder::matmul("file.neff", 128, 256, 128)).unwrap();
    assert_eq!(
        summary(&l),
        [
            "Input x float16 [128, 256] 65536",
            "Input y float16 [256, 128] 65536",
            "Output output0 float16 [128, 128] 32768",
        ]
    );
    let sg: Vec<_> = l
        .subgraphs()
        .iter()
        .map(|s| s.definition.as_str())
        .collect();
    assert_eq!(sg, ["sg00/def.json", "sg01/def.json"]);
    assert_eq!(l.inputs().count(), 2);
    assert_eq!(l.outputs().count(), 1);
}

#[test]
fn lnc1_plain_tar_and_every_dtype() {
    let mut b = CompilerNeffBuilder::new("all").lnc(1).compressed(false);
    let names = [
        "float32", "float16", "bfloat16", "int8", "uint8", "int16", "uint16", "int32", "uint32",
        "int64", "uint64",
    ];
    for n in names {
        b = b.input_raw(format!("in_{n}"), n, &[3, 2]);
    }
    let l = layout(b.output("out", DType::Bfloat16, &[5])).unwrap();
    assert_eq!(l.subgraphs().len(), 1);
    for (t, n) in l.tensors().iter().zip(names) {
        assert_eq!(t.dtype, dtype_from_compiler_name(n).unwrap());
        assert_eq!(t.dtype.name(), n);
        assert_eq!(t.size_bytes, 6 * t.dtype.size_bytes() as u64);
    }
    assert_eq!(l.tensors()[11].kind, IoKind::Output);
    assert_eq!(dtype_from_compiler_name("fp8_e4"), None);
    assert_eq!(dtype_from_compiler_name("float64"), None);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "builds and gunzips 4 compiler NEFFs: over 2 minutes under Miri; the compiler_layout fuzz target covers the reader"
)]
fn fallbacks_signature_then_tensor_map() {
    let base = || CompilerNeffBuilder::matmul("file.neff", 4, 8, 2);
    let want = summary(&layout(base()).unwrap());
    // no attrs: inputs from the signature, outputs from tensor_map.json
    assert_eq!(summary(&layout(base().without_attrs()).unwrap()), want);
    // neither attrs nor signature: everything from tensor_map.json
    let l = layout(base().without_attrs().without_signature()).unwrap();
    assert_eq!(summary(&l), want);
    // nothing at all: the error says what is missing
    let e = err(base()
        .without_attrs()
        .without_signature()
        .without_tensor_map());
    assert!(e.contains("neff.json: no shape for tensor 'x'"), "{e}");
}

#[test]
fn not_a_compiler_neff() {
    let b = CompilerNeffBuilder::matmul("m", 2, 2, 2).remove_member("neff.json");
    let neff = Neff::parse(&b.build().unwrap()).unwrap();
    assert_eq!(neff.compiler_layout().unwrap(), None);
    assert!(
        neff.member_list()
            .unwrap()
            .iter()
            .any(|m| m.name == "kelf-0.json")
    );
}

#[test]
#[cfg_attr(
    miri,
    ignore = "builds and gunzips over a dozen compiler NEFFs: many minutes under Miri; the compiler_layout fuzz target covers the reader"
)]
fn malformed_variants_name_member_and_problem() {
    let base = || CompilerNeffBuilder::matmul("file.neff", 4, 8, 2);
    let cases: Vec<(CompilerNeffBuilder, &str)> = vec![
        (
            base().replace_member("neff.json", "{\"nodes\": [}"),
            "neff.json: ",
        ),
        (
            base().replace_member("neff.json", "[]"),
            "neff.json: not a JSON object",
        ),
        (
            base().replace_member("neff.json", "{\"a\":1,\"a\":2}"),
            "appears twice",
        ),
        (
            base().replace_member("sg01/def.json", "{\"var\": 3}"),
            "sg01/def.json: \"var\" is not an object",
        ),
        (
            base().replace_member("kelf-0.json", "{}"),
            "kelf-0.json: \"graphs\" is missing",
        ),
        (
            base().remove_member("kelf-0.json"),
            "kelf-0.json: missing (named by neff.json)",
        ),
        (
            base().remove_member("sg01/def.json"),
            "sg01/def.json: missing (named by the kelf file)",
        ),
        (
            base().def_size("x", 12),
            "sg00/def.json: var 'x' has size 12 bytes but neff.json gives 64 bytes",
        ),
        (
            base().input_raw("z", "complex64", &[2]),
            "tensor 'z' has dtype 'complex64'",
        ),
        (
            base().input_raw("h", "float32", &[1 << 20, 1 << 20, 1 << 10]),
            "larger than the 16 GiB limit",
        ),
        (
            base().input_raw("d", "float32", &[0]),
            "dimension 0 of tensor 'd' is not an integer in 1..4294967295",
        ),
        (
            base().input_raw("x", "float16", &[4, 8]),
            "tensor name 'x' is used twice (two inputs)",
        ),
        (
            CompilerNeffBuilder::new("n").input("x", DType::Float32, &[1]),
            "the graph has no outputs",
        ),
        (
            base().replace_member(
                "neff.json",
                format!("{}1{}", "[".repeat(65), "]".repeat(65)),
            ),
            "nesting deeper than 64",
        ),
    ];
    for (b, want) in cases {
        let e = err(b);
        assert!(e.contains(want), "expected '{want}' in: {e}");
        assert!(
            e.starts_with("NEFF built by the Neuron compiler: ")
                || e.starts_with("NEFF gzip payload"),
            "{e}"
        );
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "fuzz-style truncations and byte flips of a gzip NEFF: many minutes under Miri; the compiler_layout and emu_inflate fuzz targets cover them"
)]
fn gzip_payload_rules() {
    let bytes = CompilerNeffBuilder::matmul("file.neff", 2, 2, 2)
        .padding(100)
        .build()
        .unwrap();
    let neff = Neff::parse(&bytes).unwrap();
    let tar = gunzip_payload(neff.payload()).unwrap();
    assert_eq!(&tar[..], &neff.tar_payload().unwrap()[..]);
    // truncated gzip: the member ends early
    let gz_len = neff.payload().len() - 100;
    let e = gunzip_payload(&neff.payload()[..gz_len - 9]).unwrap_err();
    assert!(matches!(e, NeffError::Gzip { .. }), "{e}");
    // a non-zero byte in the padding
    let mut p = neff.payload().to_vec();
    p[gz_len + 50] = 7;
    let e = gunzip_payload(&p).unwrap_err().to_string();
    assert!(
        e.contains(&format!("non-zero byte at offset {}", gz_len + 50)),
        "{e}"
    );
    // a corrupt CRC
    let mut p = neff.payload().to_vec();
    p[gz_len - 6] ^= 0xff;
    assert!(gunzip_payload(&p).is_err());
    // every truncation and byte flip is an error or a valid layout, never a panic
    for n in (0..bytes.len()).step_by(97) {
        let _ = Neff::parse(&bytes[..n]).and_then(|n| n.compiler_layout());
    }
    for i in (1024..bytes.len()).step_by(13) {
        let mut c = bytes.clone();
        c[i] ^= 0x5a;
        let _ = Neff::parse(&c).and_then(|n| n.compiler_layout());
    }
}
