//! Tensor element types ([`DType`]): the libnrt `nrt_dtype_t` codes.

use std::fmt;

/// A tensor element type, numbered with the current (hardware) `nrt_dtype_t` codes.
///
/// These are the codes of the libnrt header generation that moved `nrt_dtype_t` into `nrt.h`
/// (and of the 2.34 bindings); `nrtemu/program.bin` stores them as-is. Older headers numbered
/// the same types sequentially (FLOAT32 = 1, ...); see [`DType::from_legacy_code`].
///
/// ```
/// use neuron_neff::DType;
/// assert_eq!(DType::Float32.code(), 0xA);
/// assert_eq!(DType::from_code(0x6), Some(DType::Bfloat16));
/// assert_eq!(DType::Float16.size_bytes(), 2);
/// assert_eq!(DType::Float32.to_string(), "float32");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// `NRT_DTYPE_UINT64` (0x1), 8 bytes.
    Uint64,
    /// `NRT_DTYPE_INT8` (0x2), 1 byte.
    Int8,
    /// `NRT_DTYPE_UINT8` (0x3), 1 byte.
    Uint8,
    /// `NRT_DTYPE_INT16` (0x4), 2 bytes.
    Int16,
    /// `NRT_DTYPE_UINT16` (0x5), 2 bytes.
    Uint16,
    /// `NRT_DTYPE_BFLOAT16` (0x6), 2 bytes.
    Bfloat16,
    /// `NRT_DTYPE_FLOAT16` (0x7), 2 bytes.
    Float16,
    /// `NRT_DTYPE_INT32` (0x8), 4 bytes.
    Int32,
    /// `NRT_DTYPE_UINT32` (0x9), 4 bytes.
    Uint32,
    /// `NRT_DTYPE_FLOAT32` (0xA), 4 bytes. The only type the emulator's math ops accept.
    Float32,
    /// `NRT_DTYPE_FP32R` (0xB), 4 bytes: float32 with hardware rounding.
    Fp32r,
    /// `NRT_DTYPE_INT64` (0xC), 8 bytes.
    Int64,
    /// `NRT_DTYPE_FP8_E3` (0xD), 1 byte.
    Fp8E3,
    /// `NRT_DTYPE_FP8_E4` (0xE), 1 byte.
    Fp8E4,
    /// `NRT_DTYPE_FP8_E5` (0xF), 1 byte.
    Fp8E5,
}

const ALL: [DType; 15] = [
    DType::Uint64,
    DType::Int8,
    DType::Uint8,
    DType::Int16,
    DType::Uint16,
    DType::Bfloat16,
    DType::Float16,
    DType::Int32,
    DType::Uint32,
    DType::Float32,
    DType::Fp32r,
    DType::Int64,
    DType::Fp8E3,
    DType::Fp8E4,
    DType::Fp8E5,
];

impl DType {
    /// Every element type, in code order (0x1 ..= 0xF).
    pub const ALL: [DType; 15] = ALL;

    /// The current (hardware) `nrt_dtype_t` code, as stored in `nrtemu/program.bin`.
    pub fn code(self) -> u32 {
        match self {
            DType::Uint64 => 0x1,
            DType::Int8 => 0x2,
            DType::Uint8 => 0x3,
            DType::Int16 => 0x4,
            DType::Uint16 => 0x5,
            DType::Bfloat16 => 0x6,
            DType::Float16 => 0x7,
            DType::Int32 => 0x8,
            DType::Uint32 => 0x9,
            DType::Float32 => 0xA,
            DType::Fp32r => 0xB,
            DType::Int64 => 0xC,
            DType::Fp8E3 => 0xD,
            DType::Fp8E4 => 0xE,
            DType::Fp8E5 => 0xF,
        }
    }

    /// The type with this current (hardware) code; `None` for 0 (`NRT_DTYPE_UNKNOWN`) and codes
    /// above 0xF.
    pub fn from_code(code: u32) -> Option<DType> {
        match code {
            1..=15 => Some(ALL[code as usize - 1]),
            _ => None,
        }
    }

    /// The type with this code in the **old, sequential** numbering.
    ///
    /// `nrt_dtype_t` values drifted between libnrt header generations: the older headers (where
    /// the enum lived in `nrt_experimental.h`) and the Neuron developer guide's prose number the
    /// types sequentially — FLOAT32 1, FLOAT16 2, BFLOAT16 3, INT8 4, UINT8 5, INT16 6, UINT16 7,
    /// INT32 8, UINT32 9, INT64 10, UINT64 11 — while current headers use hardware codes
    /// (FLOAT32 = 0xA, see [`DType::code`]). The same number therefore means different types
    /// depending on the header a caller was built against (1 is FLOAT32 in the old numbering and
    /// UINT64 in the new). Use this to interpret values from old code or documentation; the FP32R
    /// and FP8 types have no legacy code. Returns `None` for 0 and codes above 11.
    ///
    /// ```
    /// use neuron_neff::DType;
    /// assert_eq!(DType::from_legacy_code(1), Some(DType::Float32));
    /// assert_eq!(DType::from_code(1), Some(DType::Uint64));
    /// ```
    pub fn from_legacy_code(code: u32) -> Option<DType> {
        Some(match code {
            1 => DType::Float32,
            2 => DType::Float16,
            3 => DType::Bfloat16,
            4 => DType::Int8,
            5 => DType::Uint8,
            6 => DType::Int16,
            7 => DType::Uint16,
            8 => DType::Int32,
            9 => DType::Uint32,
            10 => DType::Int64,
            11 => DType::Uint64,
            _ => return None,
        })
    }

    /// Size of one element in bytes.
    pub fn size_bytes(self) -> usize {
        match self {
            DType::Uint64 | DType::Int64 => 8,
            DType::Int32 | DType::Uint32 | DType::Float32 | DType::Fp32r => 4,
            DType::Int16 | DType::Uint16 | DType::Bfloat16 | DType::Float16 => 2,
            DType::Int8 | DType::Uint8 | DType::Fp8E3 | DType::Fp8E4 | DType::Fp8E5 => 1,
        }
    }

    /// Lower-case name, e.g. `"float32"`, `"bfloat16"`, `"fp8_e4"`.
    pub fn name(self) -> &'static str {
        match self {
            DType::Uint64 => "uint64",
            DType::Int8 => "int8",
            DType::Uint8 => "uint8",
            DType::Int16 => "int16",
            DType::Uint16 => "uint16",
            DType::Bfloat16 => "bfloat16",
            DType::Float16 => "float16",
            DType::Int32 => "int32",
            DType::Uint32 => "uint32",
            DType::Float32 => "float32",
            DType::Fp32r => "fp32r",
            DType::Int64 => "int64",
            DType::Fp8E3 => "fp8_e3",
            DType::Fp8E4 => "fp8_e4",
            DType::Fp8E5 => "fp8_e5",
        }
    }

    /// The `nrt_dtype_t` enumerator suffix, e.g. `"FLOAT32"` (as in `NRT_DTYPE_FLOAT32`); the
    /// spelling the emulator uses in its messages.
    pub fn nrt_name(self) -> &'static str {
        match self {
            DType::Uint64 => "UINT64",
            DType::Int8 => "INT8",
            DType::Uint8 => "UINT8",
            DType::Int16 => "INT16",
            DType::Uint16 => "UINT16",
            DType::Bfloat16 => "BFLOAT16",
            DType::Float16 => "FLOAT16",
            DType::Int32 => "INT32",
            DType::Uint32 => "UINT32",
            DType::Float32 => "FLOAT32",
            DType::Fp32r => "FP32R",
            DType::Int64 => "INT64",
            DType::Fp8E3 => "FP8_E3",
            DType::Fp8E4 => "FP8_E4",
            DType::Fp8E5 => "FP8_E5",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_the_format() {
        for (i, d) in DType::ALL.iter().enumerate() {
            assert_eq!(d.code(), i as u32 + 1);
            assert_eq!(DType::from_code(d.code()), Some(*d));
        }
        assert_eq!(DType::from_code(0), None);
        assert_eq!(DType::from_code(0x10), None);
        assert_eq!(DType::Int8.code(), 0x2);
        assert_eq!(DType::Int64.code(), 0xC);
        assert_eq!(DType::Fp8E5.code(), 0xF);
    }

    #[test]
    fn sizes() {
        let sizes: Vec<usize> = DType::ALL.iter().map(|d| d.size_bytes()).collect();
        assert_eq!(sizes, [8, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 8, 1, 1, 1]);
    }

    #[test]
    fn legacy_codes() {
        let want = [
            DType::Float32,
            DType::Float16,
            DType::Bfloat16,
            DType::Int8,
            DType::Uint8,
            DType::Int16,
            DType::Uint16,
            DType::Int32,
            DType::Uint32,
            DType::Int64,
            DType::Uint64,
        ];
        for (i, d) in want.iter().enumerate() {
            assert_eq!(DType::from_legacy_code(i as u32 + 1), Some(*d));
        }
        assert_eq!(DType::from_legacy_code(0), None);
        assert_eq!(DType::from_legacy_code(12), None);
    }

    #[test]
    fn names() {
        assert_eq!(DType::Bfloat16.name(), "bfloat16");
        assert_eq!(DType::Fp8E4.to_string(), "fp8_e4");
        assert_eq!(DType::Fp32r.nrt_name(), "FP32R");
    }
}
