//! Legal placements of a NeuronCore Group of a given size (the MIG-like slots).
//!
//! * A group of `s ≤ k` cores (k = cores per chip) sits inside one chip at an offset
//!   that is a multiple of its alignment: the next power of two of `s` when that divides
//!   `k` (so on an 8-core chip: 1 anywhere, 2 at 0/2/4/6, 3 and 4 at 0/4, 5–8 at 0),
//!   else `s` when it divides `k`, else only offset 0.
//! * A group of `s > k` cores must be `m × k` and takes the whole chips of a legal
//!   [`ChipSet`](crate::ChipSet) of `m` chips (see [`crate::Topology`]).
//!
//! Those are the **regular** placements. Under [`Strictness::Prefer`] the planner may
//! also use an **irregular** placement: any contiguous core range whose chips are
//! connected by links (crossing a chip boundary, unaligned, or whole chips that are not
//! a published family). Irregular groups are minimised and flagged in the plan.

use crate::range::CoreRange;
use crate::request::Strictness;
use crate::topology::Topology;

impl Topology {
    /// Start cores of every regular placement of a group of `size` cores, ascending.
    pub(crate) fn regular_starts(&self, size: u32) -> Vec<u32> {
        let k = self.cores_per_chip();
        let n = self.total_cores();
        let mut out = Vec::new();
        if size == 0 || size > n {
            return out;
        }
        if size <= k {
            let a = self.align(size);
            for c in 0..self.chips() {
                let mut o = 0;
                while o + size <= k {
                    out.push(c * k + o);
                    o += a;
                }
            }
        } else if size % k == 0 {
            let m = size / k;
            out.extend(
                self.chip_sets()
                    .iter()
                    .filter(|s| s.count == m)
                    .map(|s| s.first * k),
            );
            out.sort_unstable();
            out.dedup();
        }
        out
    }

    /// Whether `[start, start+size)` is a regular placement.
    pub(crate) fn is_regular(&self, start: u32, size: u32) -> bool {
        let k = self.cores_per_chip();
        if size == 0 || u64::from(start) + u64::from(size) > u64::from(self.total_cores()) {
            return false;
        }
        if size <= k {
            let o = start % k;
            o % self.align(size) == 0 && o + size <= k
        } else {
            size % k == 0
                && start % k == 0
                && self
                    .chip_sets()
                    .iter()
                    .any(|s| s.first == start / k && s.count == size / k)
        }
    }

    /// Whether `[start, start+size)` is an irregular-but-usable placement: inside the
    /// instance, not regular, and its chips connected by links.
    pub(crate) fn is_irregular_ok(&self, start: u32, size: u32) -> bool {
        if size == 0 || u64::from(start) + u64::from(size) > u64::from(self.total_cores()) {
            return false;
        }
        if self.is_regular(start, size) {
            return false;
        }
        let k = self.cores_per_chip();
        self.run_connected(start / k, (start + size - 1) / k)
    }

    /// Every placement of a group of `size` cores allowed under `strictness`,
    /// ascending by start. Regular placements only under [`Strictness::Strict`].
    ///
    /// ```
    /// use ncg_planner::{Strictness, Topology};
    /// let t = Topology::preset("inf1.6xlarge")?; // 4 chips x 4 cores, ring
    /// let starts: Vec<u32> = t
    ///     .placements(2, Strictness::Strict)
    ///     .iter()
    ///     .map(|r| r.start())
    ///     .collect();
    /// assert_eq!(starts, vec![0, 2, 4, 6, 8, 10, 12, 14]);
    /// assert_eq!(t.placements(8, Strictness::Strict).len(), 3); // chips 0-1, 1-2, 2-3
    /// # Ok::<(), ncg_planner::PlanError>(())
    /// ```
    pub fn placements(&self, size: u32, strictness: Strictness) -> Vec<CoreRange> {
        let mut starts = self.regular_starts(size);
        if strictness == Strictness::Prefer && size > 0 && size <= self.total_cores() {
            starts
                .extend((0..=self.total_cores() - size).filter(|&s| self.is_irregular_ok(s, size)));
            starts.sort_unstable();
        }
        starts
            .into_iter()
            .filter_map(|s| CoreRange::new(s, size).ok())
            .collect()
    }

    /// Every regular placement of every legal size: the blocks the fragmentation
    /// objective measures. Returned as `(start, size)`.
    pub(crate) fn legal_blocks(&self) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        for size in self.legal_group_sizes() {
            for s in self.regular_starts(size) {
                v.push((s, size));
            }
        }
        v
    }

    /// Legal sizes under a strictness: regular sizes, plus (Prefer) every size up to the
    /// instance that has at least one irregular placement.
    pub(crate) fn sizes_for(&self, strictness: Strictness) -> Vec<u32> {
        match strictness {
            Strictness::Strict => self.legal_group_sizes(),
            Strictness::Prefer => (1..=self.total_cores())
                .filter(|&s| {
                    !self.regular_starts(s).is_empty()
                        || (0..=self.total_cores() - s).any(|st| self.is_irregular_ok(st, s))
                })
                .collect(),
        }
    }
}
