//! Which numbering of `nrt_dtype_t` a runtime reports.
//!
//! Runtimes of the 2022–2023 header generation numbered the element types sequentially
//! (FLOAT32 = 1 … UINT64 = 11); current runtimes use the codes of our `nrt.h` (FLOAT32 = 0xA, …).
//! The two numberings reuse the same small integers for different types, so a code alone cannot
//! tell which one a runtime uses. Every tensor `nrt_get_model_tensor_info` reports carries its
//! byte size and shape, though, so `size == element size × element count` must hold:
//! [`DtypeEncoding::detect`] picks the numbering that explains every tensor, preferring the
//! current one when both do.
//!
//! Both numberings, the element sizes and the names are defined once, by
//! [`neuron_neff::DType`] (`code`, `from_code`, `from_legacy_code`, `size_bytes`); this module
//! only decides which mapping applies.

use neuron_neff::DType;

/// Which numbering a runtime uses for `nrt_dtype_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DtypeEncoding {
    /// The codes of current runtimes and our headers ([`DType::from_code`]).
    Current,
    /// The sequential codes of the 2022–2023 runtimes ([`DType::from_legacy_code`]).
    Legacy,
}

impl DtypeEncoding {
    /// The element type of `code` under this numbering.
    pub(crate) fn dtype(self, code: u32) -> Option<DType> {
        match self {
            DtypeEncoding::Current => DType::from_code(code),
            DtypeEncoding::Legacy => DType::from_legacy_code(code),
        }
    }

    /// Decide the numbering from `(dtype code, byte size, element count)` of a model's tensors.
    /// `None` when neither numbering explains every tensor.
    pub(crate) fn detect(
        tensors: impl IntoIterator<Item = (u32, usize, usize)> + Clone,
    ) -> Option<Self> {
        [DtypeEncoding::Current, DtypeEncoding::Legacy]
            .into_iter()
            .find(|encoding| {
                tensors.clone().into_iter().all(|(code, bytes, elements)| {
                    encoding
                        .dtype(code)
                        .and_then(|d| d.size_bytes().checked_mul(elements))
                        == Some(bytes)
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_picks_the_numbering_that_explains_every_size() {
        // int64 [2,2] = 32 bytes: code 0xC now; legacy code 10.
        assert_eq!(
            DtypeEncoding::detect([(0xC, 32, 4)]),
            Some(DtypeEncoding::Current)
        );
        assert_eq!(
            DtypeEncoding::detect([(10, 32, 4)]),
            Some(DtypeEncoding::Legacy)
        );
        // Code 8 is INT32 (4 bytes) in both: both explain it, the current one wins.
        assert_eq!(
            DtypeEncoding::detect([(8, 16, 4)]),
            Some(DtypeEncoding::Current)
        );
        // Code 2: INT8 now (1 byte), FLOAT16 before (2 bytes); 8 bytes for 4 elements is legacy.
        assert_eq!(
            DtypeEncoding::detect([(2, 8, 4)]),
            Some(DtypeEncoding::Legacy)
        );
        // Nothing explains a 3-byte element.
        assert_eq!(DtypeEncoding::detect([(0xA, 12, 4)]), None);
        // Every tensor must agree.
        assert_eq!(DtypeEncoding::detect([(0xA, 16, 4), (1, 16, 4)]), None);
        assert_eq!(
            DtypeEncoding::detect(std::iter::empty()),
            Some(DtypeEncoding::Current)
        );
    }
}
