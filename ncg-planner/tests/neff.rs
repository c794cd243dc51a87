//! `ModelSpec::from_neff_header` on a 1024-byte header built by hand (offsets from
//! hardware-and-env.md §9).

use ncg_planner::{ModelSpec, PlanError, PlanRequest, Topology};

fn header(name: &str, num_tpb: u32, lnc: u32) -> Vec<u8> {
    let mut b = vec![0u8; 1024];
    b[0x000..0x008].copy_from_slice(&1u64.to_le_bytes()); // pkg_version
    b[0x008..0x010].copy_from_slice(&1024u64.to_le_bytes()); // header_size
    b[0x010..0x018].copy_from_slice(&0u64.to_le_bytes()); // data_size
    b[0x018..0x020].copy_from_slice(&2u64.to_le_bytes()); // neff_version_major
    b[0x0A8..0x0AC].copy_from_slice(&num_tpb.to_le_bytes()); // num_tpb
    b[0x0DC..0x0DC + name.len()].copy_from_slice(name.as_bytes()); // name, NUL terminated
    b[0x228..0x22C].copy_from_slice(&lnc.to_le_bytes()); // lnc_size
    b
}

#[test]
fn model_from_hand_built_header() {
    let m = ModelSpec::from_neff_header(&header("llama-8b", 4, 2), 3).unwrap();
    assert_eq!(
        (m.name(), m.compiled_cores(), m.replicas(), m.lnc()),
        ("llama-8b", 4, 3, Some(2))
    );
    let plan = PlanRequest::new(Topology::preset("trn2.48xlarge").unwrap())
        .model(m)
        .solve()
        .unwrap();
    assert_eq!(plan.workers().len(), 3);
    assert!(
        plan.workers()
            .iter()
            .all(|w| w.cores.count() == 4 && w.model == "llama-8b")
    );
}

#[test]
fn lnc_mismatch_is_refused() {
    let m = ModelSpec::from_neff_header(&header("bert", 1, 2), 1).unwrap();
    let err = PlanRequest::new(Topology::preset_with_lnc("trn2.48xlarge", 1).unwrap())
        .model(m)
        .solve()
        .unwrap_err()
        .to_string();
    for part in [
        "model `bert` was compiled for LNC 2",
        "trn2.48xlarge (LNC 1) runs at LNC 1",
        "-lnc 1",
    ] {
        assert!(err.contains(part), "{err:?} lacks {part:?}");
    }
}

#[test]
fn bad_header_is_reported() {
    let err = ModelSpec::from_neff_header(&[0u8; 100], 1).unwrap_err();
    assert!(matches!(err, PlanError::Neff { .. }));
    assert!(
        err.to_string().starts_with("cannot read the NEFF header: "),
        "{err}"
    );
    let mut unterminated = header("x", 1, 1);
    unterminated[0x0DC..0x0DC + 256].fill(b'a');
    assert!(ModelSpec::from_neff_header(&unterminated, 1).is_err());
}
