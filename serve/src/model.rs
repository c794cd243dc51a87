//! What a served model looks like over the protocol: its tensors with the batch dimension split
//! off, and the built-in emulator MLP.

use crate::protocol::datatype_name;
use neuron_rt::DType;
use serde::Serialize;
use std::time::Duration;

/// The one version every model is served as.
pub const MODEL_VERSION: &str = "1";

/// The platform name in model metadata.
pub const PLATFORM: &str = "neuron_neff";

/// One input or output, per sample (the leading batch dimension removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpec {
    /// The NEFF's tensor name.
    pub name: String,
    /// Runtime dtype.
    pub dtype: DType,
    /// Protocol datatype (`FP32`, …).
    pub datatype: &'static str,
    /// Shape of one sample.
    pub sample_shape: Vec<usize>,
    /// Elements in one sample.
    pub sample_elements: usize,
    /// Bytes in one sample.
    pub sample_bytes: usize,
}

/// A model as the server sees it: every tensor's leading dimension is the compiled batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The served name.
    pub name: String,
    /// The compiled batch size (the leading dimension of every tensor).
    pub max_batch: usize,
    /// Inputs, in the model's order.
    pub inputs: Vec<TensorSpec>,
    /// Outputs, in the model's order.
    pub outputs: Vec<TensorSpec>,
}

/// Why a model cannot be served.
#[derive(Debug, thiserror::Error)]
#[error("model '{model}' cannot be served: {reason}")]
pub struct UnservableModel {
    /// The model.
    pub model: String,
    /// Why.
    pub reason: String,
}

impl ModelInfo {
    /// Describe a model from its tensors `(name, dtype, full shape)`. Every tensor must have a
    /// leading batch dimension, the same for all, and a dtype the protocol can name.
    ///
    /// # Errors
    /// [`UnservableModel`] naming the tensor.
    pub fn from_tensors(
        name: &str,
        inputs: &[(String, DType, Vec<usize>)],
        outputs: &[(String, DType, Vec<usize>)],
    ) -> Result<ModelInfo, UnservableModel> {
        let bad = |reason: String| UnservableModel {
            model: name.to_string(),
            reason,
        };
        let mut batch: Option<usize> = None;
        let mut spec = |(tname, dtype, shape): &(String, DType, Vec<usize>)| {
            let datatype = datatype_name(*dtype).ok_or_else(|| {
                bad(format!(
                    "tensor '{tname}' has dtype {} which the Open Inference Protocol cannot carry",
                    dtype.name()
                ))
            })?;
            let (&b, rest) = shape.split_first().ok_or_else(|| {
                bad(format!(
                    "tensor '{tname}' is a scalar; a batch dimension is needed"
                ))
            })?;
            if b == 0 {
                return Err(bad(format!(
                    "tensor '{tname}' has an empty batch dimension"
                )));
            }
            match batch {
                Some(prev) if prev != b => {
                    return Err(bad(format!(
                        "tensors disagree on the leading (batch) dimension: {prev} and {b} \
                         (tensor '{tname}')"
                    )));
                }
                _ => batch = Some(b),
            }
            let sample_elements: usize = rest.iter().product();
            Ok(TensorSpec {
                name: tname.clone(),
                dtype: *dtype,
                datatype,
                sample_shape: rest.to_vec(),
                sample_elements,
                sample_bytes: sample_elements * dtype.size_bytes(),
            })
        };
        let inputs = inputs
            .iter()
            .map(&mut spec)
            .collect::<Result<Vec<_>, _>>()?;
        let outputs = outputs
            .iter()
            .map(&mut spec)
            .collect::<Result<Vec<_>, _>>()?;
        if inputs.is_empty() || outputs.is_empty() {
            return Err(bad(
                "a served model needs at least one input and one output".into(),
            ));
        }
        Ok(ModelInfo {
            name: name.to_string(),
            max_batch: batch.unwrap_or(1),
            inputs,
            outputs,
        })
    }

    /// Describe a loaded model, served under `name`.
    pub fn of_model(
        name: &str,
        model: &neuron_rt::Model<'_>,
    ) -> Result<ModelInfo, UnservableModel> {
        let t = |infos: &[neuron_rt::TensorInfo]| -> Vec<(String, DType, Vec<usize>)> {
            infos
                .iter()
                .map(|i| (i.name.clone(), i.dtype, i.shape.clone()))
                .collect()
        };
        ModelInfo::from_tensors(name, &t(model.inputs()), &t(model.outputs()))
    }

    /// The protocol's model metadata (`GET /v2/models/{name}`); the batch dimension is -1.
    pub fn metadata(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct T<'a> {
            name: &'a str,
            datatype: &'a str,
            shape: Vec<i64>,
        }
        fn t(s: &TensorSpec) -> T<'_> {
            T {
                name: &s.name,
                datatype: s.datatype,
                shape: std::iter::once(-1)
                    .chain(s.sample_shape.iter().map(|&d| d as i64))
                    .collect(),
            }
        }
        serde_json::json!({
            "name": self.name,
            "versions": [MODEL_VERSION],
            "platform": PLATFORM,
            "inputs": self.inputs.iter().map(t).collect::<Vec<_>>(),
            "outputs": self.outputs.iter().map(t).collect::<Vec<_>>(),
        })
    }

    /// A Triton-style model configuration (`GET /v2/models/{name}/config`), which Triton's
    /// clients read for the maximum batch size.
    pub fn config(&self, delay: Duration, batching: bool) -> serde_json::Value {
        let t = |s: &TensorSpec| {
            serde_json::json!({
                "name": s.name,
                "data_type": format!("TYPE_{}", s.datatype),
                "dims": s.sample_shape,
            })
        };
        let mut cfg = serde_json::json!({
            "name": self.name,
            "platform": PLATFORM,
            "max_batch_size": self.max_batch,
            "input": self.inputs.iter().map(t).collect::<Vec<_>>(),
            "output": self.outputs.iter().map(t).collect::<Vec<_>>(),
        });
        if batching {
            cfg["dynamic_batching"] = serde_json::json!({
                "max_queue_delay_microseconds": delay.as_micros() as u64,
            });
        }
        cfg
    }
}

/// The built-in model: an MLP written with `neuron_neff::ModelBuilder`, run by the emulator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpSpec {
    /// Layer widths, input first (default `[16, 64, 10]`).
    #[serde(default = "default_layers")]
    pub layers: Vec<usize>,
    /// Compiled batch size (default 8).
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// Simulated device time per execution in microseconds (default 1000).
    #[serde(default = "default_device_time_us")]
    pub device_time_us: u64,
    /// Weight seed (default 42).
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_layers() -> Vec<usize> {
    vec![16, 64, 10]
}
fn default_batch() -> usize {
    8
}
fn default_device_time_us() -> u64 {
    1000
}
fn default_seed() -> u64 {
    42
}

impl Default for MlpSpec {
    fn default() -> Self {
        MlpSpec {
            layers: default_layers(),
            batch: default_batch(),
            device_time_us: default_device_time_us(),
            seed: default_seed(),
        }
    }
}

impl MlpSpec {
    /// Build the NEFF (inputs `input` `[batch, layers[0]]`, output `probs`).
    pub fn build(&self, name: &str) -> Result<Vec<u8>, neuron_neff::BuildError> {
        neuron_neff::ModelBuilder::mlp(name, &self.layers, self.batch, self.seed)
            .device_time(Duration::from_micros(self.device_time_us))
            .build()
    }
}
