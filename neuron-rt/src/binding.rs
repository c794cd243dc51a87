//! [`IoBinding`]: device tensors allocated once per model and thread — the hot path.

mod repeat;

use crate::element::Element;
use crate::error::{Error, Result, check};
use crate::ffi::{Execution, RawTensor, RawTensorSet};
use crate::model::Model;
use crate::tensor::TensorInfo;
use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn};
use std::ffi::CString;
use std::fmt;

/// The device tensors and tensor sets of one binding, unbound from the model's lifetime so that
/// a model can pool them. Everything frees itself when dropped (sets first: they refer to the
/// tensors).
pub(crate) struct BindingBuffers<'d> {
    input_set: RawTensorSet<'d>,
    output_set: RawTensorSet<'d>,
    inputs: Vec<RawTensor<'d>>,
    outputs: Vec<RawTensor<'d>>,
}

impl<'d> BindingBuffers<'d> {
    pub(crate) fn allocate(model: &Model<'d>) -> Result<BindingBuffers<'d>> {
        // On error, whatever was made so far is dropped, which frees it: no device memory lost.
        let (input_set, inputs) = allocate_set(model, model.inputs())?;
        let (output_set, outputs) = allocate_set(model, model.outputs())?;
        Ok(BindingBuffers {
            input_set,
            output_set,
            inputs,
            outputs,
        })
    }
}

/// One tensor per `infos` entry, each added to a new set under its name.
fn allocate_set<'d>(
    model: &Model<'d>,
    infos: &[TensorInfo],
) -> Result<(RawTensorSet<'d>, Vec<RawTensor<'d>>)> {
    let api = model.device().api();
    // Declared before the set, so dropped after it on an early return.
    let mut tensors = Vec::with_capacity(infos.len());
    let mut set = RawTensorSet::allocate(api)?;
    for info in infos {
        let name = CString::new(info.name.as_str()).map_err(|_| Error::NulInName {
            what: "tensor name",
            name: info.name.clone(),
        })?;
        let tensor = RawTensor::allocate(api, model.vnc(), info.size_bytes, &name)
            .map_err(|e| with_context(e, model, &info.name))?;
        let added = set.add(&name, &tensor);
        tensors.push(tensor);
        added?;
    }
    Ok((set, tensors))
}

fn with_context(error: Error, model: &Model<'_>, tensor: &str) -> Error {
    match error {
        Error::Runtime { call, status, .. } => Error::Runtime {
            call,
            status,
            context: model.context(Some(tensor)),
        },
        Error::NullHandle { call, .. } => Error::NullHandle {
            call,
            context: model.context(Some(tensor)),
        },
        other => other,
    }
}

/// Device tensors for every input and output of one model, allocated once and reused: writing
/// inputs, executing and reading outputs allocate nothing.
///
/// A binding belongs to the model that made it ([`Model::binding`]) and executes only that
/// model: [`IoBinding::execute`] takes no model argument, so a binding cannot be used with
/// another model. Make one binding per thread; the binding is `Send` but not `Sync`.
pub struct IoBinding<'m, 'd> {
    // The execute call first: it is all the hot path reads. It owns the sets, which are dropped
    // before the tensors below (field order is drop order).
    execution: Execution<'m, 'd>,
    model: &'m Model<'d>,
    inputs: Vec<RawTensor<'d>>,
    outputs: Vec<RawTensor<'d>>,
}

impl<'m, 'd> IoBinding<'m, 'd> {
    pub(crate) fn new(model: &'m Model<'d>, buffers: BindingBuffers<'d>) -> Self {
        let BindingBuffers {
            input_set,
            output_set,
            inputs,
            outputs,
        } = buffers;
        IoBinding {
            execution: Execution::new(model.raw(), input_set, output_set),
            model,
            inputs,
            outputs,
        }
    }

    /// The buffers back, for the model's pool.
    pub(crate) fn into_buffers(self) -> BindingBuffers<'d> {
        let IoBinding {
            execution,
            inputs,
            outputs,
            ..
        } = self;
        let (input_set, output_set) = execution.into_sets();
        BindingBuffers {
            input_set,
            output_set,
            inputs,
            outputs,
        }
    }

    /// The model this binding belongs to.
    pub fn model(&self) -> &'m Model<'d> {
        self.model
    }

    /// Index of input `name` (for the `_at` methods, which skip the name lookup).
    pub fn input_index(&self, name: &str) -> Result<usize> {
        self.model.tensor_index("input", name)
    }

    /// Index of output `name`.
    pub fn output_index(&self, name: &str) -> Result<usize> {
        self.model.tensor_index("output", name)
    }

    /// Write `data` to input `name`; its length must be the input's element count.
    pub fn write_input<T: Element>(&mut self, name: &str, data: &[T]) -> Result<()> {
        let index = self.input_index(name)?;
        self.write_input_at(index, data)
    }

    /// Write `data` to input number `index`; no allocation, no copy besides the device write.
    pub fn write_input_at<T: Element>(&mut self, index: usize, data: &[T]) -> Result<()> {
        let info = self.info(index, true)?;
        // Element type and count checked: the byte size follows (size_bytes = count × size).
        check_typed(self.model, info, T::DTYPE, data.len())?;
        self.write_checked(index, bytemuck::cast_slice(data))
    }

    /// Write an array to input `name`, checking its shape. Contiguous standard-layout arrays are
    /// written directly; others are copied into that layout first.
    pub fn write_input_array<T, S, D>(&mut self, name: &str, array: &ArrayBase<S, D>) -> Result<()>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let index = self.input_index(name)?;
        let info = self.info(index, true)?;
        if info.shape != array.shape() {
            return Err(Error::ShapeMismatch {
                model: self.model.name().into(),
                tensor: info.name.clone(),
                expected: format!("shape {:?}", info.shape),
                given: format!("shape {:?}", array.shape()),
            });
        }
        match array.as_slice() {
            Some(slice) => self.write_input_at(index, slice),
            None => self.write_input_at(index, &array.iter().copied().collect::<Vec<T>>()),
        }
    }

    /// Write raw bytes to input number `index`, in the tensor's own layout (little-endian
    /// elements of its dtype); only the byte size is checked. For callers that already hold
    /// tensor bytes of any dtype, such as a server decoding a wire format; typed callers use
    /// [`write_input_at`](Self::write_input_at), which also checks the element type.
    pub fn write_input_bytes(&mut self, index: usize, bytes: &[u8]) -> Result<()> {
        let info = self.info(index, true)?;
        if bytes.len() != info.size_bytes {
            return Err(size_mismatch(self.model, info, bytes.len()));
        }
        self.write_checked(index, bytes)
    }

    /// Write to input `index`, whose size the caller checked.
    #[inline]
    fn write_checked(&mut self, index: usize, bytes: &[u8]) -> Result<()> {
        let model = self.model;
        let Some(tensor) = self.inputs.get_mut(index) else {
            return Err(model.unknown_tensor("input", &format!("#{index}")));
        };
        let status = tensor.write(0, bytes);
        check(status, "nrt_tensor_write", || {
            model.context(Some(&model.inputs()[index].name))
        })
    }

    /// Execute the model on the bound inputs, writing the bound outputs.
    #[inline]
    pub fn execute(&mut self) -> Result<()> {
        let status = self.execution.call();
        let model = self.model;
        check(status, "nrt_execute", || model.context(None))
    }

    /// Read output `name` into `out`; its length must be the output's element count.
    pub fn read_output<T: Element>(&mut self, name: &str, out: &mut [T]) -> Result<()> {
        let index = self.output_index(name)?;
        self.read_output_at(index, out)
    }

    /// Read output number `index` into `out`; no allocation.
    pub fn read_output_at<T: Element>(&mut self, index: usize, out: &mut [T]) -> Result<()> {
        let info = self.info(index, false)?;
        check_typed(self.model, info, T::DTYPE, out.len())?;
        self.read_checked(index, bytemuck::cast_slice_mut(out))
    }

    /// Read output `name` into a new array of its shape.
    pub fn read_output_array<T: Element>(&mut self, name: &str) -> Result<ArrayD<T>> {
        let index = self.output_index(name)?;
        let info = self.info(index, false)?;
        let shape = info.shape.clone();
        let mut data = vec![T::zeroed(); info.element_count()];
        self.read_output_at(index, &mut data)?;
        ArrayD::from_shape_vec(IxDyn(&shape), data).map_err(|e| Error::ShapeMismatch {
            model: self.model.name().into(),
            tensor: name.into(),
            expected: format!("{shape:?}"),
            given: e.to_string(),
        })
    }

    /// Read the raw bytes of output number `index` into `out` (exactly its byte size), in the
    /// tensor's own layout: the byte-level counterpart of [`read_output_at`](Self::read_output_at).
    pub fn read_output_bytes(&mut self, index: usize, out: &mut [u8]) -> Result<()> {
        let info = self.info(index, false)?;
        if out.len() != info.size_bytes {
            return Err(size_mismatch(self.model, info, out.len()));
        }
        self.read_checked(index, out)
    }

    /// Read output `index`, whose size the caller checked.
    #[inline]
    fn read_checked(&mut self, index: usize, out: &mut [u8]) -> Result<()> {
        let model = self.model;
        let Some(tensor) = self.outputs.get(index) else {
            return Err(model.unknown_tensor("output", &format!("#{index}")));
        };
        let status = tensor.read(0, out);
        check(status, "nrt_tensor_read", || {
            model.context(Some(&model.outputs()[index].name))
        })
    }

    fn info(&self, index: usize, input: bool) -> Result<&'m TensorInfo> {
        let (list, kind) = if input {
            (self.model.inputs(), "input")
        } else {
            (self.model.outputs(), "output")
        };
        list.get(index)
            .ok_or_else(|| self.model.unknown_tensor(kind, &format!("#{index}")))
    }
}

/// Whether a typed slice of `len` elements of `given` fits the tensor `info` (shared by the
/// blocking and the async bindings).
pub(crate) fn check_typed(
    model: &Model<'_>,
    info: &TensorInfo,
    given: crate::DType,
    len: usize,
) -> Result<()> {
    if info.dtype != given {
        return Err(Error::DTypeMismatch {
            model: model.name().into(),
            tensor: info.name.clone(),
            expected: info.dtype.to_string(),
            given: given.to_string(),
        });
    }
    if len != info.element_count() {
        return Err(Error::ShapeMismatch {
            model: model.name().into(),
            tensor: info.name.clone(),
            expected: format!("{} elements (shape {:?})", info.element_count(), info.shape),
            given: format!("{len} elements"),
        });
    }
    Ok(())
}

/// The error for a byte buffer whose size is not the tensor's.
pub(crate) fn size_mismatch(model: &Model<'_>, info: &TensorInfo, given: usize) -> Error {
    Error::ShapeMismatch {
        model: model.name().into(),
        tensor: info.name.clone(),
        expected: format!("{} bytes", info.size_bytes),
        given: format!("{given} bytes"),
    }
}

impl fmt::Debug for IoBinding<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoBinding")
            .field("model", &self.model.name())
            .finish()
    }
}
