//! Exact search for the best placement of all groups at once.
//!
//! # Objective (lexicographic)
//! 1. every group is placed (feasibility);
//! 2. fewest **irregular** groups (crossing a chip boundary, unaligned, or on whole
//!    chips that are not a legal device set; always 0 under `Strict`);
//! 3. largest **free legal block** left: the biggest regular placement (of any legal
//!    size) whose cores are all neither busy nor assigned;
//! 4. least **NUMA imbalance**: `max − min` over the topology's known NUMA nodes of the
//!    cores assigned to the planned workers (skipped when fewer than two nodes are known);
//! 5. tie-break, "lowest index": reading cores `0, 1, 2, …`, the plan whose sequence of
//!    labels is lexicographically smallest, where a core's label is the rank of the size
//!    class of the group on it (largest groups rank first) and free cores rank last. So
//!    groups are packed from core 0 upward, larger groups first.
//!
//! # Algorithm
//! A depth-first search over core ids `0 … N-1`. At core `p` it either places one group
//! of some size class starting at `p` (only at a legal start, only if that range has no
//! busy core) or leaves `p` free. Options are tried in label order, so the first complete
//! solution found is the tie-break minimum among all solutions meeting the constraints.
//!
//! The objective is reached by a sequence of constrained searches, each one "find the
//! first solution (in label order) with at most `C` irregular groups, a free legal block
//! of at least `T` cores and NUMA imbalance at most `M`": `C` is the fewest found
//! by binary search, then `T` steps up through the legal block sizes from the block of
//! the plan in hand (successes are cheap, so at most one exhaustive failing proof),
//! then `M` rises from a lower bound; the first success at
//! each level fixes that criterion (and a found solution that already meets a bound skips
//! the remaining levels). Every search is exhaustive, so the result is exact.
//!
//! Speed comes from:
//! * **symmetry**: groups of one size are interchangeable, so the state holds the
//!   multiset of groups still to place (a mixed-radix integer), not which worker is which;
//! * **memoisation of failures**: a state (position, remaining multiset, open free run,
//!   block reached, NUMA usage) that could not be completed is never explored again
//!   with the same or a smaller irregular budget, nor while still looking for a block
//!   if it failed with the block reached; block-independent failures are kept across
//!   the staged searches;
//! * **bounds**: remaining cores must fit in the free cores ahead; each size class
//!   alone must fit its disjoint placements ahead, and the groups beyond its disjoint
//!   regular placements count against the irregular budget; groups of size ≥ `s` fit
//!   ⌊len / s⌋ per free run; aligned slot starts (see `slots_suffice`) bound the
//!   regular groups and the free block together; a block of `T` cores must still be
//!   completable with the spare cores; the NUMA imbalance lower bound must not
//!   exceed `M`;
//! * **legal starts only**: regular groups start only at aligned offsets.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::PlanError;
use crate::request::Strictness;
use crate::topology::{MAX_NUMA_NODES, Topology};

/// A small, fast, deterministic hasher (multiply-rotate) for the memo keys.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u128(&mut self, x: u128) {
        self.write_u64(x as u64);
        self.write_u64((x >> 64) as u64);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    ms: u128,
    meta: u64,
    numa: u128,
    /// Device memory already used on the chip of the current position.
    mem: u64,
}

/// One size class of interchangeable groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Class {
    pub size: u32,
    pub count: u32,
    /// Device memory each group needs, bytes (0 = not given).
    pub memory: u64,
}

/// What to solve.
pub(crate) struct Problem<'a> {
    pub topo: &'a Topology,
    /// Busy cores (length = total cores).
    pub busy: &'a [bool],
    /// Size classes, sorted by (size, memory) descending (rank order), pairs distinct.
    pub classes: Vec<Class>,
    pub strictness: Strictness,
}

/// The chosen placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Solution {
    /// Per class: ascending `(start, irregular)`.
    pub starts: Vec<Vec<(u32, bool)>>,
    pub irregular: u32,
    pub largest_block: u32,
    pub numa_imbalance: Option<u32>,
}

const NONE: u32 = u32::MAX;

/// The bit of [`Key::meta`] set once the free block target is reached.
const GOT_BIT: u64 = 1 << 22;

/// A solution path: (start, class, irregular) per group.
type Path = Vec<(u32, usize, bool)>;

struct Search<'a> {
    n: u32,
    blocked: &'a [bool],
    free_ahead: Vec<u32>,
    sizes: Vec<u32>,
    radix: Vec<u128>,
    counts: Vec<u32>,
    /// Options per start: (class, irregular), class ascending.
    opts: Vec<Vec<(usize, bool)>>,
    // Block target.
    target: u32,
    ends_max_start: Vec<u32>,
    /// Per position: (start, end) of open blocks (start < p < end), start ascending.
    open: Vec<Vec<(u32, u32)>>,
    fut_min: Vec<u32>,
    /// Per slot level (as in `slot_levels`), per position `p`: the fewest slot starts
    /// covered by a target block starting at or after `p` (NONE: no such block).
    fut_slots: Vec<Vec<u32>>,
    // NUMA.
    numa_nodes: usize,
    node_of: Vec<Option<u8>>,
    /// free_ahead per node: index p * numa_nodes + j.
    node_free_ahead: Vec<u32>,
    used: [u32; MAX_NUMA_NODES],
    max_imbalance: u32,
    all_known: bool,
    // Device memory (only when some class gives a need).
    track_mem: bool,
    k: u32,
    mem_cap: u64,
    class_mem: Vec<u64>,
    chip_used: Vec<u64>,
    /// Memoised failures: per state (without the irregular budget), the largest
    /// irregular budget with which it was proven to have no completion. A smaller
    /// budget only removes options, so it fails too (dominance on the budget).
    failed: HashMap<Key, u32, BuildHasherDefault<FastHasher>>,
    path: Vec<(u32, usize, bool)>,
    // Bounds on what can still be placed.
    /// Per class, per position `p`: the most disjoint placements of that class alone
    /// starting at or after `p`, any placement this search allows / regular ones only.
    fit_ahead: Vec<Vec<u32>>,
    regular_ahead: Vec<Vec<u32>>,
    /// Per position: one past the end of the free run holding it (= p when busy).
    run_end: Vec<u32>,
    /// Per position: index of the first free run starting after `run_end`.
    next_run: Vec<usize>,
    /// Per class, per run index: Σ over runs from that index of ⌊len / size⌋, the most
    /// groups of at least that size the later runs can hold.
    runs_cap: Vec<Vec<u32>>,
    /// Slot levels (only when the cores per chip are a power of two): per slot size `g`
    /// (`k, k/2, …, 2`), the number of slot starts (multiples of `g`) at or after each
    /// position whose core is not busy.
    slot_levels: Vec<(u32, Vec<u32>)>,
}

impl<'a> Search<'a> {
    fn new(p: &Problem<'a>, allow_irregular: bool) -> Result<Self, PlanError> {
        let topo = p.topo;
        let n = topo.total_cores();
        let nu = n as usize;
        let blocked = p.busy;
        let mut prefix = vec![0u32; nu + 1];
        for i in 0..nu {
            prefix[i + 1] = prefix[i] + u32::from(blocked[i]);
        }
        let clear = |s: u32, size: u32| prefix[(s + size) as usize] == prefix[s as usize];
        let mut free_ahead = vec![0u32; nu + 1];
        for i in (0..nu).rev() {
            free_ahead[i] = free_ahead[i + 1] + u32::from(!blocked[i]);
        }
        let mut opts: Vec<Vec<(usize, bool)>> = vec![Vec::new(); nu];
        let mut radix = Vec::with_capacity(p.classes.len());
        let mut acc: u128 = 1;
        for (ci, c) in p.classes.iter().enumerate() {
            radix.push(acc);
            acc = acc
                .checked_mul(u128::from(c.count) + 1)
                .ok_or_else(|| PlanError::TooLarge {
                    reason: "too many distinct group sizes and counts for the state encoding"
                        .into(),
                })?;
            for s in topo.regular_starts(c.size) {
                if clear(s, c.size) {
                    opts[s as usize].push((ci, false));
                }
            }
            if allow_irregular && c.size <= n {
                for s in 0..=(n - c.size) {
                    if clear(s, c.size) && topo.is_irregular_ok(s, c.size) {
                        opts[s as usize].push((ci, true));
                    }
                }
            }
        }
        for o in &mut opts {
            o.sort_unstable();
        }
        let fit_ahead = disjoint_ahead(&opts, &p.classes, |_| true);
        let regular_ahead = disjoint_ahead(&opts, &p.classes, |irr| !irr);
        // Free runs (maximal stretches of cores that are not busy).
        let mut runs: Vec<(u32, u32)> = Vec::new();
        let mut i = 0u32;
        while i < n {
            if blocked[i as usize] {
                i += 1;
                continue;
            }
            let st = i;
            while i < n && !blocked[i as usize] {
                i += 1;
            }
            runs.push((st, i));
        }
        let mut run_end = vec![0u32; nu + 1];
        let mut next_run = vec![runs.len(); nu + 1];
        for q in 0..=n {
            run_end[q as usize] = q;
        }
        for (ri, &(st, en)) in runs.iter().enumerate() {
            for q in st..en {
                run_end[q as usize] = en;
                next_run[q as usize] = ri + 1;
            }
        }
        // Busy positions: the next run is the first starting after them.
        let mut nxt = runs.len();
        for q in (0..nu).rev() {
            if blocked[q] {
                next_run[q] = nxt;
            } else if let Some(ri) = runs.iter().position(|&(st, _)| st == q as u32) {
                nxt = ri;
            }
        }
        let runs_cap: Vec<Vec<u32>> = p
            .classes
            .iter()
            .map(|c| {
                let mut v = vec![0u32; runs.len() + 1];
                for ri in (0..runs.len()).rev() {
                    let (st, en) = runs[ri];
                    v[ri] = v[ri + 1] + (en - st) / c.size.max(1);
                }
                v
            })
            .collect();
        // NUMA.
        let mut nodes: Vec<u32> = topo.numa_nodes().iter().flatten().copied().collect();
        nodes.sort_unstable();
        nodes.dedup();
        let numa_nodes = if nodes.len() >= 2 {
            nodes.len().min(MAX_NUMA_NODES)
        } else {
            0
        };
        let k = topo.cores_per_chip();
        let node_of: Vec<Option<u8>> = (0..n)
            .map(|c| {
                if numa_nodes == 0 {
                    return None;
                }
                topo.numa_of_chip(c / k)
                    .and_then(|x| nodes.binary_search(&x).ok())
                    .map(|i| i as u8)
            })
            .collect();
        let all_known = numa_nodes > 0 && node_of.iter().all(Option::is_some);
        let mut node_free_ahead = vec![0u32; (nu + 1) * numa_nodes];
        for i in (0..nu).rev() {
            for j in 0..numa_nodes {
                node_free_ahead[i * numa_nodes + j] = node_free_ahead[(i + 1) * numa_nodes + j];
            }
            if let Some(j) = node_of[i] {
                if !blocked[i] {
                    node_free_ahead[i * numa_nodes + j as usize] += 1;
                }
            }
        }
        let mut slot_levels = Vec::new();
        if k >= 2 && k.is_power_of_two() {
            let mut g = k;
            while g >= 2 {
                let mut v = vec![0u32; nu + 1];
                for q in (0..nu).rev() {
                    v[q] = v[q + 1] + u32::from((q as u32) % g == 0 && !blocked[q]);
                }
                slot_levels.push((g, v));
                g /= 2;
            }
        }
        Ok(Search {
            n,
            blocked,
            free_ahead,
            sizes: p.classes.iter().map(|c| c.size).collect(),
            radix,
            counts: p.classes.iter().map(|c| c.count).collect(),
            opts,
            target: 0,
            ends_max_start: vec![NONE; nu + 1],
            open: vec![Vec::new(); nu + 1],
            fut_min: vec![NONE; nu + 1],
            fut_slots: Vec::new(),
            numa_nodes,
            node_of,
            node_free_ahead,
            used: [0; MAX_NUMA_NODES],
            max_imbalance: u32::MAX,
            all_known,
            track_mem: p.classes.iter().any(|c| c.memory > 0),
            k,
            mem_cap: topo.memory_per_chip_bytes(),
            class_mem: p.classes.iter().map(|c| c.memory).collect(),
            chip_used: vec![0; topo.chips() as usize],
            failed: HashMap::default(),
            path: Vec::new(),
            fit_ahead,
            regular_ahead,
            run_end,
            next_run,
            runs_cap,
            slot_levels,
        })
    }

    /// Set the block target `t` (0 = none) from the legal blocks free of busy cores.
    fn set_target(&mut self, t: u32, blocks: &[(u32, u32)]) {
        let nu = self.n as usize;
        self.target = t;
        // Failures of states still looking for a block depend on the target; those
        // past it (`got`) do not and stay valid.
        self.failed.retain(|k, _| k.meta & GOT_BIT != 0);
        self.ends_max_start = vec![NONE; nu + 1];
        self.open = vec![Vec::new(); nu + 1];
        self.fut_min = vec![NONE; nu + 1];
        self.fut_slots = vec![vec![NONE; nu + 1]; self.slot_levels.len()];
        if t == 0 {
            return;
        }
        for &(s, size) in blocks {
            if size < t {
                continue;
            }
            let e = s + size;
            let m = &mut self.ends_max_start[e as usize];
            *m = if *m == NONE { s } else { (*m).max(s) };
            for q in s + 1..e {
                self.open[q as usize].push((s, e));
            }
            let f = &mut self.fut_min[s as usize];
            *f = (*f).min(size);
            for (li, &(g, _)) in self.slot_levels.iter().enumerate() {
                let f = &mut self.fut_slots[li][s as usize];
                *f = (*f).min(slot_starts_in(g, s, e));
            }
        }
        for o in &mut self.open {
            o.sort_unstable();
        }
        for i in (0..nu).rev() {
            self.fut_min[i] = self.fut_min[i].min(self.fut_min[i + 1]);
            for f in &mut self.fut_slots {
                f[i] = f[i].min(f[i + 1]);
            }
        }
    }

    /// Prepare a run. Failures proven by earlier runs stay valid (they hold for any
    /// irregular budget up to the recorded one) unless the NUMA limit changes.
    fn reset(&mut self, max_imbalance: u32) {
        if max_imbalance != self.max_imbalance {
            self.failed.clear();
        }
        self.path.clear();
        self.used = [0; MAX_NUMA_NODES];
        self.chip_used.iter_mut().for_each(|u| *u = 0);
        self.max_imbalance = max_imbalance;
    }

    /// Per chip touched by a group of class `ci` at `start`: (chip, bytes), the need
    /// split over the chips in proportion to the group's cores on each (rounded up).
    fn mem_shares(&self, start: u32, ci: usize) -> impl Iterator<Item = (usize, u64)> + use<> {
        let (k, size, need) = (self.k, self.sizes[ci], self.class_mem[ci]);
        let end = start + size;
        (start / k..=(end - 1) / k).map(move |c| {
            let cores = end.min((c + 1) * k) - start.max(c * k);
            let share = (u128::from(need) * u128::from(cores)).div_ceil(u128::from(size));
            (c as usize, u64::try_from(share).unwrap_or(u64::MAX))
        })
    }

    fn mem_fits(&self, start: u32, ci: usize) -> bool {
        self.mem_shares(start, ci)
            .all(|(c, b)| self.chip_used[c].saturating_add(b) <= self.mem_cap)
    }

    fn add_mem(&mut self, start: u32, ci: usize, sign: bool) {
        let shares: Vec<(usize, u64)> = self.mem_shares(start, ci).collect();
        for (c, b) in shares {
            if sign {
                self.chip_used[c] += b;
            } else {
                self.chip_used[c] -= b;
            }
        }
    }

    fn imbalance(&self) -> u32 {
        let u = &self.used[..self.numa_nodes];
        match (u.iter().max(), u.iter().min()) {
            (Some(a), Some(b)) => a - b,
            _ => 0,
        }
    }

    /// Lower bound on the final NUMA imbalance from position `p` with `rem` cores left.
    fn numa_lb(&self, p: u32, rem: u32) -> u32 {
        let m = self.numa_nodes;
        if m == 0 {
            return 0;
        }
        let base = p as usize * m;
        let mut cur_max = 0;
        let mut reach_min = u32::MAX;
        let mut total = rem;
        for j in 0..m {
            let u = self.used[j];
            cur_max = cur_max.max(u);
            reach_min = reach_min.min(u + self.node_free_ahead[base + j]);
            total += u;
        }
        let lb1 = cur_max.saturating_sub(reach_min);
        let lb2 = if self.all_known {
            u32::from(total % m as u32 != 0)
        } else {
            0
        };
        lb1.max(lb2)
    }

    fn key(&self, p: u32, ms: u128, r: u32, got: bool) -> Key {
        let mut numa: u128 = 0;
        // NUMA usage only matters for the key when the imbalance is constrained.
        let tracked = if self.max_imbalance == u32::MAX {
            0
        } else {
            self.numa_nodes
        };
        for j in 0..tracked {
            numa |= u128::from(self.used[j] as u16) << (16 * j);
        }
        let meta = u64::from(p) | (u64::from(r) << 11) | if got { GOT_BIT } else { 0 };
        let mem = if self.track_mem && p % self.k != 0 {
            self.chip_used[(p / self.k) as usize]
        } else {
            0
        };
        Key {
            ms,
            meta,
            numa,
            mem,
        }
    }

    fn normalize(&self, r: u32, p: u32) -> u32 {
        self.open[p as usize]
            .iter()
            .find(|&&(s, _)| s >= r)
            .map_or(p, |&(s, _)| s)
    }

    fn block_possible(&self, p: u32, r: u32, slack: u32) -> bool {
        let mut need = self.fut_min[p as usize];
        for &(s, e) in &self.open[p as usize] {
            if s >= r {
                need = need.min(e - p);
            }
        }
        need != NONE && need <= slack
    }

    fn add_numa(&mut self, start: u32, size: u32, sign: bool) {
        if self.numa_nodes == 0 {
            return;
        }
        for c in start..start + size {
            if let Some(j) = self.node_of[c as usize] {
                let u = &mut self.used[j as usize];
                if sign {
                    *u += 1;
                } else {
                    *u -= 1;
                }
            }
        }
    }

    /// Necessary conditions on the groups still to place from `p`: each class alone
    /// must fit its disjoint placements ahead, and the groups beyond its disjoint
    /// regular placements are irregular (together at most `irr_left`); for every size
    /// `s`, the groups of size ≥ `s` must fit ⌊len / s⌋ per free run ahead (a group
    /// never spans a busy core).
    fn can_still_place(&self, p: u32, r: u32, got: bool, irr_left: u32) -> bool {
        let mut forced = 0u32;
        let mut at_least = 0u32;
        let (end, next) = (self.run_end[p as usize], self.next_run[p as usize]);
        for ci in 0..self.sizes.len() {
            let c = self.counts[ci];
            if c == 0 {
                continue;
            }
            if c > self.fit_ahead[ci][p as usize] {
                return false;
            }
            forced += self.forced_irregular(ci, p);
            at_least += c;
            let s = self.sizes[ci];
            if at_least > (end - p) / s + self.runs_cap[ci][next] {
                return false;
            }
        }
        if forced > irr_left {
            return false;
        }
        self.slots_suffice(p, r, got, irr_left)
    }

    /// Aligned slots (cores per chip a power of two): for a slot size `g` dividing the
    /// chip, count the free slot starts (multiples of `g`, not busy) ahead of `p`; the
    /// groups still to place cover disjoint ones:
    /// * any group of `s` contiguous cores, regular or not, covers at least ⌊s/g⌋;
    /// * a regular group of `s > g/2` cores starts at a multiple of `g` (its alignment
    ///   is a power of two ≥ `g`, or a chip start), so it covers exactly ⌈s/g⌉: one
    ///   more when `g` does not divide `s`. Making such a group irregular saves at most
    ///   that one slot start, so each missing slot start costs one irregular group, on
    ///   top of the groups already forced to be irregular (no regular placement left);
    /// * a free block still to be left (`!got`) is regular and clear of busy cores, so
    ///   its slot starts ahead are free and covered by no group (the fewest over the
    ///   blocks still possible).
    fn slots_suffice(&self, p: u32, r: u32, got: bool, irr_left: u32) -> bool {
        for (li, (g, ahead)) in self.slot_levels.iter().enumerate() {
            let g = *g;
            let have = ahead[p as usize];
            let mut need = if got {
                0
            } else {
                self.block_slots(li, g, p, r)
            };
            let (mut forced, mut convertible) = (0u32, 0u32);
            for (ci, &s) in self.sizes.iter().enumerate() {
                let c = self.counts[ci];
                need += c * (s / g);
                let f = self.forced_irregular(ci, p);
                forced += f;
                if 2 * s > g && s % g != 0 {
                    need += c - f;
                    convertible += c - f;
                }
            }
            let excess = need.saturating_sub(have);
            if excess > convertible || forced + excess > irr_left {
                return false;
            }
        }
        true
    }

    /// Groups of class `ci` still to place that cannot all be regular: more than its
    /// disjoint regular placements ahead of `p`.
    fn forced_irregular(&self, ci: usize, p: u32) -> u32 {
        self.counts[ci].saturating_sub(self.regular_ahead[ci][p as usize])
    }

    /// The fewest level-`g` slot starts at or after `p` covered by a target block still
    /// possible from `p` (open blocks starting at or after `r`, or blocks ahead); 0 when
    /// none is (the block bound prunes that state).
    fn block_slots(&self, li: usize, g: u32, p: u32, r: u32) -> u32 {
        let mut m = self.fut_slots[li][p as usize];
        for &(s, e) in &self.open[p as usize] {
            if s >= r {
                m = m.min(slot_starts_in(g, p, e));
            }
        }
        if m == NONE { 0 } else { m }
    }

    fn dfs(&mut self, p: u32, ms: u128, rem: u32, r: u32, got: bool, irr_left: u32) -> bool {
        if p == self.n {
            return rem == 0 && got && self.imbalance() <= self.max_imbalance;
        }
        let fa = self.free_ahead[p as usize];
        if rem > fa {
            return false;
        }
        if !self.can_still_place(p, r, got, irr_left) {
            return false;
        }
        if !got && !self.block_possible(p, r, fa - rem) {
            return false;
        }
        if self.numa_lb(p, rem) > self.max_imbalance {
            return false;
        }
        let key = self.key(p, ms, r, got);
        if self.failed_with(&key, irr_left) {
            return false;
        }
        // Leaving a free block is an extra constraint: a state that fails without it
        // (block already reached, `r = p`) fails with it too.
        if !got && self.failed_with(&self.key(p, ms, p, true), irr_left) {
            return false;
        }
        if self.blocked[p as usize] {
            if self.dfs(p + 1, ms, rem, p + 1, got, irr_left) {
                return true;
            }
        } else {
            let nopts = self.opts[p as usize].len();
            for i in 0..nopts {
                let (ci, irr) = self.opts[p as usize][i];
                if self.counts[ci] == 0 || (irr && irr_left == 0) {
                    continue;
                }
                let size = self.sizes[ci];
                if self.track_mem && self.class_mem[ci] > 0 {
                    if !self.mem_fits(p, ci) {
                        continue;
                    }
                    self.add_mem(p, ci, true);
                }
                self.counts[ci] -= 1;
                self.add_numa(p, size, true);
                self.path.push((p, ci, irr));
                let ok = self.dfs(
                    p + size,
                    ms - self.radix[ci],
                    rem - size,
                    p + size,
                    got,
                    irr_left - u32::from(irr),
                );
                if ok {
                    return true;
                }
                self.path.pop();
                self.add_numa(p, size, false);
                self.counts[ci] += 1;
                if self.track_mem && self.class_mem[ci] > 0 {
                    self.add_mem(p, ci, false);
                }
            }
            if rem < fa {
                let q = p + 1;
                let (got2, r2) = if got {
                    (true, q)
                } else {
                    let m = self.ends_max_start[q as usize];
                    if m != NONE && m >= r {
                        (true, q)
                    } else {
                        (false, self.normalize(r, q))
                    }
                };
                if self.dfs(q, ms, rem, r2, got2, irr_left) {
                    return true;
                }
            }
        }
        let b = self.failed.entry(key).or_insert(irr_left);
        *b = (*b).max(irr_left);
        false
    }

    /// Whether `key` is known to fail with an irregular budget of `irr_left` or more.
    fn failed_with(&self, key: &Key, irr_left: u32) -> bool {
        self.failed.get(key).is_some_and(|&b| b >= irr_left)
    }

    /// Run one constrained search; returns the path on success.
    fn run(&mut self, irr_budget: u32, max_imbalance: u32) -> Option<Path> {
        self.reset(max_imbalance);
        let ms: u128 = self
            .counts
            .iter()
            .zip(&self.radix)
            .map(|(&c, &r)| u128::from(c) * r)
            .sum();
        let rem: u32 = self
            .counts
            .iter()
            .zip(&self.sizes)
            .map(|(&c, &s)| c * s)
            .sum();
        let got = self.target == 0;
        let saved = self.counts.clone();
        let ok = self.dfs(0, ms, rem, 0, got, irr_budget);
        self.counts = saved;
        ok.then(|| std::mem::take(&mut self.path))
    }
}

/// Per class, per position `p`: the most pairwise-disjoint placements of that class
/// among `opts` (those whose irregular flag passes `keep`) starting at or after `p`.
/// A DP from the right (skip `q`, or take a placement at `q` and go on after it):
/// exact for one class alone, so a necessary condition for the joint problem.
fn disjoint_ahead(
    opts: &[Vec<(usize, bool)>],
    classes: &[Class],
    keep: impl Fn(bool) -> bool,
) -> Vec<Vec<u32>> {
    let n = opts.len();
    let mut out = vec![vec![0u32; n + 1]; classes.len()];
    for q in (0..n).rev() {
        for v in &mut out {
            v[q] = v[q + 1];
        }
        for &(ci, irr) in &opts[q] {
            if keep(irr) {
                let v = &mut out[ci];
                let with = 1 + v[q + classes[ci].size as usize];
                v[q] = v[q].max(with);
            }
        }
    }
    out
}

/// Number of multiples of `g` in `[a, b)`.
fn slot_starts_in(g: u32, a: u32, b: u32) -> u32 {
    b.div_ceil(g) - a.div_ceil(g)
}

/// Objective values of a concrete occupancy.
pub(crate) fn evaluate(
    topo: &Topology,
    busy: &[bool],
    groups: &[(u32, u32)],
    blocks: &[(u32, u32)],
) -> (u32, Option<u32>) {
    let n = topo.total_cores() as usize;
    let mut used = vec![false; n];
    for &(s, size) in groups {
        for c in s..s + size {
            used[c as usize] = true;
        }
    }
    let free = |c: u32| !busy[c as usize] && !used[c as usize];
    let largest = blocks
        .iter()
        .filter(|&&(s, size)| (s..s + size).all(free))
        .map(|&(_, size)| size)
        .max()
        .unwrap_or(0);
    let mut nodes: Vec<u32> = topo.numa_nodes().iter().flatten().copied().collect();
    nodes.sort_unstable();
    nodes.dedup();
    let imbalance = (nodes.len() >= 2).then(|| {
        let k = topo.cores_per_chip();
        let mut per = vec![0u32; nodes.len()];
        for &(s, size) in groups {
            for c in s..s + size {
                if let Some(j) = topo
                    .numa_of_chip(c / k)
                    .and_then(|x| nodes.binary_search(&x).ok())
                {
                    per[j] += 1;
                }
            }
        }
        per.iter().max().copied().unwrap_or(0) - per.iter().min().copied().unwrap_or(0)
    });
    (largest, imbalance)
}

fn to_solution(p: &Problem<'_>, path: &[(u32, usize, bool)], blocks: &[(u32, u32)]) -> Solution {
    let mut starts: Vec<Vec<(u32, bool)>> = vec![Vec::new(); p.classes.len()];
    let mut groups = Vec::with_capacity(path.len());
    for &(s, ci, irr) in path {
        starts[ci].push((s, irr));
        groups.push((s, p.classes[ci].size));
    }
    for v in &mut starts {
        v.sort_unstable();
    }
    let (largest_block, numa_imbalance) = evaluate(p.topo, p.busy, &groups, blocks);
    Solution {
        starts,
        irregular: path.iter().filter(|x| x.2).count() as u32,
        largest_block,
        numa_imbalance,
    }
}

/// Groups whose size has no regular placement free of busy cores.
fn forced_irregular(p: &Problem<'_>) -> u32 {
    p.classes
        .iter()
        .filter(|c| {
            !p.topo
                .regular_starts(c.size)
                .iter()
                .any(|&s| (s..s + c.size).all(|x| !p.busy[x as usize]))
        })
        .map(|c| c.count)
        .sum()
}

/// Whether the problem has any solution (irregular groups allowed under `Prefer`).
pub(crate) fn feasible(p: &Problem<'_>) -> Result<bool, PlanError> {
    let needed: u64 = p
        .classes
        .iter()
        .map(|c| u64::from(c.size) * u64::from(c.count))
        .sum();
    let free = p.busy.iter().filter(|&&b| !b).count() as u64;
    if needed > free {
        return Ok(false);
    }
    let groups: u32 = p.classes.iter().map(|c| c.count).sum();
    if forced_irregular(p) == 0 {
        let mut s = Search::new(p, false)?;
        if s.run(0, u32::MAX).is_some() {
            return Ok(true);
        }
    }
    if p.strictness == Strictness::Prefer {
        let mut s = Search::new(p, true)?;
        return Ok(s.run(groups, u32::MAX).is_some());
    }
    Ok(false)
}

/// Solve exactly; `Ok(None)` when nothing fits.
pub(crate) fn solve(p: &Problem<'_>) -> Result<Option<Solution>, PlanError> {
    let needed: u64 = p
        .classes
        .iter()
        .map(|c| u64::from(c.size) * u64::from(c.count))
        .sum();
    let free = p.busy.iter().filter(|&&b| !b).count() as u64;
    if needed > free {
        return Ok(None);
    }
    let blocks: Vec<(u32, u32)> = p
        .topo
        .legal_blocks()
        .into_iter()
        .filter(|&(s, size)| (s..s + size).all(|c| !p.busy[c as usize]))
        .collect();
    let groups: u32 = p.classes.iter().map(|c| c.count).sum();

    // Stage 1-2: feasibility with the fewest irregular groups. Groups of a size with no
    // regular placement free of busy cores are irregular in every solution: a lower
    // bound on the budget (and no regular-only search is needed then).
    let forced = forced_irregular(p);
    let mut search = Search::new(p, false)?;
    let mut irr_budget = 0u32;
    let mut best = if forced == 0 {
        search.run(0, u32::MAX)
    } else {
        None
    };
    if best.is_none() && p.strictness == Strictness::Prefer {
        search = Search::new(p, true)?;
        let at_bound = if forced >= 1 {
            search.run(forced, u32::MAX)
        } else {
            None
        };
        if let Some(path) = at_bound {
            irr_budget = forced;
            best = Some(path);
        } else if let Some(path) = search.run(groups, u32::MAX) {
            // Feasibility is monotone in the budget: binary search the fewest.
            let (mut lo, mut hi) = (forced.max(1), groups);
            let (mut found, mut found_at) = (path, groups);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                match search.run(mid, u32::MAX) {
                    Some(p) => {
                        hi = mid;
                        found = p;
                        found_at = mid;
                    }
                    None => lo = mid + 1,
                }
            }
            // `found` may come from a larger budget; if so, re-run at the minimum for the
            // label-order-first solution under exactly that budget.
            irr_budget = lo;
            best = if found_at == lo {
                Some(found)
            } else {
                search.run(lo, u32::MAX).or(Some(found))
            };
        }
    }
    let Some(mut path) = best else {
        return Ok(None);
    };
    let mut sol = to_solution(p, &path, &blocks);

    // Stage 3: largest free legal block. Reaching a block of at least `t` is monotone in
    // `t`. Proving that a size cannot be reached is the expensive part, while a success
    // is usually quick and its plan may leave an even larger block; so step upward to
    // the smallest candidate above the best block found so far: at most one failing
    // proof. The plan found for target `t` is the label-order-first among plans with a
    // block ≥ `t`, so it is also the first among those with its own (larger) block.
    let spare = (free - needed) as u32;
    let mut candidates: Vec<u32> = blocks
        .iter()
        .map(|&(_, s)| s)
        .filter(|&s| s <= spare)
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    while let Some(&t) = candidates.iter().find(|&&c| c > sol.largest_block) {
        search.set_target(t, &blocks);
        let Some(found) = search.run(irr_budget, u32::MAX) else {
            break;
        };
        path = found;
        sol = to_solution(p, &path, &blocks);
    }
    let t_star = sol.largest_block;

    // Stage 4: NUMA balance.
    if let Some(current) = sol.numa_imbalance {
        search.set_target(t_star, &blocks);
        for m in 0..current {
            if let Some(found) = search.run(irr_budget, m) {
                sol = to_solution(p, &found, &blocks);
                break;
            }
        }
    }
    Ok(Some(sol))
}
