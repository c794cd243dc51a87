//! [`Model`]: a NEFF loaded on a [`NeuronCoreGroup`].

use crate::binding::{BindingBuffers, IoBinding};
use crate::dtype_encoding::DtypeEncoding;
use crate::error::{Error, ErrorContext, Result};
use crate::ffi::{RawModel, RawTensorInfo};
use crate::group::NeuronCoreGroup;
use crate::tensor::{Input, Outputs, TensorInfo, TensorUsage};
use neuron_neff::NeffHeader;
use parking_lot::Mutex;
use std::fmt;

/// Options for [`NeuronCoreGroup::load_with`].
#[derive(Debug, Clone, Default)]
#[must_use = "options do nothing until passed to NeuronCoreGroup::load_with"]
pub struct LoadOptions {
    allow_idle_cores: bool,
}

impl LoadOptions {
    /// Allow a group larger than the model needs; the extra cores stay idle and are reported by
    /// [`Model::idle_cores`]. Off by default, because idle cores are usually a planning mistake.
    pub fn allow_idle_cores(mut self, allow: bool) -> Self {
        self.allow_idle_cores = allow;
        self
    }
}

/// A failed load: the error, and the group back (its cores stay claimed until you drop it).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct LoadFailed<'d> {
    /// Why the load failed.
    pub error: Error,
    /// The group, unchanged.
    pub group: NeuronCoreGroup<'d>,
}

impl From<LoadFailed<'_>> for Error {
    fn from(failed: LoadFailed<'_>) -> Error {
        failed.error
    }
}

impl<'d> NeuronCoreGroup<'d> {
    /// Load a NEFF onto this group; see [`load_with`](Self::load_with).
    pub fn load(self, neff: &[u8]) -> Result<Model<'d>> {
        self.load_with(neff, &LoadOptions::default())
    }

    /// Load a NEFF onto this group, consuming it: a group holds one model. On failure the group
    /// is dropped and its cores released; use [`try_load_with`](Self::try_load_with) to get the
    /// group back instead.
    ///
    /// The NEFF header is checked in Rust first: a model compiled for more cores than the group
    /// has is refused ([`Error::ModelNeedsMoreCores`]), and so is a group larger than the model
    /// needs unless [`LoadOptions::allow_idle_cores`] ([`Error::GroupLargerThanModel`]), and a
    /// model compiled for another logical-core size than the device's (header `lnc_size`, e.g.
    /// a trn2 NEFF built with `--lnc=2` on a device opened at LNC 1) is refused with
    /// [`Error::Neff`] holding [`NeffError::LncMismatch`](neuron_neff::NeffError::LncMismatch).
    ///
    /// A NEFF built by the Neuron compiler reports its real inputs and outputs; on the emulator
    /// it runs as a timed execution with zeroed outputs unless a reference kernel is registered
    /// ([`DeviceBuilder::reference_kernel`](crate::DeviceBuilder::reference_kernel)).
    pub fn load_with(self, neff: &[u8], options: &LoadOptions) -> Result<Model<'d>> {
        self.try_load_with(neff, options)
            .map_err(|failed| failed.error)
    }

    /// Like [`load_with`](Self::load_with), but a failure returns the group with the error.
    // The error carries the group back by value on purpose; it is the cold path.
    #[allow(clippy::result_large_err)]
    pub fn try_load_with(
        self,
        neff: &[u8],
        options: &LoadOptions,
    ) -> Result<Model<'d>, LoadFailed<'d>> {
        match Model::load(&self, neff, options) {
            Ok(loaded) => Ok(Model {
                async_state: Default::default(),
                pool: Mutex::new(Vec::new()),
                raw: loaded.raw,
                group: self,
                vnc: loaded.vnc,
                model_cores: loaded.header.core_count(),
                name: loaded.header.name().to_string(),
                inputs: loaded.inputs,
                outputs: loaded.outputs,
            }),
            Err(error) => Err(LoadFailed { error, group: self }),
        }
    }
}

/// A model loaded on a [`NeuronCoreGroup`]. `Send + Sync`: many threads may execute it at once,
/// each with its own [`IoBinding`] (or through [`Model::run`]). Dropping it unloads the model and
/// releases the group; [`Model::unload`] does the same and reports errors.
pub struct Model<'d> {
    // Field order is drop order: async requests (waited for) and their slots, pooled tensors,
    // then the model (unloads itself), then the group's cores.
    pub(crate) async_state: crate::async_exec::AsyncState,
    pool: Mutex<Vec<BindingBuffers<'d>>>,
    raw: RawModel<'d>,
    group: NeuronCoreGroup<'d>,
    /// The runtime's core number of the group's first core, computed once at load.
    vnc: i32,
    name: String,
    model_cores: u32,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
}

/// What [`Model::load`] produces for [`NeuronCoreGroup::try_load_with`].
struct Loaded<'d> {
    raw: RawModel<'d>,
    header: NeffHeader,
    vnc: i32,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
}

impl<'d> Model<'d> {
    fn load(group: &NeuronCoreGroup<'d>, neff: &[u8], options: &LoadOptions) -> Result<Loaded<'d>> {
        let cores = group.cores();
        let header = NeffHeader::parse(neff).map_err(|source| Error::Neff {
            source,
            context: ErrorContext {
                cores: Some(cores),
                ..Default::default()
            },
        })?;
        let (model_cores, group_cores) = (header.core_count(), group.len());
        let name = header.name().to_string();
        // Compiler NEFFs record the logical core size they were built for (`lnc_size`); the
        // runtime's is the topology's (LNC 1 on instances without the setting).
        if let Some(runtime) = group.device().topology().map(|t| t.lnc().unwrap_or(1)) {
            if header.lnc_size() != runtime {
                return Err(Error::Neff {
                    source: neuron_neff::NeffError::LncMismatch {
                        neff: header.lnc_size(),
                        runtime,
                    },
                    context: ErrorContext {
                        model: Some(name),
                        cores: Some(cores),
                        tensor: None,
                    },
                });
            }
        }
        if model_cores > group_cores {
            return Err(Error::ModelNeedsMoreCores {
                model: name,
                model_cores,
                group: cores,
                group_cores,
            });
        }
        if model_cores < group_cores && !options.allow_idle_cores {
            return Err(Error::GroupLargerThanModel {
                model: name,
                model_cores,
                group: cores,
                group_cores,
            });
        }
        let api = group.device().api();
        let context = || ErrorContext {
            model: Some(name.clone()),
            cores: Some(cores),
            tensor: None,
        };
        let vnc = i32::try_from(cores.start()).map_err(|_| Error::GroupOutOfRange {
            requested: cores,
            visible: group.device().visible_cores(),
        })?;
        let (raw, infos) = RawModel::load(api, neff, vnc, context)?;
        // On error `raw` is dropped, which unloads the model.
        let (inputs, outputs) = describe_tensors(&name, infos)?;
        Ok(Loaded {
            raw,
            header,
            vnc,
            inputs,
            outputs,
        })
    }

    /// The model's name (from the NEFF header).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The group the model occupies.
    pub fn group(&self) -> &NeuronCoreGroup<'d> {
        &self.group
    }

    /// Cores the model was compiled for.
    pub fn model_cores(&self) -> u32 {
        self.model_cores
    }

    /// Cores of the group the model leaves idle (non-zero only with
    /// [`LoadOptions::allow_idle_cores`]).
    pub fn idle_cores(&self) -> u32 {
        self.group.len() - self.model_cores
    }

    /// The inputs, in the model's order.
    pub fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    /// The outputs, in the model's order.
    pub fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    pub(crate) fn raw(&self) -> &RawModel<'d> {
        &self.raw
    }

    /// The runtime's core number of the group's first core (what `nrt_load` and
    /// `nrt_tensor_allocate` take).
    pub(crate) fn vnc(&self) -> i32 {
        self.vnc
    }

    pub(crate) fn device(&self) -> &'d crate::Device {
        self.group.device()
    }

    pub(crate) fn context(&self, tensor: Option<&str>) -> ErrorContext {
        ErrorContext {
            model: Some(self.name.clone()),
            cores: Some(self.group.cores()),
            tensor: tensor.map(str::to_string),
        }
    }

    /// A reusable set of device tensors for this model: the allocation-free hot path.
    ///
    /// ```
    /// use neuron_rt::{Backend, Device};
    /// use neuron_neff::ModelBuilder;
    /// let device = Device::builder().backend(Backend::emulator("inf2.xlarge")).emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-{}", std::process::id()))).open()?;
    /// let neff = ModelBuilder::mlp("mlp", &[4, 8, 3], 2, 7).build()?;
    /// let model = device.core_group_of_size(1)?.load(&neff)?;
    /// let mut binding = model.binding()?;
    /// let (input, output) = (binding.input_index("input")?, binding.output_index("probs")?);
    /// let mut probs = [0f32; 6];
    /// for _ in 0..3 {
    ///     binding.write_input_at(input, &[0.5f32; 8])?;
    ///     binding.execute()?;
    ///     binding.read_output_at(output, &mut probs)?;
    /// }
    /// assert!((probs[..3].iter().sum::<f32>() - 1.0).abs() < 1e-5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn binding(&self) -> Result<IoBinding<'_, 'd>> {
        Ok(IoBinding::new(self, BindingBuffers::allocate(self)?))
    }

    /// Run once with named host arrays in and owned arrays out. Every input must be given once,
    /// with its exact dtype and shape.
    ///
    /// ```
    /// use neuron_rt::{Backend, Device, Input};
    /// use neuron_neff::ModelBuilder;
    /// let device = Device::builder().backend(Backend::emulator("inf2.xlarge")).emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-{}", std::process::id()))).open()?;
    /// let neff = ModelBuilder::mlp("mlp", &[4, 8, 3], 2, 7).build()?;
    /// let model = device.core_group_of_size(1)?.load(&neff)?;
    /// let x = ndarray::Array2::<f32>::ones((2, 4));
    /// let out = model.run(&[Input::new("input", &x)])?;
    /// let probs = out.array::<f32>("probs")?;
    /// assert_eq!(probs.shape(), &[2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run(&self, inputs: &[Input<'_>]) -> Result<Outputs> {
        self.check_inputs(inputs)?;
        let pooled = self.pool.lock().pop();
        let buffers = match pooled {
            Some(buffers) => buffers,
            None => BindingBuffers::allocate(self)?,
        };
        let mut binding = IoBinding::new(self, buffers);
        let result = run_once(self, &mut binding, inputs);
        self.pool.lock().push(binding.into_buffers());
        result
    }

    pub(crate) fn check_inputs(&self, inputs: &[Input<'_>]) -> Result<()> {
        for input in inputs {
            let Some(info) = self.inputs.iter().find(|i| i.name == input.name) else {
                return Err(self.unknown_tensor("input", &input.name));
            };
            let times = inputs.iter().filter(|i| i.name == input.name).count();
            if times > 1 {
                return Err(Error::DuplicateInput {
                    model: self.name.clone(),
                    name: info.name.clone(),
                    times,
                });
            }
            if info.dtype != input.dtype {
                return Err(Error::DTypeMismatch {
                    model: self.name.clone(),
                    tensor: info.name.clone(),
                    expected: info.dtype.to_string(),
                    given: input.dtype.to_string(),
                });
            }
            if info.shape != input.shape {
                return Err(Error::ShapeMismatch {
                    model: self.name.clone(),
                    tensor: info.name.clone(),
                    expected: format!("shape {:?}", info.shape),
                    given: format!("shape {:?}", input.shape),
                });
            }
        }
        if let Some(missing) = self
            .inputs
            .iter()
            .find(|i| !inputs.iter().any(|x| x.name == i.name))
        {
            return Err(Error::MissingInput {
                model: self.name.clone(),
                name: missing.name.clone(),
                expected: missing.to_string(),
            });
        }
        Ok(())
    }

    /// Index of the input (`kind` "input") or output named `name`, or `UnknownTensor` listing
    /// the names there are (shared by the blocking and async bindings).
    pub(crate) fn tensor_index(&self, kind: &'static str, name: &str) -> Result<usize> {
        let list = if kind == "input" {
            &self.inputs
        } else {
            &self.outputs
        };
        list.iter()
            .position(|i| i.name == name)
            .ok_or_else(|| self.unknown_tensor(kind, name))
    }

    pub(crate) fn unknown_tensor(&self, kind: &'static str, name: &str) -> Error {
        let list = if kind == "input" {
            &self.inputs
        } else {
            &self.outputs
        };
        Error::UnknownTensor {
            model: self.name.clone(),
            kind,
            name: name.into(),
            available: list
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// Unload the model and get its group back.
    ///
    /// # Errors
    /// What `nrt_unload` returned; the group's cores are released in that case.
    pub fn unload(self) -> Result<NeuronCoreGroup<'d>> {
        let Model {
            async_state,
            pool,
            raw,
            group,
            ..
        } = self;
        drop(async_state); // waits for in-flight async requests
        drop(pool);
        raw.unload()?;
        Ok(group)
    }
}

fn run_once(
    model: &Model<'_>,
    binding: &mut IoBinding<'_, '_>,
    inputs: &[Input<'_>],
) -> Result<Outputs> {
    for input in inputs {
        let index = binding.input_index(&input.name)?;
        binding.write_input_bytes(index, &input.bytes)?;
    }
    binding.execute()?;
    let mut tensors = Vec::with_capacity(model.outputs.len());
    for (index, info) in model.outputs.iter().enumerate() {
        let mut bytes = vec![0u8; info.size_bytes];
        binding.read_output_bytes(index, &mut bytes)?;
        tensors.push((info.clone(), bytes));
    }
    Ok(Outputs {
        model: model.name.clone(),
        tensors,
    })
}

/// Convert the runtime's tensor info, detecting the dtype numbering (see [`DtypeEncoding`]).
fn describe_tensors(
    model: &str,
    infos: Vec<RawTensorInfo>,
) -> Result<(Vec<TensorInfo>, Vec<TensorInfo>)> {
    let elements = |shape: &[u32]| shape.iter().map(|&d| d as usize).product::<usize>();
    let encoding =
        DtypeEncoding::detect(infos.iter().map(|i| (i.dtype, i.size, elements(&i.shape))))
            .unwrap_or(DtypeEncoding::Current);
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    for info in infos {
        let dtype = encoding
            .dtype(info.dtype)
            .ok_or_else(|| Error::UnsupportedTensor {
                model: model.into(),
                tensor: info.name.clone(),
                problem: format!(
                    "the runtime reports dtype code {}, which neuron-rt does not know",
                    info.dtype
                ),
            })?;
        let shape: Vec<usize> = info.shape.iter().map(|&d| d as usize).collect();
        if dtype.size_bytes().checked_mul(elements(&info.shape)) != Some(info.size) {
            return Err(Error::UnsupportedTensor {
                model: model.into(),
                tensor: info.name,
                problem: format!(
                    "size {} bytes does not match dtype {dtype} and shape {shape:?}",
                    info.size
                ),
            });
        }
        let usage = if info.usage == neuron_rt_sys::NRT_TENSOR_USAGE_OUTPUT {
            TensorUsage::Output
        } else {
            TensorUsage::Input
        };
        let described = TensorInfo {
            name: info.name,
            usage,
            dtype,
            shape,
            size_bytes: info.size,
        };
        match usage {
            TensorUsage::Input => inputs.push(described),
            TensorUsage::Output => outputs.push(described),
        }
    }
    Ok((inputs, outputs))
}

impl fmt::Debug for Model<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.name)
            .field("cores", &self.group.cores())
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish()
    }
}
