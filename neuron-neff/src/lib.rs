//! Pure-Rust reader and writer for AWS Neuron NEFF files and the neuron-rt emulator's model
//! program.
//!
//! # The container
//!
//! A NEFF (Neuron Executable File Format) is a **1024-byte header** ([`NeffHeader`]) followed
//! by a **payload**: a ustar archive (pkg_version 1) or a gzip-compressed one (pkg_version 2,
//! what the Neuron compiler writes). There is no magic number; the runtime identifies the file
//! by its structure and applies a fixed sequence of checks, which [`NeffHeader::parse`]
//! reproduces so that a file this crate rejects is one the runtime rejects, with the same
//! status ([`NeffError::status_name`]).
//!
//! # The emulator program
//!
//! The neuron-rt emulator (a C implementation of the libnrt ABI) runs models without hardware.
//! It executes a small program stored in the payload as `nrtemu/program.bin`: typed tensors
//! (inputs, outputs, constants, intermediates) and FLOAT32 ops (identity/reshape, add, mul with
//! broadcasting, relu, matmul, softmax), plus a simulated device time. [`Program`] decodes it
//! with exactly the emulator's validation and encodes it; [`Program::evaluate`] is a reference
//! CPU implementation; [`ModelBuilder`] writes complete NEFFs. The format, shared with the C
//! side, is in the [`format`](mod@format) module — the single source of truth.
//!
//! ```
//! use neuron_neff::{DType, ModelBuilder, Neff};
//! let bytes = ModelBuilder::mlp("mlp", &[4, 16, 3], 8, 1).cores(2).build()?;
//! let neff = Neff::parse(&bytes)?;
//! assert_eq!(neff.header().core_count(), 2);
//! let program = neff.program()?.expect("an emulator NEFF has a program");
//! let input = vec![0u8; 8 * 4 * 4];
//! let outputs = program.evaluate(&[&input])?;
//! assert_eq!(outputs[0].len(), 8 * 3 * 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The `neff` command (package `neuron-neff-cli`: `cargo run -p neuron-neff-cli -- --help`) inspects NEFFs and
//! writes MLP and no-op models.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod builder;
mod compiler;
mod compiler_builder;
mod dtype;
mod error;
mod eval;
mod header;
mod json;
mod neff;
mod program;
mod tar;

#[doc = include_str!("../FORMAT.md")]
pub mod format {}

pub use builder::ModelBuilder;
pub use compiler::{
    CompilerLayout, IoKind, IoTensor, MAX_IO_NDIM, MAX_IO_TENSORS, MAX_JSON_BYTES,
    MAX_PAYLOAD_BYTES, MemberInfo, Subgraph, dtype_from_compiler_name, gunzip_payload,
};
pub use compiler_builder::{CompilerNeffBuilder, CompilerTensorSpec};
pub use dtype::DType;
pub use error::{BuildError, ErrorLocation, NeffError, ProgramError, TarError};
pub use header::{HEADER_SIZE, KNOWN_FEATURE_BITS, MAX_NEFF_VERSION_MAJOR, NeffHeader};
pub use neff::{HashCheck, Neff};
pub use program::{
    FORMAT_VERSION, MAGIC, MAX_COUNT, MAX_NDIM, MAX_TOTAL_TENSOR_BYTES, Op, OpKind, PROGRAM_MEMBER,
    Program, SCRATCH_ALIGN, Tensor, TensorKind,
};
pub use tar::TarEntry;
