//! A whole NEFF file ([`Neff`]): header plus payload.

use std::borrow::Cow;

use crate::compiler::{CompilerLayout, MemberInfo, gunzip_payload};
use crate::error::NeffError;
use crate::header::NeffHeader;
use crate::program::{PROGRAM_MEMBER, Program};
use crate::tar::{TarEntry, TarReader};

/// Result of comparing the header hash with the payload ([`Neff::hash_check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCheck {
    /// pkg_version 1 and the header hash is the SHA-256 of the payload.
    Match,
    /// pkg_version 1 and the header hash differs from the SHA-256 of the payload.
    Mismatch,
    /// pkg_version 2: the hash is an MD5, which the emulator does not check.
    NotChecked,
}

/// A parsed NEFF: the validated header and an owned copy of the payload.
///
/// ```
/// use neuron_neff::{DType, ModelBuilder, Neff};
/// let bytes = ModelBuilder::new("tiny")
///     .input("x", DType::Float32, &[2])
///     .relu("y", "x")
///     .output("y")
///     .build()
///     .unwrap();
/// let neff = Neff::parse(&bytes).unwrap();
/// assert_eq!(neff.header().name(), "tiny");
/// assert!(neff.verify_hash());
/// let program = neff.program().unwrap().unwrap();
/// assert_eq!(program.ops.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neff {
    header: NeffHeader,
    payload: Vec<u8>,
}

impl Neff {
    /// Parses a NEFF file: [`NeffHeader::parse`] (all loader checks except the runtime's LNC),
    /// then copies the `data_size` payload bytes that start at `header_size`.
    pub fn parse(bytes: &[u8]) -> Result<Neff, NeffError> {
        let header = NeffHeader::parse(bytes)?;
        let start = header.header_size as usize;
        let payload = bytes[start..start + header.data_size as usize].to_vec();
        Ok(Neff { header, payload })
    }

    /// The header.
    pub fn header(&self) -> &NeffHeader {
        &self.header
    }

    /// The payload (a tar archive for pkg_version 1, gzip for 2).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Whether the payload is a gzip-compressed tar (pkg_version 2).
    pub fn is_compressed(&self) -> bool {
        self.header.pkg_version == 2
    }

    /// The members of the tar payload, validated like the emulator does.
    pub fn members(&self) -> Result<Vec<TarEntry<'_>>, NeffError> {
        if self.is_compressed() {
            return Err(NeffError::CompressedPayload);
        }
        Ok(TarReader::new(&self.payload).collect::<Result<_, _>>()?)
    }

    /// The data of the regular-file member `name`: `Ok(None)` when the archive has none,
    /// [`NeffError::CompressedPayload`] for a gzip payload, [`NeffError::Tar`] for a malformed
    /// archive.
    pub fn member(&self, name: &str) -> Result<Option<&[u8]>, NeffError> {
        if self.is_compressed() {
            return Err(NeffError::CompressedPayload);
        }
        Ok(TarReader::find(&self.payload, name)?)
    }

    /// The emulator program: `Ok(None)` for a NEFF without `nrtemu/program.bin` (e.g. one built
    /// by the Neuron compiler) or with a gzip payload — the emulator loads those but cannot run
    /// them; an error for a malformed archive or an invalid program (the emulator's load fails
    /// with `NRT_INVALID`).
    pub fn program(&self) -> Result<Option<Program>, NeffError> {
        if self.is_compressed() {
            return Ok(None);
        }
        match self.member(PROGRAM_MEMBER)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(Program::decode(bytes)?)),
        }
    }

    /// The payload as a tar archive: borrowed for pkg_version 1, decompressed for pkg_version 2
    /// (one gzip member followed only by zero padding, at most
    /// [`MAX_PAYLOAD_BYTES`](crate::MAX_PAYLOAD_BYTES) once decompressed; else
    /// [`NeffError::Gzip`]).
    pub fn tar_payload(&self) -> Result<Cow<'_, [u8]>, NeffError> {
        if self.is_compressed() {
            Ok(Cow::Owned(gunzip_payload(&self.payload)?))
        } else {
            Ok(Cow::Borrowed(&self.payload))
        }
    }

    /// Every member of the payload, compressed or not (validated like the emulator does).
    pub fn member_list(&self) -> Result<Vec<MemberInfo>, NeffError> {
        let tar = self.tar_payload()?;
        TarReader::new(&tar)
            .map(|e| {
                e.map(|e| MemberInfo {
                    name: e.name_str(),
                    size: e.data.len() as u64,
                    is_file: e.is_file(),
                })
                .map_err(NeffError::from)
            })
            .collect()
    }

    /// The layout of a NEFF built by the Neuron compiler (`FORMAT.md` §5): `Ok(None)` when the
    /// payload has an emulator program or no `neff.json`; an error naming the member for a
    /// malformed one (the emulator's load fails with `NRT_INVALID` on the same files).
    pub fn compiler_layout(&self) -> Result<Option<CompilerLayout>, NeffError> {
        let tar = self.tar_payload()?;
        if TarReader::find(&tar, PROGRAM_MEMBER)?.is_some() {
            return Ok(None);
        }
        CompilerLayout::parse(&tar)
    }

    /// Compares the header hash with the payload, as the emulator does under
    /// `NEURON_RT_VALIDATE_HASH=1`.
    pub fn hash_check(&self) -> HashCheck {
        use sha2::Digest;
        if self.is_compressed() {
            return HashCheck::NotChecked;
        }
        if sha2::Sha256::digest(&self.payload).as_slice() == self.header.hash {
            HashCheck::Match
        } else {
            HashCheck::Mismatch
        }
    }

    /// Whether the emulator would accept the hash with `NEURON_RT_VALIDATE_HASH=1`: `true` for
    /// a matching SHA-256 and for pkg_version 2 (whose MD5 the emulator does not check; see
    /// [`Neff::hash_check`] to tell the two apart).
    pub fn verify_hash(&self) -> bool {
        self.hash_check() != HashCheck::Mismatch
    }
}
