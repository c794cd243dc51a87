//! Every rule of FORMAT.md §3 on the Rust side, with the same messages the C parser's tests
//! (neuron-rt-sys/emulator/tests/program_test.c) assert.

use neuron_neff::{DType, ErrorLocation, Op, OpKind, Program, Tensor, TensorKind};

fn t(name: &str, kind: TensorKind, dtype: DType, dims: &[u32]) -> Tensor {
    let mut t = Tensor {
        name: name.into(),
        kind,
        dtype,
        dims: dims.to_vec(),
        data: vec![],
    };
    if kind == TensorKind::Constant {
        t.data = vec![0; t.size_bytes() as usize];
    }
    t
}
fn f32t(name: &str, kind: TensorKind, dims: &[u32]) -> Tensor {
    t(name, kind, DType::Float32, dims)
}
fn op(kind: OpKind, inputs: &[u32], output: u32) -> Op {
    Op {
        kind,
        inputs: inputs.to_vec(),
        output,
    }
}
fn prog(tensors: Vec<Tensor>, ops: Vec<Op>) -> Program {
    Program {
        device_time_ns: 0,
        tensors,
        ops,
    }
}
use TensorKind::{Constant as C, Input as I, Intermediate as M, Output as O};

#[track_caller]
fn err_bytes(bytes: &[u8], want: &str) -> neuron_neff::ProgramError {
    match Program::decode(bytes) {
        Ok(_) => panic!("expected an error containing {want:?}, got Ok"),
        Err(e) => {
            assert!(
                e.to_string().contains(want),
                "expected an error containing {want:?}, got {e:?}"
            );
            assert!(!e.to_string().contains('\n'));
            e
        }
    }
}

#[track_caller]
fn err(p: &Program, want: &str) -> neuron_neff::ProgramError {
    err_bytes(&p.encode(), want)
}

fn header(nt: u32, nops: u32) -> Vec<u8> {
    let mut v = b"NRTEMUP\x01".to_vec();
    v.extend_from_slice(&1u32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&0u64.to_le_bytes());
    v.extend_from_slice(&nt.to_le_bytes());
    v.extend_from_slice(&nops.to_le_bytes());
    v
}

#[test]
fn header_rules() {
    err_bytes(b"NRTEMUP\x02", "bad magic: expected \"NRTEMUP\\x01\"");
    err_bytes(
        b"NRTEMUP",
        "program is truncated at offset 0: expected magic (8 bytes), only 7 remain",
    );
    let mut v = b"NRTEMUP\x01".to_vec();
    v.extend_from_slice(&2u32.to_le_bytes());
    err_bytes(&v, "format_version is 2, expected 1");
    let mut v = header(1, 0);
    v[12] = 4;
    err_bytes(&v, "flags is 0x4, expected 0");
    err_bytes(&header(0, 0), "tensor_count is 0, expected 1..=65535");
    err_bytes(
        &header(65536, 0),
        "tensor_count is 65536, expected 1..=65535",
    );
    err_bytes(&header(1, 65536), "op_count is 65536, expected 0..=65535");
    let mut v = header(1000, 0);
    v.extend_from_slice(&[0; 20]);
    let e = err_bytes(&v, "1000 tensors and 0 ops need at least 15000 bytes");
    assert_eq!(e.location(), ErrorLocation::Header);
    let v = header(1, 0);
    err_bytes(
        &v[..v.len() - 4],
        "expected op_count (4 bytes), only 0 remain",
    );
}

#[test]
fn tensor_rules() {
    let base = || {
        let mut v = header(1, 0);
        v.extend(prog(vec![f32t("xxxxxxxxxxxx", I, &[4])], vec![]).encode()[32..].iter());
        v
    };
    assert!(Program::decode(&base()).is_ok());
    let mut v = base();
    v[32] = 4;
    let e = err_bytes(
        &v,
        "tensor 0: kind 4 is unknown, expected 0 (input), 1 (output), 2 (constant) or 3",
    );
    assert_eq!(e.location(), ErrorLocation::Tensor(0));
    let mut v = base();
    v[34] = 1;
    err_bytes(&v, "tensor 0: reserved bytes are not zero");
    // Truncated inside tensor 1's 3 reserved bytes: the same message as program_test.c.
    let mut v = header(2, 0);
    let long = "a-name-long-enough-to-pass-the-size-precheck";
    v.extend(prog(vec![f32t(long, I, &[4])], vec![]).encode()[32..].iter());
    v.extend_from_slice(&[0, 0]); // tensor 1: kind, then 1 of its 3 reserved bytes
    err_bytes(
        &v,
        "expected tensor 1 reserved bytes (3 bytes), only 1 remain",
    );
    let mut v = base();
    v[36] = 0;
    err_bytes(
        &v,
        "tensor 0: dtype 0x0 is unknown, expected a hardware nrt_dtype_t code 0x1..=0xF",
    );
    v[36] = 0x10;
    err_bytes(&v, "dtype 0x10 is unknown");
    let mut v = base();
    v[40] = 9;
    err_bytes(&v, "tensor 0: ndim is 9, expected 0..=8");
    let mut v = base();
    v[44] = 0;
    err_bytes(&v, "tensor 0: dims[0] is 0, expected >= 1");
    let mut v = base();
    v[48] = 0;
    err_bytes(&v, "tensor 0: name_len is 0, expected 1..=255");
    let mut p = prog(vec![f32t(&"n".repeat(256), I, &[4])], vec![]);
    err(&p, "tensor 0: name_len is 256, expected 1..=255");
    p.tensors[0].name = "ab\0xxxxxxxxx".into();
    err(&p, "tensor 0: name contains a NUL byte");
    let mut v = base();
    v[50] = 0xC0;
    v[51] = 0xAF;
    err_bytes(&v, "tensor 0: name is not valid UTF-8");
    p.tensors[0].name = "café€😀".into();
    assert!(Program::decode(&p.encode()).is_ok());
    let p = prog(vec![f32t("dup", I, &[4]), f32t("dup", O, &[4])], vec![]);
    let e = err(
        &p,
        "tensor 1 ('dup'): name is already used by tensor 0, expected unique names",
    );
    assert_eq!(e.location(), ErrorLocation::Tensor(1));
    let mut p = prog(vec![f32t("x", I, &[4]), f32t("w", C, &[2])], vec![]);
    p.tensors[1].data = vec![0; 9];
    err(
        &p,
        "tensor 1 ('w'): constant byte_len is 9, expected 8 (FLOAT32 [2])",
    );
    let p = prog(vec![f32t("x", I, &[4]), f32t("w", C, &[2, 3])], vec![]);
    let v = p.encode();
    err_bytes(
        &v[..v.len() - 4],
        "expected tensor 1 ('w') data (24 bytes), only 20 remain",
    );
    let p = prog(vec![f32t("huge", I, &[65536, 65536, 2])], vec![]);
    err(&p, "tensor 0 ('huge'): size exceeds the 16 GiB limit");
    let p = prog(vec![t("ovf", I, DType::Uint64, &[u32::MAX; 8])], vec![]);
    err(&p, "tensor 0 ('ovf'): size exceeds the 16 GiB limit");
    let p = prog(
        vec![
            f32t("a", I, &[65536, 16384]),
            f32t("b", O, &[65536, 16384]),
            f32t("c", M, &[65536, 16384]),
        ],
        vec![],
    );
    assert!(Program::decode(&p.encode()).is_ok()); // 12 GiB is fine
    let p = prog(
        ["a", "b", "c", "d", "e"]
            .iter()
            .map(|n| f32t(n, I, &[65536, 16384]))
            .collect(),
        vec![],
    );
    err(
        &p,
        "tensor 4 ('e'): tensors total more than the 16 GiB limit",
    );
    let p = prog(vec![f32t("w", C, &[2]), f32t("m", M, &[2])], vec![]);
    let e = err(
        &p,
        "program has no input or output tensor, expected at least one",
    );
    assert_eq!(e.location(), ErrorLocation::Program);
}

fn three() -> Vec<Tensor> {
    vec![
        f32t("x", I, &[2, 3]),
        f32t("w", C, &[2, 3]),
        f32t("y", O, &[2, 3]),
    ]
}

/// Encodes with a raw op record.
fn with_raw_op(tensors: Vec<Tensor>, raw: &[u32]) -> Vec<u8> {
    let mut v = prog(tensors, vec![]).encode();
    v[28] = 1; // op_count
    for x in raw {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v
}

#[test]
fn op_rules() {
    err_bytes(
        &with_raw_op(three(), &[0, 1, 0, 2, 0]),
        "op 0: opcode 0 is unknown, expected 1..=6",
    );
    err_bytes(
        &with_raw_op(three(), &[7, 1, 0, 2, 0]),
        "op 0: opcode 7 is unknown, expected 1..=6",
    );
    err_bytes(
        &with_raw_op(three(), &[2, 1, 0, 2, 0]),
        "op 0 (ADD): input_count is 1, expected 2",
    );
    err_bytes(
        &with_raw_op(three(), &[3, 2, 0, 1, 2, 0]),
        "op 0 (RELU): input_count is 2, expected 1",
    );
    err(
        &prog(three(), vec![op(OpKind::Add, &[0, 3], 2)]),
        "op 0 (ADD): inputs[1] is tensor index 3, expected < tensor_count 3",
    );
    err(
        &prog(three(), vec![op(OpKind::Relu, &[0], 3)]),
        "op 0 (RELU): output is tensor index 3, expected < tensor_count 3",
    );
    let mut v = with_raw_op(three(), &[3, 1, 0, 2, 1]);
    v.extend_from_slice(&5i64.to_le_bytes());
    let e = err_bytes(&v, "op 0 (RELU): attr_count is 1, expected 0");
    assert_eq!(e.location(), ErrorLocation::Op(0));
    err(
        &prog(three(), vec![op(OpKind::Relu, &[0], 1)]),
        "op 0 (RELU): output 'w' is a constant tensor, expected an output or intermediate tensor",
    );
    err(
        &prog(three(), vec![op(OpKind::Relu, &[2], 0)]),
        "op 0 (RELU): output 'x' is a input tensor",
    );
    err(
        &prog(three(), vec![op(OpKind::Relu, &[2], 2)]),
        "op 0 (RELU): input 'y' is read before any op writes it",
    );
    let e = err(
        &prog(
            three(),
            vec![op(OpKind::Relu, &[0], 2), op(OpKind::Relu, &[1], 2)],
        ),
        "op 1 (RELU): output 'y' is already written by op 0",
    );
    assert_eq!(e.location(), ErrorLocation::Op(1));
    let mut v = prog(three(), vec![op(OpKind::Relu, &[0], 2)]).encode();
    v.push(0);
    err_bytes(&v, "1 trailing bytes after the last op, expected none");
    err_bytes(
        &with_raw_op(three(), &[2, 2, 0]),
        "expected op 0 inputs[1] (4 bytes), only 0 remain",
    );
}

#[test]
fn dtype_and_shape_rules() {
    let two = |a: Tensor, b: Tensor, kind| prog(vec![a, b], vec![op(kind, &[0], 1)]);
    err(
        &two(
            t("x", I, DType::Uint8, &[4]),
            f32t("y", O, &[4]),
            OpKind::Relu,
        ),
        "op 0 (RELU): input 'x' has dtype UINT8, expected FLOAT32",
    );
    err(
        &two(
            f32t("x", I, &[4]),
            t("y", O, DType::Int32, &[4]),
            OpKind::Softmax,
        ),
        "op 0 (SOFTMAX): output 'y' has dtype INT32, expected FLOAT32",
    );
    err(
        &two(
            t("x", I, DType::Uint8, &[4]),
            t("y", O, DType::Int8, &[4]),
            OpKind::Identity,
        ),
        "op 0 (IDENTITY): output 'y' has dtype INT8, expected UINT8",
    );
    err(
        &two(
            t("x", I, DType::Uint8, &[2, 3]),
            t("y", O, DType::Uint8, &[5]),
            OpKind::Identity,
        ),
        "op 0 (IDENTITY): output 'y' has shape [5] (5 elements), expected 6 elements like input \
         'x' [2,3]",
    );
    err(
        &two(f32t("x", I, &[2, 3]), f32t("y", O, &[3, 2]), OpKind::Relu),
        "op 0 (RELU): output 'y' has shape [3,2], expected [2,3]",
    );
    let bin = |a: &[u32], b: &[u32], o: &[u32], kind| {
        prog(
            vec![f32t("x", I, a), f32t("z", I, b), f32t("y", O, o)],
            vec![op(kind, &[0, 1], 2)],
        )
    };
    err(
        &bin(&[2, 3], &[2], &[2, 3], OpKind::Add),
        "op 0 (ADD): inputs 'x' [2,3] and 'z' [2] do not broadcast, expected each dimension \
         pair (right-aligned) to be equal or 1",
    );
    err(
        &bin(&[2, 1], &[1, 3], &[2, 1], OpKind::Mul),
        "op 0 (MUL): output 'y' has shape [2,1], expected [2,3]",
    );
    assert!(Program::decode(&bin(&[2, 1], &[1, 3], &[2, 3], OpKind::Mul).encode()).is_ok());
    assert!(Program::decode(&bin(&[], &[4, 1, 2], &[4, 1, 2], OpKind::Add).encode()).is_ok());
    err(
        &prog(
            vec![
                f32t("x", I, &[8, 4]),
                f32t("w1", I, &[4, 3]),
                f32t("y", O, &[1]),
                f32t("h1", M, &[8, 16]),
            ],
            vec![op(OpKind::MatMul, &[0, 1], 3)],
        ),
        "op 0 (MATMUL): output 'h1' has shape [8,16], expected [8,3]",
    );
    err(
        &bin(&[4], &[4, 3], &[3], OpKind::MatMul),
        "op 0 (MATMUL): input 'x' has shape [4], expected at least 2 dimensions",
    );
    err(
        &bin(&[8, 4], &[5, 3], &[8, 3], OpKind::MatMul),
        "op 0 (MATMUL): input 'z' has shape [5,3], expected [4,N] or the leading dims of 'x' \
         [8,4] followed by [4,N]",
    );
    err(
        &bin(&[2, 8, 4], &[3, 4, 5], &[2, 8, 5], OpKind::MatMul),
        "op 0 (MATMUL): input 'z' has shape [3,4,5], expected [4,N]",
    );
    assert!(
        Program::decode(&bin(&[2, 8, 4], &[2, 4, 5], &[2, 8, 5], OpKind::MatMul).encode()).is_ok()
    );
    assert!(
        Program::decode(&bin(&[2, 8, 4], &[4, 5], &[2, 8, 5], OpKind::MatMul).encode()).is_ok()
    );
}

#[test]
fn encode_decode_round_trip_and_sizes() {
    let mut p = prog(
        vec![
            f32t("x", I, &[2, 3]),
            t("w", C, DType::Bfloat16, &[3]),
            f32t("a", M, &[2, 3]),
            f32t("b", M, &[1]),
            f32t("y", O, &[2, 3]),
            t("u", I, DType::Uint8, &[]),
        ],
        vec![op(OpKind::Relu, &[0], 2), op(OpKind::Softmax, &[2], 4)],
    );
    p.device_time_ns = 123_456;
    p.tensors[1].data = vec![1, 2, 3, 4, 5, 6];
    let back = Program::decode(&p.encode()).unwrap();
    assert_eq!(back, p);
    assert_eq!(back.constant_bytes(), 6);
    assert_eq!(back.scratch_bytes(), 64 + 4);
    let io: Vec<&str> = back.io_tensors().iter().map(|t| t.name.as_str()).collect();
    assert_eq!(io, ["x", "u", "y"]);
}

fn f(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
fn unf(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}
#[track_caller]
fn close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
            "{got:?} vs {want:?}"
        );
    }
}

#[test]
fn evaluate_numerics() {
    let bin = |a: &[u32], b: &[u32], o: &[u32], kind| {
        prog(
            vec![f32t("a", I, a), f32t("b", I, b), f32t("c", O, o)],
            vec![op(kind, &[0, 1], 2)],
        )
    };
    let out = bin(&[2, 3], &[3], &[2, 3], OpKind::Add)
        .evaluate(&[&f(&[1., 2., 3., 4., 5., 6.]), &f(&[10., 20., 30.])])
        .unwrap();
    close(&unf(&out[0]), &[11., 22., 33., 14., 25., 36.]);
    let out = bin(&[2, 1], &[1, 3], &[2, 3], OpKind::Add)
        .evaluate(&[&f(&[1., 2.]), &f(&[10., 20., 30.])])
        .unwrap();
    close(&unf(&out[0]), &[11., 21., 31., 12., 22., 32.]);
    let out = bin(&[2, 1], &[1, 3], &[2, 3], OpKind::Mul)
        .evaluate(&[&f(&[1., 2.]), &f(&[10., 20., 30.])])
        .unwrap();
    close(&unf(&out[0]), &[10., 20., 30., 20., 40., 60.]);
    // batched A x 2-D B: row [x,y,z] -> [x+z, y+z]
    let out = bin(&[2, 2, 3], &[3, 2], &[2, 2, 2], OpKind::MatMul)
        .evaluate(&[
            &f(&[1., 2., 3., 4., 5., 6., 7., 8., 9., -1., -2., -3.]),
            &f(&[1., 0., 0., 1., 1., 1.]),
        ])
        .unwrap();
    close(&unf(&out[0]), &[4., 5., 10., 11., 16., 17., -4., -5.]);
    let out = bin(&[2, 1, 2], &[2, 2, 2], &[2, 1, 2], OpKind::MatMul)
        .evaluate(&[&f(&[1., 2., 3., 4.]), &f(&[1., 2., 3., 4., 0., 1., 1., 0.])])
        .unwrap();
    close(&unf(&out[0]), &[7., 10., 4., 3.]);
    // softmax incl. large values, relu
    let p = prog(
        vec![
            f32t("x", I, &[2, 3]),
            f32t("sm", O, &[2, 3]),
            f32t("r", O, &[2, 3]),
        ],
        vec![op(OpKind::Softmax, &[0], 1), op(OpKind::Relu, &[0], 2)],
    );
    let out = p
        .evaluate(&[&f(&[1., 2., 3., 1000., 1000., -1000.])])
        .unwrap();
    let (e1, e2) = ((-2f32).exp(), (-1f32).exp());
    let s = e1 + e2 + 1.0;
    close(&unf(&out[0]), &[e1 / s, e2 / s, 1.0 / s, 0.5, 0.5, 0.0]);
    close(&unf(&out[1]), &[1., 2., 3., 1000., 1000., 0.]);
    // identity on a non-f32 dtype, and an unwritten output stays zero
    let p = prog(
        vec![
            t("u", I, DType::Uint16, &[2, 2]),
            t("flat", O, DType::Uint16, &[4]),
            t("untouched", O, DType::Int8, &[3]),
        ],
        vec![op(OpKind::Identity, &[0], 1)],
    );
    let u = [1u8, 0, 255, 255, 44, 1, 7, 0];
    let out = p.evaluate(&[&u]).unwrap();
    assert_eq!(out[0], u);
    assert_eq!(out[1], [0; 3]);
    // wrong inputs
    let e = p.evaluate(&[&u[..4]]).unwrap_err();
    assert_eq!(e.to_string(), "input 'u' has 4 bytes, expected 8");
    let e = p.evaluate(&[]).unwrap_err();
    assert_eq!(e.to_string(), "got 0 input buffers, expected 1");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "fuzz-style: 5,000 random programs take minutes under Miri; the program_decode fuzz target covers it"
)]
fn fuzz_decode_never_panics() {
    let p = neuron_neff::ModelBuilder::mlp("m", &[4, 3, 2], 2, 3)
        .program()
        .unwrap();
    let bytes = p.encode();
    for n in 0..bytes.len() {
        assert!(Program::decode(&bytes[..n]).is_err(), "prefix {n} decoded");
    }
    let mut rng = Rng(42);
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xFF] {
            let mut c = bytes.clone();
            c[i] ^= flip;
            if let Ok(q) = Program::decode(&c) {
                let ins: Vec<Vec<u8>> = q
                    .inputs()
                    .map(|t| vec![0; t.size_bytes().min(1 << 20) as usize])
                    .collect();
                let refs: Vec<&[u8]> = ins.iter().map(Vec::as_slice).collect();
                if q.tensors.iter().all(|t| t.size_bytes() < 1 << 20) {
                    let _ = q.evaluate(&refs);
                }
            }
        }
    }
    for _ in 0..5000 {
        let mut c = bytes.clone();
        for _ in 0..3 {
            let r = rng.next_u64();
            let i = (r % c.len() as u64) as usize;
            c[i] = (r >> 32) as u8;
        }
        let _ = Program::decode(&c);
    }
}

/// A small xorshift64 for the byte-flip loop.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
