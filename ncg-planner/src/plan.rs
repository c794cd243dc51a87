//! The plan: one [`WorkerAssignment`] per worker, idle cores, fragmentation, and a
//! readable `Display` table.

use std::fmt;
use std::ops::Range;

use crate::range::{CoreRange, runs};
use crate::request::Strictness;
use crate::topology::Topology;

/// Variables a worker should **not** inherit: `NEURON_RT_NUM_CORES` (the runtime logs a
/// warning when it is set together with `NEURON_RT_VISIBLE_CORES`) and the Neuron 1.x
/// `NEURONCORE_GROUP_SIZES` (removed from libnrt; mixing it with visible cores is
/// unsupported). Reference `hardware-and-env.md` §6.1.
pub const ENV_TO_REMOVE: &[&str] = &["NEURON_RT_NUM_CORES", "NEURONCORE_GROUP_SIZES"];

/// Where one worker runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct WorkerAssignment {
    /// Model name (`worker` for the Cortex form).
    pub model: String,
    /// Replica index, from 0, within the model.
    pub replica: u32,
    /// The NeuronCore Group: global core ids.
    pub cores: CoreRange,
    /// NUMA node of the group's chips: the node holding most of its cores (lowest on a
    /// tie), `None` when the topology does not document it.
    pub numa_node: Option<u32>,
    /// Device ids (`/dev/neuronN`) covering the group, ascending.
    pub devices: Vec<u32>,
    /// Cores the model was compiled for (≤ `cores.count()`).
    pub compiled_cores: u32,
    /// Whether the group is irregular (crosses a chip boundary, is unaligned, or uses
    /// whole chips outside the legal device sets); only under [`Strictness::Prefer`].
    pub irregular: bool,
    /// LNC the core ids refer to, emitted as `NEURON_LOGICAL_NC_CONFIG` (trn2).
    pub lnc: Option<u32>,
}

impl WorkerAssignment {
    pub(crate) fn new(
        model: String,
        replica: u32,
        cores: CoreRange,
        compiled_cores: u32,
        devices: Vec<u32>,
        topo: &Topology,
        irregular: bool,
    ) -> Self {
        let k = topo.cores_per_chip();
        let mut tally: Vec<(u32, u32)> = Vec::new();
        for c in cores.iter() {
            if let Some(node) = topo.numa_of_chip(c / k) {
                match tally.iter_mut().find(|(n, _)| *n == node) {
                    Some(e) => e.1 += 1,
                    None => tally.push((node, 1)),
                }
            }
        }
        let numa_node = tally
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|&(n, _)| n);
        Self {
            model,
            replica,
            cores,
            numa_node,
            devices,
            compiled_cores,
            irregular,
            lnc: topo.lnc(),
        }
    }

    /// Worker id `model#replica`.
    pub fn id(&self) -> String {
        format!("{}#{}", self.model, self.replica)
    }

    /// Value for `NEURON_RT_VISIBLE_CORES`: `a-b`, or `a` for one core.
    pub fn visible_cores_env(&self) -> String {
        self.cores.to_string()
    }

    /// Value for `NEURON_RT_NUM_CORES` (the group size). Prefer
    /// [`WorkerAssignment::visible_cores_env`]: setting both makes the runtime log a
    /// warning, and only visible cores pin *which* cores.
    pub fn num_cores_env(&self) -> u32 {
        self.cores.count()
    }

    /// Device nodes to expose to the worker's container, e.g. `/dev/neuron3`.
    pub fn device_paths(&self) -> Vec<String> {
        self.devices
            .iter()
            .map(|d| format!("/dev/neuron{d}"))
            .collect()
    }

    /// Core indices as the worker sees them (the runtime renumbers visible cores from 0):
    /// for placement APIs and `DataParallel(device_ids=…)`.
    pub fn local_cores(&self) -> Range<u32> {
        0..self.cores.count()
    }

    /// Environment for the worker process: `NEURON_RT_VISIBLE_CORES`, and
    /// `NEURON_LOGICAL_NC_CONFIG` when the topology has an LNC (trn2). Remove the
    /// variables in [`ENV_TO_REMOVE`] from the inherited environment.
    ///
    /// ```
    /// use ncg_planner::{ModelSpec, PlanRequest, Topology};
    /// let plan = PlanRequest::new(Topology::preset_with_lnc("trn2.48xlarge", 1)?)
    ///     .model(ModelSpec::new("bert", 2, 1))
    ///     .solve()?;
    /// let env = plan.workers()[0].env();
    /// assert_eq!(env, vec![
    ///     ("NEURON_RT_VISIBLE_CORES".to_string(), "0-1".to_string()),
    ///     ("NEURON_LOGICAL_NC_CONFIG".to_string(), "1".to_string()),
    /// ]);
    /// # Ok::<(), ncg_planner::PlanError>(())
    /// ```
    pub fn env(&self) -> Vec<(String, String)> {
        let mut v = vec![(
            "NEURON_RT_VISIBLE_CORES".to_string(),
            self.visible_cores_env(),
        )];
        if let Some(l) = self.lnc {
            v.push(("NEURON_LOGICAL_NC_CONFIG".to_string(), l.to_string()));
        }
        v
    }

    /// One line for a launcher log, e.g.
    /// `worker bert#0: NEURON_RT_VISIBLE_CORES=0-1 NEURON_RT_NUM_CORES=2 devices=/dev/neuron0`.
    pub fn env_line(&self) -> String {
        let mut s = format!(
            "worker {}: NEURON_RT_VISIBLE_CORES={} NEURON_RT_NUM_CORES={}",
            self.id(),
            self.visible_cores_env(),
            self.num_cores_env()
        );
        if let Some(l) = self.lnc {
            s.push_str(&format!(" NEURON_LOGICAL_NC_CONFIG={l}"));
        }
        s.push_str(&format!(" devices={}", self.device_paths().join(",")));
        if let Some(n) = self.numa_node {
            s.push_str(&format!(" numa={n}"));
        }
        s
    }
}

/// A complete plan for one host.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    topology: Topology,
    workers: Vec<WorkerAssignment>,
    busy: Vec<CoreRange>,
    idle: Vec<CoreRange>,
    largest_free_block: u32,
    irregular: u32,
    numa_imbalance: Option<u32>,
    strictness: Strictness,
}

impl Plan {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        topology: Topology,
        workers: Vec<WorkerAssignment>,
        busy: Vec<CoreRange>,
        busy_mask: &[bool],
        largest_free_block: u32,
        irregular: u32,
        numa_imbalance: Option<u32>,
        strictness: Strictness,
    ) -> Self {
        let mut free: Vec<bool> = busy_mask.iter().map(|b| !b).collect();
        for w in &workers {
            for c in w.cores.iter() {
                if let Some(f) = free.get_mut(c as usize) {
                    *f = false;
                }
            }
        }
        Self {
            topology,
            workers,
            busy,
            idle: runs(&free),
            largest_free_block,
            irregular,
            numa_imbalance,
            strictness,
        }
    }

    /// The topology planned for.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }
    /// Workers in request order (model order, then replica index).
    pub fn workers(&self) -> &[WorkerAssignment] {
        &self.workers
    }
    /// The worker `model#replica`, if any.
    pub fn worker(&self, model: &str, replica: u32) -> Option<&WorkerAssignment> {
        self.workers
            .iter()
            .find(|w| w.model == model && w.replica == replica)
    }
    /// Busy cores given in the request (merged).
    pub fn busy(&self) -> &[CoreRange] {
        &self.busy
    }
    /// Cores neither busy nor assigned, as merged ranges.
    pub fn idle_cores(&self) -> &[CoreRange] {
        &self.idle
    }
    /// Number of idle cores.
    pub fn idle_core_count(&self) -> u32 {
        self.idle.iter().map(CoreRange::count).sum()
    }
    /// Size of the largest legal group (regular placement) that fits in the idle cores.
    pub fn largest_free_block(&self) -> u32 {
        self.largest_free_block
    }
    /// Number of irregular groups (0 under [`Strictness::Strict`]).
    pub fn irregular_groups(&self) -> u32 {
        self.irregular
    }
    /// `max − min` over known NUMA nodes of the cores given to workers; `None` when the
    /// topology documents fewer than two NUMA nodes.
    pub fn numa_imbalance(&self) -> Option<u32> {
        self.numa_imbalance
    }
    /// Strictness used.
    pub fn strictness(&self) -> Strictness {
        self.strictness
    }

    /// Fragmentation score in `[0, 1)`: `1 − L / F`, where `F` is the number of idle
    /// cores and `L` the largest legal group that fits in them
    /// ([`Plan::largest_free_block`]); 0 when nothing is idle. 0 means every idle core can
    /// be used by one group; values near 1 mean the idle cores are scattered in slivers
    /// too small for any large group.
    pub fn fragmentation(&self) -> f64 {
        let f = self.idle_core_count();
        if f == 0 {
            0.0
        } else {
            1.0 - f64::from(self.largest_free_block) / f64::from(f)
        }
    }

    /// One [`WorkerAssignment::env_line`] per worker.
    pub fn env_lines(&self) -> Vec<String> {
        self.workers
            .iter()
            .map(WorkerAssignment::env_line)
            .collect()
    }

    /// A map of the chips, one row per chip, one character per core: a letter per worker
    /// model (`A` for the first model, …), `#` busy, `.` idle.
    pub fn chip_map(&self) -> String {
        let k = self.topology.cores_per_chip();
        let n = self.topology.total_cores();
        let mut cells = vec!['.'; n as usize];
        for r in &self.busy {
            for c in r.iter() {
                if let Some(x) = cells.get_mut(c as usize) {
                    *x = '#';
                }
            }
        }
        let mut names: Vec<&str> = Vec::new();
        for w in &self.workers {
            let i = match names.iter().position(|m| *m == w.model) {
                Some(i) => i,
                None => {
                    names.push(&w.model);
                    names.len() - 1
                }
            };
            let ch = char::from_u32('A' as u32 + (i % 26) as u32).unwrap_or('?');
            for c in w.cores.iter() {
                if let Some(x) = cells.get_mut(c as usize) {
                    *x = ch;
                }
            }
        }
        let mut s = String::new();
        for chip in 0..self.topology.chips() {
            let row: String = cells[(chip * k) as usize..((chip + 1) * k) as usize]
                .iter()
                .collect();
            let numa = self
                .topology
                .numa_of_chip(chip)
                .map_or(String::new(), |x| format!("  numa {x}"));
            s.push_str(&format!("  chip {chip:>2} [{row}]{numa}\n"));
        }
        let legend: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, m)| {
                format!(
                    "{}={m}",
                    char::from_u32('A' as u32 + (i % 26) as u32).unwrap_or('?')
                )
            })
            .collect();
        s.push_str(&format!("  legend: {} #=busy .=idle\n", legend.join(" ")));
        s
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "plan for {}", self.topology)?;
        let rows: Vec<[String; 7]> = self
            .workers
            .iter()
            .map(|w| {
                let local = w.local_cores();
                [
                    w.id(),
                    w.visible_cores_env(),
                    w.cores.count().to_string(),
                    w.device_paths().join(","),
                    if local.len() == 1 {
                        "0".into()
                    } else {
                        format!("0-{}", local.end - 1)
                    },
                    w.numa_node.map_or("-".into(), |n| n.to_string()),
                    if w.irregular {
                        "irregular".into()
                    } else {
                        String::new()
                    },
                ]
            })
            .collect();
        let header = ["worker", "cores", "n", "devices", "local", "numa", "note"];
        let mut width = header.map(str::len);
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                width[i] = width[i].max(c.len());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: &[&str]| -> fmt::Result {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                s.push_str(&format!("{:<w$}  ", c, w = width[i]));
            }
            writeln!(f, "{}", s.trim_end())
        };
        line(f, &header)?;
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            line(f, &cells)?;
        }
        let fmt_ranges = |v: &[CoreRange]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            }
        };
        writeln!(f, "busy: {}", fmt_ranges(&self.busy))?;
        writeln!(
            f,
            "idle: {} ({} cores); largest free legal block: {} cores; fragmentation: {:.3}",
            fmt_ranges(&self.idle),
            self.idle_core_count(),
            self.largest_free_block,
            self.fragmentation()
        )?;
        if let Some(i) = self.numa_imbalance {
            writeln!(f, "numa imbalance: {i} cores")?;
        }
        if self.irregular > 0 {
            writeln!(f, "irregular groups: {}", self.irregular)?;
        }
        write!(f, "{}", self.chip_map())
    }
}
