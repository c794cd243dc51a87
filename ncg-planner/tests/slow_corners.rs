//! The requests that were the slowest of the random stress (`benches/planner_stress.rs`,
//! issue 12) before the pruning of the exact search was tightened. They are too large
//! for the brute-force comparison, so their plans are pinned to the ones the earlier,
//! slower (and equally exhaustive) search chose: a bound that cut a real solution would
//! change them. Time is measured by the bench, never here.

use ncg_planner::{CoreRange, ModelSpec, Plan, PlanRequest, Strictness, Topology};

fn solve(strictness: Strictness, models: &[(u32, u32)], busy: &[(u32, u32)]) -> Plan {
    let topo = Topology::preset_with_lnc("trn2.48xlarge", 1).expect("preset");
    let mut req = PlanRequest::new(topo).strictness(strictness);
    for (i, &(size, replicas)) in models.iter().enumerate() {
        req = req.model(ModelSpec::new(format!("m{i}"), size, replicas));
    }
    req.busy_ranges(
        busy.iter()
            .map(|&(s, c)| CoreRange::new(s, c).expect("range")),
    )
    .solve()
    .expect("plan")
}

#[test]
#[cfg_attr(
    miri,
    ignore = "a search of thousands of nodes per test: too slow under Miri"
)]
fn prefer_odd_sizes_forcing_seven_irregular_groups() {
    let plan = solve(
        Strictness::Prefer,
        &[(6, 12), (3, 10), (5, 2), (1, 1), (1, 1)],
        &[(90, 6)],
    );
    assert_eq!(plan.irregular_groups(), 7);
    assert_eq!(plan.largest_free_block(), 1);
    let expected = "
  chip  0 [AAAAAAAA]
  chip  1 [AAAABBBD]
  chip  2 [AAAAAAAA]
  chip  3 [AAAABBBE]
  chip  4 [AAAAAAAA]
  chip  5 [AAAABBB.]
  chip  6 [AAAAAAAA]
  chip  7 [AAAABBB.]
  chip  8 [AAAAAAAA]
  chip  9 [AAAABBB.]
  chip 10 [CCCCCCCC]
  chip 11 [CC######]
  chip 12 [AAAAAAAA]
  chip 13 [AAAABBB.]
  chip 14 [BBB.BBB.]
  chip 15 [BBB.BBB.]
  legend: A=m0 B=m1 C=m2 D=m3 E=m4 #=busy .=idle
";
    assert_eq!(plan.chip_map().trim(), expected.trim(), "{plan}");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "a search of thousands of nodes per test: too slow under Miri"
)]
fn prefer_with_a_forced_irregular_group_and_no_block_of_three() {
    let plan = solve(
        Strictness::Prefer,
        &[(5, 3), (2, 9), (7, 8), (3, 3), (13, 1)],
        &[(35, 2)],
    );
    assert_eq!(plan.irregular_groups(), 1);
    assert_eq!(plan.largest_free_block(), 2);
    let expected = "
  chip  0 [CCCCCCCE]
  chip  1 [EEEEEEEE]
  chip  2 [EEEEDDD.]
  chip  3 [CCCCCCC.]
  chip  4 [DDD##.BB]
  chip  5 [CCCCCCC.]
  chip  6 [CCCCCCC.]
  chip  7 [CCCCCCC.]
  chip  8 [CCCCCCC.]
  chip  9 [CCCCCCC.]
  chip 10 [CCCCCCC.]
  chip 11 [AAAAA.BB]
  chip 12 [AAAAA.BB]
  chip 13 [AAAAA.BB]
  chip 14 [DDD.BBBB]
  chip 15 [BBBBBB..]
  legend: A=m0 B=m1 C=m2 D=m3 E=m4 #=busy .=idle
";
    assert_eq!(plan.chip_map().trim(), expected.trim(), "{plan}");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "a search of thousands of nodes per test: too slow under Miri"
)]
fn strict_whole_chip_groups_leave_one_chip_free() {
    let plan = solve(
        Strictness::Strict,
        &[(5, 9), (1, 8), (6, 5), (7, 1), (2, 4)],
        &[],
    );
    assert_eq!(plan.irregular_groups(), 0);
    assert_eq!(plan.largest_free_block(), 8);
    let expected = "
  chip  0 [DDDDDDDB]
  chip  1 [CCCCCCEE]
  chip  2 [CCCCCCEE]
  chip  3 [CCCCCCEE]
  chip  4 [CCCCCCEE]
  chip  5 [CCCCCCBB]
  chip  6 [AAAAABBB]
  chip  7 [AAAAABB.]
  chip  8 [AAAAA...]
  chip  9 [AAAAA...]
  chip 10 [AAAAA...]
  chip 11 [AAAAA...]
  chip 12 [AAAAA...]
  chip 13 [AAAAA...]
  chip 14 [AAAAA...]
  chip 15 [........]
  legend: A=m0 B=m1 C=m2 D=m3 E=m4 #=busy .=idle
";
    assert_eq!(plan.chip_map().trim(), expected.trim(), "{plan}");
}
