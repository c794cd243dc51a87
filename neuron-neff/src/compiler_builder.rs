//! [`CompilerNeffBuilder`]: writes NEFFs in the Neuron compiler's layout (`FORMAT.md` §5), so
//! tests can load a real-layout model without the compiler or a public sample file.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use crate::compiler::{compiler_names, dtype_from_compiler_name};
use crate::dtype::DType;
use crate::error::BuildError;
use crate::header::NeffHeader;

/// One input or output of a [`CompilerNeffBuilder`]: the dtype is the compiler's string
/// (`"float16"`), so fixtures can also carry names the reader must reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompilerTensorSpec {
    /// Tensor name.
    pub name: String,
    /// The compiler's dtype string.
    pub dtype: String,
    /// Dimensions (u64, so that fixtures can declare shapes too large for the reader).
    pub shape: Vec<u64>,
}

impl CompilerTensorSpec {
    /// Size in bytes when the dtype is known and the size fits in u64.
    fn size(&self) -> Option<u64> {
        let e = dtype_from_compiler_name(&self.dtype)?.size_bytes() as u64;
        self.shape.iter().try_fold(e, |acc, &d| acc.checked_mul(d))
    }
}

/// The compiler's dtype string of an element type (`Float16` → `"float16"`); `None` for the
/// types the compiler never writes (FP32R, FP8 — FP8 is stored as int8).
pub(crate) fn compiler_name(dtype: DType) -> Option<&'static str> {
    compiler_names(dtype).then(|| dtype.name())
}

/// Writes a NEFF in the layout of the Neuron compiler: a gzip tar (pkg_version 2, zero padded
/// like the compiler's files) or a plain tar (pkg_version 1) holding `neff.json` (a TVM graph:
/// one `null` node per input, one `tvm_op` node with the kelf file, heads per output),
/// `kelf-0.json`, and per subgraph (one per physical core: `lnc` of them) `sgNN/def.json` and
/// `sgNN/tensor_map.json`, plus `info.json` and a dummy engine file.
///
/// Switches remove or alter pieces to exercise the reader's fallbacks and errors
/// ([`without_attrs`](Self::without_attrs), [`replace_member`](Self::replace_member),
/// [`remove_member`](Self::remove_member), [`def_size`](Self::def_size), ...).
///
/// ```
/// use neuron_neff::{CompilerNeffBuilder, DType, Neff};
/// let bytes = CompilerNeffBuilder::new("file.neff")
///     .input("x", DType::Bfloat16, &[4, 8])
///     .output("out", DType::Float32, &[4])
///     .lnc(1)
///     .build()?;
/// let layout = Neff::parse(&bytes)?.compiler_layout()?.unwrap();
/// assert_eq!(layout.tensors()[1].size_bytes, 16);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a CompilerNeffBuilder does nothing until build() is called"]
pub struct CompilerNeffBuilder {
    name: String,
    inputs: Vec<CompilerTensorSpec>,
    outputs: Vec<CompilerTensorSpec>,
    lnc: u32,
    cores: u32,
    compressed: bool,
    level: u32,
    padding: usize,
    duplicate_heads: bool,
    attrs: bool,
    signature: bool,
    tensor_map: bool,
    def_sizes: BTreeMap<String, u64>,
    replaced: BTreeMap<String, Vec<u8>>,
    removed: Vec<String>,
}

impl CompilerNeffBuilder {
    /// An empty model named `name` (header name; the compiler writes `file.neff`): LNC 1, one
    /// core, gzip payload with 4 KiB of zero padding, every metadata member present.
    pub fn new(name: impl Into<String>) -> Self {
        CompilerNeffBuilder {
            name: name.into(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            lnc: 1,
            cores: 1,
            compressed: true,
            level: 6,
            padding: 4096,
            duplicate_heads: false,
            attrs: true,
            signature: true,
            tensor_map: true,
            def_sizes: BTreeMap::new(),
            replaced: BTreeMap::new(),
            removed: Vec::new(),
        }
    }

    /// The layout of the public `matmul_small.neff` (`x @ y`): inputs `x` `f16[m, k]` and `y`
    /// `f16[k, n]`, output `output0` `f16[m, n]` listed twice in `heads` (once per physical core),
    /// LNC 2 (two subgraphs), gzip payload.
    pub fn matmul(name: impl Into<String>, m: u64, k: u64, n: u64) -> Self {
        CompilerNeffBuilder::new(name)
            .input_raw("x", "float16", &[m, k])
            .input_raw("y", "float16", &[k, n])
            .output_raw("output0", "float16", &[m, n])
            .lnc(2)
            .duplicate_heads(true)
    }

    /// Adds an input.
    ///
    /// # Panics
    /// For FP32R and FP8 types, which the compiler never names (FP8 is stored as `int8`).
    pub fn input(self, name: impl Into<String>, dtype: DType, shape: &[u32]) -> Self {
        let d = compiler_name(dtype).expect("the compiler has no name for FP32R or FP8 types");
        let shape: Vec<u64> = shape.iter().map(|&d| u64::from(d)).collect();
        self.input_raw(name, d, &shape)
    }

    /// Adds an output (see [`input`](Self::input)).
    ///
    /// # Panics
    /// For FP32R and FP8 types.
    pub fn output(self, name: impl Into<String>, dtype: DType, shape: &[u32]) -> Self {
        let d = compiler_name(dtype).expect("the compiler has no name for FP32R or FP8 types");
        let shape: Vec<u64> = shape.iter().map(|&d| u64::from(d)).collect();
        self.output_raw(name, d, &shape)
    }

    /// Adds an input with a raw dtype string and u64 dimensions (for malformed fixtures).
    pub fn input_raw(mut self, name: impl Into<String>, dtype: &str, shape: &[u64]) -> Self {
        self.inputs.push(CompilerTensorSpec {
            name: name.into(),
            dtype: dtype.into(),
            shape: shape.to_vec(),
        });
        self
    }

    /// Adds an output with a raw dtype string and u64 dimensions.
    pub fn output_raw(mut self, name: impl Into<String>, dtype: &str, shape: &[u64]) -> Self {
        self.outputs.push(CompilerTensorSpec {
            name: name.into(),
            dtype: dtype.into(),
            shape: shape.to_vec(),
        });
        self
    }

    /// Logical core size (header `lnc_size`), also the number of subgraphs `sg00`, `sg01`, ...
    pub fn lnc(mut self, lnc: u32) -> Self {
        self.lnc = lnc;
        self
    }

    /// Logical cores (header `num_tpb`), default 1.
    pub fn cores(mut self, cores: u32) -> Self {
        self.cores = cores;
        self
    }

    /// Gzip payload (pkg_version 2, the default) or plain tar (pkg_version 1).
    pub fn compressed(mut self, yes: bool) -> Self {
        self.compressed = yes;
        self
    }

    /// Gzip compression level, 0 (stored blocks) ..= 9 (default 6).
    pub fn compression_level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// Zero bytes after the gzip member inside `data_size` (the compiler pads; default 4096).
    pub fn padding(mut self, bytes: usize) -> Self {
        self.padding = bytes;
        self
    }

    /// List every output twice in `heads` (as the compiler does for an LNC-2 model).
    pub fn duplicate_heads(mut self, yes: bool) -> Self {
        self.duplicate_heads = yes;
        self
    }

    /// Leave `attrs.shape`/`attrs.dltype` out of `neff.json` (types then come from the
    /// signature, or `tensor_map.json`).
    pub fn without_attrs(mut self) -> Self {
        self.attrs = false;
        self
    }

    /// Leave `metadata.signatures` out of `neff.json`.
    pub fn without_signature(mut self) -> Self {
        self.signature = false;
        self
    }

    /// Leave `tensor_map.json` out of the subgraphs.
    pub fn without_tensor_map(mut self) -> Self {
        self.tensor_map = false;
        self
    }

    /// Write `size` for tensor `name` in every `def.json` instead of its real size.
    pub fn def_size(mut self, name: impl Into<String>, size: u64) -> Self {
        self.def_sizes.insert(name.into(), size);
        self
    }

    /// Replace (or add) a payload member with these bytes.
    pub fn replace_member(mut self, member: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        self.replaced.insert(member.into(), bytes.into());
        self
    }

    /// Leave a payload member out.
    pub fn remove_member(mut self, member: impl Into<String>) -> Self {
        self.removed.push(member.into());
        self
    }

    fn subgraph_names(&self) -> Vec<String> {
        (0..self.lnc.max(1)).map(|i| format!("sg{i:02}")).collect()
    }

    fn neff_json(&self) -> Value {
        let mut nodes = Vec::new();
        let mut shapes = Vec::new();
        let mut dtypes = Vec::new();
        let mut rows = vec![0u64];
        for t in &self.inputs {
            nodes.push(json!({"op": "null", "name": t.name, "inputs": [],
                              "output_names": [t.name], "is_param": "0"}));
            shapes.push(json!(t.shape));
            dtypes.push(json!(t.dtype));
            rows.push(rows.len() as u64);
        }
        let copies = if self.duplicate_heads { 2 } else { 1 };
        let mut out_names = Vec::new();
        for t in &self.outputs {
            for _ in 0..copies {
                out_names.push(json!(t.name));
                shapes.push(json!(t.shape));
                dtypes.push(json!(t.dtype));
            }
        }
        let op = nodes.len();
        nodes.push(json!({
            "op": "tvm_op", "name": "sg_coreV10",
            "attrs": {"func_name": "__kelf", "flatten_data": "0",
                      "num_inputs": self.inputs.len().to_string(), "kelf": "kelf-0.json",
                      "num_outputs": out_names.len().to_string()},
            "inputs": (0..self.inputs.len()).map(|i| json!([i, 0, 0])).collect::<Vec<_>>(),
            "output_names": out_names,
        }));
        rows.push(rows[op] + (self.outputs.len() * copies) as u64);
        let heads: Vec<Value> = (0..self.outputs.len() * copies)
            .map(|i| json!([op, i, 0]))
            .collect();
        let mut g = json!({
            "nodes": nodes,
            "arg_nodes": (0..self.inputs.len()).collect::<Vec<_>>(),
            "heads": heads,
            "node_row_ptr": rows,
        });
        if self.attrs {
            g["attrs"] = json!({
                "shape": ["list_shape", shapes],
                "storage_id": ["list_int", (0..dtypes.len()).collect::<Vec<_>>()],
                "dltype": ["list_str", dtypes],
            });
        }
        if self.signature {
            let inputs: serde_json::Map<String, Value> = self
                .inputs
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    (
                        t.name.clone(),
                        json!({"id": i, "dtype": t.dtype, "shape": t.shape}),
                    )
                })
                .collect();
            g["metadata"] = json!({"signatures": {"default": {"inputs": inputs, "outputs": {}}}});
        }
        g
    }

    fn def_json(&self, sg: &str) -> Value {
        let mut var = serde_json::Map::new();
        var.insert("SB".into(), json!({"type": "state-buffer", "var_id": 0}));
        let all = self.inputs.iter().map(|t| (t, "input"));
        for (i, (t, kind)) in all
            .chain(self.outputs.iter().map(|t| (t, "output")))
            .enumerate()
        {
            let size = self
                .def_sizes
                .get(&t.name)
                .copied()
                .or_else(|| t.size())
                .unwrap_or(0);
            var.insert(
                t.name.clone(),
                json!({"ops": [], "size": size, "type": kind, "var_id": i + 1}),
            );
        }
        json!({"name": sg, "version": "0.5", "var": var})
    }

    fn tensor_map_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        let all = self.inputs.iter().map(|t| (t, "input"));
        for (t, kind) in all.chain(self.outputs.iter().map(|t| (t, "output"))) {
            m.insert(
                t.name.clone(),
                json!({"dtype": t.dtype, "is_const": false, "kind": kind,
                       "layer_name": t.name, "tf_shape": t.shape}),
            );
        }
        Value::Object(m)
    }

    /// The payload members in archive order (before gzip), after replacements and removals.
    pub fn members(&self) -> Vec<(String, Vec<u8>)> {
        let js = |v: Value| serde_json::to_vec_pretty(&v).expect("a Value always serialises");
        let sgs = self.subgraph_names();
        let mut m: Vec<(String, Vec<u8>)> = vec![
            (
                "info.json".into(),
                js(json!({"compiler": "neuron-neff fixture"})),
            ),
            (
                "kelf-0.json".into(),
                js(json!({
                    "graphs": sgs.iter().map(|s| json!({"definition": format!("{s}/def.json"), "name": s})).collect::<Vec<_>>(),
                    "version": "0.5", "target": "fixture"})),
            ),
        ];
        for sg in &sgs {
            m.push((format!("{sg}/PE.bin"), vec![0u8; 64]));
            m.push((format!("{sg}/def.json"), js(self.def_json(sg))));
            if self.tensor_map {
                m.push((format!("{sg}/tensor_map.json"), js(self.tensor_map_json())));
            }
        }
        m.push(("neff.json".into(), js(self.neff_json())));
        m.retain(|(n, _)| !self.removed.contains(n));
        for (name, bytes) in &self.replaced {
            match m.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = bytes.clone(),
                None => m.push((name.clone(), bytes.clone())),
            }
        }
        m
    }

    /// Writes the NEFF: header (pkg_version 2 for gzip, else 1; `num_tpb` = cores, `lnc_size`,
    /// feature bits 0) and payload.
    pub fn build(&self) -> Result<Vec<u8>, BuildError> {
        if self.name.is_empty() || self.name.len() > 255 || self.name.contains('\0') {
            return Err(BuildError::ModelName {
                name: self.name.clone(),
                reason: "it must be 1 ..= 255 bytes without NUL",
            });
        }
        let members = self.members();
        let refs: Vec<(&str, &[u8])> = members
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let tar = crate::tar::write(&refs)?;
        let payload = if self.compressed {
            let mut enc =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(self.level));
            enc.write_all(&tar)
                .and_then(|()| enc.finish())
                .map(|mut gz| {
                    gz.resize(gz.len() + self.padding, 0);
                    gz
                })
                .expect("writing to a Vec cannot fail")
        } else {
            tar
        };
        let mut header = NeffHeader::new(&self.name);
        header.pkg_version = if self.compressed { 2 } else { 1 };
        header.num_tpb = self.cores;
        header.requested_tpb_count = self.cores;
        header.lnc_size = self.lnc;
        header.set_payload_hash(&payload);
        let mut out = header.to_bytes().to_vec();
        out.extend_from_slice(&payload);
        Ok(out)
    }
}
