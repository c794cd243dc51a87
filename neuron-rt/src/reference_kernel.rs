//! CPU reference kernels for NEFFs built by the Neuron compiler, on the emulator.
//!
//! The emulator cannot run the compiler's program. It loads such a NEFF with its real inputs and
//! outputs (names, dtypes, shapes) and executes it as a **timed execution whose outputs are
//! zeros** (or a byte pattern, `NEURON_RT_EMULATOR_OUTPUT_FILL=pattern`) — not the model's
//! results. To test code that checks real numbers, register a reference implementation for the
//! model's name with [`DeviceBuilder::reference_kernel`](crate::DeviceBuilder::reference_kernel):
//! every execution of that model then calls it with the inputs and fills the outputs from it.
//! On hardware, kernels are ignored (the device computes the model).
//!
//! ```
//! use neuron_rt::{Backend, Device, Input, KernelIo, Lnc, f16};
//! use neuron_rt::neuron_neff::CompilerNeffBuilder;
//! // A NEFF in the compiler's layout (inputs x, y: f16[2,2]; output output0: f16[2,2]), LNC 2.
//! let neff = CompilerNeffBuilder::matmul("file.neff", 2, 2, 2).build()?;
//! let device = Device::builder()
//!     .backend(Backend::emulator("trn2.48xlarge"))
//!     .logical_nc_config(Lnc::Two)
//!     .emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-rk-{}", std::process::id())))
//!     .reference_kernel("file.neff", |io: &mut KernelIo<'_>| {
//!         // every output element = the sum of x
//!         let sum = io.input_array::<f16>("x")?.iter().fold(f16::ZERO, |a, &b| a + b);
//!         io.output_array_mut::<f16>("output0")?.fill(sum);
//!         Ok(())
//!     })
//!     .open()?;
//! let model = device.core_group_of_size(1)?.load(&neff)?;
//! let ones = ndarray::Array2::from_elem((2, 2), f16::ONE);
//! let out = model
//!     .run(&[Input::new("x", &ones), Input::new("y", &ones)])?
//!     .array::<f16>("output0")?;
//! assert!(out.iter().all(|&v| v == f16::from_f32(4.0)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::element::{DType, Element};
use ndarray::{ArrayViewD, ArrayViewMutD, IxDyn};
use std::fmt;
use std::sync::Arc;

/// The signature of a reference kernel: fill `io`'s outputs from its inputs, or say why not.
pub type KernelFn = dyn Fn(&mut KernelIo<'_>) -> Result<(), String> + Send + Sync;

/// One input handed to a reference kernel: the runtime's description and the bytes.
#[derive(Debug)]
pub struct KernelInput<'a> {
    /// Tensor name.
    pub name: &'a str,
    /// Element type (`None` for a code this SDK does not know).
    pub dtype: Option<DType>,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// The tensor's bytes.
    pub data: &'a [u8],
}

/// One output handed to a reference kernel, to be written.
#[derive(Debug)]
pub struct KernelOutput<'a> {
    /// Tensor name.
    pub name: &'a str,
    /// Element type (`None` for a code this SDK does not know).
    pub dtype: Option<DType>,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// The tensor's bytes (hold whatever the output tensor held before the execution).
    pub data: &'a mut [u8],
}

/// The inputs and outputs of one execution, in the model's order.
#[derive(Debug)]
pub struct KernelIo<'a> {
    /// The model's name (the NEFF header's name).
    pub model: &'a str,
    /// The inputs.
    pub inputs: Vec<KernelInput<'a>>,
    /// The outputs.
    pub outputs: Vec<KernelOutput<'a>>,
}

fn typed<T: Element>(name: &str, dtype: Option<DType>) -> Result<(), String> {
    if dtype != Some(T::DTYPE) {
        return Err(format!(
            "tensor '{name}' has dtype {}, but the kernel reads it as {}",
            dtype.map_or_else(|| "unknown".to_string(), |d| d.to_string()),
            T::DTYPE
        ));
    }
    Ok(())
}

impl<'a> KernelIo<'a> {
    /// The input named `name`.
    pub fn input(&self, name: &str) -> Result<&KernelInput<'a>, String> {
        self.inputs.iter().find(|t| t.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.inputs.iter().map(|t| t.name).collect();
            format!(
                "model '{}' has no input '{name}' (inputs: {})",
                self.model,
                names.join(", ")
            )
        })
    }

    /// The output named `name`.
    pub fn output_mut(&mut self, name: &str) -> Result<&mut KernelOutput<'a>, String> {
        let model = self.model;
        let names: Vec<String> = self.outputs.iter().map(|t| t.name.to_string()).collect();
        self.outputs
            .iter_mut()
            .find(|t| t.name == name)
            .ok_or_else(|| {
                format!(
                    "model '{model}' has no output '{name}' (outputs: {})",
                    names.join(", ")
                )
            })
    }

    /// The input `name` as an array of `T` (its dtype must be `T`'s).
    pub fn input_array<T: Element>(&self, name: &str) -> Result<ArrayViewD<'_, T>, String> {
        let t = self.input(name)?;
        typed::<T>(name, t.dtype)?;
        let elems: &[T] = bytemuck::try_cast_slice(t.data)
            .map_err(|e| format!("tensor '{name}' cannot be viewed as {}: {e}", T::DTYPE))?;
        ArrayViewD::from_shape(IxDyn(&t.shape), elems).map_err(|e| e.to_string())
    }

    /// The output `name` as a mutable array of `T` (its dtype must be `T`'s).
    pub fn output_array_mut<T: Element>(
        &mut self,
        name: &str,
    ) -> Result<ArrayViewMutD<'_, T>, String> {
        let t = self.output_mut(name)?;
        typed::<T>(name, t.dtype)?;
        let shape = t.shape.clone();
        let elems: &mut [T] = bytemuck::try_cast_slice_mut(t.data)
            .map_err(|e| format!("tensor '{name}' cannot be viewed as {}: {e}", T::DTYPE))?;
        ArrayViewMutD::from_shape(IxDyn(&shape), elems).map_err(|e| e.to_string())
    }
}

/// What the outputs of a compiler NEFF hold after an emulated execution without a reference
/// kernel (`NEURON_RT_EMULATOR_OUTPUT_FILL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFill {
    /// All bytes zero (the default).
    #[default]
    Zeros,
    /// Byte `i` of every output is `i % 251`: deterministic and non-zero, so a test can tell an
    /// output that was copied back from one that was never written.
    Pattern,
}

/// How the emulator runs compiler NEFFs: device time per model name or default, output fill.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CompiledSettings {
    pub(crate) default_time_us: Option<u64>,
    pub(crate) time_us: Vec<(String, u64)>,
    pub(crate) fill: Option<OutputFill>,
}

impl CompiledSettings {
    /// The `device_time_us` option: `"name=US,...,US"`, or `None` when nothing is set.
    pub(crate) fn device_time_spec(&self) -> Option<String> {
        let mut parts: Vec<String> = self
            .time_us
            .iter()
            .map(|(name, us)| format!("{name}={us}"))
            .collect();
        parts.extend(self.default_time_us.map(|us| us.to_string()));
        (!parts.is_empty()).then(|| parts.join(","))
    }

    pub(crate) fn fill_spec(&self) -> Option<&'static str> {
        self.fill.map(|f| match f {
            OutputFill::Zeros => "zeros",
            OutputFill::Pattern => "pattern",
        })
    }
}

/// A registered kernel: the closure behind one pointer the emulator hands back.
pub(crate) struct Kernel {
    pub(crate) model: String,
    pub(crate) f: Box<KernelFn>,
}

/// The kernels of a [`DeviceBuilder`](crate::DeviceBuilder), by model name (compared by name and
/// identity, so builders stay comparable).
#[derive(Clone, Default)]
pub(crate) struct ReferenceKernels(pub(crate) Vec<Arc<Kernel>>);

impl ReferenceKernels {
    pub(crate) fn insert(&mut self, model: String, f: Box<KernelFn>) {
        self.0.retain(|k| k.model != model);
        self.0.push(Arc::new(Kernel { model, f }));
    }
}

impl fmt::Debug for ReferenceKernels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|k| &k.model))
            .finish()
    }
}

impl PartialEq for ReferenceKernels {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

impl Eq for ReferenceKernels {}
