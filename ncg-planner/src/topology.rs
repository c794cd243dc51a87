//! Instances: chips, NeuronCores per chip, device memory, chip links, NUMA nodes and the
//! legal multi-chip device sets. Presets for every instance in the reference, and
//! custom topologies from data.
//!
//! # Sources
//! All figures come from the project reference `hardware-and-env.md` (§1 chips, §2
//! instances, §3 topology and NUMA, §4 LNC, §5 numbering) and `planner-anchors.md` §2
//! (legal device sets). Each preset's rustdoc line in [`Topology::presets`] names its
//! section; `[doc]` facts are from AWS documentation, `[inferred]` ones are marked.
//!
//! # Legal multi-chip device sets
//! A group larger than one chip takes whole chips. Which chip sets are legal
//! ("families"):
//! * **Ring** (inf1, inf2): any run of adjacent devices with contiguous ids
//!   (`planner-anchors.md` §2.1, \[doc\] SCHED). Runs that wrap (e.g. 11, 0 on
//!   inf2.48xlarge) are adjacent but not id-contiguous, so `NEURON_RT_VISIBLE_CORES`
//!   could not express them: not legal.
//! * **4×4 torus, trn1/trn1n**: 1 device, a row of 4 (`4r..4r+3`), two rows
//!   (`0..7`, `8..15`), all 16 (\[doc\] SCHED: sets of 1, 4, 8 or 16 devices from fixed
//!   families). The two-row family is taken as the aligned pairs of rows, matching the
//!   DRA driver's `devicegroup8_id` attribute, a group *id* and therefore a partition
//!   (\[doc\] `deploy/eks/dra.rst`). Rows 1 and 2 (devices 4..11) are torus-adjacent and
//!   id-contiguous but are not known to be a published family; they are allowed only
//!   as an *irregular* placement under [`crate::Strictness::Prefer`].
//! * **4×4 torus, trn2**: the trn1 families plus aligned pairs of row neighbours
//!   (`2j, 2j+1`), because the runtime supports tensor-parallel degree 8 at LNC 2 (two
//!   chips) on trn2 (\[doc\] `planner-anchors.md` §2.3).
//!
//! Under [`crate::Strictness::Prefer`] the planner may additionally use any contiguous
//! core range whose chips are connected in the topology, counting each such group as
//! *irregular* and using as few as possible.

use std::collections::BTreeSet;
use std::fmt;

use crate::error::PlanError;

/// One gibibyte.
const GIB: u64 = 1 << 30;

/// Largest total core count accepted (the exact search's encoding is sized for it).
/// Real instances have at most 128 cores per host.
pub const MAX_TOTAL_CORES: u32 = 1024;

/// Largest number of distinct NUMA nodes in one topology.
pub const MAX_NUMA_NODES: usize = 8;

/// How the chips are linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Interconnect {
    /// A single chip: no links.
    Single,
    /// Chips `0 - 1 - … - (n-1) - 0`.
    Ring,
    /// A 2D torus of `rows × cols` chips, device `d` at row `d / cols`: row neighbours
    /// `±1` wrapping inside the row, column neighbours `d ± cols` wrapping over the rows.
    Torus {
        /// Number of rows.
        rows: u32,
        /// Chips per row.
        cols: u32,
    },
    /// Links given explicitly.
    Custom,
}

/// A set of whole chips with contiguous device ids `first .. first + count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChipSet {
    /// First device id.
    pub first: u32,
    /// Number of devices (≥ 1).
    pub count: u32,
}

/// An instance (or one host of an UltraServer) as the planner sees it.
///
/// ```
/// use ncg_planner::Topology;
/// let t = Topology::preset_with_lnc("trn2.48xlarge", 1)?;
/// assert_eq!((t.chips(), t.cores_per_chip(), t.total_cores()), (16, 8, 128));
/// assert_eq!(t.chip_of_core(17), Some(2));
/// assert_eq!(t.neighbours(0), &[1, 3, 4, 12]);
/// assert_eq!(t.legal_group_sizes(), vec![1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64, 128]);
/// # Ok::<(), ncg_planner::PlanError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    name: String,
    chips: u32,
    cores_per_chip: u32,
    memory_per_chip_bytes: u64,
    lnc: Option<u32>,
    hosts: u32,
    interconnect: Interconnect,
    neighbours: Vec<Vec<u32>>,
    numa: Vec<Option<u32>>,
    /// Legal multi-chip sets (count ≥ 2), sorted.
    chip_sets: Vec<ChipSet>,
    source: String,
}

struct Preset {
    names: &'static [&'static str],
    chips: u32,
    /// Physical cores per chip (trn2: 8; divided by the LNC).
    cores: u32,
    mem_gib: u64,
    kind: Kind,
    source: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Single,
    Ring,
    Trn1Torus,
    Trn2Torus,
}

const PRESETS: &[Preset] = &[
    Preset {
        names: &["inf1.xlarge", "inf1.2xlarge"],
        chips: 1,
        cores: 4,
        mem_gib: 8,
        kind: Kind::Single,
        source: "hardware-and-env.md §1-§2: 1 Inferentia chip, 4 NeuronCore-v1, 8 GiB [doc]",
    },
    Preset {
        names: &["inf1.6xlarge"],
        chips: 4,
        cores: 4,
        mem_gib: 8,
        kind: Kind::Ring,
        source: "hardware-and-env.md §2-§3: 4 chips x 4 cores, NeuronLink-v1 ring [doc]; \
                 ring order 0-1-2-3-0 [inferred: the docs say only \"a ring\" with contiguous ids]",
    },
    Preset {
        names: &["inf1.24xlarge"],
        chips: 16,
        cores: 4,
        mem_gib: 8,
        kind: Kind::Ring,
        source: "hardware-and-env.md §2-§3: 16 chips x 4 cores, NeuronLink-v1 ring [doc]; \
                 ring order by device id [inferred]",
    },
    Preset {
        names: &["inf2.xlarge", "inf2.8xlarge"],
        chips: 1,
        cores: 2,
        mem_gib: 32,
        kind: Kind::Single,
        source: "hardware-and-env.md §1-§2: 1 Inferentia2 chip, 2 NeuronCore-v2, 32 GiB [doc]",
    },
    Preset {
        names: &["inf2.24xlarge"],
        chips: 6,
        cores: 2,
        mem_gib: 32,
        kind: Kind::Ring,
        source: "hardware-and-env.md §2-§3: 6 chips x 2 cores, NeuronLink-v2 ring [doc]",
    },
    Preset {
        names: &["inf2.48xlarge"],
        chips: 12,
        cores: 2,
        mem_gib: 32,
        kind: Kind::Ring,
        source: "hardware-and-env.md §2-§3: 12 chips x 2 cores, ring 0-1-...-11-0 [doc] PERF; \
                 devices spread over NUMA nodes 0-3 but the per-device map is not in the \
                 reference, so NUMA is unknown (None)",
    },
    Preset {
        names: &["trn1.2xlarge"],
        chips: 1,
        cores: 2,
        mem_gib: 32,
        kind: Kind::Single,
        source: "hardware-and-env.md §1-§2: 1 Trainium chip, 2 NeuronCore-v2, 32 GiB [doc]",
    },
    Preset {
        names: &["trn1.32xlarge", "trn1n.32xlarge"],
        chips: 16,
        cores: 2,
        mem_gib: 32,
        kind: Kind::Trn1Torus,
        source: "hardware-and-env.md §2-§3: 16 chips x 2 cores, 4x4 2D torus [doc] NLS/PERF; \
                 NUMA node 0 = devices 0,1,4,5,8,9,12,13, node 1 = the rest [doc] PERF; \
                 device sets of 1, 4, 8, 16 [doc] SCHED",
    },
    Preset {
        names: &["trn2.48xlarge", "trn2u.48xlarge"],
        chips: 16,
        cores: 8,
        mem_gib: 96,
        kind: Kind::Trn2Torus,
        source: "hardware-and-env.md §1-§4: 16 Trainium2 chips x 8 physical cores, 4 logical at \
                 LNC 2 (default) or 8 at LNC 1, 96 GiB per chip, same 4x4 torus as trn1 [doc]; \
                 NUMA mapping not documented (None)",
    },
];

/// UltraServer aliases: one host of a Trn2 UltraServer (4 × trn2u.48xlarge).
const ULTRASERVER_NAMES: &[&str] = &["trn2-ultraserver", "trn2u-ultraserver"];

fn ring_links(n: u32) -> Vec<(u32, u32)> {
    match n {
        0 | 1 => vec![],
        2 => vec![(0, 1)],
        _ => (0..n).map(|i| (i, (i + 1) % n)).collect(),
    }
}

fn torus_links(rows: u32, cols: u32) -> Vec<(u32, u32)> {
    let mut v = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let d = r * cols + c;
            if cols > 1 {
                v.push((d, r * cols + (c + 1) % cols));
            }
            if rows > 1 {
                v.push((d, ((r + 1) % rows) * cols + c));
            }
        }
    }
    v
}

/// Aligned power-of-two groups of whole rows, plus all rows.
fn torus_row_families(rows: u32, cols: u32) -> Vec<ChipSet> {
    let mut v = Vec::new();
    let mut g = 1u32;
    while g <= rows {
        let mut r = 0;
        while r + g <= rows {
            v.push(ChipSet {
                first: r * cols,
                count: g * cols,
            });
            r += g;
        }
        g = g.saturating_mul(2);
    }
    v.push(ChipSet {
        first: 0,
        count: rows * cols,
    });
    v
}

impl Topology {
    /// Names accepted by [`Topology::preset`], in a stable order.
    ///
    /// Sources per preset (reference `hardware-and-env.md`):
    /// * `inf1.xlarge`, `inf1.2xlarge`: 1 chip × 4 cores, 8 GiB (§1, §2).
    /// * `inf1.6xlarge` (4 chips), `inf1.24xlarge` (16 chips): ring (§3; ring order by
    ///   device id is inferred, the docs only say "ring").
    /// * `inf2.xlarge`, `inf2.8xlarge`: 1 chip × 2 cores, 32 GiB; `inf2.24xlarge` (6
    ///   chips), `inf2.48xlarge` (12 chips): ring `0-1-…-(n-1)-0` (§3, neuron-ls). NUMA of
    ///   inf2.48xlarge is documented as nodes 0–3 but the per-device map is not in the
    ///   reference: left unknown.
    /// * `trn1.2xlarge`: 1 chip × 2 cores; `trn1.32xlarge`, `trn1n.32xlarge`: 16 chips ×
    ///   2 cores, 4×4 torus, NUMA node 0 = devices 0,1,4,5,8,9,12,13 (§3).
    /// * `trn2.48xlarge`, `trn2u.48xlarge`: 16 chips × 8 physical cores, 96 GiB, 4×4
    ///   torus; 4 logical cores per chip at LNC 2 (default), 8 at LNC 1 (§1, §4).
    /// * `trn2-ultraserver` (alias `trn2u-ultraserver`): **one host** of a Trn2
    ///   UltraServer (4 × trn2u.48xlarge, §2–§3). Core ids, `/dev/neuronN` and
    ///   `NEURON_RT_VISIBLE_CORES` are host-local, so a plan is made per host; the four
    ///   hosts are identical and [`Topology::hosts`] reports 4.
    ///
    /// `trn2.3xlarge` is deliberately absent: the reference has no public description of
    /// it (1 chip / 4 cores / 96 GiB are only inferred from an enum name). Describe it
    /// with [`Topology::custom`] if you have one.
    pub fn presets() -> Vec<&'static str> {
        let mut v: Vec<&'static str> = PRESETS
            .iter()
            .flat_map(|p| p.names.iter().copied())
            .collect();
        v.extend(ULTRASERVER_NAMES.iter().copied());
        v
    }

    /// A preset by instance name (case-insensitive), at the instance's default LNC
    /// (2 on trn2, not applicable elsewhere).
    ///
    /// # Errors
    /// [`PlanError::UnknownInstance`] listing the known names.
    pub fn preset(name: &str) -> Result<Topology, PlanError> {
        Self::preset_inner(name, None)
    }

    /// A preset at a given LNC (`NEURON_LOGICAL_NC_CONFIG`). Only trn2 accepts 1 or 2;
    /// other instances accept only 1 (their physical cores).
    ///
    /// # Errors
    /// [`PlanError::UnknownInstance`], or [`PlanError::InvalidLnc`] for an LNC the
    /// instance does not support.
    pub fn preset_with_lnc(name: &str, lnc: u32) -> Result<Topology, PlanError> {
        Self::preset_inner(name, Some(lnc))
    }

    fn preset_inner(name: &str, lnc: Option<u32>) -> Result<Topology, PlanError> {
        let key = name.trim().to_ascii_lowercase();
        let (preset, hosts) = if ULTRASERVER_NAMES.contains(&key.as_str()) {
            (
                PRESETS.iter().find(|p| p.names.contains(&"trn2u.48xlarge")),
                4,
            )
        } else {
            (PRESETS.iter().find(|p| p.names.contains(&key.as_str())), 1)
        };
        let Some(p) = preset else {
            let hint = if key == "trn2.3xlarge" {
                ": the reference has no public description of trn2.3xlarge (its figures are only \
                 inferred), describe it with Topology::custom"
                    .to_string()
            } else if key.starts_with("trn2u") || key.contains("ultra") {
                ": for a Trn2 UltraServer use `trn2-ultraserver` (one host; plan each host)"
                    .to_string()
            } else {
                String::new()
            };
            return Err(PlanError::UnknownInstance {
                name: name.to_string(),
                hint,
                known: Self::presets().iter().map(|s| s.to_string()).collect(),
            });
        };
        let canonical = key.clone();
        let (cores, lnc_value) = if p.kind == Kind::Trn2Torus {
            let l = lnc.unwrap_or(2);
            if l != 1 && l != 2 {
                return Err(PlanError::InvalidLnc {
                    instance: canonical,
                    lnc: l,
                    reason: "Trainium2 groups 1 or 2 physical cores into a logical core".into(),
                    allowed: vec![1, 2],
                });
            }
            (p.cores / l, Some(l))
        } else {
            if let Some(l) = lnc {
                if l != 1 {
                    return Err(PlanError::InvalidLnc {
                        instance: canonical,
                        lnc: l,
                        reason: "NEURON_LOGICAL_NC_CONFIG applies to Trn2/Trn3 only; this \
                                 instance's cores are physical cores"
                            .into(),
                        allowed: vec![1],
                    });
                }
            }
            (p.cores, None)
        };
        let (interconnect, links, numa, sets) = match p.kind {
            Kind::Single => (
                Interconnect::Single,
                vec![],
                vec![None; p.chips as usize],
                vec![],
            ),
            Kind::Ring => (
                Interconnect::Ring,
                ring_links(p.chips),
                vec![None; p.chips as usize],
                ring_chip_sets(p.chips),
            ),
            Kind::Trn1Torus => (
                Interconnect::Torus { rows: 4, cols: 4 },
                torus_links(4, 4),
                (0..16)
                    .map(|d| Some(if d % 4 < 2 { 0 } else { 1 }))
                    .collect(),
                torus_row_families(4, 4),
            ),
            Kind::Trn2Torus => {
                let mut sets = torus_row_families(4, 4);
                sets.extend((0..8).map(|j| ChipSet {
                    first: 2 * j,
                    count: 2,
                }));
                (
                    Interconnect::Torus { rows: 4, cols: 4 },
                    torus_links(4, 4),
                    vec![None; 16],
                    sets,
                )
            }
        };
        let mut builder = TopologyBuilder {
            name: canonical,
            chips: p.chips,
            cores_per_chip: cores,
            memory_per_chip_bytes: p.mem_gib * GIB,
            interconnect,
            links,
            numa: Some(numa),
            chip_sets: Some(sets),
            lnc: lnc_value,
            hosts,
            source: p.source.to_string(),
        };
        if hosts > 1 {
            builder.source.push_str(
                "; Trn2 UltraServer = 4 trn2u.48xlarge hosts whose same-position chips form \
                 cross-host rings [doc] ARCH; this topology is one host",
            );
        }
        builder.build()
    }

    /// Start describing a custom topology of `chips` chips with `cores_per_chip` cores
    /// (logical cores, after LNC). Defaults: no links (add [`TopologyBuilder::ring`],
    /// [`TopologyBuilder::torus`] or [`TopologyBuilder::link`]), NUMA unknown, memory 0,
    /// legal multi-chip sets derived from the links (every id-contiguous run of chips
    /// that is connected).
    ///
    /// ```
    /// use ncg_planner::Topology;
    /// let t = Topology::custom("lab-box", 3, 4)
    ///     .ring()
    ///     .numa(vec![Some(0), Some(0), Some(1)])
    ///     .memory_per_chip_bytes(8 << 30)
    ///     .build()?;
    /// assert_eq!(t.total_cores(), 12);
    /// assert_eq!(t.numa_of_chip(2), Some(1));
    /// # Ok::<(), ncg_planner::PlanError>(())
    /// ```
    pub fn custom(name: impl Into<String>, chips: u32, cores_per_chip: u32) -> TopologyBuilder {
        TopologyBuilder {
            name: name.into(),
            chips,
            cores_per_chip,
            memory_per_chip_bytes: 0,
            interconnect: if chips <= 1 {
                Interconnect::Single
            } else {
                Interconnect::Custom
            },
            links: Vec::new(),
            numa: None,
            chip_sets: None,
            lnc: None,
            hosts: 1,
            source: "custom".to_string(),
        }
    }

    /// Instance (or custom) name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Number of chips (devices `/dev/neuron0..`).
    pub fn chips(&self) -> u32 {
        self.chips
    }
    /// NeuronCores per chip, counted as the runtime counts them (logical cores on trn2).
    pub fn cores_per_chip(&self) -> u32 {
        self.cores_per_chip
    }
    /// Cores on the instance (per host for an UltraServer).
    pub fn total_cores(&self) -> u32 {
        self.chips * self.cores_per_chip
    }
    /// Device memory per chip in bytes.
    pub fn memory_per_chip_bytes(&self) -> u64 {
        self.memory_per_chip_bytes
    }
    /// Device memory per core in bytes (chip memory divided evenly).
    pub fn memory_per_core_bytes(&self) -> u64 {
        self.memory_per_chip_bytes / u64::from(self.cores_per_chip.max(1))
    }
    /// LNC in force (`Some` on trn2 presets or when set on a custom topology).
    pub fn lnc(&self) -> Option<u32> {
        self.lnc
    }
    /// Identical hosts this topology describes one of (4 for an UltraServer, else 1).
    pub fn hosts(&self) -> u32 {
        self.hosts
    }
    /// How the chips are linked.
    pub fn interconnect(&self) -> Interconnect {
        self.interconnect
    }
    /// Where the figures come from (reference sections).
    pub fn source(&self) -> &str {
        &self.source
    }
    /// Chip holding global core `core`, `None` if out of range.
    pub fn chip_of_core(&self, core: u32) -> Option<u32> {
        (core < self.total_cores()).then(|| core / self.cores_per_chip)
    }
    /// Sorted neighbours of `chip` (empty if out of range).
    pub fn neighbours(&self, chip: u32) -> &[u32] {
        self.neighbours
            .get(chip as usize)
            .map_or(&[], Vec::as_slice)
    }
    /// Whether two chips are directly linked.
    pub fn linked(&self, a: u32, b: u32) -> bool {
        self.neighbours(a).binary_search(&b).is_ok()
    }
    /// NUMA node of `chip`, `None` when undocumented or out of range.
    pub fn numa_of_chip(&self, chip: u32) -> Option<u32> {
        self.numa.get(chip as usize).copied().flatten()
    }
    /// NUMA node of every chip.
    pub fn numa_nodes(&self) -> &[Option<u32>] {
        &self.numa
    }
    /// Legal sets of two or more whole chips (single chips are always legal).
    pub fn chip_sets(&self) -> &[ChipSet] {
        &self.chip_sets
    }

    /// Legal NeuronCore Group sizes: every size up to one chip (placed inside one chip
    /// at an aligned start), and `m × cores_per_chip` for every legal set of `m` chips.
    pub fn legal_group_sizes(&self) -> Vec<u32> {
        let mut s: BTreeSet<u32> = (1..=self.cores_per_chip).collect();
        for cs in &self.chip_sets {
            s.insert(cs.count * self.cores_per_chip);
        }
        s.into_iter().collect()
    }

    /// Alignment of an in-chip group of `size` cores: the next power of two when it
    /// divides the chip, else `size` when it divides the chip, else the whole chip.
    pub(crate) fn align(&self, size: u32) -> u32 {
        let k = self.cores_per_chip;
        let p = size.checked_next_power_of_two().unwrap_or(k);
        if p <= k && k % p == 0 {
            p
        } else if size <= k && k % size == 0 {
            size
        } else {
            k
        }
    }

    /// Every id-contiguous run of two or more chips that is connected (union-find,
    /// growing each run one chip at a time).
    fn connected_runs(&self) -> Vec<ChipSet> {
        let n = self.chips as usize;
        let mut out = Vec::new();
        let mut parent: Vec<usize> = vec![0; n];
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for first in 0..n {
            let mut components = 0usize;
            for last in first..n {
                parent[last] = last;
                components += 1;
                for &nb in self.neighbours(last as u32) {
                    let nb = nb as usize;
                    if nb >= first && nb < last {
                        let (a, b) = (find(&mut parent, nb), find(&mut parent, last));
                        if a != b {
                            parent[a] = b;
                            components -= 1;
                        }
                    }
                }
                if last > first && components == 1 {
                    out.push(ChipSet {
                        first: first as u32,
                        count: (last - first + 1) as u32,
                    });
                }
            }
        }
        out
    }

    /// Whether the chips `first ..= last` are connected through links among themselves.
    pub(crate) fn run_connected(&self, first: u32, last: u32) -> bool {
        if first > last || last >= self.chips {
            return false;
        }
        // Small BFS restricted to the run.
        let len = (last - first + 1) as usize;
        let mut seen = vec![false; len];
        let mut stack = vec![first];
        seen[0] = true;
        let mut count = 1usize;
        while let Some(c) = stack.pop() {
            for &nb in self.neighbours(c) {
                if nb >= first && nb <= last && !seen[(nb - first) as usize] {
                    seen[(nb - first) as usize] = true;
                    count += 1;
                    stack.push(nb);
                }
            }
        }
        count == len
    }
}

fn ring_chip_sets(n: u32) -> Vec<ChipSet> {
    let mut v = Vec::new();
    for count in 2..=n {
        for first in 0..=(n - count) {
            v.push(ChipSet { first, count });
        }
    }
    v
}

impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if let Some(l) = self.lnc {
            write!(f, " (LNC {l})")?;
        }
        write!(
            f,
            ": {} chip(s) x {} cores = {} cores, {} GiB per chip",
            self.chips,
            self.cores_per_chip,
            self.total_cores(),
            self.memory_per_chip_bytes / GIB
        )?;
        match self.interconnect {
            Interconnect::Single => {}
            Interconnect::Ring => write!(f, ", ring")?,
            Interconnect::Torus { rows, cols } => write!(f, ", {rows}x{cols} torus")?,
            Interconnect::Custom => write!(f, ", custom links")?,
        }
        if self.hosts > 1 {
            write!(f, " (one of {} identical hosts)", self.hosts)?;
        }
        Ok(())
    }
}

/// Builder for a custom [`Topology`]; see [`Topology::custom`].
#[derive(Debug, Clone)]
#[must_use]
pub struct TopologyBuilder {
    name: String,
    chips: u32,
    cores_per_chip: u32,
    memory_per_chip_bytes: u64,
    interconnect: Interconnect,
    links: Vec<(u32, u32)>,
    numa: Option<Vec<Option<u32>>>,
    chip_sets: Option<Vec<ChipSet>>,
    lnc: Option<u32>,
    hosts: u32,
    source: String,
}

impl TopologyBuilder {
    /// Link chips in a ring `0 - 1 - … - (n-1) - 0`.
    pub fn ring(mut self) -> Self {
        self.links.extend(ring_links(self.chips));
        self.interconnect = Interconnect::Ring;
        self
    }
    /// Link chips as a `rows × cols` torus (trn1/trn2 neighbour rule); legal multi-chip
    /// sets become aligned power-of-two groups of whole rows plus all chips, unless
    /// [`TopologyBuilder::chip_sets`] overrides them.
    pub fn torus(mut self, rows: u32, cols: u32) -> Self {
        self.links.extend(torus_links(rows, cols));
        self.interconnect = Interconnect::Torus { rows, cols };
        if self.chip_sets.is_none() && rows.checked_mul(cols) == Some(self.chips) {
            self.chip_sets = Some(torus_row_families(rows, cols));
        }
        self
    }
    /// Add one bidirectional link.
    pub fn link(mut self, a: u32, b: u32) -> Self {
        self.links.push((a, b));
        if self.interconnect == Interconnect::Single {
            self.interconnect = Interconnect::Custom;
        }
        self
    }
    /// Add links from data, e.g. neuron-ls "CONNECTED DEVICES".
    pub fn links(mut self, links: impl IntoIterator<Item = (u32, u32)>) -> Self {
        for (a, b) in links {
            self = self.link(a, b);
        }
        self
    }
    /// NUMA node per chip (`None` = unknown); the length must equal the chip count.
    pub fn numa(mut self, numa: Vec<Option<u32>>) -> Self {
        self.numa = Some(numa);
        self
    }
    /// Device memory per chip in bytes.
    pub fn memory_per_chip_bytes(mut self, bytes: u64) -> Self {
        self.memory_per_chip_bytes = bytes;
        self
    }
    /// Explicit legal multi-chip sets (`first`, `count`); sets of one chip are implied.
    pub fn chip_sets(mut self, sets: impl IntoIterator<Item = (u32, u32)>) -> Self {
        self.chip_sets = Some(
            sets.into_iter()
                .map(|(first, count)| ChipSet { first, count })
                .collect(),
        );
        self
    }
    /// Record the LNC the core counts refer to (emitted as `NEURON_LOGICAL_NC_CONFIG`).
    pub fn lnc(mut self, lnc: u32) -> Self {
        self.lnc = Some(lnc);
        self
    }
    /// Free-text description of where the figures come from.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// Validate and build.
    ///
    /// # Errors
    /// [`PlanError::InvalidTopology`] naming the inconsistency: zero chips or cores,
    /// more than [`MAX_TOTAL_CORES`] cores, a link to a chip that does not exist or to
    /// itself, a NUMA list of the wrong length or with more than [`MAX_NUMA_NODES`]
    /// nodes, a chip set out of range or not connected, an LNC other than 1 or 2.
    pub fn build(self) -> Result<Topology, PlanError> {
        let bad = |reason: String| PlanError::InvalidTopology {
            name: self.name.clone(),
            reason,
        };
        if self.chips == 0 {
            return Err(bad("0 chips: a topology needs at least 1 chip".into()));
        }
        if self.cores_per_chip == 0 {
            return Err(bad("0 cores per chip: a chip needs at least 1 core".into()));
        }
        let total = u64::from(self.chips) * u64::from(self.cores_per_chip);
        if total > u64::from(MAX_TOTAL_CORES) {
            return Err(bad(format!(
                "{} chips x {} cores = {total} cores, more than the planner's limit of \
                 {MAX_TOTAL_CORES} (plan per host; real hosts have at most 128)",
                self.chips, self.cores_per_chip
            )));
        }
        if let Some(l) = self.lnc {
            if l != 1 && l != 2 {
                return Err(bad(format!("LNC {l}: NEURON_LOGICAL_NC_CONFIG is 1 or 2")));
            }
        }
        let n = self.chips as usize;
        let mut nb: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); n];
        for &(a, b) in &self.links {
            if a >= self.chips || b >= self.chips {
                return Err(bad(format!(
                    "link {a}-{b} names a chip that does not exist (chips are 0-{})",
                    self.chips - 1
                )));
            }
            if a == b {
                return Err(bad(format!("link {a}-{b} links a chip to itself")));
            }
            nb[a as usize].insert(b);
            nb[b as usize].insert(a);
        }
        let numa = match self.numa {
            None => vec![None; n],
            Some(v) => {
                if v.len() != n {
                    return Err(bad(format!(
                        "NUMA list has {} entries but there are {} chips (one entry per chip, \
                         None where unknown)",
                        v.len(),
                        n
                    )));
                }
                let distinct: BTreeSet<u32> = v.iter().flatten().copied().collect();
                if distinct.len() > MAX_NUMA_NODES {
                    return Err(bad(format!(
                        "{} distinct NUMA nodes; at most {MAX_NUMA_NODES} are supported",
                        distinct.len()
                    )));
                }
                v
            }
        };
        let mut topo = Topology {
            name: self.name.clone(),
            chips: self.chips,
            cores_per_chip: self.cores_per_chip,
            memory_per_chip_bytes: self.memory_per_chip_bytes,
            lnc: self.lnc,
            hosts: self.hosts,
            interconnect: self.interconnect,
            neighbours: nb.into_iter().map(|s| s.into_iter().collect()).collect(),
            numa,
            chip_sets: Vec::new(),
            source: self.source.clone(),
        };
        let sets = match self.chip_sets {
            Some(sets) => {
                for s in &sets {
                    let end = u64::from(s.first) + u64::from(s.count);
                    if s.count == 0 || end > u64::from(self.chips) {
                        return Err(bad(format!(
                            "chip set of {} chip(s) starting at chip {} does not fit in chips 0-{}",
                            s.count,
                            s.first,
                            self.chips - 1
                        )));
                    }
                    if !topo.run_connected(s.first, s.first + s.count - 1) {
                        return Err(bad(format!(
                            "chip set {}-{} is not connected by the topology's links",
                            s.first,
                            s.first + s.count - 1
                        )));
                    }
                }
                sets
            }
            None => topo.connected_runs(),
        };
        let mut sets: Vec<ChipSet> = sets.into_iter().filter(|s| s.count >= 2).collect();
        sets.sort_by_key(|s| (s.count, s.first));
        sets.dedup();
        topo.chip_sets = sets;
        Ok(topo)
    }
}
