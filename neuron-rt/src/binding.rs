//! [`IoBinding`]: device tensors allocated once per model and thread — the hot path.

mod repeat;

use crate::element::Element;
use crate::error::{Error, Result, check};
use crate::ffi::{RawTensor, RawTensorSet};
use crate::model::Model;
use crate::tensor::TensorInfo;
use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn};
use neuron_rt_sys::NrtApi;
use std::ffi::CString;
use std::fmt;

/// The device tensors and tensor sets of one binding, without a lifetime so a model can pool
/// them. Freed explicitly with [`BindingBuffers::free`] by their owner.
pub(crate) struct BindingBuffers {
    inputs: Vec<RawTensor>,
    outputs: Vec<RawTensor>,
    input_set: RawTensorSet,
    output_set: RawTensorSet,
}

impl BindingBuffers {
    pub(crate) fn allocate(model: &Model<'_>) -> Result<BindingBuffers> {
        let api = model.device().api();
        let vnc = i32::try_from(model.group().cores().start()).unwrap_or(i32::MAX);
        // Build step by step; on error, free what exists so no device memory is lost.
        let mut partial = Partial {
            api,
            tensors: Vec::new(),
            sets: Vec::new(),
        };
        let make = |infos: &[TensorInfo],
                    partial: &mut Partial<'_>|
         -> Result<(Vec<RawTensor>, RawTensorSet)> {
            let mut set = RawTensorSet::allocate(api)?;
            let mut tensors = Vec::with_capacity(infos.len());
            let result = (|| {
                for info in infos {
                    let name = CString::new(info.name.as_str()).map_err(|_| Error::NulInName {
                        what: "tensor name",
                        name: info.name.clone(),
                    })?;
                    let tensor = RawTensor::allocate(api, vnc, info.size_bytes, &name)
                        .map_err(|e| with_context(e, model, &info.name))?;
                    let added = set.add(api, &name, &tensor);
                    tensors.push(tensor);
                    added?;
                }
                Ok(())
            })();
            match result {
                Ok(()) => Ok((tensors, set)),
                Err(e) => {
                    partial.sets.push(set);
                    partial.tensors.extend(tensors);
                    Err(e)
                }
            }
        };
        let (inputs, input_set) = make(model.inputs(), &mut partial)?;
        let (outputs, output_set) = match make(model.outputs(), &mut partial) {
            Ok(made) => made,
            Err(e) => {
                partial.sets.push(input_set);
                partial.tensors.extend(inputs);
                return Err(e);
            }
        };
        Ok(BindingBuffers {
            inputs,
            outputs,
            input_set,
            output_set,
        })
    }

    pub(crate) fn free(self, api: &NrtApi) {
        // Sets first: they refer to the tensors.
        self.input_set.destroy(api);
        self.output_set.destroy(api);
        for tensor in self.inputs.into_iter().chain(self.outputs) {
            tensor.free(api);
        }
    }
}

/// What a failed allocation had made so far; freed on drop.
struct Partial<'a> {
    api: &'a NrtApi,
    tensors: Vec<RawTensor>,
    sets: Vec<RawTensorSet>,
}

impl Drop for Partial<'_> {
    fn drop(&mut self) {
        for set in self.sets.drain(..) {
            set.destroy(self.api);
        }
        for tensor in self.tensors.drain(..) {
            tensor.free(self.api);
        }
    }
}

fn with_context(error: Error, model: &Model<'_>, tensor: &str) -> Error {
    match error {
        Error::Runtime { call, status, .. } => Error::Runtime {
            call,
            status,
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
    model: &'m Model<'d>,
    buffers: Option<BindingBuffers>,
}

impl<'m, 'd> IoBinding<'m, 'd> {
    pub(crate) fn new(model: &'m Model<'d>, buffers: BindingBuffers) -> Self {
        IoBinding {
            model,
            buffers: Some(buffers),
        }
    }

    pub(crate) fn into_buffers(mut self) -> Option<BindingBuffers> {
        self.buffers.take()
    }

    #[inline]
    fn buffers(&mut self) -> Result<&mut BindingBuffers> {
        let model = self.model;
        // `ok_or_else`: the hot path must not build (allocate) the error's context.
        self.buffers.as_mut().ok_or_else(|| Error::Runtime {
            call: "IoBinding",
            status: crate::RuntimeStatus::InvalidHandle,
            context: model.context(None),
        })
    }

    /// The model this binding belongs to.
    pub fn model(&self) -> &'m Model<'d> {
        self.model
    }

    /// Index of input `name` (for the `_at` methods, which skip the name lookup).
    pub fn input_index(&self, name: &str) -> Result<usize> {
        self.model
            .inputs()
            .iter()
            .position(|i| i.name == name)
            .ok_or_else(|| self.model.unknown_tensor("input", name))
    }

    /// Index of output `name`.
    pub fn output_index(&self, name: &str) -> Result<usize> {
        self.model
            .outputs()
            .iter()
            .position(|i| i.name == name)
            .ok_or_else(|| self.model.unknown_tensor("output", name))
    }

    /// Write `data` to input `name`; its length must be the input's element count.
    pub fn write_input<T: Element>(&mut self, name: &str, data: &[T]) -> Result<()> {
        let index = self.input_index(name)?;
        self.write_input_at(index, data)
    }

    /// Write `data` to input number `index`; no allocation, no copy besides the device write.
    pub fn write_input_at<T: Element>(&mut self, index: usize, data: &[T]) -> Result<()> {
        let info = self.info(index, true)?;
        check_typed(self.model, info, T::DTYPE, data.len())?;
        self.write_input_bytes(index, bytemuck::cast_slice(data))
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

    pub(crate) fn write_input_bytes(&mut self, index: usize, bytes: &[u8]) -> Result<()> {
        let model = self.model;
        let info = self.info(index, true)?;
        if bytes.len() != info.size_bytes {
            return Err(size_mismatch(model, info, bytes.len()));
        }
        let api = model.device().api();
        let buffers = self.buffers()?;
        let Some(tensor) = buffers.inputs.get_mut(index) else {
            return Err(model.unknown_tensor("input", &format!("#{index}")));
        };
        let status = tensor.write(api, 0, bytes);
        check(status, "nrt_tensor_write", || {
            model.context(Some(&model.inputs()[index].name))
        })
    }

    /// Execute the model on the bound inputs, writing the bound outputs.
    #[inline]
    pub fn execute(&mut self) -> Result<()> {
        let model = self.model;
        let raw = model.raw()?;
        let api = model.device().api();
        let buffers = self.buffers()?;
        let status = raw.execute(api, &buffers.input_set, &buffers.output_set);
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
        self.read_output_bytes(index, bytemuck::cast_slice_mut(out))
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

    pub(crate) fn read_output_bytes(&mut self, index: usize, out: &mut [u8]) -> Result<()> {
        let model = self.model;
        let info = self.info(index, false)?;
        if out.len() != info.size_bytes {
            return Err(size_mismatch(model, info, out.len()));
        }
        let api = model.device().api();
        let buffers = self.buffers()?;
        let Some(tensor) = buffers.outputs.get(index) else {
            return Err(model.unknown_tensor("output", &format!("#{index}")));
        };
        let status = tensor.read(api, 0, out);
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

fn check_typed(
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

fn size_mismatch(model: &Model<'_>, info: &TensorInfo, given: usize) -> Error {
    Error::ShapeMismatch {
        model: model.name().into(),
        tensor: info.name.clone(),
        expected: format!("{} bytes", info.size_bytes),
        given: format!("{given} bytes"),
    }
}

impl Drop for IoBinding<'_, '_> {
    fn drop(&mut self) {
        if let Some(buffers) = self.buffers.take() {
            buffers.free(self.model.device().api());
        }
    }
}

impl fmt::Debug for IoBinding<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoBinding")
            .field("model", &self.model.name())
            .finish()
    }
}
