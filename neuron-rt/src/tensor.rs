//! Tensor descriptions and host-side inputs and outputs of the convenience path.

use crate::element::{DType, Element};
use crate::error::{Error, Result};
use ndarray::{ArrayBase, ArrayD, Data, Dimension, IxDyn};
use std::borrow::Cow;
use std::fmt;

/// Whether a tensor is an input or an output of its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TensorUsage {
    /// Written before execution.
    Input,
    /// Read after execution.
    Output,
}

/// One input or output of a loaded model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// The NEFF's tensor name (the key of tensor sets).
    pub name: String,
    /// Input or output.
    pub usage: TensorUsage,
    /// Element type.
    pub dtype: DType,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Size in bytes (element size × element count).
    pub size_bytes: usize,
}

impl TensorInfo {
    /// Number of elements.
    pub fn element_count(&self) -> usize {
        self.size_bytes / self.dtype.size_bytes()
    }
}

impl fmt::Display for TensorInfo {
    /// `x: float32[8, 4]`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}{:?}", self.name, self.dtype, self.shape)
    }
}

/// A named host array given to [`Model::run`](crate::Model::run). Borrows the array's memory when
/// it is contiguous in standard (row-major) layout; copies it into that layout otherwise.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub(crate) name: Cow<'a, str>,
    pub(crate) dtype: DType,
    pub(crate) shape: Vec<usize>,
    pub(crate) bytes: Cow<'a, [u8]>,
}

impl<'a> Input<'a> {
    /// Name `array` as the model input `name`.
    ///
    /// ```
    /// let x = ndarray::Array2::<f32>::zeros((2, 3));
    /// let input = neuron_rt::Input::new("x", &x);
    /// assert_eq!(input.shape(), &[2, 3]);
    /// ```
    pub fn new<T, S, D>(name: impl Into<Cow<'a, str>>, array: &'a ArrayBase<S, D>) -> Input<'a>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let bytes = match array.as_slice() {
            Some(slice) => Cow::Borrowed(bytemuck::cast_slice(slice)),
            None => Cow::Owned(
                bytemuck::cast_slice(&array.iter().copied().collect::<Vec<T>>()).to_vec(),
            ),
        };
        Input {
            name: name.into(),
            dtype: T::DTYPE,
            shape: array.shape().to_vec(),
            bytes,
        }
    }

    /// The input's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The input's shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
}

/// The outputs of one [`Model::run`](crate::Model::run), by name.
#[derive(Debug, Clone)]
pub struct Outputs {
    pub(crate) model: String,
    pub(crate) tensors: Vec<(TensorInfo, Vec<u8>)>,
}

impl Outputs {
    /// Output `name` as an owned array of `T`.
    ///
    /// # Errors
    /// [`Error::UnknownTensor`] for a name the model does not have; [`Error::DTypeMismatch`] when
    /// `T` is not the output's dtype.
    pub fn array<T: Element>(&self, name: &str) -> Result<ArrayD<T>> {
        let (info, bytes) = self.get(name)?;
        if info.dtype != T::DTYPE {
            return Err(Error::DTypeMismatch {
                model: self.model.clone(),
                tensor: info.name.clone(),
                expected: info.dtype.to_string(),
                given: T::DTYPE.to_string(),
            });
        }
        let data: Vec<T> = bytemuck::pod_collect_to_vec(bytes);
        ArrayD::from_shape_vec(IxDyn(&info.shape), data).map_err(|e| Error::ShapeMismatch {
            model: self.model.clone(),
            tensor: info.name.clone(),
            expected: format!("{:?}", info.shape),
            given: e.to_string(),
        })
    }

    /// Output `name` as raw bytes, with its description.
    pub fn get(&self, name: &str) -> Result<(&TensorInfo, &[u8])> {
        self.tensors
            .iter()
            .find(|(info, _)| info.name == name)
            .map(|(info, bytes)| (info, bytes.as_slice()))
            .ok_or_else(|| Error::UnknownTensor {
                model: self.model.clone(),
                kind: "output",
                name: name.into(),
                available: self
                    .tensors
                    .iter()
                    .map(|(i, _)| i.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The outputs' descriptions, in the model's order.
    pub fn infos(&self) -> impl Iterator<Item = &TensorInfo> {
        self.tensors.iter().map(|(info, _)| info)
    }
}
