//! The strict, bounds-checked ustar reader ([`TarReader`]) that validates payloads exactly like
//! the emulator's C reader (`FORMAT.md` §2), and the writer (the `tar` crate, [`write`]).

use crate::error::TarError;

const BLOCK: usize = 512;

/// One member of an archive, borrowed from the archive bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry<'a> {
    /// Offset of the member's header block in the archive.
    pub offset: usize,
    /// The member name: `prefix/name` for POSIX ustar headers with a prefix, else `name`
    /// (raw bytes, up to the first NUL of each field).
    pub name: std::borrow::Cow<'a, [u8]>,
    /// The type flag (`b'0'` or `0` for regular files, `b'5'` directories, `b'x'` pax, ...).
    pub type_flag: u8,
    /// The member data.
    pub data: &'a [u8],
}

impl TarEntry<'_> {
    /// Whether this is a regular file (type flag `'0'` or NUL); only these can be found by name.
    pub fn is_file(&self) -> bool {
        self.type_flag == b'0' || self.type_flag == 0
    }

    /// The name as text (lossy for non-UTF-8 bytes).
    pub fn name_str(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// Iterates the members of a ustar archive, validating each header (checksum, octal size,
/// data within the archive). After the first error the iterator ends.
///
#[derive(Debug, Clone)]
pub struct TarReader<'a> {
    data: &'a [u8],
    off: usize,
    done: bool,
}

fn field_len(f: &[u8]) -> usize {
    f.iter().position(|&c| c == 0).unwrap_or(f.len())
}

/// Parses an octal numeric field: leading spaces, octal digits, then NUL/space padding.
fn parse_octal(f: &[u8]) -> Option<u64> {
    if f.first().is_some_and(|&c| c & 0x80 != 0) {
        return None; // GNU base-256
    }
    let mut i = 0;
    while i < f.len() && f[i] == b' ' {
        i += 1;
    }
    let mut v: u64 = 0;
    while i < f.len() && (b'0'..=b'7').contains(&f[i]) {
        if v > u64::MAX >> 3 {
            return None;
        }
        v = (v << 3) | u64::from(f[i] - b'0');
        i += 1;
    }
    f[i..].iter().all(|&c| c == b' ' || c == 0).then_some(v)
}

impl<'a> TarReader<'a> {
    /// A reader over the archive bytes.
    pub fn new(data: &'a [u8]) -> Self {
        TarReader {
            data,
            off: 0,
            done: false,
        }
    }

    /// Finds the regular-file member `name`, walking and validating the whole archive like the
    /// emulator's `nrtemu_tar_find`: `Ok(None)` when absent, an error when the archive is
    /// malformed or the name appears twice.
    pub fn find(data: &'a [u8], name: &str) -> Result<Option<&'a [u8]>, TarError> {
        let mut found = None;
        for entry in TarReader::new(data) {
            let entry = entry?;
            if entry.is_file() && entry.name.as_ref() == name.as_bytes() {
                if found.is_some() {
                    return Err(TarError::Duplicate {
                        name: name.to_string(),
                    });
                }
                found = Some(entry.data);
            }
        }
        Ok(found)
    }

    fn next_entry(&mut self) -> Result<Option<TarEntry<'a>>, TarError> {
        let len = self.data.len();
        if self.off >= len {
            return Ok(None);
        }
        let off = self.off;
        let left = len - off;
        let rest = &self.data[off..];
        if left < BLOCK {
            if rest.iter().all(|&c| c == 0) {
                return Ok(None);
            }
            return Err(TarError::TruncatedHeader { offset: off, left });
        }
        let h = &rest[..BLOCK];
        if h.iter().all(|&c| c == 0) {
            return Ok(None);
        }
        let stored = parse_octal(&h[148..156]).ok_or(TarError::ChecksumField { offset: off })?;
        let (mut usum, mut ssum) = (0u64, 0i64);
        for (i, &c) in h.iter().enumerate() {
            let c = if (148..156).contains(&i) { b' ' } else { c };
            usum += u64::from(c);
            ssum += i64::from(c as i8);
        }
        if stored != usum && stored as i64 != ssum {
            return Err(TarError::Checksum {
                offset: off,
                stored,
                computed: usum,
            });
        }
        let size = parse_octal(&h[124..136]).ok_or(TarError::SizeField { offset: off })?;
        let data_left = left - BLOCK;
        if size > data_left as u64 {
            return Err(TarError::DataPastEnd {
                offset: off,
                size,
                left: data_left,
            });
        }
        let size = size as usize;
        let name_f = &h[..field_len(&h[..100])];
        let prefix = if &h[257..263] == b"ustar\0" {
            &h[345..345 + field_len(&h[345..500])]
        } else {
            &[][..]
        };
        let name = if prefix.is_empty() {
            std::borrow::Cow::Borrowed(name_f)
        } else {
            let mut v = prefix.to_vec();
            v.push(b'/');
            v.extend_from_slice(name_f);
            std::borrow::Cow::Owned(v)
        };
        let padded = size.div_ceil(BLOCK) * BLOCK;
        self.off = if padded > data_left {
            len // padding cut off: end of archive
        } else {
            off + BLOCK + padded
        };
        Ok(Some(TarEntry {
            offset: off,
            name,
            type_flag: h[156],
            data: &rest[BLOCK..BLOCK + size],
        }))
    }
}

impl<'a> Iterator for TarReader<'a> {
    type Item = Result<TarEntry<'a>, TarError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_entry() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Writes a POSIX ustar archive of regular files with the `tar` crate (mode 0644, uid/gid 0,
/// mtime 0, so the output is deterministic), ended by two zero blocks. Names must be 1 ..= 100
/// bytes without NUL (stored whole in the `name` field, which the reader above and the C reader
/// both read).
pub(crate) fn write(members: &[(&str, &[u8])]) -> Result<Vec<u8>, TarError> {
    let mut b = tar::Builder::new(Vec::new());
    for &(name, data) in members {
        let bad = |reason| TarError::BadName {
            name: name.to_string(),
            reason,
        };
        if name.is_empty() {
            return Err(bad("it is empty"));
        }
        if name.len() > 100 {
            return Err(bad("it is longer than 100 bytes"));
        }
        if name.contains('\0') {
            return Err(bad("it contains a NUL byte"));
        }
        if data.len() as u64 >= 1 << 33 {
            return Err(TarError::TooLarge {
                name: name.to_string(),
                size: data.len() as u64,
            });
        }
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_size(data.len() as u64);
        // Direct field write (not set_path): ustar name of <= 100 bytes, prefix left empty.
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, data)
            .map_err(|_| bad("the tar writer refused it"))?;
    }
    Ok(b.into_inner().expect("writing to a Vec cannot fail"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        write(&[("neff.json", b"{}"), ("nrtemu/program.bin", b"PROGRAM")]).unwrap()
    }

    #[test]
    fn write_then_read() {
        let t = sample();
        assert_eq!(t.len(), 512 * 6);
        let entries: Vec<_> = TarReader::new(&t).collect::<Result<_, _>>().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].name.as_ref(), b"nrtemu/program.bin");
        assert_eq!(entries[1].offset, 1024);
        assert!(entries[1].is_file());
        assert_eq!(
            TarReader::find(&t, "nrtemu/program.bin").unwrap(),
            Some(&b"PROGRAM"[..])
        );
        assert_eq!(TarReader::find(&t, "nrtemu").unwrap(), None);
        assert_eq!(TarReader::find(&[], "x").unwrap(), None);
        // the tar crate writes the checksum as octal digits and a NUL, which the reader accepts
        assert!(parse_octal(&t[148..156]).is_some());
    }

    #[test]
    fn ends_early_and_cut_padding() {
        let t = sample();
        let end = 512 * 4;
        assert!(
            TarReader::find(&t[..end], "nrtemu/program.bin")
                .unwrap()
                .is_some()
        );
        assert!(
            TarReader::find(&t[..end - 505], "nrtemu/program.bin")
                .unwrap()
                .is_some()
        );
        let err = TarReader::find(&t[..end - 506], "nrtemu/program.bin").unwrap_err();
        assert_eq!(
            err.to_string(),
            "tar member at offset 1024: data of 7 bytes runs past the end of the archive (6 \
             bytes left)"
        );
        let err = TarReader::find(&t[..end - 512 - 100], "x").unwrap_err();
        assert!(
            err.to_string()
                .contains("is truncated: 412 bytes left, expected 512")
        );
        // trailing partial zero block is the end
        let mut z = t[..end].to_vec();
        z.extend_from_slice(&[0; 100]);
        assert!(TarReader::find(&z, "neff.json").unwrap().is_some());
    }

    #[test]
    fn malformed_headers() {
        let mut t = sample();
        t[1024 + 10] ^= 1;
        let err = TarReader::find(&t, "neff.json").unwrap_err();
        assert!(matches!(err, TarError::Checksum { offset: 1024, .. }));
        assert!(err.to_string().contains("(corrupt archive)"));
        let mut t = sample();
        t[148] = b'9';
        assert_eq!(
            TarReader::find(&t, "x").unwrap_err().to_string(),
            "tar header at offset 0: checksum field is not octal"
        );
        let mut t = sample();
        t[124] = 0x80;
        assert!(matches!(
            TarReader::find(&t, "x").unwrap_err(),
            TarError::Checksum { .. }
        ));
    }

    #[test]
    fn duplicates_and_skipped_types() {
        let t = write(&[("a", b"1"), ("a", b"2")]).unwrap();
        assert_eq!(
            TarReader::find(&t, "a").unwrap_err().to_string(),
            "tar member 'a' appears twice"
        );
        // turn the second into a pax header: skipped
        let mut t2 = t.clone();
        t2[1024 + 156] = b'x';
        t2[1024 + 148..1024 + 156].fill(b' ');
        let sum: u32 = t2[1024..1536].iter().map(|&c| u32::from(c)).sum();
        t2[1024 + 148..1024 + 156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        assert_eq!(TarReader::find(&t2, "a").unwrap(), Some(&b"1"[..]));
    }

    #[test]
    fn writer_rejects_bad_names() {
        let err = write(&[(&"n".repeat(101), b"")]).unwrap_err();
        assert!(err.to_string().contains("longer than 100 bytes"));
        let err = write(&[("", b"")]).unwrap_err();
        assert!(err.to_string().contains("it is empty"));
        let err = write(&[("a\0b", b"")]).unwrap_err();
        assert!(err.to_string().contains("NUL"));
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "fuzz-style: 6,000 corrupted archives take minutes under Miri; the neff_container fuzz target covers it"
    )]
    fn fuzz_never_panics() {
        let t = sample();
        for i in 0..1536 {
            for flip in [0x01u8, 0x80, 0xFF] {
                let mut c = t.clone();
                c[i] ^= flip;
                let _ = TarReader::find(&c, "nrtemu/program.bin");
            }
        }
        for n in 0..t.len() {
            let _ = TarReader::find(&t[..n], "nrtemu/program.bin");
        }
    }
}
