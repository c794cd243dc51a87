//! [`ModelBuilder`]: writes emulator NEFFs from a few lines of Rust.

use std::collections::HashMap;
use std::time::Duration;

use crate::dtype::DType;
use crate::error::BuildError;
use crate::header::NeffHeader;
use crate::program::{
    MAX_NDIM, Op, OpKind, PROGRAM_MEMBER, Program, Tensor, TensorKind, infer_output,
};

#[derive(Debug, Clone)]
enum Step {
    Tensor {
        name: String,
        kind: TensorKind,
        dtype: DType,
        shape: Vec<usize>,
        data: Vec<u8>,
    },
    Op {
        kind: OpKind,
        output: String,
        inputs: Vec<String>,
        reshape: Vec<usize>,
    },
}

/// Builds an emulator NEFF: declare inputs and constants, chain ops (their output shapes are
/// inferred), mark outputs, then [`build`](ModelBuilder::build).
///
/// Tensors are recorded in the order they are declared (an op's result where the op is added),
/// which is the order the runtime reports inputs and outputs in. All validation happens in
/// `build()`, which names the op, the tensor, what it got and what was expected.
///
/// ```
/// use neuron_neff::{DType, ModelBuilder, Neff};
/// use std::time::Duration;
/// let w1 = vec![0.5f32; 4 * 16];
/// let b1 = vec![0.1f32; 16];
/// let neff: Vec<u8> = ModelBuilder::new("mlp")
///     .cores(1)
///     .device_time(Duration::from_micros(200))
///     .input("x", DType::Float32, &[8, 4])
///     .constant_f32("w1", &[4, 16], &w1)
///     .constant_f32("b1", &[16], &b1)
///     .matmul("h1", "x", "w1")          // [8,16], inferred
///     .add("h1b", "h1", "b1")           // broadcasting
///     .relu("a1", "h1b")
///     .softmax("probs", "a1")
///     .identity("flat", "probs", &[128]) // reshape
///     .output("probs")
///     .output("flat")
///     .build()?;
/// let program = Neff::parse(&neff)?.program()?.unwrap();
/// assert_eq!(program.device_time_ns, 200_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Errors name the culprit:
///
/// ```
/// use neuron_neff::{DType, ModelBuilder};
/// let err = ModelBuilder::new("bad")
///     .input("x", DType::Float32, &[8, 4])
///     .input("w", DType::Float32, &[5, 3])
///     .matmul("h", "x", "w")
///     .build()
///     .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "op 0 (MATMUL) writing 'h': input 'w' has shape [5,3], expected [4,N] or the leading \
///      dims of 'x' [8,4] followed by [4,N]"
/// );
/// ```
#[derive(Debug, Clone)]
#[must_use = "a ModelBuilder does nothing until build() is called"]
pub struct ModelBuilder {
    name: String,
    cores: u32,
    lnc: u32,
    device_time: Duration,
    steps: Vec<Step>,
    outputs: Vec<String>,
    error: Option<BuildError>,
}

/// The tiny generator behind [`ModelBuilder::mlp`]'s weights: Marsaglia's xorshift64 with shifts
/// 13, 7, 17, seeded with `seed` (0 is replaced by `0x9E37_79B9_7F4A_7C15`, since xorshift stays
/// at 0). Each value takes the top 24 bits of the next state: `(x >> 40) / 2^24 * 2 - 1`, a float
/// in [-1, 1).
#[derive(Debug, Clone)]
pub(crate) struct XorShift64(u64);

impl XorShift64 {
    /// A generator with this seed.
    pub(crate) fn new(seed: u64) -> Self {
        XorShift64(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next state.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// The next float in [-1, 1).
    pub(crate) fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
    }
}

fn check_tensor_name(name: &str) -> Result<(), BuildError> {
    let bad = |reason| {
        Err(BuildError::TensorName {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.len() > 255 {
        return bad("it is longer than 255 bytes");
    }
    if name.contains('\0') {
        return bad("it contains a NUL byte");
    }
    Ok(())
}

fn dims_of(name: &str, shape: &[usize]) -> Result<Vec<u32>, BuildError> {
    let bad = |reason| {
        Err(BuildError::Shape {
            name: name.to_string(),
            shape: shape.to_vec(),
            reason,
        })
    };
    if shape.len() > MAX_NDIM {
        return bad("more than 8 dimensions");
    }
    let mut dims = Vec::with_capacity(shape.len());
    for &d in shape {
        if d == 0 {
            return bad("a dimension is 0, expected every dimension >= 1");
        }
        match u32::try_from(d) {
            Ok(d) => dims.push(d),
            Err(_) => return bad("a dimension exceeds u32::MAX"),
        }
    }
    Ok(dims)
}

impl ModelBuilder {
    /// A model named `name` (1 ..= 255 bytes, no NUL) with one core, LNC 1, zero device time.
    pub fn new(name: impl Into<String>) -> Self {
        ModelBuilder {
            name: name.into(),
            cores: 1,
            lnc: 1,
            device_time: Duration::ZERO,
            steps: Vec::new(),
            outputs: Vec::new(),
            error: None,
        }
    }

    /// Cores the model needs (`num_tpb` and `requested_tpb_count`); ≥ 1.
    pub fn cores(mut self, cores: u32) -> Self {
        self.cores = cores;
        self
    }

    /// The header's `lnc_size`; ≥ 1 (2 for trn2 at LNC 2). The runtime refuses a NEFF whose
    /// LNC differs from its own.
    pub fn lnc(mut self, lnc: u32) -> Self {
        self.lnc = lnc;
        self
    }

    /// Simulated device time of one execution (all pipeline stages together), at most
    /// `u64::MAX` nanoseconds.
    pub fn device_time(mut self, t: Duration) -> Self {
        self.device_time = t;
        self
    }

    fn tensor(
        mut self,
        name: String,
        kind: TensorKind,
        dtype: DType,
        shape: &[usize],
        data: Vec<u8>,
    ) -> Self {
        self.steps.push(Step::Tensor {
            name,
            kind,
            dtype,
            shape: shape.to_vec(),
            data,
        });
        self
    }

    /// A model input.
    pub fn input(self, name: impl Into<String>, dtype: DType, shape: &[usize]) -> Self {
        self.tensor(name.into(), TensorKind::Input, dtype, shape, Vec::new())
    }

    /// A constant with raw little-endian bytes (exactly element size × element count).
    pub fn constant(
        self,
        name: impl Into<String>,
        dtype: DType,
        shape: &[usize],
        bytes: &[u8],
    ) -> Self {
        self.tensor(
            name.into(),
            TensorKind::Constant,
            dtype,
            shape,
            bytes.to_vec(),
        )
    }

    /// A FLOAT32 constant.
    pub fn constant_f32(self, name: impl Into<String>, shape: &[usize], values: &[f32]) -> Self {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensor(
            name.into(),
            TensorKind::Constant,
            DType::Float32,
            shape,
            bytes,
        )
    }

    /// A model output that no op writes (it keeps whatever the caller's tensor holds); for
    /// models without ops.
    pub fn declare_output(self, name: impl Into<String>, dtype: DType, shape: &[usize]) -> Self {
        self.tensor(name.into(), TensorKind::Output, dtype, shape, Vec::new())
    }

    /// Marks the result of an op as a model output.
    pub fn output(mut self, name: impl Into<String>) -> Self {
        self.outputs.push(name.into());
        self
    }

    fn op(mut self, kind: OpKind, out: String, inputs: Vec<String>, reshape: &[usize]) -> Self {
        self.steps.push(Step::Op {
            kind,
            output: out,
            inputs,
            reshape: reshape.to_vec(),
        });
        self
    }

    /// `out = a + b` with NumPy broadcasting (FLOAT32).
    pub fn add(self, out: impl Into<String>, a: impl Into<String>, b: impl Into<String>) -> Self {
        self.op(OpKind::Add, out.into(), vec![a.into(), b.into()], &[])
    }

    /// `out = a * b` element-wise with NumPy broadcasting (FLOAT32).
    pub fn mul(self, out: impl Into<String>, a: impl Into<String>, b: impl Into<String>) -> Self {
        self.op(OpKind::Mul, out.into(), vec![a.into(), b.into()], &[])
    }

    /// `out = a @ b`: A `[..., M, K]`, B `[K, N]` or `[..., K, N]` (FLOAT32).
    pub fn matmul(
        self,
        out: impl Into<String>,
        a: impl Into<String>,
        b: impl Into<String>,
    ) -> Self {
        self.op(OpKind::MatMul, out.into(), vec![a.into(), b.into()], &[])
    }

    /// `out = max(x, 0)` (FLOAT32).
    pub fn relu(self, out: impl Into<String>, x: impl Into<String>) -> Self {
        self.op(OpKind::Relu, out.into(), vec![x.into()], &[])
    }

    /// Softmax over the last axis (FLOAT32).
    pub fn softmax(self, out: impl Into<String>, x: impl Into<String>) -> Self {
        self.op(OpKind::Softmax, out.into(), vec![x.into()], &[])
    }

    /// A copy of `x` with shape `shape` (same dtype and element count; any dtype): a reshape.
    pub fn identity(self, out: impl Into<String>, x: impl Into<String>, shape: &[usize]) -> Self {
        self.op(OpKind::Identity, out.into(), vec![x.into()], shape)
    }

    /// A multi-layer perceptron: input `"input"` `[batch, layer_sizes[0]]` (FLOAT32), then for
    /// each layer `l` = 1, 2, ...: `h{l} = prev @ w{l}`, `z{l} = h{l} + b{l}`, and
    /// `a{l} = relu(z{l})` except after the last layer, whose `z` goes through a softmax into
    /// the output `"probs"` `[batch, layer_sizes.last()]`.
    ///
    /// Weights are deterministic: Marsaglia's xorshift64 (shifts 13, 7, 17) seeded with `seed`
    /// (0 is replaced by `0x9E37_79B9_7F4A_7C15`), each value the top 24 bits of the next state
    /// as `(x >> 40) / 2^24 * 2 - 1` in [-1, 1), drawn layer by layer (all of `w{l}` row-major,
    /// then `b{l}`); weights are scaled by `1/sqrt(fan_in)`, biases by 0.1.
    /// Needs at least two layer sizes (checked in `build()`).
    ///
    /// ```
    /// use neuron_neff::{ModelBuilder, Neff};
    /// let bytes = ModelBuilder::mlp("mlp", &[4, 16, 3], 8, 1).build().unwrap();
    /// let p = Neff::parse(&bytes).unwrap().program().unwrap().unwrap();
    /// assert_eq!(p.io_tensors()[1].dims, [8, 3]);
    /// ```
    pub fn mlp(name: impl Into<String>, layer_sizes: &[usize], batch: usize, seed: u64) -> Self {
        let mut b = ModelBuilder::new(name);
        if layer_sizes.len() < 2 {
            b.error = Some(BuildError::Range {
                what: "mlp layer count",
                got: layer_sizes.len() as u64,
                expected: "at least 2 (input width and output width)",
            });
            return b;
        }
        let mut rng = XorShift64::new(seed);
        b = b.input("input", DType::Float32, &[batch, layer_sizes[0]]);
        let mut prev = "input".to_string();
        let last = layer_sizes.len() - 1;
        for l in 1..=last {
            let (fan_in, fan_out) = (layer_sizes[l - 1], layer_sizes[l]);
            let scale = 1.0 / (fan_in.max(1) as f32).sqrt();
            // Cap the generated data; an absurd size is reported by build() from the shape.
            let n_w = fan_in.saturating_mul(fan_out).min(1 << 28);
            let w: Vec<f32> = (0..n_w).map(|_| rng.next_f32() * scale).collect();
            let bias: Vec<f32> = (0..fan_out.min(1 << 28))
                .map(|_| rng.next_f32() * 0.1)
                .collect();
            b = b
                .constant_f32(format!("w{l}"), &[fan_in, fan_out], &w)
                .constant_f32(format!("b{l}"), &[fan_out], &bias)
                .matmul(format!("h{l}"), prev.clone(), format!("w{l}"))
                .add(format!("z{l}"), format!("h{l}"), format!("b{l}"));
            if l < last {
                b = b.relu(format!("a{l}"), format!("z{l}"));
                prev = format!("a{l}");
            } else {
                b = b.softmax("probs", format!("z{l}")).output("probs");
            }
        }
        b
    }

    /// A model with one UINT8 input `"input"` `[input_bytes]`, one UINT8 output `"output"`
    /// `[output_bytes]`, no ops and zero device time: what overhead benchmarks load. Both sizes
    /// must be ≥ 1 (checked in `build()`).
    pub fn noop(name: impl Into<String>, input_bytes: usize, output_bytes: usize) -> Self {
        ModelBuilder::new(name)
            .input("input", DType::Uint8, &[input_bytes])
            .declare_output("output", DType::Uint8, &[output_bytes])
    }

    /// Validates the model and returns its program (what `build()` stores as
    /// `nrtemu/program.bin`).
    pub fn program(&self) -> Result<Program, BuildError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let device_time_ns =
            u64::try_from(self.device_time.as_nanos()).map_err(|_| BuildError::Range {
                what: "device time (ns)",
                got: u64::MAX,
                expected: "at most u64::MAX nanoseconds (about 584 years)",
            })?;
        let mut tensors: Vec<Tensor> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut ops = Vec::new();
        for step in &self.steps {
            match step {
                Step::Tensor {
                    name,
                    kind,
                    dtype,
                    shape,
                    data,
                } => {
                    check_tensor_name(name)?;
                    if index.contains_key(name) {
                        return Err(BuildError::DuplicateName { name: name.clone() });
                    }
                    let t = Tensor {
                        name: name.clone(),
                        kind: *kind,
                        dtype: *dtype,
                        dims: dims_of(name, shape)?,
                        data: data.clone(),
                    };
                    if *kind == TensorKind::Constant && data.len() as u64 != t.size_bytes() {
                        return Err(BuildError::ConstantLength {
                            name: name.clone(),
                            got: data.len(),
                            expected: t.size_bytes(),
                            dtype: *dtype,
                            shape: shape.clone(),
                        });
                    }
                    index.insert(name.clone(), tensors.len());
                    tensors.push(t);
                }
                Step::Op {
                    kind,
                    output,
                    inputs,
                    reshape,
                } => {
                    let op_index = ops.len();
                    let mut ins = Vec::new();
                    for name in inputs {
                        let Some(&i) = index.get(name) else {
                            return Err(BuildError::UnknownTensor {
                                index: op_index,
                                op: *kind,
                                output: output.clone(),
                                name: name.clone(),
                            });
                        };
                        ins.push(i);
                    }
                    let op_err = |message: String| BuildError::Op {
                        index: op_index,
                        op: *kind,
                        output: output.clone(),
                        message,
                    };
                    let reshape = dims_of(output, reshape)?;
                    let refs: Vec<&Tensor> = ins.iter().map(|&i| &tensors[i]).collect();
                    let (dtype, dims) = infer_output(*kind, &refs, &reshape).map_err(|m| {
                        // IDENTITY messages describe the output; the others an input.
                        if *kind == OpKind::Identity {
                            op_err(format!("output '{output}' {m}"))
                        } else {
                            op_err(m)
                        }
                    })?;
                    check_tensor_name(output)?;
                    if index.contains_key(output) {
                        return Err(BuildError::DuplicateName {
                            name: output.clone(),
                        });
                    }
                    index.insert(output.clone(), tensors.len());
                    ops.push(Op {
                        kind: *kind,
                        inputs: ins.iter().map(|&i| i as u32).collect(),
                        output: tensors.len() as u32,
                    });
                    tensors.push(Tensor {
                        name: output.clone(),
                        kind: TensorKind::Intermediate,
                        dtype,
                        dims,
                        data: Vec::new(),
                    });
                }
            }
        }
        for name in &self.outputs {
            let Some(&i) = index.get(name) else {
                return Err(BuildError::UnknownOutput { name: name.clone() });
            };
            let t = &mut tensors[i];
            match t.kind {
                TensorKind::Input => {
                    return Err(BuildError::NotWritable {
                        name: name.clone(),
                        kind: "an input",
                    });
                }
                TensorKind::Constant => {
                    return Err(BuildError::NotWritable {
                        name: name.clone(),
                        kind: "a constant",
                    });
                }
                TensorKind::Intermediate | TensorKind::Output => t.kind = TensorKind::Output,
            }
        }
        if !tensors
            .iter()
            .any(|t| matches!(t.kind, TensorKind::Input | TensorKind::Output))
        {
            return Err(BuildError::NoIo);
        }
        if tensors.len() > crate::program::MAX_COUNT as usize {
            return Err(BuildError::Range {
                what: "tensor count",
                got: tensors.len() as u64,
                expected: "1 ..= 65535",
            });
        }
        if ops.len() > crate::program::MAX_COUNT as usize {
            return Err(BuildError::Range {
                what: "op count",
                got: ops.len() as u64,
                expected: "0 ..= 65535",
            });
        }
        let program = Program {
            device_time_ns,
            tensors,
            ops,
        };
        program.validate()?;
        Ok(program)
    }

    /// Validates the model and writes the complete NEFF: a pkg_version 1 header (NEFF version
    /// 2.0, `num_tpb` = `requested_tpb_count` = cores, the SHA-256 of the payload and a UUID
    /// derived from it) followed by a ustar payload holding `nrtemu/program.bin`.
    pub fn build(&self) -> Result<Vec<u8>, BuildError> {
        let bad_name = |reason| {
            Err(BuildError::ModelName {
                name: self.name.clone(),
                reason,
            })
        };
        if self.name.is_empty() {
            return bad_name("it is empty");
        }
        if self.name.len() > 255 {
            return bad_name("it is longer than 255 bytes");
        }
        if self.name.contains('\0') {
            return bad_name("it contains a NUL byte");
        }
        if self.cores == 0 {
            return Err(BuildError::Range {
                what: "cores",
                got: 0,
                expected: "at least 1",
            });
        }
        if self.lnc == 0 {
            return Err(BuildError::Range {
                what: "lnc",
                got: 0,
                expected: "at least 1 (1, or 2 for trn2 at LNC 2)",
            });
        }
        let program = self.program()?;
        let payload = crate::tar::write(&[(PROGRAM_MEMBER, &program.encode())])?;
        let mut header = NeffHeader::new(&self.name);
        header.num_tpb = self.cores;
        header.requested_tpb_count = self.cores;
        header.lnc_size = self.lnc;
        header.set_payload_hash(&payload);
        let mut out = header.to_bytes().to_vec();
        out.extend_from_slice(&payload);
        Ok(out)
    }
}
