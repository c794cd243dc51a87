//! Requests: models with their compiled core counts and replicas, Cortex's equal-split
//! form, and cores already busy.

use std::collections::{BTreeMap, HashSet};

use crate::error::{DoesNotFit, PlanError};
use crate::plan::{Plan, WorkerAssignment};
use crate::range::{CoreRange, normalize};
use crate::solver::{self, Class, Problem};
use crate::topology::Topology;

/// How strictly the chip rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Strictness {
    /// Only regular placements: inside one chip at an aligned start, or whole chips of a
    /// legal device set. A request that needs anything else is refused.
    Strict,
    /// Regular placements first; when the request cannot fit otherwise, the fewest
    /// possible *irregular* groups (crossing a chip boundary, unaligned, or on connected
    /// whole chips outside the published device sets). Irregular groups are flagged in
    /// the plan ([`WorkerAssignment::irregular`]).
    #[default]
    Prefer,
}

/// One model to serve: its name, the core count it was compiled for, and how many
/// worker processes (replicas) run it. Each replica gets its own NeuronCore Group.
///
/// ```
/// use ncg_planner::ModelSpec;
/// let m = ModelSpec::new("bert", 2, 4);
/// assert_eq!((m.name(), m.compiled_cores(), m.replicas(), m.group_cores()), ("bert", 2, 4, 2));
/// // A group larger than the compiled size (e.g. to replicate in-process):
/// assert_eq!(ModelSpec::new("bert", 2, 1).with_group_cores(4).group_cores(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelSpec {
    name: String,
    compiled_cores: u32,
    replicas: u32,
    group_cores: Option<u32>,
    lnc: Option<u32>,
    memory_bytes: Option<u64>,
}

impl ModelSpec {
    /// A model compiled for `compiled_cores` cores, served by `replicas` workers.
    pub fn new(name: impl Into<String>, compiled_cores: u32, replicas: u32) -> Self {
        Self {
            name: name.into(),
            compiled_cores,
            replicas,
            group_cores: None,
            lnc: None,
            memory_bytes: None,
        }
    }

    /// A model read from the 1024-byte header at the start of a NEFF file: name and core
    /// count (`num_tpb`) from the header, and its `lnc_size`, which must match the
    /// topology's LNC on trn2 (checked by [`PlanRequest::solve`]).
    ///
    /// `bytes` is the NEFF file (or at least its header; the header's size fields are
    /// checked against `bytes.len()`).
    ///
    /// # Errors
    /// [`PlanError::Neff`] with the parser's reason.
    pub fn from_neff_header(bytes: &[u8], replicas: u32) -> Result<Self, PlanError> {
        let h = neuron_neff::NeffHeader::parse(bytes).map_err(|e| PlanError::Neff {
            reason: e.to_string(),
        })?;
        let mut m = Self::new(h.name(), h.core_count(), replicas);
        m.lnc = Some(h.lnc_size());
        Ok(m)
    }

    /// Set the LNC the model was compiled for (`-lnc`); checked against the topology.
    pub fn with_lnc(mut self, lnc: u32) -> Self {
        self.lnc = Some(lnc);
        self
    }

    /// Device memory one replica needs, in bytes (weights, I/O tensors, scratch). When
    /// given, the models on a chip must fit the chip's memory; a group spanning several
    /// chips spreads its need over them in proportion to its cores on each.
    ///
    /// ```
    /// use ncg_planner::{ModelSpec, PlanRequest, Topology};
    /// // inf2.24xlarge: 6 chips x 2 cores, 32 GiB per chip. Two 20 GiB replicas cannot
    /// // share a chip, so each takes a chip of its own.
    /// let plan = PlanRequest::new(Topology::preset("inf2.24xlarge")?)
    ///     .model(ModelSpec::new("llm", 1, 2).with_device_memory(20 << 30))
    ///     .solve()?;
    /// assert_eq!(plan.workers()[0].devices, vec![0]);
    /// assert_eq!(plan.workers()[1].devices, vec![1]);
    /// # Ok::<(), ncg_planner::PlanError>(())
    /// ```
    pub fn with_device_memory(mut self, bytes: u64) -> Self {
        self.memory_bytes = Some(bytes);
        self
    }

    /// Device memory one replica needs, if given.
    pub fn device_memory_bytes(&self) -> Option<u64> {
        self.memory_bytes
    }

    /// LNC the model was compiled for, if known.
    pub fn lnc(&self) -> Option<u32> {
        self.lnc
    }

    /// Give each worker a group of `cores` cores instead of the compiled count (e.g. to
    /// replicate the model inside the process with torch-neuronx `DataParallel`, or to
    /// round up to a legal group size). Must be at least the compiled count.
    pub fn with_group_cores(mut self, cores: u32) -> Self {
        self.group_cores = Some(cores);
        self
    }

    /// Model name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Cores the model was compiled for.
    pub fn compiled_cores(&self) -> u32 {
        self.compiled_cores
    }
    /// Number of workers.
    pub fn replicas(&self) -> u32 {
        self.replicas
    }
    /// Cores per worker group (the compiled count unless overridden).
    pub fn group_cores(&self) -> u32 {
        self.group_cores.unwrap_or(self.compiled_cores)
    }
}

/// A model after validation: what the solver needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Validated {
    pub name: String,
    pub group: u32,
    pub compiled: u32,
    pub replicas: u32,
    /// Device memory per replica, bytes (0 = not given).
    pub memory: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cortex {
    chips: u32,
    workers: u32,
}

/// Name given to Cortex-form workers (`worker#0`, `worker#1`, …).
pub const CORTEX_MODEL_NAME: &str = "worker";

/// A planning request: a topology, models (or Cortex's equal split), busy cores and a
/// strictness. Build it, then [`PlanRequest::solve`].
///
/// ```
/// use ncg_planner::{CoreRange, ModelSpec, PlanRequest, Topology};
/// let plan = PlanRequest::new(Topology::preset("inf2.48xlarge")?)
///     .model(ModelSpec::new("llama", 8, 2))
///     .model(ModelSpec::new("bert", 1, 3))
///     .busy(CoreRange::new(0, 2)?) // another process holds chip 0
///     .solve()?;
/// assert_eq!(plan.workers().len(), 5);
/// let w = &plan.workers()[0];
/// assert_eq!((w.model.as_str(), w.replica, w.cores.to_string()), ("llama", 0, "2-9".to_string()));
/// assert_eq!(w.devices, vec![1, 2, 3, 4]);
/// # Ok::<(), ncg_planner::PlanError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct PlanRequest {
    topology: Topology,
    models: Vec<ModelSpec>,
    busy: Vec<CoreRange>,
    strictness: Strictness,
    cortex: Option<Cortex>,
}

impl PlanRequest {
    /// An empty request on `topology` (solving it gives a plan with no workers).
    pub fn new(topology: Topology) -> Self {
        Self {
            topology,
            models: Vec::new(),
            busy: Vec::new(),
            strictness: Strictness::default(),
            cortex: None,
        }
    }

    /// Cortex's form: one replica takes `chips_per_replica` chips and splits their cores
    /// equally over `workers_per_replica` workers (named `worker#i`). The cores must
    /// divide evenly, as Cortex requires; the workers' groups are placed by the planner
    /// like any others. Errors are reported by [`PlanRequest::solve`].
    ///
    /// ```
    /// use ncg_planner::{PlanRequest, Topology};
    /// let t = Topology::preset("inf1.6xlarge")?;
    /// let plan = PlanRequest::cortex(t.clone(), 2, 4).solve()?;
    /// assert_eq!(plan.workers().len(), 4);
    /// assert!(plan.workers().iter().all(|w| w.cores.count() == 2));
    /// let err = PlanRequest::cortex(t, 2, 3).solve().unwrap_err();
    /// assert!(err.to_string().contains("acceptable numbers of workers are 1, 2, 4, 8"));
    /// # Ok::<(), ncg_planner::PlanError>(())
    /// ```
    pub fn cortex(topology: Topology, chips_per_replica: u32, workers_per_replica: u32) -> Self {
        let mut r = Self::new(topology);
        r.cortex = Some(Cortex {
            chips: chips_per_replica,
            workers: workers_per_replica,
        });
        r
    }

    /// Add a model.
    pub fn model(mut self, model: ModelSpec) -> Self {
        self.models.push(model);
        self
    }

    /// Add several models.
    pub fn models(mut self, models: impl IntoIterator<Item = ModelSpec>) -> Self {
        self.models.extend(models);
        self
    }

    /// Mark cores as busy (other processes, leaked reservations): no group will use them
    /// and nothing running there moves.
    pub fn busy(mut self, cores: CoreRange) -> Self {
        self.busy.push(cores);
        self
    }

    /// Mark several ranges busy.
    pub fn busy_ranges(mut self, cores: impl IntoIterator<Item = CoreRange>) -> Self {
        self.busy.extend(cores);
        self
    }

    /// Keep an earlier plan running: its workers' cores and its busy cores become busy
    /// here (incremental planning).
    pub fn keep(mut self, earlier: &Plan) -> Self {
        self.busy.extend(earlier.workers().iter().map(|w| w.cores));
        self.busy.extend(earlier.busy().iter().copied());
        self
    }

    /// Choose how strictly chip rules apply (default [`Strictness::Prefer`]).
    pub fn strictness(mut self, strictness: Strictness) -> Self {
        self.strictness = strictness;
        self
    }

    /// The topology planned for.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Models in request order (without the Cortex workers).
    pub fn model_specs(&self) -> &[ModelSpec] {
        &self.models
    }

    fn instance_label(&self) -> String {
        match self.topology.lnc() {
            Some(l) => format!("{} (LNC {l})", self.topology.name()),
            None => self.topology.name().to_string(),
        }
    }

    fn size_error(&self, model: &str, size: u32) -> PlanError {
        let t = &self.topology;
        let legal = t.legal_group_sizes();
        let suggestion = legal.iter().copied().find(|&s| s > size);
        let detail = if size > t.total_cores() {
            format!("it has only {} cores", t.total_cores())
        } else {
            let sets: Vec<u32> = {
                let mut v: Vec<u32> = t.chip_sets().iter().map(|s| s.count).collect();
                v.insert(0, 1);
                v.dedup();
                v
            };
            format!(
                "{} cores per chip; groups larger than a chip take whole chips in sets of {} chips",
                t.cores_per_chip(),
                sets.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ) + if self.strictness == Strictness::Strict
                && t.sizes_for(Strictness::Prefer).contains(&size)
            {
                "; Strictness::Prefer would accept it as an irregular group crossing a chip \
                 boundary"
            } else {
                ""
            }
        };
        PlanError::IllegalGroupSize {
            model: model.to_string(),
            size,
            instance: self.instance_label(),
            detail,
            legal,
            suggestion,
        }
    }

    /// Validated models in request order.
    pub(crate) fn validated(&self) -> Result<Vec<Validated>, PlanError> {
        let t = &self.topology;
        let mut out = Vec::new();
        if let Some(c) = self.cortex {
            if c.chips == 0 {
                return Err(PlanError::CortexZero {
                    field: "chips_per_replica",
                });
            }
            if c.workers == 0 {
                return Err(PlanError::CortexZero {
                    field: "workers_per_replica",
                });
            }
            if c.chips > t.chips() {
                return Err(PlanError::CortexTooManyChips {
                    chips: c.chips,
                    available: t.chips(),
                    instance: self.instance_label(),
                });
            }
            let total = c.chips * t.cores_per_chip();
            let legal: HashSet<u32> = t.sizes_for(self.strictness).into_iter().collect();
            if total % c.workers != 0 {
                let acceptable = (1..=total)
                    .filter(|d| total % d == 0 && legal.contains(&(total / d)))
                    .collect();
                return Err(PlanError::CortexIndivisible {
                    chips: c.chips,
                    total_cores: total,
                    workers: c.workers,
                    acceptable,
                });
            }
            let g = total / c.workers;
            if !legal.contains(&g) {
                return Err(self.size_error(CORTEX_MODEL_NAME, g));
            }
            out.push(Validated {
                name: CORTEX_MODEL_NAME.to_string(),
                group: g,
                compiled: g,
                replicas: c.workers,
                memory: 0,
            });
        }
        let mut seen: HashSet<&str> = out.iter().map(|_| CORTEX_MODEL_NAME).collect();
        for m in &self.models {
            let name = m.name();
            if name.is_empty() {
                return Err(PlanError::InvalidModelName {
                    name: name.to_string(),
                    reason: "the name is empty; it names the workers (`name#replica`)".into(),
                });
            }
            if name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '#' || c == '=')
            {
                return Err(PlanError::InvalidModelName {
                    name: name.to_string(),
                    reason: "names may not contain whitespace, control characters, `#` or `=` \
                             (they appear in worker ids and environment lines)"
                        .into(),
                });
            }
            if !seen.insert(name) {
                return Err(PlanError::DuplicateModel {
                    name: name.to_string(),
                });
            }
            if m.compiled_cores() == 0 {
                return Err(PlanError::ZeroCores {
                    model: name.to_string(),
                });
            }
            if m.replicas() == 0 {
                return Err(PlanError::ZeroReplicas {
                    model: name.to_string(),
                });
            }
            if let Some(model_lnc) = m.lnc() {
                let instance_lnc = t.lnc().unwrap_or(1);
                if model_lnc != instance_lnc {
                    return Err(PlanError::LncMismatch {
                        model: name.to_string(),
                        model_lnc,
                        instance: self.instance_label(),
                        instance_lnc,
                    });
                }
            }
            let g = m.group_cores();
            if g < m.compiled_cores() {
                return Err(PlanError::CompiledExceedsGroup {
                    model: name.to_string(),
                    compiled: m.compiled_cores(),
                    group: g,
                });
            }
            if g > t.total_cores() || !t.sizes_for(self.strictness).contains(&g) {
                return Err(self.size_error(name, g));
            }
            let memory = m.device_memory_bytes().unwrap_or(0);
            if memory > 0 {
                self.check_memory(name, g, memory)?;
            }
            out.push(Validated {
                name: name.to_string(),
                group: g,
                compiled: m.compiled_cores(),
                replicas: m.replicas(),
                memory,
            });
        }
        Ok(out)
    }

    /// A replica's memory must fit the chips its group covers.
    fn check_memory(&self, name: &str, group: u32, memory: u64) -> Result<(), PlanError> {
        let t = &self.topology;
        let per_chip = t.memory_per_chip_bytes();
        if per_chip == 0 {
            return Err(PlanError::MemoryUnknown {
                model: name.to_string(),
                instance: self.instance_label(),
            });
        }
        let k = t.cores_per_chip();
        // The fewest chips a group of this size touches, and the need per chip then.
        let chips = group.div_ceil(k).max(1);
        let need_per_chip = memory.div_ceil(u64::from(chips));
        if need_per_chip > per_chip {
            let chips_needed = memory.div_ceil(per_chip);
            let suggestion = t
                .legal_group_sizes()
                .into_iter()
                .find(|&s| u64::from(s.div_ceil(k)) >= chips_needed);
            return Err(PlanError::MemoryTooLarge {
                model: name.to_string(),
                memory,
                group,
                instance: self.instance_label(),
                per_chip,
                suggestion,
            });
        }
        Ok(())
    }

    pub(crate) fn busy_mask(&self) -> Result<Vec<bool>, PlanError> {
        let n = self.topology.total_cores();
        let mut mask = vec![false; n as usize];
        for r in &self.busy {
            if r.end() > n {
                return Err(PlanError::BusyOutOfRange {
                    range: *r,
                    instance: self.instance_label(),
                    total_cores: n,
                });
            }
            for c in r.iter() {
                mask[c as usize] = true;
            }
        }
        Ok(mask)
    }

    /// Solve the whole request at once, exactly and deterministically (see
    /// the crate documentation for the objective).
    ///
    /// # Errors
    /// Validation errors ([`PlanError::ZeroCores`], [`PlanError::IllegalGroupSize`],
    /// [`PlanError::CompiledExceedsGroup`], [`PlanError::CortexIndivisible`], …) and
    /// [`PlanError::DoesNotFit`] naming the blocking model and what would fit.
    pub fn solve(&self) -> Result<Plan, PlanError> {
        let models = self.validated()?;
        let busy = self.busy_mask()?;
        let free = busy.iter().filter(|&&b| !b).count() as u32;
        let needed = cores_needed(&models);
        let sol = if needed > u64::from(free) {
            None
        } else {
            solver::solve(&self.problem(&busy, &models, models.len()))?
        };
        let Some(sol) = sol else {
            return Err(self.diagnose(&busy, &models, free, needed)?);
        };
        // Map groups to workers: within a size class, request order gets ascending starts.
        let classes = classes_of(&models, models.len());
        let mut next: Vec<usize> = vec![0; classes.len()];
        let mut workers = Vec::new();
        let k = self.topology.cores_per_chip();
        for m in &models {
            let ci = classes
                .iter()
                .position(|c| c.size == m.group && c.memory == m.memory)
                .unwrap_or(0);
            for replica in 0..m.replicas {
                let Some(&(start, irregular)) = sol.starts.get(ci).and_then(|v| v.get(next[ci]))
                else {
                    continue;
                };
                next[ci] += 1;
                let cores = CoreRange::new(start, m.group)?;
                let devices: Vec<u32> = (start / k..=(cores.last()) / k).collect();
                workers.push(WorkerAssignment::new(
                    m.name.clone(),
                    replica,
                    cores,
                    m.compiled,
                    devices,
                    &self.topology,
                    irregular,
                ));
            }
        }
        Ok(Plan::new(
            self.topology.clone(),
            workers,
            normalize(self.busy.clone()),
            &busy,
            sol.largest_block,
            sol.irregular,
            sol.numa_imbalance,
            self.strictness,
        ))
    }

    pub(crate) fn problem<'a>(
        &'a self,
        busy: &'a [bool],
        models: &[Validated],
        upto: usize,
    ) -> Problem<'a> {
        Problem {
            topo: &self.topology,
            busy,
            classes: classes_of(models, upto),
            strictness: self.strictness,
        }
    }

    fn diagnose(
        &self,
        busy: &[bool],
        models: &[Validated],
        free: u32,
        needed: u64,
    ) -> Result<PlanError, PlanError> {
        // Capacity-capped models (no search needed beyond what fits in free cores).
        let fits = |ms: &[Validated]| -> Result<bool, PlanError> {
            if cores_needed(ms) > u64::from(free) {
                return Ok(false);
            }
            solver::feasible(&self.problem(busy, ms, ms.len()))
        };
        let mut blocker = models.len().saturating_sub(1);
        for i in 0..models.len() {
            if !fits(&models[..=i])? {
                blocker = i;
                break;
            }
        }
        let Some(blocking) = models.get(blocker).cloned() else {
            return Err(PlanError::TooLarge {
                reason: "empty request cannot fail".into(),
            });
        };
        let (name, g, requested) = (blocking.name.clone(), blocking.group, blocking.replicas);
        let max_with = |prefix: &[Validated], cap: u32| -> Result<u32, PlanError> {
            // Largest r in [0, cap] such that prefix + r groups of g fit (monotone).
            let (mut lo, mut hi) = (0u32, cap);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                let mut ms = prefix.to_vec();
                ms.push(Validated {
                    replicas: mid,
                    ..blocking.clone()
                });
                if fits(&ms)? {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            Ok(lo)
        };
        let cap = (free / g.max(1)).min(requested);
        let max_replicas_that_fit = max_with(&models[..blocker], cap.min(requested))?;
        let max_alone = max_with(&[], free / g.max(1))?;
        let fits_if_irregular_allowed = self.strictness == Strictness::Strict && {
            let relaxed = self.clone().strictness(Strictness::Prefer);
            u64::from(free) >= needed
                && solver::feasible(&relaxed.problem(busy, models, models.len()))?
        };
        Ok(PlanError::DoesNotFit(Box::new(DoesNotFit {
            instance: self.instance_label(),
            total_cores: self.topology.total_cores(),
            free_cores: free,
            needed_cores: needed,
            blocking_model: name,
            group_size: g,
            requested_replicas: requested,
            max_replicas_that_fit,
            max_alone,
            legal_sizes: self.topology.legal_group_sizes(),
            fits_if_irregular_allowed,
            cortex: self.cortex.is_some() && blocker == 0,
        })))
    }
}

/// Cores the models need in all (saturating).
pub(crate) fn cores_needed(models: &[Validated]) -> u64 {
    models
        .iter()
        .map(|m| u64::from(m.group) * u64::from(m.replicas))
        .sum()
}

/// Classes (size, memory) of the first `upto` models, largest size first, then largest
/// memory need.
pub(crate) fn classes_of(models: &[Validated], upto: usize) -> Vec<Class> {
    let mut by: BTreeMap<(u32, u64), u32> = BTreeMap::new();
    for m in models.iter().take(upto) {
        if m.replicas > 0 {
            let e = by.entry((m.group, m.memory)).or_insert(0);
            *e = e.saturating_add(m.replicas);
        }
    }
    by.into_iter()
        .rev()
        .map(|((size, memory), count)| Class {
            size,
            count,
            memory,
        })
        .collect()
}
