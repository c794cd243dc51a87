//! The worker side of `NEURON_RT_VISIBLE_CORES`: parse what the cluster engine hands
//! over and insist on contiguous cores.
//!
//! Ray writes the cores it assigned to an actor as a comma list (`4,5`), in any order
//! and with no contiguity guarantee; the Neuron device plugin writes what the scheduler
//! extension chose. The runtime needs one contiguous run, so a worker accepts any
//! spelling of a contiguous set (`4-5`, `4,5`, `5,4`, `4-4,5`) and refuses the rest
//! with [`DeployError::NotContiguous`] before the runtime fails with a less helpful
//! message.

use ncg_planner::CoreRange;

use crate::DeployError;

/// Parse a `NEURON_RT_VISIBLE_CORES` value into one contiguous range.
///
/// ```
/// use neuron_rt_deploy::visible::parse_visible_cores;
/// assert_eq!(parse_visible_cores("5,4")?.to_string(), "4-5");
/// assert_eq!(parse_visible_cores("8-9,10")?.to_string(), "8-10");
/// let err = parse_visible_cores("1,3").unwrap_err().to_string();
/// assert!(err.contains("needs contiguous NeuronCores"));
/// assert!(err.contains("`1,3`"));
/// # Ok::<(), neuron_rt_deploy::DeployError>(())
/// ```
///
/// # Errors
/// [`DeployError::VisibleCoresSyntax`] for text that is not ids/ranges (or lists a core
/// twice), [`DeployError::NotContiguous`] for a set with a gap.
pub fn parse_visible_cores(value: &str) -> Result<CoreRange, DeployError> {
    let bad = |reason: String| DeployError::VisibleCoresSyntax {
        given: value.to_string(),
        reason,
    };
    let mut cores: Vec<u32> = Vec::new();
    for piece in value.split(',') {
        let piece = piece.trim();
        if piece.is_empty() {
            return Err(bad("an empty item between commas".into()));
        }
        let r: CoreRange = piece.parse().map_err(|e| bad(format!("`{piece}`: {e}")))?;
        if r.count() > 4096 {
            return Err(bad(format!("`{piece}` spans {} cores", r.count())));
        }
        cores.extend(r.iter());
    }
    cores.sort_unstable();
    if let Some(w) = cores.windows(2).find(|w| w[0] == w[1]) {
        return Err(bad(format!("core {} is listed twice", w[0])));
    }
    let (first, last) = match (cores.first(), cores.last()) {
        (Some(&f), Some(&l)) => (f, l),
        _ => return Err(bad("no core ids".into())),
    };
    if (last - first) as usize + 1 != cores.len() {
        return Err(DeployError::NotContiguous {
            given: value.to_string(),
            cores: cores
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(","),
        });
    }
    Ok(CoreRange::inclusive(first, last)?)
}

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
