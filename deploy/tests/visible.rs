//! What a worker accepts in `NEURON_RT_VISIBLE_CORES` (read with `neuron_rt::launch`):
//! Ray's comma lists round-trip to the plan's ranges; non-contiguous sets are refused.

use ncg_planner::CoreRange;
use neuron_rt::launch::parse_visible_cores;
use neuron_rt_deploy::visible::comma_list;

#[test]
fn ray_comma_lists_round_trip_to_plan_ranges() {
    for (start, count) in [(0, 1), (4, 2), (8, 4), (30, 2)] {
        let r = CoreRange::new(start, count).unwrap();
        let list = comma_list(r);
        assert_eq!(parse_visible_cores(&list).unwrap(), r, "{list}");
        // Ray's order is not guaranteed.
        let reversed: Vec<&str> = list.split(',').rev().collect();
        assert_eq!(parse_visible_cores(&reversed.join(",")).unwrap(), r);
    }
}

#[test]
fn non_contiguous_sets_are_refused_naming_what_was_given() {
    let msg = parse_visible_cores("0,2").unwrap_err().to_string();
    assert!(msg.contains("not contiguous"), "{msg}");
    assert!(msg.contains("needs one contiguous run"), "{msg}");
    assert!(msg.contains("\"0,2\""), "{msg}");
}
