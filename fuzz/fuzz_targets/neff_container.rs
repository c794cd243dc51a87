//! `Neff::parse` and everything a reader does with the payload next: the tar members, one member
//! by name, the emulator program and the hash check. Never panics; the member list and the
//! by-name lookup agree (same validity, same data, a duplicate name rejected).
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuron_neff::{Neff, PROGRAM_MEMBER};

fuzz_target!(|data: &[u8]| {
    let Ok(neff) = Neff::parse(data) else {
        return;
    };
    let _ = neff.hash_check();
    let lookup = neff.member(PROGRAM_MEMBER);
    match neff.members() {
        // The lookup walks the same archive: it fails whenever the listing does.
        Err(_) => assert!(lookup.is_err(), "the listing failed but the lookup did not"),
        Ok(list) => {
            let files: Vec<&[u8]> = list
                .iter()
                .filter(|m| m.is_file() && m.name.as_ref() == PROGRAM_MEMBER.as_bytes())
                .map(|m| m.data)
                .collect();
            match (files.as_slice(), lookup) {
                ([], Ok(None)) => {}
                ([only], Ok(Some(found))) => assert_eq!(*only, found),
                ([_, _, ..], Err(_)) => {} // a duplicate name is malformed
                (files, lookup) => panic!(
                    "{} listed '{PROGRAM_MEMBER}' files but the lookup gave {:?}",
                    files.len(),
                    lookup.map(|b| b.map(<[u8]>::len))
                ),
            }
        }
    }
    if let Ok(Some(program)) = neff.program() {
        let _ = program.encode();
    }
});
