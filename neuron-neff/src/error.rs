//! Error types: [`NeffError`] (reading a NEFF), [`TarError`] (the ustar payload),
//! [`ProgramError`] (an invalid `nrtemu/program.bin`) and [`BuildError`] (the model builder).

use crate::program::OpKind;

/// Why a NEFF could not be read.
///
/// The header variants follow the loader checks of `FORMAT.md` §1 in order;
/// [`NeffError::status_name`] gives the libnrt status the emulator returns for the same file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NeffError {
    /// The file is shorter than the 1024-byte header.
    #[error(
        "NEFF is truncated: it is {len} bytes, shorter than the 1024-byte header; the file was \
         cut short or is not a NEFF — copy it again"
    )]
    TooShort {
        /// File length in bytes.
        len: usize,
    },
    /// `pkg_version` is neither 1 (tar) nor 2 (gzip-compressed tar).
    #[error(
        "NEFF pkg_version is {version}, expected 1 (tar) or 2 (gzip tar); the file is not a \
         NEFF or is corrupt — rebuild it"
    )]
    PkgVersion {
        /// The `pkg_version` field.
        version: u64,
    },
    /// `header_size` is below 1024 or beyond the end of the file.
    #[error(
        "NEFF header_size is {header_size}, expected 1024 ..= file size {file_len}; the header \
         is corrupt — rebuild the NEFF"
    )]
    HeaderSize {
        /// The `header_size` field.
        header_size: u64,
        /// File length in bytes.
        file_len: usize,
    },
    /// The payload the header announces runs past the end of the file.
    #[error(
        "NEFF is truncated: header says {data_size} payload bytes but only {available} follow \
         the {header_size}-byte header; the file was cut short — copy it again"
    )]
    Truncated {
        /// The `header_size` field.
        header_size: u64,
        /// The `data_size` field.
        data_size: u64,
        /// Bytes present after the header.
        available: u64,
    },
    /// `neff_version_major` is newer than the runtime supports.
    #[error(
        "NEFF version {major} is not supported, expected 0 ..= 2; recompile the model with a \
         neuronx-cc that matches this runtime"
    )]
    NeffVersion {
        /// The `neff_version_major` field.
        major: u64,
    },
    /// The 256-byte `name` field has no NUL terminator.
    #[error(
        "NEFF name field has no NUL within its 256 bytes, expected a NUL-terminated name of at \
         most 255 bytes; the header is corrupt — rebuild the NEFF"
    )]
    NameNotTerminated,
    /// `feature_bits` has a bit the runtime does not know (27 or higher).
    #[error(
        "NEFF uses unknown feature bits {unknown:#x} (feature_bits {bits:#x}), expected only \
         bits 0 ..= 26; recompile with a compiler that matches this runtime, or upgrade the \
         runtime"
    )]
    FeatureBits {
        /// The whole `feature_bits` field.
        bits: u64,
        /// The bits at 27 and above.
        unknown: u64,
    },
    /// The NEFF was compiled for a different logical-NeuronCore size than the runtime uses.
    #[error(
        "NEFF was compiled for LNC {neff} but the runtime uses LNC {runtime}; set \
         NEURON_LOGICAL_NC_CONFIG={neff} or recompile with --lnc={runtime}"
    )]
    LncMismatch {
        /// `lnc_size` of the NEFF (0 read as 1).
        neff: u32,
        /// The runtime's LNC.
        runtime: u32,
    },
    /// A pkg_version 2 payload does not start with the gzip signature.
    #[error(
        "NEFF pkg_version is 2 (gzip) but the payload does not start with the gzip signature \
         1f 8b; the file is corrupt — rebuild it"
    )]
    NotGzip,
    /// The payload is gzip-compressed (pkg_version 2), so its members cannot be borrowed
    /// ([`Neff::members`](crate::Neff::members), [`Neff::member`](crate::Neff::member)).
    #[error(
        "NEFF payload is gzip-compressed (pkg_version 2), so members cannot be borrowed from it; \
         use Neff::tar_payload() or Neff::member_list() to read a decompressed copy"
    )]
    CompressedPayload,
    /// The pkg_version 2 payload is not one valid gzip member followed by zero padding.
    #[error("NEFF gzip payload: {reason}; the file is corrupt or truncated — copy or rebuild it")]
    Gzip {
        /// What is wrong (from the decoder, or the trailing bytes).
        reason: String,
    },
    /// A member of a compiler NEFF (`neff.json`, a kelf file, `def.json`, `tensor_map.json`) is
    /// missing or malformed (`FORMAT.md` §5).
    #[error("NEFF built by the Neuron compiler: {member}: {reason}")]
    Compiler {
        /// The member (`neff.json`, `sg00/def.json`, ...).
        member: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The tar payload is malformed.
    #[error("NEFF payload: {0}")]
    Tar(#[from] TarError),
    /// `nrtemu/program.bin` is invalid.
    #[error("invalid emulator program (nrtemu/program.bin): {0}")]
    Program(#[from] ProgramError),
}

impl NeffError {
    /// The libnrt status the emulator returns for this problem: `"NRT_INVALID"` or
    /// `"NRT_UNSUPPORTED_NEFF_VERSION"` (for [`NeffError::NeffVersion`] and
    /// [`NeffError::FeatureBits`]).
    ///
    /// ```
    /// use neuron_neff::NeffHeader;
    /// let err = NeffHeader::parse(&[0u8; 10]).unwrap_err();
    /// assert_eq!(err.status_name(), "NRT_INVALID");
    /// ```
    pub fn status_name(&self) -> &'static str {
        match self {
            NeffError::NeffVersion { .. } | NeffError::FeatureBits { .. } => {
                "NRT_UNSUPPORTED_NEFF_VERSION"
            }
            _ => "NRT_INVALID",
        }
    }
}

/// A malformed ustar archive, or a member the writer cannot store.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TarError {
    /// Fewer than 512 bytes (not all zero) remain where a header block is expected.
    #[error("tar header at offset {offset} is truncated: {left} bytes left, expected 512")]
    TruncatedHeader {
        /// Offset of the header block in the archive.
        offset: usize,
        /// Bytes left.
        left: usize,
    },
    /// The checksum field is not an octal number.
    #[error("tar header at offset {offset}: checksum field is not octal")]
    ChecksumField {
        /// Offset of the header block.
        offset: usize,
    },
    /// The checksum does not match the header bytes.
    #[error(
        "tar header at offset {offset}: checksum is {stored}, expected {computed} (corrupt archive)"
    )]
    Checksum {
        /// Offset of the header block.
        offset: usize,
        /// The checksum stored in the header.
        stored: u64,
        /// The checksum of the header bytes.
        computed: u64,
    },
    /// The size field is not an octal number (base-256 sizes are not supported).
    #[error("tar header at offset {offset}: size field is not octal")]
    SizeField {
        /// Offset of the header block.
        offset: usize,
    },
    /// A member's data runs past the end of the archive.
    #[error(
        "tar member at offset {offset}: data of {size} bytes runs past the end of the archive \
         ({left} bytes left)"
    )]
    DataPastEnd {
        /// Offset of the header block.
        offset: usize,
        /// The member size from the header.
        size: u64,
        /// Bytes left after the header block.
        left: usize,
    },
    /// The member being looked up appears twice.
    #[error("tar member '{name}' appears twice")]
    Duplicate {
        /// The member name.
        name: String,
    },
    /// The writer was given a name it cannot store in a ustar header.
    #[error(
        "tar member name '{name}' cannot be stored: {reason}; use a name of 1 ..= 100 bytes \
         without NUL"
    )]
    BadName {
        /// The member name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The writer was given a member larger than the 11-digit octal size field holds.
    #[error("tar member '{name}' is {size} bytes, more than the 8 GiB a ustar size field holds")]
    TooLarge {
        /// The member name.
        name: String,
        /// The member size.
        size: u64,
    },
}

/// Where in `nrtemu/program.bin` a [`ProgramError`] was found.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorLocation {
    /// The program header (magic, version, flags, counts).
    Header,
    /// The tensor record with this index.
    Tensor(u32),
    /// The op record with this index.
    Op(u32),
    /// The program as a whole (no input/output tensor, trailing bytes).
    Program,
}

/// An invalid `nrtemu/program.bin`, or an execution request that does not fit the program.
///
/// The message is the same one-line reason the C emulator logs, e.g.
/// `op 2 (MATMUL): output 'h1' has shape [8,16], expected [8,3]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProgramError {
    location: ErrorLocation,
    message: String,
}

impl ProgramError {
    pub(crate) fn new(location: ErrorLocation, message: impl Into<String>) -> Self {
        ProgramError {
            location,
            message: message.into(),
        }
    }

    /// Where the problem was found.
    pub fn location(&self) -> ErrorLocation {
        self.location
    }

    /// The one-line reason (the same text as `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Why [`ModelBuilder::build`](crate::ModelBuilder::build) could not write the model.
///
/// Each variant names the op, tensor, what it got and what was expected.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The model name cannot be stored in the header.
    #[error("model name '{name}' is invalid: {reason}; use 1 ..= 255 bytes without NUL")]
    ModelName {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A tensor name is invalid.
    #[error("tensor name '{name}' is invalid: {reason}; use 1 ..= 255 bytes of UTF-8 without NUL")]
    TensorName {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two tensors have the same name.
    #[error(
        "tensor '{name}' is defined twice; every input, constant and op result needs its own name"
    )]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// A shape cannot be stored.
    #[error("tensor '{name}' has shape {shape:?}: {reason}")]
    Shape {
        /// The tensor.
        name: String,
        /// The shape given.
        shape: Vec<usize>,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Constant data does not match its dtype and shape.
    #[error("constant '{name}' has {got} bytes of data, expected {expected} ({dtype} {shape:?})")]
    ConstantLength {
        /// The constant.
        name: String,
        /// Bytes given.
        got: usize,
        /// Bytes its dtype and shape need.
        expected: u64,
        /// Its dtype.
        dtype: crate::DType,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// An op reads a tensor that is not defined before it.
    #[error(
        "op {index} ({op}) writing '{output}': input '{name}' is not defined; define it first \
         with .input(), .constant() or an earlier op"
    )]
    UnknownTensor {
        /// Op index.
        index: usize,
        /// Op kind.
        op: OpKind,
        /// The op's output name.
        output: String,
        /// The missing input.
        name: String,
    },
    /// An op's inputs do not fit the op (dtype, shape, element count).
    #[error("op {index} ({op}) writing '{output}': {message}")]
    Op {
        /// Op index.
        index: usize,
        /// Op kind.
        op: OpKind,
        /// The op's output name.
        output: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// `.output(name)` names no tensor.
    #[error(
        "output '{name}' is not defined; mark a tensor written by an op, or use .declare_output()"
    )]
    UnknownOutput {
        /// The name.
        name: String,
    },
    /// `.output(name)` names an input or a constant.
    #[error(
        "'{name}' is {kind} and cannot be a model output; copy it with .identity(\"{name}_out\", \
         \"{name}\", shape) and mark that"
    )]
    NotWritable {
        /// The name.
        name: String,
        /// "an input" or "a constant".
        kind: &'static str,
    },
    /// The model has no input and no output.
    #[error("model has no input or output tensor; add .input() or .declare_output()")]
    NoIo,
    /// A count is out of range.
    #[error("{what} is {got}, expected {expected}")]
    Range {
        /// What was set (e.g. "cores").
        what: &'static str,
        /// The value.
        got: u64,
        /// The accepted range.
        expected: &'static str,
    },
    /// The finished program failed validation.
    #[error("the model's program is invalid: {0}")]
    Program(#[from] ProgramError),
    /// The payload could not be written.
    #[error("the model's payload could not be written: {0}")]
    Tar(#[from] TarError),
}
