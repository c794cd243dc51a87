//! The compiler-layout reader (`FORMAT.md` §5): `Neff::parse` then `compiler_layout` and
//! `member_list` on whole files (gzip payloads included), and `CompilerLayout::parse` on the raw
//! bytes as a tar payload. Never panics; an accepted layout keeps its invariants: inputs first,
//! at least one output, unique names, size = element size x dims within 16 GiB.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuron_neff::{CompilerLayout, IoKind, MAX_IO_NDIM, Neff};

fn check(layout: &CompilerLayout) {
    let t = layout.tensors();
    let first_out = t.iter().position(|t| t.kind == IoKind::Output).expect("an output");
    assert!(t[first_out..].iter().all(|t| t.kind == IoKind::Output), "inputs come first");
    for (i, a) in t.iter().enumerate() {
        assert!(!a.name.is_empty() && a.name.len() <= 255);
        assert!(a.shape.len() <= MAX_IO_NDIM);
        let size = a
            .shape
            .iter()
            .try_fold(a.dtype.size_bytes() as u64, |acc, &d| acc.checked_mul(u64::from(d)));
        assert_eq!(size, Some(a.size_bytes));
        assert!(a.size_bytes <= 1 << 34);
        assert!(t[..i].iter().all(|b| b.name != a.name), "duplicate name {}", a.name);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(layout)) = CompilerLayout::parse(data) {
        check(&layout);
    }
    let Ok(neff) = Neff::parse(data) else {
        return;
    };
    let members = neff.member_list();
    match neff.compiler_layout() {
        Ok(Some(layout)) => {
            check(&layout);
            assert!(members.is_ok(), "a layout was read from a payload that does not list");
        }
        Ok(None) => {}
        Err(_) => {}
    }
});
