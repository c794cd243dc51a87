//! The layout of NEFFs built by the Neuron compiler ([`CompilerLayout`]): the I/O tensors from
//! `neff.json`, the subgraphs from the kelf JSON, sizes cross-checked with each subgraph's
//! `def.json`. The rules are `FORMAT.md` §5; the emulator's C reader (`compiled.c`) follows the
//! same text, and the tests load the same fixtures through both.

use std::io::Read;

use serde_json::Value;

use crate::dtype::DType;
use crate::error::NeffError;
use crate::program::MAX_TOTAL_TENSOR_BYTES;
use crate::tar::TarReader;

/// Largest decompressed payload of a pkg_version 2 NEFF (4 GiB).
pub const MAX_PAYLOAD_BYTES: u64 = 1 << 32;
/// Largest JSON member the reader parses (64 MiB).
pub const MAX_JSON_BYTES: usize = 64 << 20;
/// Most I/O tensors a compiler NEFF may declare.
pub const MAX_IO_TENSORS: usize = 65535;
/// Most dimensions of one I/O tensor.
pub const MAX_IO_NDIM: usize = 32;

/// Whether a tensor is read or written by the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IoKind {
    /// An input (`arg_nodes`).
    Input,
    /// An output (`heads`).
    Output,
}

/// One input or output of a compiler NEFF, as the runtime reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoTensor {
    /// Tensor name (`x`, `output0`).
    pub name: String,
    /// Input or output.
    pub kind: IoKind,
    /// Element type.
    pub dtype: DType,
    /// Dimensions (empty for a scalar).
    pub shape: Vec<u32>,
    /// Size in bytes: element size × product of the dimensions.
    pub size_bytes: u64,
}

/// A subgraph listed by a kelf JSON (`{"name": "sg00", "definition": "sg00/def.json"}`): one per
/// physical core of a logical core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subgraph {
    /// The graph name (`sg00`), empty when the kelf entry has none.
    pub name: String,
    /// The member holding its definition (`sg00/def.json`).
    pub definition: String,
}

/// The I/O tensors and subgraphs of a NEFF built by the Neuron compiler.
///
/// ```
/// use neuron_neff::{CompilerNeffBuilder, DType, IoKind, Neff};
/// let bytes = CompilerNeffBuilder::matmul("file.neff", 128, 256, 128).build()?;
/// let neff = Neff::parse(&bytes)?;
/// let layout = neff.compiler_layout()?.expect("a compiler NEFF");
/// let names: Vec<_> = layout.tensors().iter().map(|t| t.name.as_str()).collect();
/// assert_eq!(names, ["x", "y", "output0"]);
/// assert_eq!(layout.outputs().next().unwrap().dtype, DType::Float16);
/// assert_eq!(layout.tensors()[2].kind, IoKind::Output);
/// assert_eq!(layout.subgraphs().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompilerLayout {
    tensors: Vec<IoTensor>,
    subgraphs: Vec<Subgraph>,
}

/// A member of a NEFF payload (from [`Neff::member_list`](crate::Neff::member_list)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    /// The member's name in the archive.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Whether it is a regular file (only those can be looked up by name).
    pub is_file: bool,
}

impl CompilerLayout {
    /// Every I/O tensor: inputs (in `arg_nodes` order), then outputs (in `heads` order, a
    /// repeated head once).
    pub fn tensors(&self) -> &[IoTensor] {
        &self.tensors
    }

    /// The inputs.
    pub fn inputs(&self) -> impl Iterator<Item = &IoTensor> {
        self.tensors.iter().filter(|t| t.kind == IoKind::Input)
    }

    /// The outputs.
    pub fn outputs(&self) -> impl Iterator<Item = &IoTensor> {
        self.tensors.iter().filter(|t| t.kind == IoKind::Output)
    }

    /// The subgraphs named by the kelf files, in order.
    pub fn subgraphs(&self) -> &[Subgraph] {
        &self.subgraphs
    }

    /// Reads the layout from an uncompressed tar payload: `Ok(None)` when there is no
    /// `neff.json` (not a compiler NEFF), [`NeffError::Compiler`] naming the member and the
    /// problem when it is malformed.
    pub fn parse(tar: &[u8]) -> Result<Option<CompilerLayout>, NeffError> {
        let Some(graph) = load_json(tar, "neff.json")? else {
            return Ok(None);
        };
        Reader {
            tar,
            graph: &graph,
            tmap: None,
            tensors: Vec::new(),
            subgraphs: Vec::new(),
        }
        .run()
        .map(Some)
    }
}

/// Decompresses a pkg_version 2 payload: exactly one gzip member followed only by zero bytes,
/// at most [`MAX_PAYLOAD_BYTES`] once decompressed.
pub fn gunzip_payload(payload: &[u8]) -> Result<Vec<u8>, NeffError> {
    let gz = |reason: String| NeffError::Gzip { reason };
    let mut rest = payload;
    let mut out = Vec::new();
    {
        let mut dec = flate2::bufread::GzDecoder::new(&mut rest);
        let read = (&mut dec)
            .take(MAX_PAYLOAD_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| gz(e.to_string()))?;
        if read as u64 > MAX_PAYLOAD_BYTES {
            return Err(gz(format!(
                "decompressed data exceeds the limit of {MAX_PAYLOAD_BYTES} bytes"
            )));
        }
    }
    if let Some(i) = rest.iter().position(|&b| b != 0) {
        return Err(gz(format!(
            "non-zero byte at offset {} after the gzip member (only zero padding may follow it)",
            payload.len() - rest.len() + i
        )));
    }
    Ok(out)
}

/// Dtype string of the compiler's metadata → element type (`"float16"` → [`DType::Float16`]):
/// the compiler's strings are [`DType::name`] of the eleven integer and float types. FP8 tensors
/// are stored as `int8`/`uint8` by the compiler, so no FP8 (or FP32R) name is accepted.
pub fn dtype_from_compiler_name(name: &str) -> Option<DType> {
    DType::ALL
        .into_iter()
        .find(|&d| compiler_names(d) && d.name() == name)
}

/// Whether the compiler writes this type under its [`DType::name`] (all but FP32R and FP8).
pub(crate) fn compiler_names(dtype: DType) -> bool {
    !matches!(
        dtype,
        DType::Fp32r | DType::Fp8E3 | DType::Fp8E4 | DType::Fp8E5
    )
}

fn bad(member: &str, reason: impl Into<String>) -> NeffError {
    NeffError::Compiler {
        member: member.to_string(),
        reason: reason.into(),
    }
}

fn load_json(tar: &[u8], member: &str) -> Result<Option<Value>, NeffError> {
    let Some(data) = TarReader::find(tar, member)? else {
        return Ok(None);
    };
    if data.len() > MAX_JSON_BYTES {
        return Err(bad(
            member,
            format!(
                "{} bytes exceeds the 64 MiB limit of a JSON member",
                data.len()
            ),
        ));
    }
    crate::json::parse(data)
        .map(Some)
        .map_err(|e| bad(member, e))
}

fn as_index(v: Option<&Value>, limit: usize) -> Option<usize> {
    let i = v?.as_i64()?;
    usize::try_from(i).ok().filter(|&i| i < limit)
}

struct Reader<'a> {
    tar: &'a [u8],
    graph: &'a Value,
    tmap: Option<(String, Value)>,
    tensors: Vec<IoTensor>,
    subgraphs: Vec<Subgraph>,
}

impl Reader<'_> {
    fn run(mut self) -> Result<CompilerLayout, NeffError> {
        const NJ: &str = "neff.json";
        let graph = self.graph;
        let root = graph
            .as_object()
            .ok_or_else(|| bad(NJ, "not a JSON object"))?;
        let nodes = root
            .get("nodes")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(NJ, "\"nodes\" is missing or not an array"))?;
        let arg_nodes = root
            .get("arg_nodes")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(NJ, "\"arg_nodes\" is missing or not an array"))?;
        let heads = root
            .get("heads")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(NJ, "\"heads\" is missing or not an array"))?;
        let row_ptr = root
            .get("node_row_ptr")
            .and_then(Value::as_array)
            .filter(|r| r.len() == nodes.len() + 1)
            .ok_or_else(|| {
                bad(
                    NJ,
                    "\"node_row_ptr\" is missing or does not have one entry per node plus one",
                )
            })?;
        let mut rows = Vec::with_capacity(row_ptr.len());
        for (i, e) in row_ptr.iter().enumerate() {
            match e.as_i64() {
                Some(v) if v >= rows.last().copied().unwrap_or(0) && (i > 0 || v == 0) => {
                    rows.push(v)
                }
                _ => {
                    return Err(bad(
                        NJ,
                        "\"node_row_ptr\" is not a non-decreasing integer list starting at 0",
                    ));
                }
            }
        }
        let attrs = root.get("attrs");
        let shapes = tagged_list(attrs, "shape", "list_shape")?;
        let dtypes = tagged_list(attrs, "dltype", "list_str")?;
        let sig = root
            .get("metadata")
            .and_then(|m| m.get("signatures"))
            .and_then(|s| s.get("default"));
        let sig_in = sig.and_then(|s| s.get("inputs"));
        let sig_out = sig.and_then(|s| s.get("outputs"));

        let mut kelfs = Vec::new();
        for n in nodes {
            let op = n
                .get("op")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(NJ, "a node has no \"op\" string"))?;
            if op != "tvm_op" {
                continue;
            }
            if let Some(k) = n.get("attrs").and_then(|a| a.get("kelf")) {
                let k = k
                    .as_str()
                    .ok_or_else(|| bad(NJ, "a tvm_op node's attrs.kelf is not a string"))?;
                self.read_kelf(k)?;
                kelfs.push(k.to_string());
            }
        }

        if arg_nodes.len() + heads.len() > MAX_IO_TENSORS {
            return Err(bad(NJ, "more than 65535 tensors"));
        }
        let types = Types {
            shapes,
            dtypes,
            sig_in,
            sig_out,
        };
        for a in arg_nodes {
            let id = as_index(Some(a), nodes.len())
                .ok_or_else(|| bad(NJ, "an arg_nodes entry is not a node id"))?;
            let node = &nodes[id];
            let name = node.get("name").and_then(Value::as_str);
            let op = node.get("op").and_then(Value::as_str);
            let (Some(name), Some("null")) = (name, op) else {
                return Err(bad(
                    NJ,
                    "an arg_nodes entry is not a named \"null\" (input) node",
                ));
            };
            self.add_io(&types, name, IoKind::Input, rows[id] as usize)?;
        }
        for h in heads {
            let h = h.as_array().filter(|h| h.len() >= 2);
            let id = h
                .and_then(|h| as_index(h.first(), nodes.len()))
                .ok_or_else(|| bad(NJ, "a heads entry is not [node, output_index, version]"))?;
            let (lo, hi) = (rows[id], rows[id + 1]);
            let idx = as_index(h.and_then(|h| h.get(1)), (hi - lo) as usize).ok_or_else(|| {
                bad(
                    NJ,
                    "a heads entry's output index is out of the node's range",
                )
            })?;
            let node = &nodes[id];
            let name = node
                .get("output_names")
                .and_then(|n| n.get(idx))
                .and_then(Value::as_str)
                .or_else(|| node.get("name").and_then(Value::as_str))
                .ok_or_else(|| bad(NJ, "a head's node has no output_names entry or name"))?;
            self.add_io(&types, name, IoKind::Output, lo as usize + idx)?;
        }
        if !self.tensors.iter().any(|t| t.kind == IoKind::Output) {
            return Err(bad(NJ, "the graph has no outputs (\"heads\" is empty)"));
        }
        for sg in self.subgraphs.clone() {
            self.check_def(&sg.definition)?;
        }
        Ok(CompilerLayout {
            tensors: self.tensors,
            subgraphs: self.subgraphs,
        })
    }

    fn read_kelf(&mut self, kelf: &str) -> Result<(), NeffError> {
        let doc =
            load_json(self.tar, kelf)?.ok_or_else(|| bad(kelf, "missing (named by neff.json)"))?;
        let graphs = doc
            .get("graphs")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(kelf, "\"graphs\" is missing or not an array"))?;
        for g in graphs {
            let definition = g
                .get("definition")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(kelf, "a graph has no \"definition\" string"))?;
            if self.tmap.is_none() {
                let dir = definition.rfind('/').map_or("", |i| &definition[..=i]);
                let tm = format!("{dir}tensor_map.json");
                if tm.len() < 512 {
                    if let Some(v) = load_json(self.tar, &tm)? {
                        if !v.is_object() {
                            return Err(bad(&tm, "not a JSON object"));
                        }
                        self.tmap = Some((tm, v));
                    }
                }
            }
            self.subgraphs.push(Subgraph {
                name: g
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                definition: definition.to_string(),
            });
        }
        Ok(())
    }

    fn add_io(
        &mut self,
        types: &Types<'_>,
        name: &str,
        kind: IoKind,
        entry: usize,
    ) -> Result<(), NeffError> {
        const NJ: &str = "neff.json";
        if name.is_empty() || name.len() > 255 {
            let short: String = name.chars().take(40).collect();
            return Err(bad(
                NJ,
                format!("tensor name '{short}' must be 1 to 255 bytes"),
            ));
        }
        let t = self.resolve(types, name, kind, entry)?;
        if let Some(prev) = self.tensors.iter().find(|p| p.name == name) {
            if kind == IoKind::Input || prev.kind == IoKind::Input {
                let what = if kind == IoKind::Input {
                    "two inputs"
                } else {
                    "an input and an output"
                };
                return Err(bad(
                    NJ,
                    format!("tensor name '{name}' is used twice ({what})"),
                ));
            }
            if prev.dtype != t.dtype || prev.shape != t.shape {
                return Err(bad(
                    NJ,
                    format!("output '{name}' is listed twice with different dtypes or shapes"),
                ));
            }
            return Ok(()); // a repeated head: reported once
        }
        self.tensors.push(t);
        Ok(())
    }

    fn resolve(
        &self,
        types: &Types<'_>,
        name: &str,
        kind: IoKind,
        entry: usize,
    ) -> Result<IoTensor, NeffError> {
        let mut shape = types.shapes.map(|s| s.get(entry));
        let mut dtype = types.dtypes.map(|d| d.get(entry).and_then(Value::as_str));
        if matches!(shape, Some(None)) || matches!(dtype, Some(None)) {
            return Err(bad(
                "neff.json",
                format!("attrs.shape/dltype have no entry {entry} (tensor '{name}')"),
            ));
        }
        let mut where_ = "neff.json".to_string();
        let sig = match kind {
            IoKind::Input => types.sig_in,
            IoKind::Output => types.sig_out,
        };
        if shape.is_none() || dtype.is_none() {
            if let Some(s) = sig.and_then(|s| s.get(name)) {
                shape = shape.or(Some(s.get("shape")));
                dtype = dtype.or(Some(s.get("dtype").and_then(Value::as_str)));
                where_ = "neff.json metadata.signatures.default".into();
            }
        }
        let (mut shape, mut dtype) = (shape.flatten(), dtype.flatten());
        if shape.is_none() || dtype.is_none() {
            if let Some((tm, m)) = self.tmap.as_ref() {
                if let Some(e) = m.get(name) {
                    shape = shape.or(e.get("tf_shape"));
                    dtype = dtype.or(e.get("dtype").and_then(Value::as_str));
                    where_ = tm.clone();
                }
            }
        }
        let (Some(shape), Some(dtype)) = (shape, dtype) else {
            let what = if shape.is_none() { "shape" } else { "dtype" };
            return Err(bad(
                "neff.json",
                format!(
                    "no {what} for tensor '{name}' (not in attrs, the signature or \
                     tensor_map.json)"
                ),
            ));
        };
        let shape = shape.as_array().ok_or_else(|| {
            bad(
                &where_,
                format!("the shape of tensor '{name}' is not an array"),
            )
        })?;
        if shape.len() > MAX_IO_NDIM {
            return Err(bad(
                &where_,
                format!(
                    "tensor '{name}' has {} dimensions (at most {MAX_IO_NDIM})",
                    shape.len()
                ),
            ));
        }
        let dt = dtype_from_compiler_name(dtype).ok_or_else(|| {
            bad(
                &where_,
                format!(
                    "tensor '{name}' has dtype '{dtype}', which the emulator does not know \
                     (known: float32, float16, bfloat16, int8, uint8, int16, uint16, int32, \
                     uint32, int64, uint64)"
                ),
            )
        })?;
        let mut dims = Vec::with_capacity(shape.len());
        let mut bytes = dt.size_bytes() as u64;
        for (i, d) in shape.iter().enumerate() {
            let v = d
                .as_i64()
                .filter(|&v| (1..=i64::from(u32::MAX)).contains(&v))
                .ok_or_else(|| {
                    bad(
                        &where_,
                        format!(
                            "dimension {i} of tensor '{name}' is not an integer in 1..4294967295"
                        ),
                    )
                })? as u64;
            if v > MAX_TOTAL_TENSOR_BYTES / bytes {
                return Err(bad(
                    &where_,
                    format!("tensor '{name}' is larger than the 16 GiB limit of one tensor"),
                ));
            }
            bytes *= v;
            dims.push(v as u32);
        }
        Ok(IoTensor {
            name: name.to_string(),
            kind,
            dtype: dt,
            shape: dims,
            size_bytes: bytes,
        })
    }

    fn check_def(&self, member: &str) -> Result<(), NeffError> {
        let doc = load_json(self.tar, member)?
            .ok_or_else(|| bad(member, "missing (named by the kelf file)"))?;
        let Some(vars) = doc.get("var") else {
            return Ok(());
        };
        let vars = vars
            .as_object()
            .ok_or_else(|| bad(member, "\"var\" is not an object"))?;
        for t in &self.tensors {
            let Some(v) = vars.get(&t.name) else { continue };
            let ty = v.get("type").and_then(Value::as_str);
            let Some(ty @ ("input" | "output")) = ty else {
                continue;
            };
            let want = if t.kind == IoKind::Input {
                "input"
            } else {
                "output"
            };
            if ty != want {
                return Err(bad(
                    member,
                    format!(
                        "var '{}' has type '{ty}' but neff.json makes it an {want}",
                        t.name
                    ),
                ));
            }
            let size = v.get("size").and_then(Value::as_i64);
            if size.and_then(|s| u64::try_from(s).ok()) != Some(t.size_bytes) {
                return Err(bad(
                    member,
                    format!(
                        "var '{}' has size {} bytes but neff.json gives {} bytes ({} {:?})",
                        t.name,
                        size.unwrap_or(-1),
                        t.size_bytes,
                        t.dtype.name(),
                        t.shape
                    ),
                ));
            }
        }
        Ok(())
    }
}

struct Types<'a> {
    shapes: Option<&'a Vec<Value>>,
    dtypes: Option<&'a Vec<Value>>,
    sig_in: Option<&'a Value>,
    sig_out: Option<&'a Value>,
}

/// `attrs.<key>` = `["<tag>", [...]]`: the list, `None` when absent.
fn tagged_list<'a>(
    attrs: Option<&'a Value>,
    key: &str,
    tag: &str,
) -> Result<Option<&'a Vec<Value>>, NeffError> {
    let Some(a) = attrs.and_then(|a| a.get(key)) else {
        return Ok(None);
    };
    match a.as_array().map(Vec::as_slice) {
        Some([Value::String(t), Value::Array(list)]) if t == tag => Ok(Some(list)),
        _ => Err(bad(
            "neff.json",
            format!("attrs.{key} is not [\"{tag}\", [...]]"),
        )),
    }
}
