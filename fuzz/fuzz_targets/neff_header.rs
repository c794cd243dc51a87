//! `NeffHeader::parse` on arbitrary bytes (the whole file: the size checks use its length).
//! Never panics; an accepted header serialises back to the bytes it came from (when its name is
//! UTF-8 and NUL padded) and re-parses to the same fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuron_neff::{HEADER_SIZE, NeffHeader};

fuzz_target!(|data: &[u8]| {
    let Ok(header) = NeffHeader::parse(data) else {
        return;
    };
    // Every accessor is total on an accepted header.
    let _ = (
        header.core_count(),
        header.lnc_size(),
        header.name(),
        header.build_version(),
    );
    let _ = header.check_lnc(1);
    let _ = header.check_lnc(2);

    let written = header.to_bytes();
    let name_field = &data[0x0DC..0x0DC + 256];
    let nul = name_field
        .iter()
        .position(|&c| c == 0)
        .expect("parse checked the NUL");
    let canonical_name = std::str::from_utf8(&name_field[..nul]).is_ok()
        && name_field[nul..].iter().all(|&c| c == 0);
    if canonical_name {
        assert_eq!(
            &written[..],
            &data[..HEADER_SIZE],
            "to_bytes must round-trip"
        );
    }
    let mut file = written.to_vec();
    file.extend_from_slice(&data[HEADER_SIZE..]);
    let again = NeffHeader::parse(&file).expect("a written header must parse");
    assert_eq!(
        NeffHeader {
            name: String::new(),
            ..again.clone()
        },
        NeffHeader {
            name: String::new(),
            ..header.clone()
        },
        "re-parsed fields differ"
    );
    if canonical_name {
        assert_eq!(again, header);
    }
});
