//! Preset facts against the reference (hardware-and-env.md §1-§5, planner-anchors.md §2).

use ncg_planner::{ChipSet, Interconnect, Strictness, Topology};

const GIB: u64 = 1 << 30;

#[test]
fn every_preset_builds_with_documented_sizes() {
    let expect: &[(&str, u32, u32, u64)] = &[
        ("inf1.xlarge", 1, 4, 8),
        ("inf1.2xlarge", 1, 4, 8),
        ("inf1.6xlarge", 4, 4, 8),
        ("inf1.24xlarge", 16, 4, 8),
        ("inf2.xlarge", 1, 2, 32),
        ("inf2.8xlarge", 1, 2, 32),
        ("inf2.24xlarge", 6, 2, 32),
        ("inf2.48xlarge", 12, 2, 32),
        ("trn1.2xlarge", 1, 2, 32),
        ("trn1.32xlarge", 16, 2, 32),
        ("trn1n.32xlarge", 16, 2, 32),
        ("trn2.48xlarge", 16, 4, 96),
        ("trn2u.48xlarge", 16, 4, 96),
        ("trn2-ultraserver", 16, 4, 96),
    ];
    assert_eq!(
        Topology::presets().len(),
        expect.len() + 1,
        "plus the trn2u-ultraserver alias"
    );
    for &(name, chips, k, gib) in expect {
        let t = Topology::preset(name).unwrap();
        assert_eq!(
            (t.chips(), t.cores_per_chip(), t.memory_per_chip_bytes()),
            (chips, k, gib * GIB),
            "{name}"
        );
        assert_eq!(t.total_cores(), chips * k);
        assert!(!t.source().is_empty());
    }
    assert_eq!(
        Topology::preset("TRN1.32XLARGE").unwrap().name(),
        "trn1.32xlarge"
    );
}

#[test]
fn trn2_lnc() {
    let l1 = Topology::preset_with_lnc("trn2.48xlarge", 1).unwrap();
    let l2 = Topology::preset("trn2.48xlarge").unwrap();
    assert_eq!((l1.total_cores(), l1.lnc()), (128, Some(1)));
    assert_eq!((l2.total_cores(), l2.lnc()), (64, Some(2)));
    assert_eq!(l1.memory_per_core_bytes(), 12 * GIB);
    let us = Topology::preset_with_lnc("trn2-ultraserver", 1).unwrap();
    assert_eq!((us.hosts(), us.total_cores()), (4, 128));
    assert_eq!(Topology::preset("inf2.48xlarge").unwrap().lnc(), None);
}

#[test]
fn torus_neighbour_table_matches_reference() {
    // hardware-and-env.md §3 table: device -> row neighbours, column neighbours.
    let table: [[u32; 4]; 16] = [
        [1, 3, 4, 12],
        [0, 2, 5, 13],
        [1, 3, 6, 14],
        [0, 2, 7, 15],
        [5, 7, 0, 8],
        [4, 6, 1, 9],
        [5, 7, 2, 10],
        [4, 6, 3, 11],
        [9, 11, 4, 12],
        [8, 10, 5, 13],
        [9, 11, 6, 14],
        [8, 10, 7, 15],
        [13, 15, 0, 8],
        [12, 14, 1, 9],
        [13, 15, 2, 10],
        [12, 14, 3, 11],
    ];
    for name in ["trn1.32xlarge", "trn2.48xlarge"] {
        let t = Topology::preset(name).unwrap();
        assert_eq!(t.interconnect(), Interconnect::Torus { rows: 4, cols: 4 });
        for (d, row) in table.iter().enumerate() {
            let mut want = row.to_vec();
            want.sort_unstable();
            assert_eq!(t.neighbours(d as u32), want.as_slice(), "{name} device {d}");
        }
    }
}

#[test]
fn inf2_ring() {
    let t = Topology::preset("inf2.48xlarge").unwrap();
    assert_eq!(t.neighbours(0), &[1, 11]);
    assert_eq!(t.neighbours(11), &[0, 10]);
    assert!(
        t.numa_nodes().iter().all(Option::is_none),
        "NUMA map not documented"
    );
    // Wrap-around sets are adjacent but not id-contiguous: not legal.
    assert!(t.chip_sets().iter().all(|s| s.first + s.count <= 12));
    assert_eq!(t.chip_sets().iter().filter(|s| s.count == 2).count(), 11);
    assert_eq!(
        t.legal_group_sizes(),
        (1..=12).map(|m| 2 * m).fold(vec![1], |mut v, x| {
            v.push(x);
            v
        })
    );
}

#[test]
fn trn1_numa_and_families() {
    let t = Topology::preset("trn1.32xlarge").unwrap();
    let node0 = [0, 1, 4, 5, 8, 9, 12, 13];
    for d in 0..16 {
        assert_eq!(
            t.numa_of_chip(d),
            Some(if node0.contains(&d) { 0 } else { 1 }),
            "device {d}"
        );
    }
    let sets: Vec<ChipSet> = t.chip_sets().to_vec();
    let want = [(0, 4), (4, 4), (8, 4), (12, 4), (0, 8), (8, 8), (0, 16)];
    assert_eq!(sets.len(), want.len());
    for (f, c) in want {
        assert!(sets.contains(&ChipSet { first: f, count: c }), "{f}+{c}");
    }
    assert_eq!(
        t.legal_group_sizes(),
        vec![1, 2, 8, 16, 32],
        "matches NxD trn1 degrees"
    );
}

#[test]
fn trn2_families_include_aligned_pairs() {
    let t = Topology::preset("trn2.48xlarge").unwrap();
    assert_eq!(t.legal_group_sizes(), vec![1, 2, 3, 4, 8, 16, 32, 64]);
    let pairs: Vec<u32> = t
        .chip_sets()
        .iter()
        .filter(|s| s.count == 2)
        .map(|s| s.first)
        .collect();
    assert_eq!(pairs, vec![0, 2, 4, 6, 8, 10, 12, 14]);
}

#[test]
fn aligned_in_chip_slots() {
    let t = Topology::preset_with_lnc("trn2.48xlarge", 1).unwrap();
    let starts = |s: u32| -> Vec<u32> {
        t.placements(s, Strictness::Strict)
            .iter()
            .filter(|r| r.start() < 8)
            .map(|r| r.start())
            .collect()
    };
    assert_eq!(starts(1), (0..8).collect::<Vec<_>>());
    assert_eq!(starts(2), vec![0, 2, 4, 6]);
    assert_eq!(starts(3), vec![0, 4]);
    assert_eq!(starts(4), vec![0, 4]);
    assert_eq!(starts(5), vec![0]);
    assert_eq!(starts(8), vec![0]);
    // Irregular placements exist only under Prefer.
    assert!(t.placements(9, Strictness::Strict).is_empty());
    assert!(!t.placements(9, Strictness::Prefer).is_empty());
    // Non-power-of-two chip: 6 cores, size 3 at 0 and 3.
    let c = Topology::custom("six", 1, 6).build().unwrap();
    let s3: Vec<u32> = c
        .placements(3, Strictness::Strict)
        .iter()
        .map(|r| r.start())
        .collect();
    assert_eq!(s3, vec![0, 3]);
}

#[test]
fn chip_of_core_and_bounds() {
    let t = Topology::preset("inf2.24xlarge").unwrap();
    assert_eq!(t.chip_of_core(0), Some(0));
    assert_eq!(t.chip_of_core(11), Some(5));
    assert_eq!(t.chip_of_core(12), None);
    assert_eq!(t.neighbours(99), &[] as &[u32]);
    assert_eq!(t.numa_of_chip(99), None);
}

#[test]
fn custom_derives_connected_runs() {
    let t = Topology::custom("line", 4, 2)
        .links([(0, 1), (1, 2)])
        .build()
        .unwrap();
    let sets: Vec<(u32, u32)> = t.chip_sets().iter().map(|s| (s.first, s.count)).collect();
    assert_eq!(sets, vec![(0, 2), (1, 2), (0, 3)], "chip 3 is not linked");
    assert!(
        t.to_string()
            .contains("line: 4 chip(s) x 2 cores = 8 cores")
    );
}
