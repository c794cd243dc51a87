//! `NEURON_RT_VISIBLE_CORES` in Ray's spelling.
//!
//! Ray writes the cores it assigned to an actor as a comma list (`4,5`), with no
//! contiguity guarantee. Reading it on the worker side (accepting any spelling of a
//! contiguous set, refusing a set with a gap) is `neuron_rt::launch::parse_visible_cores`,
//! which `neuron-rt-worker` uses through `neuron_rt::launch::open_worker_device`.

use ncg_planner::CoreRange;

/// Ray's spelling of a range: the ids as a comma list (`4,5,6`).
///
/// ```
/// use ncg_planner::CoreRange;
/// use neuron_rt_deploy::visible::comma_list;
/// assert_eq!(comma_list(CoreRange::new(4, 3)?), "4,5,6");
/// # Ok::<(), ncg_planner::PlanError>(())
/// ```
pub fn comma_list(range: CoreRange) -> String {
    range
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}
