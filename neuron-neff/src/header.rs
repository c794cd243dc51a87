//! The 1024-byte NEFF header ([`NeffHeader`]), `FORMAT.md` §1.

use crate::error::NeffError;

/// Size of the NEFF header in bytes.
pub const HEADER_SIZE: usize = 1024;

/// Highest `neff_version_major` the runtime (and the emulator) accepts.
pub const MAX_NEFF_VERSION_MAJOR: u64 = 2;

/// Feature bits 0 ..= 26 are known to runtime 2.31; any higher bit makes the load fail.
pub const KNOWN_FEATURE_BITS: u64 = (1 << 27) - 1;

/// Every field of the 1024-byte NEFF header (little-endian; offsets in `FORMAT.md` §1).
///
/// ```
/// use neuron_neff::NeffHeader;
/// let mut h = NeffHeader::new("resnet");
/// h.num_tpb = 2;
/// let bytes = h.to_bytes();
/// // parse() checks the header against the file it came from; a header alone is a NEFF with an
/// // empty payload.
/// let back = NeffHeader::parse(&bytes).unwrap();
/// assert_eq!(back.name(), "resnet");
/// assert_eq!(back.core_count(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeffHeader {
    /// 0x000: packager format, 1 = tar + SHA-256, 2 = gzip tar + MD5.
    pub pkg_version: u64,
    /// 0x008: header size, 1024 in practice; the payload starts here.
    pub header_size: u64,
    /// 0x010: payload length in bytes.
    pub data_size: u64,
    /// 0x018: NEFF major version (0 ..= 2 accepted).
    pub neff_version_major: u64,
    /// 0x020: NEFF minor version.
    pub neff_version_minor: u64,
    /// 0x028: compiler build string, NUL padded (see [`NeffHeader::build_version`]).
    pub neff_build_version: [u8; 128],
    /// 0x0A8: cores (TPBs) the model needs; 0 is read as 1 (see [`NeffHeader::core_count`]).
    pub num_tpb: u32,
    /// 0x0AC: SHA-256 of the payload (pkg_version 1), or MD5 in the first 16 bytes (2).
    pub hash: [u8; 32],
    /// 0x0CC: model UUID.
    pub uuid: [u8; 16],
    /// 0x0DC: model name (256-byte NUL-terminated field). Stored converted with
    /// [`String::from_utf8_lossy`]: the runtime accepts any bytes, so a non-UTF-8 name is not an
    /// error; invalid sequences become U+FFFD. [`NeffHeader::to_bytes`] writes it back as UTF-8.
    pub name: String,
    /// 0x1DC: requested TPB count.
    pub requested_tpb_count: u32,
    /// 0x1E0: TPBs per node (opaque to the runtime checks).
    pub tpb_per_node: [u8; 64],
    /// 0x220: incompatible-feature bits; bits ≥ 27 are unknown to the runtime.
    pub feature_bits: u64,
    /// 0x228: logical NeuronCore size the NEFF needs; 0 is read as 1 (see
    /// [`NeffHeader::lnc_size`]).
    pub lnc_size: u32,
    /// 0x22C: padding (468 bytes), kept so that [`NeffHeader::to_bytes`] round-trips.
    pub padding: [u8; 468],
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(a)
}

fn array<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[off..off + N]);
    a
}

impl NeffHeader {
    /// A header as the emulator writer fills it (`FORMAT.md` §1, "emulator writer sets"), for an
    /// empty payload: pkg_version 1, header_size 1024, NEFF version 2.0, one core, LNC 1, the
    /// SHA-256 of the empty payload and the build string `neuron-rt-emulator <crate version>`.
    /// Names longer than 255 bytes are cut at a character boundary.
    pub fn new(name: &str) -> NeffHeader {
        let mut build = [0u8; 128];
        let s = concat!("neuron-rt-emulator ", env!("CARGO_PKG_VERSION"));
        build[..s.len()].copy_from_slice(s.as_bytes());
        let mut end = name.len().min(255);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        let mut h = NeffHeader {
            pkg_version: 1,
            header_size: HEADER_SIZE as u64,
            data_size: 0,
            neff_version_major: 2,
            neff_version_minor: 0,
            neff_build_version: build,
            num_tpb: 1,
            hash: [0; 32],
            uuid: [0; 16],
            name: name[..end].replace('\0', ""),
            requested_tpb_count: 1,
            tpb_per_node: [0; 64],
            feature_bits: 0,
            lnc_size: 1,
            padding: [0; 468],
        };
        h.set_payload_hash(&[]);
        h
    }

    /// Sets `data_size`, `hash` (SHA-256 of `payload`) and `uuid` (the first 16 hash bytes
    /// with RFC 4122 version 4 / variant bits) for this payload.
    pub fn set_payload_hash(&mut self, payload: &[u8]) {
        use sha2::Digest;
        self.data_size = payload.len() as u64;
        self.hash.copy_from_slice(&sha2::Sha256::digest(payload));
        self.uuid.copy_from_slice(&self.hash[..16]);
        self.uuid[6] = (self.uuid[6] & 0x0F) | 0x40;
        self.uuid[8] = (self.uuid[8] & 0x3F) | 0x80;
    }

    /// Parses the header at the start of a NEFF file and applies the loader checks of
    /// `FORMAT.md` §1 in the emulator's order. `bytes` is the **whole file**: the size checks
    /// (`header_size`, `data_size`) use `bytes.len()`.
    ///
    /// The LNC check needs the runtime's LNC: see [`NeffHeader::check_lnc`].
    pub fn parse(bytes: &[u8]) -> Result<NeffHeader, NeffError> {
        if bytes.len() < HEADER_SIZE {
            return Err(NeffError::TooShort { len: bytes.len() });
        }
        let b = &bytes[..HEADER_SIZE];
        let h = NeffHeader {
            pkg_version: u64_at(b, 0x000),
            header_size: u64_at(b, 0x008),
            data_size: u64_at(b, 0x010),
            neff_version_major: u64_at(b, 0x018),
            neff_version_minor: u64_at(b, 0x020),
            neff_build_version: array(b, 0x028),
            num_tpb: u32_at(b, 0x0A8),
            hash: array(b, 0x0AC),
            uuid: array(b, 0x0CC),
            name: String::new(),
            requested_tpb_count: u32_at(b, 0x1DC),
            tpb_per_node: array(b, 0x1E0),
            feature_bits: u64_at(b, 0x220),
            lnc_size: u32_at(b, 0x228),
            padding: array(b, 0x22C),
        };
        let file_len = bytes.len() as u64;
        if h.pkg_version != 1 && h.pkg_version != 2 {
            return Err(NeffError::PkgVersion {
                version: h.pkg_version,
            });
        }
        if h.header_size < HEADER_SIZE as u64 || h.header_size > file_len {
            return Err(NeffError::HeaderSize {
                header_size: h.header_size,
                file_len: bytes.len(),
            });
        }
        let available = file_len - h.header_size;
        if h.data_size > available {
            return Err(NeffError::Truncated {
                header_size: h.header_size,
                data_size: h.data_size,
                available,
            });
        }
        if h.neff_version_major > MAX_NEFF_VERSION_MAJOR {
            return Err(NeffError::NeffVersion {
                major: h.neff_version_major,
            });
        }
        let name_field = &b[0x0DC..0x0DC + 256];
        let Some(nul) = name_field.iter().position(|&c| c == 0) else {
            return Err(NeffError::NameNotTerminated);
        };
        if h.feature_bits & !KNOWN_FEATURE_BITS != 0 {
            return Err(NeffError::FeatureBits {
                bits: h.feature_bits,
                unknown: h.feature_bits & !KNOWN_FEATURE_BITS,
            });
        }
        if h.pkg_version == 2 {
            let start = h.header_size as usize;
            let payload = &bytes[start..start + h.data_size as usize];
            if !payload.starts_with(&[0x1f, 0x8b]) {
                return Err(NeffError::NotGzip);
            }
        }
        Ok(NeffHeader {
            name: String::from_utf8_lossy(&name_field[..nul]).into_owned(),
            ..h
        })
    }

    /// Serializes the header to its 1024 bytes. The name is written as UTF-8, cut at 255 bytes,
    /// NUL padded.
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0x000..0x008].copy_from_slice(&self.pkg_version.to_le_bytes());
        b[0x008..0x010].copy_from_slice(&self.header_size.to_le_bytes());
        b[0x010..0x018].copy_from_slice(&self.data_size.to_le_bytes());
        b[0x018..0x020].copy_from_slice(&self.neff_version_major.to_le_bytes());
        b[0x020..0x028].copy_from_slice(&self.neff_version_minor.to_le_bytes());
        b[0x028..0x0A8].copy_from_slice(&self.neff_build_version);
        b[0x0A8..0x0AC].copy_from_slice(&self.num_tpb.to_le_bytes());
        b[0x0AC..0x0CC].copy_from_slice(&self.hash);
        b[0x0CC..0x0DC].copy_from_slice(&self.uuid);
        let name = self.name.as_bytes();
        let n = name.len().min(255);
        b[0x0DC..0x0DC + n].copy_from_slice(&name[..n]);
        b[0x1DC..0x1E0].copy_from_slice(&self.requested_tpb_count.to_le_bytes());
        b[0x1E0..0x220].copy_from_slice(&self.tpb_per_node);
        b[0x220..0x228].copy_from_slice(&self.feature_bits.to_le_bytes());
        b[0x228..0x22C].copy_from_slice(&self.lnc_size.to_le_bytes());
        b[0x22C..].copy_from_slice(&self.padding);
        b
    }

    /// The model's core count: `num_tpb`, with 0 read as 1.
    pub fn core_count(&self) -> u32 {
        self.num_tpb.max(1)
    }

    /// The logical NeuronCore size the model was compiled for: `lnc_size`, with 0 read as 1.
    pub fn lnc_size(&self) -> u32 {
        self.lnc_size.max(1)
    }

    /// The model name (lossily converted to UTF-8; see [`NeffHeader::name`](#structfield.name)).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The compiler build string up to its first NUL, lossily converted to UTF-8.
    pub fn build_version(&self) -> String {
        let end = self
            .neff_build_version
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(self.neff_build_version.len());
        String::from_utf8_lossy(&self.neff_build_version[..end]).into_owned()
    }

    /// The last loader check of `FORMAT.md` §1: the NEFF's LNC must equal the runtime's.
    ///
    /// ```
    /// use neuron_neff::NeffHeader;
    /// let h = NeffHeader::new("m");
    /// assert!(h.check_lnc(1).is_ok());
    /// assert_eq!(h.check_lnc(2).unwrap_err().status_name(), "NRT_INVALID");
    /// ```
    pub fn check_lnc(&self, runtime_lnc: u32) -> Result<(), NeffError> {
        if self.lnc_size() != runtime_lnc.max(1) {
            return Err(NeffError::LncMismatch {
                neff: self.lnc_size(),
                runtime: runtime_lnc.max(1),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(h: &NeffHeader, payload: &[u8]) -> Vec<u8> {
        let mut v = h.to_bytes().to_vec();
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn round_trip_and_offsets() {
        let mut h = NeffHeader::new("model-x");
        h.set_payload_hash(b"abc");
        h.num_tpb = 3;
        h.requested_tpb_count = 3;
        h.lnc_size = 2;
        h.feature_bits = 1 << 26;
        h.neff_version_minor = 7;
        let b = h.to_bytes();
        assert_eq!(&b[0x0DC..0x0DC + 8], b"model-x\0");
        assert_eq!(u32_at(&b, 0x0A8), 3);
        assert_eq!(u32_at(&b, 0x228), 2);
        assert_eq!(u64_at(&b, 0x010), 3);
        // SHA-256("abc")
        assert_eq!(b[0x0AC], 0xba);
        assert_eq!(b[0x0AC + 31], 0xad);
        assert_eq!(b[0x0CC + 6] & 0xF0, 0x40);
        assert_eq!(b[0x0CC + 8] & 0xC0, 0x80);
        let back = NeffHeader::parse(&file(&h, b"abc")).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.to_bytes(), b);
        assert_eq!(back.lnc_size(), 2);
        assert!(back.build_version().starts_with("neuron-rt-emulator "));
    }

    #[test]
    fn zero_reads_as_one() {
        let mut h = NeffHeader::new("m");
        h.num_tpb = 0;
        h.lnc_size = 0;
        assert_eq!(h.core_count(), 1);
        assert_eq!(h.lnc_size(), 1);
        assert!(h.check_lnc(0).is_ok());
    }

    #[test]
    fn loader_checks_in_order() {
        let err = NeffHeader::parse(&[0; 1023]).unwrap_err();
        assert!(matches!(err, NeffError::TooShort { len: 1023 }));
        assert!(
            err.to_string()
                .contains("1023 bytes, shorter than the 1024-byte header")
        );

        let mut h = NeffHeader::new("m");
        h.pkg_version = 3;
        h.neff_version_major = 9; // pkg_version is checked first
        let err = NeffHeader::parse(&file(&h, &[])).unwrap_err();
        assert_eq!(err, NeffError::PkgVersion { version: 3 });
        assert!(err.to_string().contains("expected 1 (tar) or 2 (gzip tar)"));
        assert_eq!(err.status_name(), "NRT_INVALID");

        let mut h = NeffHeader::new("m");
        h.header_size = 1000;
        let err = NeffHeader::parse(&file(&h, &[])).unwrap_err();
        assert!(
            err.to_string()
                .contains("header_size is 1000, expected 1024 ..= file size 1024")
        );
        h.header_size = 2000;
        assert!(matches!(
            NeffHeader::parse(&file(&h, &[0; 100])).unwrap_err(),
            NeffError::HeaderSize {
                header_size: 2000,
                file_len: 1124
            }
        ));

        let mut h = NeffHeader::new("m");
        h.data_size = 5000;
        h.neff_version_major = 3; // truncation is checked first
        let err = NeffHeader::parse(&file(&h, &[0; 3000])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "NEFF is truncated: header says 5000 payload bytes but only 3000 follow the \
             1024-byte header; the file was cut short — copy it again"
        );
        h.data_size = u64::MAX; // no overflow
        assert!(matches!(
            NeffHeader::parse(&file(&h, &[])).unwrap_err(),
            NeffError::Truncated { .. }
        ));

        let mut h = NeffHeader::new("m");
        h.neff_version_major = 3;
        let mut f = file(&h, &[]);
        f[0x0DC..0x1DC].fill(b'a'); // the version is checked before the name
        let err = NeffHeader::parse(&f).unwrap_err();
        assert_eq!(err, NeffError::NeffVersion { major: 3 });
        assert_eq!(err.status_name(), "NRT_UNSUPPORTED_NEFF_VERSION");
        assert!(err.to_string().contains("expected 0 ..= 2"));

        let mut f = file(&NeffHeader::new("m"), &[]);
        f[0x0DC..0x1DC].fill(b'a');
        f[0x220] = 0xFF;
        f[0x223] = 0xFF; // bit 31, but the name is checked first
        let err = NeffHeader::parse(&f).unwrap_err();
        assert_eq!(err, NeffError::NameNotTerminated);
        assert!(err.to_string().contains("no NUL within its 256 bytes"));

        f[0x1DB] = 0;
        let err = NeffHeader::parse(&f).unwrap_err();
        assert_eq!(err.status_name(), "NRT_UNSUPPORTED_NEFF_VERSION");
        assert!(
            err.to_string()
                .contains("unknown feature bits 0xf8000000 (feature_bits 0xff0000ff)")
        );

        let mut h = NeffHeader::new("m");
        h.pkg_version = 2;
        h.data_size = 2;
        assert_eq!(
            NeffHeader::parse(&file(&h, b"PK")).unwrap_err(),
            NeffError::NotGzip
        );
        assert!(NeffHeader::parse(&file(&h, &[0x1f, 0x8b])).is_ok());
        h.data_size = 0;
        assert_eq!(
            NeffHeader::parse(&file(&h, &[])).unwrap_err(),
            NeffError::NotGzip
        );
    }

    #[test]
    fn real_compiler_style_header_parses() {
        let mut h = NeffHeader::new("");
        h.pkg_version = 2;
        h.neff_version_major = 2;
        h.neff_version_minor = 1;
        h.feature_bits = KNOWN_FEATURE_BITS;
        h.tpb_per_node = [7; 64];
        h.num_tpb = 0;
        h.lnc_size = 0;
        h.data_size = 4;
        h.header_size = 1024;
        let mut f = file(&h, &[0x1f, 0x8b, 8, 0]);
        f.extend_from_slice(b"trailing bytes are allowed");
        f[0x0DC..0x0DC + 4].copy_from_slice(&[b'n', 0xFF, b'x', 0]);
        let back = NeffHeader::parse(&f).unwrap();
        assert_eq!(back.name(), "n\u{FFFD}x");
        assert_eq!(back.core_count(), 1);
        assert_eq!(back.tpb_per_node, [7; 64]);
    }

    #[test]
    fn long_names_are_cut_at_char_boundaries() {
        let name = "é".repeat(200); // 400 bytes
        let h = NeffHeader::new(&name);
        assert_eq!(h.name.len(), 254);
        let back = NeffHeader::parse(&h.to_bytes()).unwrap();
        assert_eq!(back.name, h.name);
    }
}
