//! The emulator's model program, `nrtemu/program.bin` (`FORMAT.md` §3): [`Program`],
//! [`Tensor`], [`Op`], decoding with the emulator's validation, encoding, and a reference
//! CPU evaluator.

use std::collections::HashMap;
use std::fmt;

use crate::dtype::DType;
use crate::error::{ErrorLocation, ProgramError};

/// The member of the NEFF payload that holds the program.
pub const PROGRAM_MEMBER: &str = "nrtemu/program.bin";
/// The program magic.
pub const MAGIC: [u8; 8] = *b"NRTEMUP\x01";
/// The program format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Most dimensions a tensor may have.
pub const MAX_NDIM: usize = 8;
/// Most tensors, and most ops, in a program.
pub const MAX_COUNT: u32 = 65535;
/// Limit on one tensor's bytes and on the sum over all tensors of a program: 16 GiB.
pub const MAX_TOTAL_TENSOR_BYTES: u64 = 1 << 34;
/// Intermediates start at offsets aligned to this many bytes in the scratch buffer.
pub const SCRATCH_ALIGN: u64 = 64;

/// What a tensor is to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TensorKind {
    /// A model input (code 0), supplied by the caller.
    Input,
    /// A model output (code 1), returned to the caller.
    Output,
    /// A constant (code 2), stored in the program.
    Constant,
    /// An intermediate (code 3), in the per-execution scratch buffer.
    Intermediate,
}

impl TensorKind {
    /// The record's `kind` byte.
    pub fn code(self) -> u8 {
        match self {
            TensorKind::Input => 0,
            TensorKind::Output => 1,
            TensorKind::Constant => 2,
            TensorKind::Intermediate => 3,
        }
    }

    /// The kind with this code.
    pub fn from_code(code: u8) -> Option<TensorKind> {
        Some(match code {
            0 => TensorKind::Input,
            1 => TensorKind::Output,
            2 => TensorKind::Constant,
            3 => TensorKind::Intermediate,
            _ => return None,
        })
    }

    /// Lower-case name ("input", "output", "constant", "intermediate").
    pub fn name(self) -> &'static str {
        match self {
            TensorKind::Input => "input",
            TensorKind::Output => "output",
            TensorKind::Constant => "constant",
            TensorKind::Intermediate => "intermediate",
        }
    }
}

impl fmt::Display for TensorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A tensor record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor {
    /// Unique name, 1 ..= 255 bytes, no NUL.
    pub name: String,
    /// What the tensor is.
    pub kind: TensorKind,
    /// Element type.
    pub dtype: DType,
    /// Shape, 0 ..= 8 dims, each ≥ 1 (no dims: a scalar).
    pub dims: Vec<u32>,
    /// The constant's bytes (kind [`TensorKind::Constant`] only; empty otherwise).
    pub data: Vec<u8>,
}

impl Tensor {
    /// Number of elements (product of dims; 1 for a scalar), saturating.
    pub fn element_count(&self) -> u64 {
        self.dims
            .iter()
            .fold(1u64, |acc, &d| acc.saturating_mul(u64::from(d)))
    }

    /// Size in bytes: element size × element count, saturating.
    pub fn size_bytes(&self) -> u64 {
        self.element_count()
            .saturating_mul(self.dtype.size_bytes() as u64)
    }
}

/// An op code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// 1: byte copy into any shape with the same element count and dtype (also reshape).
    Identity,
    /// 2: element-wise sum with NumPy broadcasting.
    Add,
    /// 3: max(x, 0).
    Relu,
    /// 4: batched matrix product.
    MatMul,
    /// 5: softmax over the last axis.
    Softmax,
    /// 6: element-wise product with NumPy broadcasting.
    Mul,
}

impl OpKind {
    /// The opcode.
    pub fn opcode(self) -> u32 {
        match self {
            OpKind::Identity => 1,
            OpKind::Add => 2,
            OpKind::Relu => 3,
            OpKind::MatMul => 4,
            OpKind::Softmax => 5,
            OpKind::Mul => 6,
        }
    }

    /// The op with this opcode.
    pub fn from_opcode(code: u32) -> Option<OpKind> {
        Some(match code {
            1 => OpKind::Identity,
            2 => OpKind::Add,
            3 => OpKind::Relu,
            4 => OpKind::MatMul,
            5 => OpKind::Softmax,
            6 => OpKind::Mul,
            _ => return None,
        })
    }

    /// Upper-case name as in `FORMAT.md` ("MATMUL").
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Identity => "IDENTITY",
            OpKind::Add => "ADD",
            OpKind::Relu => "RELU",
            OpKind::MatMul => "MATMUL",
            OpKind::Softmax => "SOFTMAX",
            OpKind::Mul => "MUL",
        }
    }

    /// How many inputs the op takes.
    pub fn input_count(self) -> usize {
        match self {
            OpKind::Add | OpKind::MatMul | OpKind::Mul => 2,
            OpKind::Identity | OpKind::Relu | OpKind::Softmax => 1,
        }
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An op record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// What the op computes.
    pub kind: OpKind,
    /// Input tensor indices.
    pub inputs: Vec<u32>,
    /// Output tensor index.
    pub output: u32,
}

/// A decoded `nrtemu/program.bin`.
///
/// ```
/// use neuron_neff::{DType, Op, OpKind, Program, Tensor, TensorKind};
/// let t = |name: &str, kind| Tensor {
///     name: name.into(), kind, dtype: DType::Float32, dims: vec![3], data: vec![],
/// };
/// let p = Program {
///     device_time_ns: 1000,
///     tensors: vec![t("x", TensorKind::Input), t("y", TensorKind::Output)],
///     ops: vec![Op { kind: OpKind::Relu, inputs: vec![0], output: 1 }],
/// };
/// let bytes = p.encode();
/// assert_eq!(Program::decode(&bytes).unwrap(), p);
/// let x: Vec<u8> = [-1.0f32, 2.0, -3.0].iter().flat_map(|v| v.to_le_bytes()).collect();
/// let out = p.evaluate(&[&x]).unwrap();
/// assert_eq!(out[0], [0.0f32, 2.0, 0.0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// Simulated device time of one execution, in nanoseconds.
    pub device_time_ns: u64,
    /// Tensor records, in order.
    pub tensors: Vec<Tensor>,
    /// Op records, in execution order.
    pub ops: Vec<Op>,
}

pub(crate) fn fmt_shape(dims: &[u32]) -> String {
    let inner: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("[{}]", inner.join(","))
}

/// NumPy broadcast of two shapes.
pub(crate) fn broadcast(a: &[u32], b: &[u32]) -> Option<Vec<u32>> {
    let nd = a.len().max(b.len());
    let mut out = vec![0; nd];
    for k in 0..nd {
        let da = if k < a.len() { a[a.len() - 1 - k] } else { 1 };
        let db = if k < b.len() { b[b.len() - 1 - k] } else { 1 };
        out[nd - 1 - k] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// The output dtype and shape an op produces from its inputs, or the reason (without the
/// `op i (KIND): ` prefix) it cannot run on them. For IDENTITY, `reshape` is the requested
/// output shape (the element count must match). The checks and messages are the emulator's.
pub(crate) fn infer_output(
    kind: OpKind,
    inputs: &[&Tensor],
    reshape: &[u32],
) -> Result<(DType, Vec<u32>), String> {
    let a = inputs[0];
    if kind == OpKind::Identity {
        let out = Tensor {
            name: String::new(),
            kind: TensorKind::Intermediate,
            dtype: a.dtype,
            dims: reshape.to_vec(),
            data: vec![],
        };
        if out.element_count() != a.element_count() {
            return Err(format!(
                "has shape {} ({} elements), expected {} elements like input '{}' {}",
                fmt_shape(reshape),
                out.element_count(),
                a.element_count(),
                a.name,
                fmt_shape(&a.dims)
            ));
        }
        return Ok((a.dtype, reshape.to_vec()));
    }
    for t in inputs {
        if t.dtype != DType::Float32 {
            return Err(format!(
                "input '{}' has dtype {}, expected FLOAT32",
                t.name,
                t.dtype.nrt_name()
            ));
        }
    }
    let shape = match kind {
        OpKind::Relu | OpKind::Softmax => a.dims.clone(),
        OpKind::Add | OpKind::Mul => {
            let b = inputs[1];
            broadcast(&a.dims, &b.dims).ok_or_else(|| {
                format!(
                    "inputs '{}' {} and '{}' {} do not broadcast, expected each dimension pair \
                     (right-aligned) to be equal or 1",
                    a.name,
                    fmt_shape(&a.dims),
                    b.name,
                    fmt_shape(&b.dims)
                )
            })?
        }
        OpKind::MatMul => {
            let b = inputs[1];
            if a.dims.len() < 2 {
                return Err(format!(
                    "input '{}' has shape {}, expected at least 2 dimensions [..., M, K]",
                    a.name,
                    fmt_shape(&a.dims)
                ));
            }
            let nd = a.dims.len();
            let (m, k) = (a.dims[nd - 2], a.dims[nd - 1]);
            let b_ok =
                b.dims.len() == 2 || (b.dims.len() == nd && a.dims[..nd - 2] == b.dims[..nd - 2]);
            if !b_ok || b.dims[b.dims.len() - 2] != k {
                return Err(format!(
                    "input '{}' has shape {}, expected [{k},N] or the leading dims of '{}' {} \
                     followed by [{k},N]",
                    b.name,
                    fmt_shape(&b.dims),
                    a.name,
                    fmt_shape(&a.dims)
                ));
            }
            let mut s = a.dims[..nd - 2].to_vec();
            s.push(m);
            s.push(b.dims[b.dims.len() - 1]);
            s
        }
        OpKind::Identity => unreachable!("handled above"),
    };
    Ok((DType::Float32, shape))
}

struct Reader<'a> {
    p: &'a [u8],
    off: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &dyn Fn() -> String) -> Result<&[u8], String> {
        let left = self.p.len() - self.off;
        if left < n {
            return Err(format!(
                "program is truncated at offset {}: expected {} ({n} bytes), only {left} remain",
                self.off,
                what()
            ));
        }
        let s = &self.p[self.off..self.off + n];
        self.off += n;
        Ok(s)
    }
    fn u8(&mut self, what: &dyn Fn() -> String) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &dyn Fn() -> String) -> Result<u16, String> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &dyn Fn() -> String) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &dyn Fn() -> String) -> Result<u64, String> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

fn s(x: &'static str) -> impl Fn() -> String {
    move || x.to_string()
}

impl Program {
    /// Decodes and validates `nrtemu/program.bin` with exactly the emulator's rules
    /// (`FORMAT.md` §3), in the same order and with the same messages.
    pub fn decode(bytes: &[u8]) -> Result<Program, ProgramError> {
        let mut loc = ErrorLocation::Header;
        let mut r = Reader { p: bytes, off: 0 };
        Self::decode_inner(&mut r, &mut loc).map_err(|m| ProgramError::new(loc, m))
    }

    fn decode_inner(r: &mut Reader<'_>, loc: &mut ErrorLocation) -> Result<Program, String> {
        let magic = r.take(8, &s("magic"))?;
        if magic != MAGIC {
            return Err(
                "bad magic: expected \"NRTEMUP\\x01\" (this is not an emulator program)".into(),
            );
        }
        let version = r.u32(&s("format_version"))?;
        if version != FORMAT_VERSION {
            return Err(format!("format_version is {version}, expected 1"));
        }
        let flags = r.u32(&s("flags"))?;
        if flags != 0 {
            return Err(format!("flags is 0x{flags:X}, expected 0"));
        }
        let device_time_ns = r.u64(&s("device_time_ns"))?;
        let n_tensors = r.u32(&s("tensor_count"))?;
        if !(1..=MAX_COUNT).contains(&n_tensors) {
            return Err(format!("tensor_count is {n_tensors}, expected 1..=65535"));
        }
        let n_ops = r.u32(&s("op_count"))?;
        if n_ops > MAX_COUNT {
            return Err(format!("op_count is {n_ops}, expected 0..=65535"));
        }
        let min = u64::from(n_tensors) * 15 + u64::from(n_ops) * 20;
        let left = r.p.len() - r.off;
        if min > left as u64 {
            return Err(format!(
                "program is truncated: {n_tensors} tensors and {n_ops} ops need at least {min} \
                 bytes after the header, only {left} remain"
            ));
        }
        let mut tensors: Vec<Tensor> = Vec::with_capacity(n_tensors as usize);
        let mut names: HashMap<String, u32> = HashMap::with_capacity(n_tensors as usize);
        let mut total: u64 = 0;
        for i in 0..n_tensors {
            *loc = ErrorLocation::Tensor(i);
            let t = Self::decode_tensor(r, i)?;
            if let Some(&j) = names.get(&t.name) {
                return Err(format!(
                    "tensor {i} ('{}'): name is already used by tensor {j}, expected unique names",
                    t.name
                ));
            }
            names.insert(t.name.clone(), i);
            total += t.size_bytes();
            if total > MAX_TOTAL_TENSOR_BYTES {
                return Err(format!(
                    "tensor {i} ('{}'): tensors total more than the 16 GiB limit (17179869184 \
                     bytes)",
                    t.name
                ));
            }
            tensors.push(t);
        }
        *loc = ErrorLocation::Program;
        if !tensors
            .iter()
            .any(|t| matches!(t.kind, TensorKind::Input | TensorKind::Output))
        {
            return Err("program has no input or output tensor, expected at least one".into());
        }
        let mut writer: Vec<Option<u32>> = vec![None; tensors.len()];
        let mut ops = Vec::with_capacity(n_ops as usize);
        for i in 0..n_ops {
            *loc = ErrorLocation::Op(i);
            let op = Self::decode_op(r, i, &tensors)?;
            check_op(i, &op, &tensors, &writer)?;
            writer[op.output as usize] = Some(i);
            ops.push(op);
        }
        *loc = ErrorLocation::Program;
        if r.off != r.p.len() {
            return Err(format!(
                "{} trailing bytes after the last op, expected none",
                r.p.len() - r.off
            ));
        }
        Ok(Program {
            device_time_ns,
            tensors,
            ops,
        })
    }

    fn decode_tensor(r: &mut Reader<'_>, i: u32) -> Result<Tensor, String> {
        let kind = r.u8(&|| format!("tensor {i} kind"))?;
        let Some(kind) = TensorKind::from_code(kind) else {
            return Err(format!(
                "tensor {i}: kind {kind} is unknown, expected 0 (input), 1 (output), 2 \
                 (constant) or 3 (intermediate)"
            ));
        };
        let res = r.take(3, &|| format!("tensor {i} reserved bytes"))?;
        if res != [0, 0, 0] {
            return Err(format!(
                "tensor {i}: reserved bytes are not zero, expected 0"
            ));
        }
        let code = r.u32(&|| format!("tensor {i} dtype"))?;
        let Some(dtype) = DType::from_code(code) else {
            return Err(format!(
                "tensor {i}: dtype 0x{code:X} is unknown, expected a hardware nrt_dtype_t code \
                 0x1..=0xF"
            ));
        };
        let ndim = r.u32(&|| format!("tensor {i} ndim"))?;
        if ndim as usize > MAX_NDIM {
            return Err(format!("tensor {i}: ndim is {ndim}, expected 0..=8"));
        }
        let mut dims = Vec::with_capacity(ndim as usize);
        for d in 0..ndim {
            let v = r.u32(&|| format!("tensor {i} dims[{d}]"))?;
            if v == 0 {
                return Err(format!("tensor {i}: dims[{d}] is 0, expected >= 1"));
            }
            dims.push(v);
        }
        let name_len = r.u16(&|| format!("tensor {i} name_len"))?;
        if name_len == 0 || name_len > 255 {
            return Err(format!(
                "tensor {i}: name_len is {name_len}, expected 1..=255"
            ));
        }
        let raw = r.take(name_len as usize, &|| format!("tensor {i} name"))?;
        if raw.contains(&0) {
            return Err(format!(
                "tensor {i}: name contains a NUL byte, expected none"
            ));
        }
        let Ok(name) = std::str::from_utf8(raw) else {
            return Err(format!("tensor {i}: name is not valid UTF-8"));
        };
        let mut t = Tensor {
            name: name.to_string(),
            kind,
            dtype,
            dims,
            data: Vec::new(),
        };
        // The same capped arithmetic as the C parser.
        let mut elems: u64 = 1;
        for &d in &t.dims {
            if elems > MAX_TOTAL_TENSOR_BYTES / u64::from(d) {
                elems = MAX_TOTAL_TENSOR_BYTES + 1;
                break;
            }
            elems *= u64::from(d);
        }
        if elems > MAX_TOTAL_TENSOR_BYTES / dtype.size_bytes() as u64 {
            return Err(format!(
                "tensor {i} ('{}'): size exceeds the 16 GiB limit (17179869184 bytes)",
                t.name
            ));
        }
        if kind == TensorKind::Constant {
            let want = t.size_bytes();
            let byte_len = r.u64(&|| format!("tensor {i} byte_len"))?;
            if byte_len != want {
                return Err(format!(
                    "tensor {i} ('{}'): constant byte_len is {byte_len}, expected {want} ({} {})",
                    t.name,
                    dtype.nrt_name(),
                    fmt_shape(&t.dims)
                ));
            }
            let name = t.name.clone();
            t.data = r
                .take(byte_len as usize, &|| format!("tensor {i} ('{name}') data"))?
                .to_vec();
        }
        Ok(t)
    }

    fn decode_op(r: &mut Reader<'_>, i: u32, tensors: &[Tensor]) -> Result<Op, String> {
        let code = r.u32(&|| format!("op {i} opcode"))?;
        let Some(kind) = OpKind::from_opcode(code) else {
            return Err(format!("op {i}: opcode {code} is unknown, expected 1..=6"));
        };
        let n_in = r.u32(&|| format!("op {i} input_count"))?;
        let want = kind.input_count() as u32;
        if n_in != want {
            return Err(format!(
                "op {i} ({kind}): input_count is {n_in}, expected {want}"
            ));
        }
        let nt = tensors.len() as u32;
        let mut inputs = Vec::with_capacity(want as usize);
        for k in 0..n_in {
            let x = r.u32(&|| format!("op {i} inputs[{k}]"))?;
            if x >= nt {
                return Err(format!(
                    "op {i} ({kind}): inputs[{k}] is tensor index {x}, expected < tensor_count {nt}"
                ));
            }
            inputs.push(x);
        }
        let output = r.u32(&|| format!("op {i} output"))?;
        if output >= nt {
            return Err(format!(
                "op {i} ({kind}): output is tensor index {output}, expected < tensor_count {nt}"
            ));
        }
        let attrs = r.u32(&|| format!("op {i} attr_count"))?;
        if attrs != 0 {
            return Err(format!(
                "op {i} ({kind}): attr_count is {attrs}, expected 0"
            ));
        }
        Ok(Op {
            kind,
            inputs,
            output,
        })
    }

    /// Encodes the program (front to back, little-endian). Encoding does not validate: use
    /// [`Program::validate`] (or decode the result) for that.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&MAGIC);
        v.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&self.device_time_ns.to_le_bytes());
        v.extend_from_slice(&(self.tensors.len() as u32).to_le_bytes());
        v.extend_from_slice(&(self.ops.len() as u32).to_le_bytes());
        for t in &self.tensors {
            v.push(t.kind.code());
            v.extend_from_slice(&[0, 0, 0]);
            v.extend_from_slice(&t.dtype.code().to_le_bytes());
            v.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                v.extend_from_slice(&d.to_le_bytes());
            }
            v.extend_from_slice(&(t.name.len() as u16).to_le_bytes());
            v.extend_from_slice(t.name.as_bytes());
            if t.kind == TensorKind::Constant {
                v.extend_from_slice(&(t.data.len() as u64).to_le_bytes());
                v.extend_from_slice(&t.data);
            }
        }
        for op in &self.ops {
            v.extend_from_slice(&op.kind.opcode().to_le_bytes());
            v.extend_from_slice(&(op.inputs.len() as u32).to_le_bytes());
            for x in &op.inputs {
                v.extend_from_slice(&x.to_le_bytes());
            }
            v.extend_from_slice(&op.output.to_le_bytes());
            v.extend_from_slice(&0u32.to_le_bytes());
        }
        v
    }

    /// Checks the program against every rule of `FORMAT.md` §3 (by encoding and decoding it).
    pub fn validate(&self) -> Result<(), ProgramError> {
        let back = Program::decode(&self.encode())?;
        if back != *self {
            // Only possible when a field does not survive encoding (e.g. > u32::MAX dims).
            return Err(ProgramError::new(
                ErrorLocation::Program,
                "program does not survive encoding (a count or length is out of range)",
            ));
        }
        Ok(())
    }

    /// The input tensors, in record order.
    pub fn inputs(&self) -> impl Iterator<Item = &Tensor> {
        self.tensors.iter().filter(|t| t.kind == TensorKind::Input)
    }

    /// The output tensors, in record order.
    pub fn outputs(&self) -> impl Iterator<Item = &Tensor> {
        self.tensors.iter().filter(|t| t.kind == TensorKind::Output)
    }

    /// Inputs then outputs, the order `nrt_get_model_tensor_info` reports them in.
    pub fn io_tensors(&self) -> Vec<&Tensor> {
        self.inputs().chain(self.outputs()).collect()
    }

    /// Device memory the constants take (sum of their sizes).
    pub fn constant_bytes(&self) -> u64 {
        self.tensors
            .iter()
            .filter(|t| t.kind == TensorKind::Constant)
            .map(Tensor::size_bytes)
            .sum()
    }

    /// Scratch bytes for the intermediates of one execution (each at a 64-byte aligned offset),
    /// the same figure as the emulator's `nrtemu_program_scratch_bytes`.
    pub fn scratch_bytes(&self) -> u64 {
        let mut off = 0u64;
        for t in self
            .tensors
            .iter()
            .filter(|t| t.kind == TensorKind::Intermediate)
        {
            off = off.div_ceil(SCRATCH_ALIGN) * SCRATCH_ALIGN + t.size_bytes();
        }
        off
    }

    /// Runs the program on the CPU — a reference implementation of the emulator's interpreter,
    /// with the same arithmetic (f64 accumulation for MATMUL sums and SOFTMAX denominators, in
    /// index order). `inputs` are the input tensors' bytes in record order (little-endian);
    /// returns the outputs' bytes in record order. Outputs no op writes are zero-filled.
    ///
    /// Validates the program first; an input of the wrong size is an error.
    pub fn evaluate(&self, inputs: &[&[u8]]) -> Result<Vec<Vec<u8>>, ProgramError> {
        self.validate()?;
        let n_in = self.inputs().count();
        if inputs.len() != n_in {
            return Err(ProgramError::new(
                ErrorLocation::Program,
                format!("got {} input buffers, expected {n_in}", inputs.len()),
            ));
        }
        let mut store: Vec<Vec<u8>> = Vec::with_capacity(self.tensors.len());
        let mut next_in = 0;
        for t in &self.tensors {
            store.push(match t.kind {
                TensorKind::Input => {
                    let b = inputs[next_in];
                    next_in += 1;
                    if b.len() as u64 != t.size_bytes() {
                        return Err(ProgramError::new(
                            ErrorLocation::Program,
                            format!(
                                "input '{}' has {} bytes, expected {}",
                                t.name,
                                b.len(),
                                t.size_bytes()
                            ),
                        ));
                    }
                    b.to_vec()
                }
                TensorKind::Constant => t.data.clone(),
                // Outputs and intermediates are at most 16 GiB in total (validated).
                _ => vec![0; t.size_bytes() as usize],
            });
        }
        for op in &self.ops {
            let out = crate::eval::run_op(self, op, &store);
            store[op.output as usize] = out;
        }
        Ok(self
            .tensors
            .iter()
            .zip(store)
            .filter(|(t, _)| t.kind == TensorKind::Output)
            .map(|(_, b)| b)
            .collect())
    }
}

fn check_op(i: u32, op: &Op, tensors: &[Tensor], writer: &[Option<u32>]) -> Result<(), String> {
    let kind = op.kind;
    let out = &tensors[op.output as usize];
    if !matches!(out.kind, TensorKind::Output | TensorKind::Intermediate) {
        return Err(format!(
            "op {i} ({kind}): output '{}' is a {} tensor, expected an output or intermediate \
             tensor",
            out.name, out.kind
        ));
    }
    if let Some(j) = writer[op.output as usize] {
        return Err(format!(
            "op {i} ({kind}): output '{}' is already written by op {j}",
            out.name
        ));
    }
    for &x in &op.inputs {
        let t = &tensors[x as usize];
        if matches!(t.kind, TensorKind::Output | TensorKind::Intermediate)
            && writer[x as usize].is_none()
        {
            return Err(format!(
                "op {i} ({kind}): input '{}' is read before any op writes it, expected an input, \
                 a constant or a tensor written by an earlier op",
                t.name
            ));
        }
    }
    let ins: Vec<&Tensor> = op.inputs.iter().map(|&x| &tensors[x as usize]).collect();
    if kind == OpKind::Identity {
        if out.dtype != ins[0].dtype {
            return Err(format!(
                "op {i} ({kind}): output '{}' has dtype {}, expected {}",
                out.name,
                out.dtype.nrt_name(),
                ins[0].dtype.nrt_name()
            ));
        }
        return infer_output(kind, &ins, &out.dims)
            .map(|_| ())
            .map_err(|m| format!("op {i} ({kind}): output '{}' {m}", out.name));
    }
    // Input dtypes are checked before the output dtype, as in the C parser.
    for t in &ins {
        if t.dtype != DType::Float32 {
            return Err(format!(
                "op {i} ({kind}): input '{}' has dtype {}, expected FLOAT32",
                t.name,
                t.dtype.nrt_name()
            ));
        }
    }
    if out.dtype != DType::Float32 {
        return Err(format!(
            "op {i} ({kind}): output '{}' has dtype {}, expected FLOAT32",
            out.name,
            out.dtype.nrt_name()
        ));
    }
    let (_, want) = infer_output(kind, &ins, &[]).map_err(|m| format!("op {i} ({kind}): {m}"))?;
    if out.dims != want {
        return Err(format!(
            "op {i} ({kind}): output '{}' has shape {}, expected {}",
            out.name,
            fmt_shape(&out.dims),
            fmt_shape(&want)
        ));
    }
    Ok(())
}
