//! Element types and the two numberings of `nrt_dtype_t`.
//!
//! Runtimes of the 2022–2023 header generation numbered the element types sequentially
//! (FLOAT32 = 1 … UINT64 = 11); current runtimes use the hardware codes declared in our
//! `nrt.h` (FLOAT32 = 0xA, …). The two numberings reuse the same small integers for different
//! types, so a code alone cannot tell which one a runtime uses.
//!
//! Detection: every tensor `nrt_get_model_tensor_info` reports carries its byte size and shape,
//! so `size == element size × element count` must hold. [`DtypeEncoding::detect`] checks each
//! tensor under both numberings and picks the one that explains every tensor, preferring the
//! current codes when both do. The safe crate uses it when a model is loaded and maps codes
//! through the detected numbering.

use crate::bindings::*;

/// Which numbering a runtime uses for `nrt_dtype_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtypeEncoding {
    /// Hardware codes of current runtimes (the values in our headers).
    Hardware,
    /// Sequential codes of the 2022–2023 runtimes.
    Sequential,
}

/// Size in bytes of one element of `code` under the current hardware codes.
pub const fn element_size(code: nrt_dtype_t) -> Option<usize> {
    Some(match code {
        NRT_DTYPE_INT8 | NRT_DTYPE_UINT8 | NRT_DTYPE_FP8_E3 | NRT_DTYPE_FP8_E4
        | NRT_DTYPE_FP8_E5 => 1,
        NRT_DTYPE_INT16 | NRT_DTYPE_UINT16 | NRT_DTYPE_FLOAT16 | NRT_DTYPE_BFLOAT16 => 2,
        NRT_DTYPE_INT32 | NRT_DTYPE_UINT32 | NRT_DTYPE_FLOAT32 | NRT_DTYPE_FP32R => 4,
        NRT_DTYPE_INT64 | NRT_DTYPE_UINT64 => 8,
        _ => return None,
    })
}

/// The current hardware code for a sequential (legacy) code.
pub const fn from_sequential(code: u32) -> Option<nrt_dtype_t> {
    Some(match code {
        1 => NRT_DTYPE_FLOAT32,
        2 => NRT_DTYPE_FLOAT16,
        3 => NRT_DTYPE_BFLOAT16,
        4 => NRT_DTYPE_INT8,
        5 => NRT_DTYPE_UINT8,
        6 => NRT_DTYPE_INT16,
        7 => NRT_DTYPE_UINT16,
        8 => NRT_DTYPE_INT32,
        9 => NRT_DTYPE_UINT32,
        10 => NRT_DTYPE_INT64,
        11 => NRT_DTYPE_UINT64,
        _ => return None,
    })
}

impl DtypeEncoding {
    /// Map a code reported by a runtime using this numbering to the current hardware code.
    pub const fn to_hardware(self, code: u32) -> Option<nrt_dtype_t> {
        match self {
            DtypeEncoding::Hardware => match element_size(code) {
                Some(_) => Some(code),
                None => None,
            },
            DtypeEncoding::Sequential => from_sequential(code),
        }
    }

    /// Decide the numbering from `(dtype code, byte size, element count)` of a model's tensors.
    /// `None` when neither numbering explains every tensor (the caller should refuse the model).
    ///
    /// ```
    /// use neuron_rt_sys::DtypeEncoding;
    /// // A float32 tensor of 6 elements, 24 bytes: code 0xA now, code 1 on old runtimes.
    /// assert_eq!(DtypeEncoding::detect([(0xA, 24, 6)]), Some(DtypeEncoding::Hardware));
    /// assert_eq!(DtypeEncoding::detect([(1, 24, 6)]), Some(DtypeEncoding::Sequential));
    /// ```
    pub fn detect(tensors: impl IntoIterator<Item = (u32, usize, usize)> + Clone) -> Option<Self> {
        [DtypeEncoding::Hardware, DtypeEncoding::Sequential]
            .into_iter()
            .find(|encoding| {
                tensors.clone().into_iter().all(|(code, bytes, elements)| {
                    encoding
                        .to_hardware(code)
                        .and_then(element_size)
                        .and_then(|size| size.checked_mul(elements))
                        == Some(bytes)
                })
            })
    }
}
