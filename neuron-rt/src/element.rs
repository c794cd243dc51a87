//! Element types: which Rust types can be written to and read from tensors.

pub use neuron_neff::DType;

/// A Rust type with the same bytes as a tensor element of [`Element::DTYPE`].
///
/// Implemented for the integer types, `f32`, and `half::f16` / `half::bf16` (re-exported as
/// [`f16`](crate::f16) and [`bf16`](crate::bf16)). `bytemuck::Pod` guarantees every bit pattern
/// is valid, so reading device bytes into these types is always sound.
pub trait Element: bytemuck::Pod + Send + Sync {
    /// The tensor dtype this type matches.
    const DTYPE: DType;
}

macro_rules! element {
    ($($t:ty => $d:ident),* $(,)?) => { $( impl Element for $t { const DTYPE: DType = DType::$d; } )* };
}

element! {
    f32 => Float32,
    half::f16 => Float16,
    half::bf16 => Bfloat16,
    i8 => Int8,
    u8 => Uint8,
    i16 => Int16,
    u16 => Uint16,
    i32 => Int32,
    u32 => Uint32,
    i64 => Int64,
    u64 => Uint64,
}
