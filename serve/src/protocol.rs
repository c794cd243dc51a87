//! The Open Inference Protocol (KServe v2) on the wire: datatypes, request parsing (JSON tensors
//! and the binary tensor extension) and response encoding.

use crate::error::ApiError;
use crate::model::{ModelInfo, TensorSpec};
use bytes::Bytes;
use neuron_rt::DType;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Header of the binary tensor extension: length of the JSON part of the body.
pub const HEADER_CONTENT_LENGTH: &str = "Inference-Header-Content-Length";

/// The protocol's datatype name for a runtime dtype (`FP32`, `FP16`, `BF16`, `INT8`, …);
/// `None` for types the protocol has no name for (FP8, FP32R).
pub fn datatype_name(dtype: DType) -> Option<&'static str> {
    Some(match dtype {
        DType::Float32 => "FP32",
        DType::Float16 => "FP16",
        DType::Bfloat16 => "BF16",
        DType::Int8 => "INT8",
        DType::Uint8 => "UINT8",
        DType::Int16 => "INT16",
        DType::Uint16 => "UINT16",
        DType::Int32 => "INT32",
        DType::Uint32 => "UINT32",
        DType::Int64 => "INT64",
        DType::Uint64 => "UINT64",
        _ => return None,
    })
}

/// One input of an infer request.
#[derive(Debug, Deserialize)]
struct RequestInput {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    #[serde(default)]
    parameters: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    data: Option<Value>,
}

/// One requested output.
#[derive(Debug, Deserialize)]
struct RequestOutput {
    name: String,
    #[serde(default)]
    parameters: Option<serde_json::Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
struct InferRequestJson {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parameters: Option<serde_json::Map<String, Value>>,
    inputs: Vec<RequestInput>,
    #[serde(default)]
    outputs: Option<Vec<RequestOutput>>,
}

/// Which output to return, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSelection {
    /// Index into the model's outputs.
    pub index: usize,
    /// Return it in the binary extension instead of JSON.
    pub binary: bool,
}

/// A validated infer request: per model input (in the model's order) the little-endian bytes of
/// `samples` rows.
#[derive(Debug)]
pub struct InferRequest {
    /// The request id, echoed in the response.
    pub id: Option<String>,
    /// Rows along the batch dimension.
    pub samples: usize,
    /// One buffer per model input, `samples × per-sample bytes` long.
    pub inputs: Vec<Vec<u8>>,
    /// The outputs to return.
    pub outputs: Vec<OutputSelection>,
}

fn bool_param(params: &Option<serde_json::Map<String, Value>>, key: &str) -> Result<bool, String> {
    match params.as_ref().and_then(|p| p.get(key)) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!(
            "parameter '{key}' must be true or false, got {other}"
        )),
    }
}

/// Parse and validate an infer request for `model`. `header_len` is the value of
/// [`HEADER_CONTENT_LENGTH`] when the request uses the binary extension.
///
/// # Errors
/// [`ApiError::BadRequest`] naming what is wrong: malformed JSON, an unknown or missing input, a
/// wrong datatype or shape, a batch larger than the model's, data of the wrong length or type,
/// inconsistent binary sizes.
pub fn parse_infer_request(
    body: &[u8],
    header_len: Option<usize>,
    model: &ModelInfo,
) -> Result<InferRequest, ApiError> {
    let (json_part, mut binary) = match header_len {
        None => (body, &body[body.len()..]),
        Some(n) if n <= body.len() => (&body[..n], &body[n..]),
        Some(n) => {
            return Err(ApiError::bad(format!(
                "{HEADER_CONTENT_LENGTH} is {n} but the body has only {} bytes",
                body.len()
            )));
        }
    };
    let req: InferRequestJson = serde_json::from_slice(json_part)
        .map_err(|e| ApiError::bad(format!("malformed infer request JSON: {e}")))?;
    let mut samples: Option<usize> = None;
    let mut inputs: Vec<Option<Vec<u8>>> = vec![None; model.inputs.len()];
    for input in &req.inputs {
        let Some(index) = model.inputs.iter().position(|t| t.name == input.name) else {
            return Err(ApiError::bad(format!(
                "model '{}' has no input named '{}'; its inputs are: {}",
                model.name,
                input.name,
                names(&model.inputs)
            )));
        };
        if inputs[index].is_some() {
            return Err(ApiError::bad(format!(
                "input '{}' is given twice",
                input.name
            )));
        }
        let spec = &model.inputs[index];
        if input.datatype != spec.datatype {
            return Err(ApiError::bad(format!(
                "input '{}': datatype {} does not match the model's {}",
                input.name, input.datatype, spec.datatype
            )));
        }
        let n = check_shape(input, spec, model)?;
        if let Some(prev) = samples {
            if prev != n {
                return Err(ApiError::bad(format!(
                    "inputs disagree on the batch dimension: {prev} and {n} (input '{}')",
                    input.name
                )));
            }
        }
        samples = Some(n);
        let want_bytes = n * spec.sample_bytes;
        let binary_size = match input
            .parameters
            .as_ref()
            .and_then(|p| p.get("binary_data_size"))
        {
            None => None,
            Some(v) => Some(v.as_u64().ok_or_else(|| {
                ApiError::bad(format!(
                    "input '{}': binary_data_size must be a non-negative integer, got {v}",
                    input.name
                ))
            })?),
        };
        let bytes = match (binary_size, &input.data) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad(format!(
                    "input '{}' has both 'data' and a binary_data_size parameter; give one",
                    input.name
                )));
            }
            (Some(size), None) => {
                if header_len.is_none() {
                    return Err(ApiError::bad(format!(
                        "input '{}' has binary_data_size but the request has no \
                         {HEADER_CONTENT_LENGTH} header",
                        input.name
                    )));
                }
                if size != want_bytes as u64 {
                    return Err(ApiError::bad(format!(
                        "input '{}': binary_data_size is {size} bytes but shape {:?} of {} \
                         needs {want_bytes}",
                        input.name, input.shape, input.datatype
                    )));
                }
                if binary.len() < want_bytes {
                    return Err(ApiError::bad(format!(
                        "input '{}': binary data ends after {} of {want_bytes} bytes",
                        input.name,
                        binary.len()
                    )));
                }
                let (mine, rest) = binary.split_at(want_bytes);
                binary = rest;
                mine.to_vec()
            }
            (None, Some(data)) => json_to_bytes(data, spec, n, &input.name)?,
            (None, None) => {
                return Err(ApiError::bad(format!(
                    "input '{}' has neither 'data' nor a binary_data_size parameter",
                    input.name
                )));
            }
        };
        inputs[index] = Some(bytes);
    }
    if !binary.is_empty() {
        return Err(ApiError::bad(format!(
            "{} byte(s) of binary data after the last binary input; the binary_data_size \
             parameters must add up to the body after the JSON header",
            binary.len()
        )));
    }
    let inputs: Vec<Vec<u8>> = inputs
        .into_iter()
        .zip(&model.inputs)
        .map(|(b, spec)| {
            b.ok_or_else(|| {
                ApiError::bad(format!(
                    "input '{}' ({} {}) was not given",
                    spec.name,
                    spec.datatype,
                    shape_text(&spec.sample_shape)
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let samples = samples.unwrap_or(0);
    let all_binary = bool_param(&req.parameters, "binary_data_output").map_err(ApiError::bad)?;
    let outputs = match &req.outputs {
        None => (0..model.outputs.len())
            .map(|index| OutputSelection {
                index,
                binary: all_binary,
            })
            .collect(),
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for o in list {
                let Some(index) = model.outputs.iter().position(|t| t.name == o.name) else {
                    return Err(ApiError::bad(format!(
                        "model '{}' has no output named '{}'; its outputs are: {}",
                        model.name,
                        o.name,
                        names(&model.outputs)
                    )));
                };
                let binary = all_binary
                    || bool_param(&o.parameters, "binary_data").map_err(ApiError::bad)?;
                out.push(OutputSelection { index, binary });
            }
            out
        }
    };
    Ok(InferRequest {
        id: req.id,
        samples,
        inputs,
        outputs,
    })
}

fn names(specs: &[TensorSpec]) -> String {
    specs
        .iter()
        .map(|t| format!("'{}'", t.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn shape_text(sample_shape: &[usize]) -> String {
    let dims: Vec<String> = std::iter::once("-1".to_string())
        .chain(sample_shape.iter().map(|d| d.to_string()))
        .collect();
    format!("[{}]", dims.join(", "))
}

/// Check `[n, sample_shape...]` and return n.
fn check_shape(
    input: &RequestInput,
    spec: &TensorSpec,
    model: &ModelInfo,
) -> Result<usize, ApiError> {
    let expected = || shape_text(&spec.sample_shape);
    if input.shape.len() != spec.sample_shape.len() + 1 {
        return Err(ApiError::bad(format!(
            "input '{}': shape {:?} has {} dimension(s); expected {} (batch first)",
            input.name,
            input.shape,
            input.shape.len(),
            expected()
        )));
    }
    let n = input.shape[0];
    if n < 1 {
        return Err(ApiError::bad(format!(
            "input '{}': batch dimension {n} must be at least 1",
            input.name
        )));
    }
    for (i, (&got, &want)) in input.shape[1..].iter().zip(&spec.sample_shape).enumerate() {
        if got != want as i64 {
            return Err(ApiError::bad(format!(
                "input '{}': shape {:?} does not match {} (dimension {} is {got}, expected \
                 {want})",
                input.name,
                input.shape,
                expected(),
                i + 1
            )));
        }
    }
    let n = n as u64;
    if n > model.max_batch as u64 {
        return Err(ApiError::bad(format!(
            "input '{}': batch of {n} is larger than model '{}''s maximum batch size {}; split \
             the request into batches of at most {}",
            input.name, model.name, model.max_batch, model.max_batch
        )));
    }
    Ok(n as usize)
}

/// Flatten (possibly nested) JSON arrays into `out`; bounded by `limit` elements.
fn flatten<'a>(v: &'a Value, out: &mut Vec<&'a Value>, limit: usize) -> Result<(), String> {
    match v {
        Value::Array(items) => {
            for item in items {
                flatten(item, out, limit)?;
            }
            Ok(())
        }
        other => {
            if out.len() >= limit {
                return Err(format!("more than the {limit} elements the shape holds"));
            }
            out.push(other);
            Ok(())
        }
    }
}

fn json_to_bytes(
    data: &Value,
    spec: &TensorSpec,
    n: usize,
    name: &str,
) -> Result<Vec<u8>, ApiError> {
    let count = n * spec.sample_elements;
    let mut flat = Vec::with_capacity(count);
    // Nesting depth is bounded by serde_json's recursion limit (128).
    flatten(data, &mut flat, count)
        .map_err(|e| ApiError::bad(format!("input '{name}': data has {e}")))?;
    if flat.len() != count {
        return Err(ApiError::bad(format!(
            "input '{name}': data has {} element(s) but the shape needs {count}",
            flat.len()
        )));
    }
    let mut out = Vec::with_capacity(count * spec.dtype.size_bytes());
    for (i, v) in flat.iter().enumerate() {
        encode_value(v, spec.dtype, &mut out).map_err(|why| {
            ApiError::bad(format!("input '{name}': data[{i}] = {v} is not {why}"))
        })?;
    }
    Ok(out)
}

fn encode_value(v: &Value, dtype: DType, out: &mut Vec<u8>) -> Result<(), String> {
    let float = || v.as_f64().ok_or_else(|| "a number".to_string());
    let int = |min: i128, max: i128, what: &str| -> Result<i128, String> {
        let x = v
            .as_i64()
            .map(i128::from)
            .or_else(|| v.as_u64().map(i128::from))
            .ok_or_else(|| format!("an integer ({what})"))?;
        if x < min || x > max {
            return Err(format!("in the range of {what}"));
        }
        Ok(x)
    };
    match dtype {
        DType::Float32 => out.extend_from_slice(&(float()? as f32).to_le_bytes()),
        DType::Float16 => out.extend_from_slice(&half::f16::from_f64(float()?).to_le_bytes()),
        DType::Bfloat16 => out.extend_from_slice(&half::bf16::from_f64(float()?).to_le_bytes()),
        DType::Int8 => out.extend_from_slice(&(int(-128, 127, "INT8")? as i8).to_le_bytes()),
        DType::Uint8 => out.push(int(0, 255, "UINT8")? as u8),
        DType::Int16 => out.extend_from_slice(
            &(int(i16::MIN.into(), i16::MAX.into(), "INT16")? as i16).to_le_bytes(),
        ),
        DType::Uint16 => {
            out.extend_from_slice(&(int(0, u16::MAX.into(), "UINT16")? as u16).to_le_bytes())
        }
        DType::Int32 => out.extend_from_slice(
            &(int(i32::MIN.into(), i32::MAX.into(), "INT32")? as i32).to_le_bytes(),
        ),
        DType::Uint32 => {
            out.extend_from_slice(&(int(0, u32::MAX.into(), "UINT32")? as u32).to_le_bytes())
        }
        DType::Int64 => out.extend_from_slice(
            &(int(i64::MIN.into(), i64::MAX.into(), "INT64")? as i64).to_le_bytes(),
        ),
        DType::Uint64 => {
            out.extend_from_slice(&(int(0, u64::MAX.into(), "UINT64")? as u64).to_le_bytes())
        }
        // Models with other dtypes are refused at load (ModelInfo::new).
        other => return Err(format!("a supported type ({other:?})")),
    }
    Ok(())
}

/// Little-endian tensor bytes as JSON numbers.
fn bytes_to_json(bytes: &[u8], dtype: DType) -> Vec<Value> {
    fn each<const N: usize>(bytes: &[u8], f: impl Fn([u8; N]) -> Value) -> Vec<Value> {
        bytes
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                f(a)
            })
            .collect()
    }
    let num = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    match dtype {
        DType::Float32 => each::<4>(bytes, |a| num(f32::from_le_bytes(a) as f64)),
        DType::Float16 => each::<2>(bytes, |a| num(half::f16::from_le_bytes(a).to_f64())),
        DType::Bfloat16 => each::<2>(bytes, |a| num(half::bf16::from_le_bytes(a).to_f64())),
        DType::Int8 => each::<1>(bytes, |a| Value::from(i8::from_le_bytes(a))),
        DType::Uint8 => each::<1>(bytes, |a| Value::from(a[0])),
        DType::Int16 => each::<2>(bytes, |a| Value::from(i16::from_le_bytes(a))),
        DType::Uint16 => each::<2>(bytes, |a| Value::from(u16::from_le_bytes(a))),
        DType::Int32 => each::<4>(bytes, |a| Value::from(i32::from_le_bytes(a))),
        DType::Uint32 => each::<4>(bytes, |a| Value::from(u32::from_le_bytes(a))),
        DType::Int64 => each::<8>(bytes, |a| Value::from(i64::from_le_bytes(a))),
        DType::Uint64 => each::<8>(bytes, |a| Value::from(u64::from_le_bytes(a))),
        _ => Vec::new(),
    }
}

#[derive(Serialize)]
struct ResponseOutput<'a> {
    name: &'a str,
    datatype: &'a str,
    shape: Vec<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<serde_json::Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Vec<Value>>,
}

#[derive(Serialize)]
struct InferResponseJson<'a> {
    model_name: &'a str,
    model_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    outputs: Vec<ResponseOutput<'a>>,
}

/// An encoded infer response: the body, and the JSON length when binary outputs follow it.
pub struct EncodedResponse {
    /// The HTTP body.
    pub body: Bytes,
    /// Set when the body carries binary outputs after the JSON.
    pub header_len: Option<usize>,
}

/// Encode the response for `request` from the model's per-output bytes for its rows.
pub fn encode_response(
    model: &ModelInfo,
    request: &InferRequest,
    outputs: &[Vec<u8>],
) -> EncodedResponse {
    let mut binary_tail: Vec<&[u8]> = Vec::new();
    let mut entries = Vec::with_capacity(request.outputs.len());
    for sel in &request.outputs {
        let spec = &model.outputs[sel.index];
        let bytes = outputs.get(sel.index).map(Vec::as_slice).unwrap_or(&[]);
        let shape: Vec<usize> = std::iter::once(request.samples)
            .chain(spec.sample_shape.iter().copied())
            .collect();
        if sel.binary {
            let mut params = serde_json::Map::new();
            params.insert("binary_data_size".into(), Value::from(bytes.len()));
            binary_tail.push(bytes);
            entries.push(ResponseOutput {
                name: &spec.name,
                datatype: spec.datatype,
                shape,
                parameters: Some(params),
                data: None,
            });
        } else {
            entries.push(ResponseOutput {
                name: &spec.name,
                datatype: spec.datatype,
                shape,
                parameters: None,
                data: Some(bytes_to_json(bytes, spec.dtype)),
            });
        }
    }
    let json = InferResponseJson {
        model_name: &model.name,
        model_version: crate::model::MODEL_VERSION,
        id: request.id.as_deref(),
        outputs: entries,
    };
    // Serializing these plain structs cannot fail.
    let mut body = serde_json::to_vec(&json).unwrap_or_default();
    if binary_tail.is_empty() {
        return EncodedResponse {
            body: body.into(),
            header_len: None,
        };
    }
    let header_len = body.len();
    for b in binary_tail {
        body.extend_from_slice(b);
    }
    EncodedResponse {
        body: body.into(),
        header_len: Some(header_len),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelInfo;

    fn mlp_info() -> ModelInfo {
        ModelInfo::from_tensors(
            "mlp",
            &[("input".into(), DType::Float32, vec![4, 3])],
            &[("probs".into(), DType::Float32, vec![4, 2])],
        )
        .unwrap()
    }

    fn parse(body: &str) -> Result<InferRequest, ApiError> {
        parse_infer_request(body.as_bytes(), None, &mlp_info())
    }

    #[test]
    fn json_tensors_flat_and_nested() {
        let r = parse(
            r#"{"id":"7","inputs":[{"name":"input","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[4,5,6]]}]}"#,
        )
        .unwrap();
        assert_eq!(r.samples, 2);
        assert_eq!(r.id.as_deref(), Some("7"));
        let v: &[f32] = bytemuck::cast_slice(&r.inputs[0]);
        assert_eq!(v, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            r.outputs,
            vec![OutputSelection {
                index: 0,
                binary: false
            }]
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let cases = [
            ("{", "malformed infer request JSON"),
            (
                r#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#,
                "no input named 'x'",
            ),
            (
                r#"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP16","data":[1,2,3]}]}"#,
                "datatype FP16 does not match the model's FP32",
            ),
            (
                r#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#,
                "dimension 1 is 4, expected 3",
            ),
            (
                r#"{"inputs":[{"name":"input","shape":[5,3],"datatype":"FP32","data":[]}]}"#,
                "larger than model 'mlp''s maximum batch size 4",
            ),
            (
                r#"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[1,2]}]}"#,
                "has 2 element(s) but the shape needs 3",
            ),
            (
                r#"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[1,2,"a"]}]}"#,
                "data[2] = \"a\" is not a number",
            ),
            (
                r#"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[1,2,3,4]}]}"#,
                "more than the 3 elements",
            ),
            (
                r#"{"inputs":[{"name":"input","shape":[0,3],"datatype":"FP32","data":[]}]}"#,
                "must be at least 1",
            ),
            (
                r#"{"inputs":[]}"#,
                "input 'input' (FP32 [-1, 3]) was not given",
            ),
            (
                r#"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],"outputs":[{"name":"nope"}]}"#,
                "no output named 'nope'",
            ),
            (
                r#"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32"}]}"#,
                "neither 'data' nor a binary_data_size",
            ),
            (
                r#"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}}]}"#,
                "no Inference-Header-Content-Length",
            ),
        ];
        for (body, want) in cases {
            let err = parse(body).unwrap_err();
            assert!(matches!(err, ApiError::BadRequest(_)), "{body}");
            assert!(err.to_string().contains(want), "{body}: {err}");
        }
    }

    #[test]
    fn binary_inputs_and_outputs() {
        let json = br#"{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}}],"outputs":[{"name":"probs","parameters":{"binary_data":true}}]}"#;
        let mut body = json.to_vec();
        for x in [1f32, 2.0, 3.0] {
            body.extend_from_slice(&x.to_le_bytes());
        }
        let info = mlp_info();
        let r = parse_infer_request(&body, Some(json.len()), &info).unwrap();
        assert_eq!(
            bytemuck::cast_slice::<u8, f32>(&r.inputs[0]),
            &[1.0, 2.0, 3.0]
        );
        assert!(r.outputs[0].binary);
        let out = encode_response(&info, &r, &[vec![0u8; 8]]);
        let n = out.header_len.unwrap();
        let head: Value = serde_json::from_slice(&out.body[..n]).unwrap();
        assert_eq!(head["outputs"][0]["parameters"]["binary_data_size"], 8);
        assert_eq!(head["outputs"][0]["shape"], serde_json::json!([1, 2]));
        assert_eq!(out.body.len(), n + 8);
        // Sizes that do not add up.
        let err =
            parse_infer_request(&body[..body.len() - 1], Some(json.len()), &info).unwrap_err();
        assert!(
            err.to_string().contains("binary data ends after 11 of 12"),
            "{err}"
        );
        let mut extra = body.clone();
        extra.push(0);
        let err = parse_infer_request(&extra, Some(json.len()), &info).unwrap_err();
        assert!(
            err.to_string().contains("1 byte(s) of binary data after"),
            "{err}"
        );
        let err = parse_infer_request(&body, Some(body.len() + 1), &info).unwrap_err();
        assert!(err.to_string().contains("body has only"), "{err}");
    }

    #[test]
    fn integer_ranges_are_checked() {
        let info = ModelInfo::from_tensors(
            "q",
            &[("x".into(), DType::Int8, vec![1, 2])],
            &[("y".into(), DType::Int8, vec![1, 2])],
        )
        .unwrap();
        let ok = br#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"INT8","data":[-128,127]}]}"#;
        let r = parse_infer_request(ok, None, &info).unwrap();
        assert_eq!(r.inputs[0], vec![0x80, 0x7f]);
        let bad = br#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"INT8","data":[1,128]}]}"#;
        let err = parse_infer_request(bad, None, &info).unwrap_err();
        assert!(err.to_string().contains("in the range of INT8"), "{err}");
    }

    #[test]
    fn datatype_names() {
        assert_eq!(datatype_name(DType::Float32), Some("FP32"));
        assert_eq!(datatype_name(DType::Bfloat16), Some("BF16"));
        assert_eq!(datatype_name(DType::Float16), Some("FP16"));
        assert_eq!(datatype_name(DType::Int8), Some("INT8"));
        assert_eq!(datatype_name(DType::Fp8E4), None);
    }
}
