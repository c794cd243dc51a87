//! [`CoreRange`]: a non-empty, contiguous run of global NeuronCore ids.

use std::fmt;
use std::ops::Range;

use crate::error::PlanError;

/// A non-empty, contiguous run of **global** NeuronCore ids `start .. start + count`.
///
/// Global ids are zero-based across the whole instance and device-major: with `k`
/// cores per chip, chip `d` owns cores `d*k .. d*k + k` (reference
/// `hardware-and-env.md` §5). This is exactly the shape `NEURON_RT_VISIBLE_CORES`
/// accepts as one range, and the type neuron-rt reuses for its NeuronCore Groups.
///
/// `Display` renders the canonical `NEURON_RT_VISIBLE_CORES` form: `a-b` (inclusive)
/// or `a` for a single core.
///
/// ```
/// use ncg_planner::CoreRange;
/// let r = CoreRange::new(4, 4)?;
/// assert_eq!((r.start(), r.count(), r.end()), (4, 4, 8));
/// assert_eq!(r.to_string(), "4-7");
/// assert_eq!(CoreRange::new(9, 1)?.to_string(), "9");
/// assert!(r.contains(7) && !r.contains(8));
/// assert!(r.overlaps(&CoreRange::new(7, 2)?));
/// assert!(CoreRange::new(0, 0).is_err());
/// # Ok::<(), ncg_planner::PlanError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CoreRange {
    start: u32,
    count: u32,
}

impl CoreRange {
    /// A range of `count` cores starting at global id `start`.
    ///
    /// # Errors
    /// [`PlanError::EmptyCoreRange`] if `count` is 0, [`PlanError::CoreRangeOverflow`]
    /// if the last id would not fit in a `u32`.
    pub fn new(start: u32, count: u32) -> Result<Self, PlanError> {
        if count == 0 {
            return Err(PlanError::EmptyCoreRange { start });
        }
        if start.checked_add(count).is_none() {
            return Err(PlanError::CoreRangeOverflow { start, count });
        }
        Ok(Self { start, count })
    }

    /// The inclusive range `first ..= last`, as written in `NEURON_RT_VISIBLE_CORES=first-last`.
    ///
    /// # Errors
    /// [`PlanError::EmptyCoreRange`] if `last < first`.
    pub fn inclusive(first: u32, last: u32) -> Result<Self, PlanError> {
        if last < first {
            return Err(PlanError::EmptyCoreRange { start: first });
        }
        // last - first + 1 cannot overflow unless first == 0 && last == u32::MAX.
        let count = (last - first)
            .checked_add(1)
            .ok_or(PlanError::CoreRangeOverflow {
                start: first,
                count: u32::MAX,
            })?;
        Self::new(first, count)
    }

    /// First global core id.
    pub fn start(&self) -> u32 {
        self.start
    }

    /// Number of cores (never 0).
    pub fn count(&self) -> u32 {
        self.count
    }

    /// One past the last core id (exclusive end).
    pub fn end(&self) -> u32 {
        // Checked at construction.
        self.start + self.count
    }

    /// Last core id (inclusive).
    pub fn last(&self) -> u32 {
        self.end() - 1
    }

    /// Whether global core `core` is in this range.
    pub fn contains(&self, core: u32) -> bool {
        core >= self.start && core < self.end()
    }

    /// Whether the two ranges share at least one core.
    pub fn overlaps(&self, other: &CoreRange) -> bool {
        self.start < other.end() && other.start < self.end()
    }

    /// The ids as a standard range.
    pub fn as_range(&self) -> Range<u32> {
        self.start..self.end()
    }

    /// Iterator over the global core ids.
    pub fn iter(&self) -> Range<u32> {
        self.as_range()
    }
}

impl fmt::Display for CoreRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 1 {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.last())
        }
    }
}

impl std::str::FromStr for CoreRange {
    type Err = PlanError;

    /// Parses `a` or `a-b` (inclusive), the `NEURON_RT_VISIBLE_CORES` range syntax.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| PlanError::InvalidCoreRangeSyntax {
            text: s.to_string(),
            reason: reason.to_string(),
        };
        let t = s.trim();
        let parse = |x: &str| -> Result<u32, PlanError> {
            x.trim()
                .parse::<u32>()
                .map_err(|_| bad("expected a core id (a non-negative integer)"))
        };
        match t.split_once('-') {
            None => CoreRange::new(parse(t)?, 1),
            Some((a, b)) => {
                let (a, b) = (parse(a)?, parse(b)?);
                if b < a {
                    return Err(bad("the last core id is smaller than the first"));
                }
                CoreRange::inclusive(a, b)
            }
        }
    }
}

/// Merges ranges into sorted, disjoint, non-adjacent runs.
pub(crate) fn normalize(mut ranges: Vec<CoreRange>) -> Vec<CoreRange> {
    ranges.sort();
    let mut out: Vec<CoreRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        if let Some(last) = out.last_mut() {
            if r.start <= last.end() {
                let end = last.end().max(r.end());
                last.count = end - last.start;
                continue;
            }
        }
        out.push(r);
    }
    out
}

/// Runs of `true` in `mask` as ranges.
pub(crate) fn runs(mask: &[bool]) -> Vec<CoreRange> {
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < mask.len() {
        if mask[i] {
            let s = i;
            while i < mask.len() && mask[i] {
                i += 1;
            }
            // Lengths are bounded by the topology size (≤ MAX_TOTAL_CORES).
            out.push(CoreRange {
                start: s as u32,
                count: (i - s) as u32,
            });
        } else {
            i += 1;
        }
    }
    out
}
