//! Fleet planning: replicas of many models across many instances of several types.
//!
//! Input: models ([`ModelSpec`]: compiled cores, replicas, optional LNC and device-memory
//! need), a catalogue of [`InstanceType`]s (a [`Topology`], an optional price per hour,
//! an optional maximum count) and optionally [`ExistingNode`]s (instances already
//! running, with their busy cores). Output: a [`FleetPlan`] — how many instances of
//! each type, and per instance a [`Plan`] made with the single-instance rules (chip
//! alignment, legal device sets, no chip crossing unless allowed and flagged).
//!
//! # Objective (lexicographic)
//! 1. every replica is placed;
//! 2. minimum total price per hour of the new instances (existing nodes cost nothing
//!    more); when no type has a price, every instance counts as one unit;
//! 3. fewest new instances;
//! 4. per instance, the single-instance objective (each instance's plan is solved
//!    exactly with [`PlanRequest::solve`]); remaining ties are broken by a fixed
//!    search order, so the same input always gives the same fleet.
//!
//! # Algorithm
//! A branch and bound over instances, type by type (cheapest per core first). Each new
//! instance takes a **maximal pattern** — a count of replicas per model that fits on
//! the instance (checked by the exact single-instance solver, with memory) and to
//! which no further remaining replica could be added; restricting to maximal patterns
//! loses no optimum, because moving a replica onto an earlier instance never costs
//! more. States (remaining replicas, type, instances of that type so far) are memoised,
//! so permutations of the same instances are explored once. The bound is the
//! fractional price: each remaining core at the cheapest price per core of a type that
//! can run it, and ⌈cores / largest instance⌉ instances. The search is exact unless
//! the node budget ([`FleetRequest::search_budget`]) or time budget
//! ([`FleetRequest::time_budget`]) stops it; the plan then reports the best fleet
//! found and a proven lower bound ([`FleetPlan::optimality`]).
//!
//! ```
//! use ncg_planner::ModelSpec;
//! use ncg_planner::fleet::{FleetRequest, InstanceType};
//! let fleet = FleetRequest::new()
//!     .model(ModelSpec::new("llama", 8, 2))
//!     .model(ModelSpec::new("bert", 1, 6))
//!     .instance_type(InstanceType::preset("inf2.xlarge")?.price_per_hour(0.76))
//!     .instance_type(InstanceType::preset("inf2.24xlarge")?.price_per_hour(6.49))
//!     .instance_type(InstanceType::preset("inf2.48xlarge")?.price_per_hour(12.98))
//!     .solve()?;
//! // 2 x 8 cores + 6 x 1 core = 22 cores: one inf2.48xlarge (24 cores, $12.98) is cheaper
//! // than an inf2.24xlarge plus inf2.xlarge instances.
//! assert_eq!(fleet.instance_counts(), vec![("inf2.48xlarge".to_string(), 1)]);
//! assert!(fleet.optimality().is_proven());
//! assert_eq!(fleet.workers().len(), 8);
//! println!("{fleet}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::{Duration, Instant};

use crate::error::PlanError;
use crate::plan::{Plan, WorkerAssignment};
use crate::range::CoreRange;
use crate::request::{ModelSpec, PlanRequest, Strictness, Validated, classes_of};
use crate::solver::{self, Problem};
use crate::topology::Topology;

/// Prices are compared in millionths of the currency unit, so sums are exact.
const MICRO: f64 = 1_000_000.0;

/// Default node budget of the search (see [`FleetRequest::search_budget`]).
pub const DEFAULT_SEARCH_BUDGET: u64 = 250_000;

/// One instance type of the catalogue.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct InstanceType {
    topology: Topology,
    price_per_hour: Option<f64>,
    max_count: Option<u32>,
}

impl InstanceType {
    /// A type described by a topology (its name is the instance type's name).
    pub fn new(topology: Topology) -> Self {
        Self {
            topology,
            price_per_hour: None,
            max_count: None,
        }
    }

    /// A preset instance type ([`Topology::preset`]).
    ///
    /// # Errors
    /// [`PlanError::UnknownInstance`] listing the known names.
    pub fn preset(name: &str) -> Result<Self, PlanError> {
        Ok(Self::new(Topology::preset(name)?))
    }

    /// Price per hour (any currency, e.g. on-demand USD). Either every type has a
    /// price or none has.
    pub fn price_per_hour(mut self, price: f64) -> Self {
        self.price_per_hour = Some(price);
        self
    }

    /// At most `count` new instances of this type.
    pub fn max_count(mut self, count: u32) -> Self {
        self.max_count = Some(count);
        self
    }

    /// The type's topology.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Price per hour, if given.
    pub fn price(&self) -> Option<f64> {
        self.price_per_hour
    }

    /// Largest number of new instances, if limited.
    pub fn limit(&self) -> Option<u32> {
        self.max_count
    }
}

/// An instance that is already running (costs nothing more); its busy cores are not
/// used and nothing running there moves.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct ExistingNode {
    name: String,
    topology: Topology,
    busy: Vec<CoreRange>,
}

impl ExistingNode {
    /// A running node `name` (e.g. its Kubernetes node name) of the given topology.
    pub fn new(name: impl Into<String>, topology: Topology) -> Self {
        Self {
            name: name.into(),
            topology,
            busy: Vec::new(),
        }
    }

    /// Mark cores busy on this node.
    pub fn busy(mut self, cores: CoreRange) -> Self {
        self.busy.push(cores);
        self
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Errors of fleet planning.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// Neither instance types nor existing nodes were given.
    #[error("no instance types and no existing nodes: add at least one instance type")]
    NoInstanceTypes,

    /// Some types have a price and others do not.
    #[error(
        "instance types {} have a price but {} have none: give every type a price (or none, \
         to minimise the instance count)",
        .priced.join(", "), .unpriced.join(", ")
    )]
    MixedPricing {
        /// Types with a price.
        priced: Vec<String>,
        /// Types without.
        unpriced: Vec<String>,
    },

    /// A price that is negative, not finite or too large.
    #[error(
        "instance type `{instance}` has price {price}: expected a finite price between 0 and 1e12"
    )]
    InvalidPrice {
        /// Instance type.
        instance: String,
        /// The price given.
        price: f64,
    },

    /// The same instance type (or node name) twice.
    #[error("`{name}` appears twice in the catalogue; list each instance type and node once")]
    Duplicate {
        /// The repeated name.
        name: String,
    },

    /// A model is invalid on its own (name, zero cores or replicas, duplicates).
    #[error("{0}")]
    InvalidModel(Box<PlanError>),

    /// A model cannot run on any type or node of the catalogue.
    #[error(
        "model `{model}` fits on no instance of the catalogue: {}",
        .reasons.iter().map(|(i, r)| format!("{i}: {r}")).collect::<Vec<_>>().join("; ")
    )]
    FitsNowhere {
        /// Model name.
        model: String,
        /// Per instance type or node: why it cannot run there.
        reasons: Vec<(String, String)>,
    },

    /// The maximum counts (and existing nodes) cannot hold every replica.
    #[error(
        "the fleet does not fit: {needed_cores} cores of replicas ({}) but the catalogue's \
         maximum counts and existing nodes offer {capacity_cores} free cores in all ({}); raise \
         a type's max count or add a type",
        .demand, .capacity
    )]
    DoesNotFit {
        /// Cores all replicas need.
        needed_cores: u64,
        /// Replicas per model, e.g. `llama 8x2, bert 1x6`.
        demand: String,
        /// Free cores on all allowed instances.
        capacity_cores: u64,
        /// The allowed instances, e.g. `inf2.48xlarge x 2 (48 cores)`.
        capacity: String,
    },

    /// The budget stopped the search before any fleet was found.
    #[error(
        "the search budget ({nodes} nodes) ran out before a fleet was found; raise \
         FleetRequest::search_budget / time_budget"
    )]
    BudgetExhausted {
        /// Nodes explored.
        nodes: u64,
    },

    /// Planning one instance of the chosen fleet failed (a bug if it happens: the
    /// search checked the pattern).
    #[error("planning instance `{instance}` failed: {source}")]
    Instance {
        /// Instance name.
        instance: String,
        /// The planner's error.
        source: Box<PlanError>,
    },
}

/// A fleet planning request. Build it, then [`FleetRequest::solve`].
#[derive(Debug, Clone)]
#[must_use]
pub struct FleetRequest {
    models: Vec<ModelSpec>,
    types: Vec<InstanceType>,
    existing: Vec<ExistingNode>,
    strictness: Strictness,
    budget: u64,
    time_budget: Option<Duration>,
}

impl Default for FleetRequest {
    fn default() -> Self {
        Self::new()
    }
}

impl FleetRequest {
    /// An empty request. Strictness defaults to [`Strictness::Strict`]: in a fleet another
    /// instance can always be added, and cluster schedulers (the Neuron scheduler
    /// extension) hand out only legal device sets.
    pub fn new() -> Self {
        Self {
            models: Vec::new(),
            types: Vec::new(),
            existing: Vec::new(),
            strictness: Strictness::Strict,
            budget: DEFAULT_SEARCH_BUDGET,
            time_budget: None,
        }
    }

    /// Add a model (replicas = workers across the fleet).
    pub fn model(mut self, model: ModelSpec) -> Self {
        self.models.push(model);
        self
    }

    /// Add several models.
    pub fn models(mut self, models: impl IntoIterator<Item = ModelSpec>) -> Self {
        self.models.extend(models);
        self
    }

    /// Add an instance type to the catalogue.
    pub fn instance_type(mut self, t: InstanceType) -> Self {
        self.types.push(t);
        self
    }

    /// Add a running node to use first.
    pub fn existing_node(mut self, node: ExistingNode) -> Self {
        self.existing.push(node);
        self
    }

    /// Chip-rule strictness on every instance (default [`Strictness::Strict`]).
    pub fn strictness(mut self, strictness: Strictness) -> Self {
        self.strictness = strictness;
        self
    }

    /// Stop the search after `nodes` search nodes (deterministic). The plan then
    /// reports the best fleet found with its proven gap.
    pub fn search_budget(mut self, nodes: u64) -> Self {
        self.budget = nodes.max(1);
        self
    }

    /// Stop the search after `limit` of wall-clock time (results then depend on the
    /// machine's speed; prefer [`FleetRequest::search_budget`] for reproducible plans).
    pub fn time_budget(mut self, limit: Duration) -> Self {
        self.time_budget = Some(limit);
        self
    }

    /// Models in request order.
    pub fn model_specs(&self) -> &[ModelSpec] {
        &self.models
    }

    /// Plan the fleet.
    ///
    /// # Errors
    /// [`FleetError`]: invalid models or catalogue, a model that fits nowhere (with the
    /// reason per type), a fleet the maximum counts cannot hold.
    pub fn solve(&self) -> Result<FleetPlan, FleetError> {
        let bins = self.bins()?;
        let m = self.models.len();
        // Each model validated against each bin.
        let mut valid: Vec<Vec<Option<Validated>>> = Vec::with_capacity(bins.len());
        let mut reasons: Vec<Vec<(String, String)>> = vec![Vec::new(); m];
        for b in &bins {
            let mut row = Vec::with_capacity(m);
            for (i, spec) in self.models.iter().enumerate() {
                let r = PlanRequest::new(b.topology.clone())
                    .strictness(self.strictness)
                    .model(spec.clone())
                    .validated();
                match r {
                    Ok(mut v) => row.push(v.pop()),
                    Err(e) => {
                        reasons[i].push((b.label.clone(), e.to_string()));
                        row.push(None);
                    }
                }
            }
            valid.push(row);
        }
        // Validation that does not depend on the instance (names, zeros, duplicates).
        if let Some(b) = bins.first() {
            PlanRequest::new(b.topology.clone())
                .models(
                    self.models
                        .iter()
                        .map(|s| ModelSpec::new(s.name(), s.compiled_cores(), s.replicas())),
                )
                .validated()
                .map(drop)
                .or_else(|e| match e {
                    PlanError::IllegalGroupSize { .. } | PlanError::DoesNotFit(_) => Ok(()),
                    e => Err(FleetError::InvalidModel(Box::new(e))),
                })?;
        }
        // A model must fit alone on at least one bin (with its busy cores).
        let mut search = Search::new(self, &bins, valid);
        for (i, spec) in self.models.iter().enumerate() {
            let mut unit = vec![0u32; m];
            unit[i] = 1;
            let ok = (0..bins.len()).any(|b| search.feasible(b, &unit));
            if !ok {
                for (b, bin) in bins.iter().enumerate() {
                    if search.valid[b][i].is_some() {
                        reasons[i].push((
                            bin.label.clone(),
                            "no free legal group of that size (busy cores)".into(),
                        ));
                    }
                }
                return Err(FleetError::FitsNowhere {
                    model: spec.name().to_string(),
                    reasons: std::mem::take(&mut reasons[i]),
                });
            }
        }
        let demand: Vec<u32> = self.models.iter().map(ModelSpec::replicas).collect();
        let root_lb = search.lower_bound(&demand, 0);
        let found = search.run(&demand);
        let Some((key, choice)) = found else {
            if search.stopped {
                return Err(FleetError::BudgetExhausted {
                    nodes: search.nodes,
                });
            }
            return Err(self.does_not_fit(&bins));
        };
        let proven = !search.stopped;
        self.build(&bins, &choice, key, root_lb, proven, search.nodes)
    }

    fn bins(&self) -> Result<Vec<Bin>, FleetError> {
        if self.types.is_empty() && self.existing.is_empty() {
            return Err(FleetError::NoInstanceTypes);
        }
        let priced: Vec<String> = self
            .types
            .iter()
            .filter(|t| t.price_per_hour.is_some())
            .map(|t| t.topology.name().to_string())
            .collect();
        let unpriced: Vec<String> = self
            .types
            .iter()
            .filter(|t| t.price_per_hour.is_none())
            .map(|t| t.topology.name().to_string())
            .collect();
        if !priced.is_empty() && !unpriced.is_empty() {
            return Err(FleetError::MixedPricing { priced, unpriced });
        }
        let mut names = std::collections::HashSet::new();
        let mut bins = Vec::new();
        for n in &self.existing {
            if !names.insert(n.name.clone()) {
                return Err(FleetError::Duplicate {
                    name: n.name.clone(),
                });
            }
            let req = PlanRequest::new(n.topology.clone()).busy_ranges(n.busy.iter().copied());
            let busy = req
                .busy_mask()
                .map_err(|e| FleetError::InvalidModel(Box::new(e)))?;
            bins.push(Bin {
                label: n.name.clone(),
                topology: n.topology.clone(),
                busy_ranges: n.busy.clone(),
                busy,
                price: 0,
                price_f: None,
                max: Some(1),
                existing: true,
            });
        }
        let mut types: Vec<Bin> = Vec::new();
        for t in &self.types {
            let label = t.topology.name().to_string();
            if !names.insert(label.clone()) {
                return Err(FleetError::Duplicate { name: label });
            }
            let price = match t.price_per_hour {
                None => 1,
                Some(p) if p.is_finite() && (0.0..=1e12).contains(&p) => (p * MICRO).round() as u64,
                Some(p) => {
                    return Err(FleetError::InvalidPrice {
                        instance: label,
                        price: p,
                    });
                }
            };
            types.push(Bin {
                label,
                topology: t.topology.clone(),
                busy_ranges: Vec::new(),
                busy: vec![false; t.topology.total_cores() as usize],
                price,
                price_f: t.price_per_hour,
                max: t.max_count,
                existing: false,
            });
        }
        // Cheapest per core first (a good first fleet), then larger, then by name.
        types.sort_by(|a, b| {
            let (ca, cb) = (
                u128::from(a.price) * u128::from(b.topology.total_cores()),
                u128::from(b.price) * u128::from(a.topology.total_cores()),
            );
            ca.cmp(&cb)
                .then(b.topology.total_cores().cmp(&a.topology.total_cores()))
                .then(a.label.cmp(&b.label))
        });
        bins.extend(types);
        Ok(bins)
    }

    fn does_not_fit(&self, bins: &[Bin]) -> FleetError {
        let needed: u64 = self
            .models
            .iter()
            .map(|s| u64::from(s.group_cores()) * u64::from(s.replicas()))
            .sum();
        let mut cap = 0u64;
        let mut parts = Vec::new();
        for b in bins {
            let free = b.busy.iter().filter(|x| !**x).count() as u64;
            match b.max {
                Some(n) => {
                    cap += free * u64::from(n);
                    parts.push(format!("{} x {n} ({} cores)", b.label, free * u64::from(n)));
                }
                None => parts.push(format!("{} unlimited", b.label)),
            }
        }
        let demand = self
            .models
            .iter()
            .map(|s| format!("{} {}x{}", s.name(), s.group_cores(), s.replicas()))
            .collect::<Vec<_>>()
            .join(", ");
        FleetError::DoesNotFit {
            needed_cores: needed,
            demand,
            capacity_cores: cap,
            capacity: parts.join(", "),
        }
    }

    fn build(
        &self,
        bins: &[Bin],
        choice: &[(usize, Vec<u32>)],
        key: u128,
        root_lb: u128,
        proven: bool,
        nodes: u64,
    ) -> Result<FleetPlan, FleetError> {
        let mut instances = Vec::new();
        let mut workers = Vec::new();
        let mut next_replica: Vec<u32> = vec![0; self.models.len()];
        let mut per_type: BTreeMap<String, u32> = BTreeMap::new();
        for (b, pattern) in choice {
            let bin = &bins[*b];
            if pattern.iter().all(|&c| c == 0) {
                continue;
            }
            let name = if bin.existing {
                bin.label.clone()
            } else {
                let n = per_type.entry(bin.label.clone()).or_insert(0);
                *n += 1;
                format!("{}-{}", bin.label, *n - 1)
            };
            let specs: Vec<ModelSpec> = self
                .models
                .iter()
                .zip(pattern)
                .filter(|(_, c)| **c > 0)
                .map(|(s, c)| with_replicas(s, *c))
                .collect();
            let plan = PlanRequest::new(bin.topology.clone())
                .strictness(self.strictness)
                .models(specs)
                .busy_ranges(bin.busy_ranges.iter().copied())
                .solve()
                .map_err(|source| FleetError::Instance {
                    instance: name.clone(),
                    source: Box::new(source),
                })?;
            let idx = instances.len();
            for w in plan.workers() {
                let mi = self
                    .models
                    .iter()
                    .position(|s| s.name() == w.model)
                    .unwrap_or(0);
                workers.push(FleetWorker {
                    instance: idx,
                    replica: next_replica[mi] + w.replica,
                    assignment: w.clone(),
                });
            }
            for (mi, c) in pattern.iter().enumerate() {
                next_replica[mi] += c;
            }
            instances.push(FleetInstance {
                name,
                instance_type: bin.topology.name().to_string(),
                existing: bin.existing,
                price_per_hour: if bin.existing { None } else { bin.price_f },
                plan,
            });
        }
        let priced = self.types.iter().any(|t| t.price_per_hour.is_some());
        let (best_price, best_count) = split_key(key);
        let (lb_price, lb_count) = split_key(root_lb);
        let optimality = if proven {
            Optimality::Proven
        } else if priced {
            Optimality::Gap {
                lower_bound: lb_price as f64 / MICRO,
                found: best_price as f64 / MICRO,
            }
        } else {
            Optimality::Gap {
                lower_bound: lb_count as f64,
                found: best_count as f64,
            }
        };
        Ok(FleetPlan {
            models: self.models.clone(),
            instances,
            workers,
            total_price: priced.then(|| best_price as f64 / MICRO),
            optimality,
            search_nodes: nodes,
        })
    }
}

fn with_replicas(s: &ModelSpec, replicas: u32) -> ModelSpec {
    let mut m =
        ModelSpec::new(s.name(), s.compiled_cores(), replicas).with_group_cores(s.group_cores());
    if let Some(l) = s.lnc() {
        m = m.with_lnc(l);
    }
    if let Some(b) = s.device_memory_bytes() {
        m = m.with_device_memory(b);
    }
    m
}

/// Objective key: price (micro units, or 1 per instance unpriced) then instance count.
fn key_of(price: u64, count: u64) -> u128 {
    (u128::from(price) << 32) | u128::from(count.min(u64::from(u32::MAX)))
}

fn split_key(k: u128) -> (u64, u64) {
    ((k >> 32) as u64, (k & 0xffff_ffff) as u64)
}

/// An instance slot of the search: an existing node (at most once) or a type.
struct Bin {
    label: String,
    topology: Topology,
    busy_ranges: Vec<CoreRange>,
    busy: Vec<bool>,
    price: u64,
    price_f: Option<f64>,
    max: Option<u32>,
    existing: bool,
}

/// The instances of a fleet in search order: (bin, replicas per model).
type Choice = Vec<(usize, Vec<u32>)>;

type Memo = HashMap<(usize, u32, Vec<u32>), Outcome>;

#[derive(Clone)]
enum Outcome {
    /// Exact minimum from this state, with the choice.
    Best(u128, Choice),
    /// No completion cheaper than this bound.
    NoneBelow(u128),
}

struct Search<'a> {
    bins: &'a [Bin],
    valid: Vec<Vec<Option<Validated>>>,
    strictness: Strictness,
    fit_memo: HashMap<(usize, Vec<u32>), bool>,
    memo: Memo,
    budget: u64,
    deadline: Option<Instant>,
    nodes: u64,
    stopped: bool,
    /// Per bin: free cores.
    free: Vec<u32>,
    /// Per model: group cores.
    group: Vec<u32>,
    /// `knap[from][c]`: least price of new instances of bins `from..` (counts unlimited)
    /// whose free cores add up to at least `c`: an integer bound on the price.
    knap: Vec<Vec<u64>>,
    /// Whether prices were given (else every instance costs one unit).
    priced: bool,
}

impl<'a> Search<'a> {
    fn new(req: &FleetRequest, bins: &'a [Bin], valid: Vec<Vec<Option<Validated>>>) -> Self {
        Self {
            bins,
            valid,
            strictness: req.strictness,
            fit_memo: HashMap::new(),
            memo: HashMap::new(),
            budget: req.budget,
            deadline: req.time_budget.map(|d| Instant::now() + d),
            nodes: 0,
            stopped: false,
            free: bins
                .iter()
                .map(|b| b.busy.iter().filter(|x| !**x).count() as u32)
                .collect(),
            group: req.models.iter().map(ModelSpec::group_cores).collect(),
            knap: Vec::new(),
            priced: req.types.iter().any(|t| t.price_per_hour.is_some()),
        }
        .with_knapsack(req)
    }

    fn with_knapsack(mut self, req: &FleetRequest) -> Self {
        let total: u64 = req
            .models
            .iter()
            .map(|s| u64::from(s.group_cores()) * u64::from(s.replicas()))
            .sum();
        // Bounded table size: beyond it the bound falls back to the fractional one.
        let cap = total.min(1 << 16) as usize;
        let n = self.bins.len();
        let mut knap = vec![vec![0u64; cap + 1]; n + 1];
        knap[n] = vec![u64::MAX; cap + 1];
        knap[n][0] = 0;
        for b in (0..n).rev() {
            let mut row = knap[b + 1].clone();
            if !self.bins[b].existing && self.free[b] > 0 {
                let (w, p) = (self.free[b] as usize, self.bins[b].price);
                for c in 1..=cap {
                    let prev = row[c.saturating_sub(w)];
                    if prev != u64::MAX {
                        row[c] = row[c].min(prev.saturating_add(p));
                    }
                }
            }
            knap[b] = row;
        }
        self.knap = knap;
        self
    }

    /// Whether `counts` replicas per model fit on one instance of bin `b`.
    fn feasible(&mut self, b: usize, counts: &[u32]) -> bool {
        let cores: u64 = counts
            .iter()
            .zip(&self.group)
            .map(|(&c, &g)| u64::from(c) * u64::from(g))
            .sum();
        if cores > u64::from(self.free[b]) {
            return false;
        }
        if counts
            .iter()
            .enumerate()
            .any(|(i, &c)| c > 0 && self.valid[b][i].is_none())
        {
            return false;
        }
        if cores == 0 {
            return true;
        }
        if let Some(&r) = self.fit_memo.get(&(b, counts.to_vec())) {
            return r;
        }
        let models: Vec<Validated> = counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .filter_map(|(i, &c)| {
                self.valid[b][i]
                    .clone()
                    .map(|v| Validated { replicas: c, ..v })
            })
            .collect();
        let bin = &self.bins[b];
        let problem = Problem {
            topo: &bin.topology,
            busy: &bin.busy,
            classes: classes_of(&models, models.len()),
            strictness: self.strictness,
        };
        let r = solver::feasible(&problem).unwrap_or(false);
        self.fit_memo.insert((b, counts.to_vec()), r);
        r
    }

    /// Lower bound on the objective for `d` using bins `from..`.
    fn lower_bound(&self, d: &[u32], from: usize) -> u128 {
        let mut price = 0f64;
        let mut cores = 0u64;
        let mut max_cores = 0u32;
        let mut free_existing = 0u64;
        for (b, bin) in self.bins.iter().enumerate().skip(from) {
            if bin.existing {
                free_existing += u64::from(self.free[b]);
            } else {
                max_cores = max_cores.max(self.free[b]);
            }
        }
        for (i, &n) in d.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let need = u64::from(n) * u64::from(self.group[i]);
            cores += need;
            let best = self
                .bins
                .iter()
                .enumerate()
                .skip(from)
                .filter(|(b, bin)| self.valid[*b][i].is_some() && !bin.existing)
                .map(|(b, bin)| bin.price as f64 / f64::from(self.free[b].max(1)))
                .fold(f64::INFINITY, f64::min);
            if best.is_finite() {
                price += best * need as f64;
            }
        }
        if free_existing > 0 {
            // Existing nodes may absorb the need at no cost: only a trivial bound.
            return 0;
        }
        // Round down with a margin so float error never overstates the bound.
        let mut price = (price * (1.0 - 1e-9)).floor().max(0.0) as u64;
        if let Some(&k) = self.knap.get(from).and_then(|row| row.get(cores as usize)) {
            if k != u64::MAX {
                price = price.max(k);
            }
        }
        let count = if max_cores == 0 {
            0
        } else {
            cores.div_ceil(u64::from(max_cores))
        };
        if !self.priced {
            price = price.max(count);
        }
        key_of(price, count)
    }

    fn out_of_budget(&mut self) -> bool {
        if self.stopped {
            return true;
        }
        self.nodes += 1;
        if self.nodes > self.budget {
            self.stopped = true;
        } else if self.nodes % 1024 == 0 {
            if let Some(d) = self.deadline {
                if Instant::now() >= d {
                    self.stopped = true;
                }
            }
        }
        self.stopped
    }

    fn run(&mut self, demand: &[u32]) -> Option<(u128, Choice)> {
        // Iterative deepening on the bound is not needed: plain branch and bound from an
        // unbounded start finds the first fleet quickly (cheapest types first).
        match self.best(demand, 0, 0, u128::MAX) {
            Outcome::Best(k, c) => Some((k, c)),
            Outcome::NoneBelow(_) => None,
        }
    }

    /// Best completion of demand `d` using bins `b..` (with `used` instances of bin `b`
    /// already), strictly cheaper than `bound`.
    fn best(&mut self, d: &[u32], b: usize, used: u32, bound: u128) -> Outcome {
        if d.iter().all(|&x| x == 0) {
            return Outcome::Best(0, Vec::new());
        }
        if b >= self.bins.len() {
            return Outcome::NoneBelow(u128::MAX);
        }
        if self.lower_bound(d, b) >= bound {
            return Outcome::NoneBelow(bound);
        }
        let key = (b, used, d.to_vec());
        match self.memo.get(&key) {
            Some(Outcome::Best(k, c)) => {
                return if *k < bound {
                    Outcome::Best(*k, c.clone())
                } else {
                    Outcome::NoneBelow(bound)
                };
            }
            Some(Outcome::NoneBelow(x)) if *x >= bound => return Outcome::NoneBelow(bound),
            _ => {}
        }
        if self.out_of_budget() {
            return Outcome::NoneBelow(bound);
        }
        let mut best: Option<(u128, Choice)> = None;
        let mut cur_bound = bound;
        let bin_price = self.bins[b].price;
        let existing = self.bins[b].existing;
        let may_add = self.bins[b].max.is_none_or(|m| used < m);
        if may_add {
            let patterns = self.patterns(b, d);
            for p in patterns {
                if p.iter().all(|&c| c == 0) {
                    continue;
                }
                let rest: Vec<u32> = d.iter().zip(&p).map(|(a, c)| a - c).collect();
                let here = if existing { 0 } else { key_of(bin_price, 1) };
                if here >= cur_bound {
                    break;
                }
                let (nb, nu) = if existing { (b + 1, 0) } else { (b, used + 1) };
                if let Outcome::Best(k, mut c) = self.best(&rest, nb, nu, cur_bound - here) {
                    let total = k + here;
                    if total < cur_bound {
                        c.insert(0, (b, p.clone()));
                        cur_bound = total;
                        best = Some((total, c));
                    }
                }
                if self.stopped {
                    break;
                }
            }
        }
        if !self.stopped {
            if let Outcome::Best(k, c) = self.best(d, b + 1, 0, cur_bound) {
                if k < cur_bound {
                    cur_bound = k;
                    best = Some((k, c));
                }
            }
        }
        let _ = cur_bound;
        match best {
            Some((k, c)) => {
                if !self.stopped {
                    self.memo.insert(key, Outcome::Best(k, c.clone()));
                }
                Outcome::Best(k, c)
            }
            None => {
                if !self.stopped {
                    self.memo.insert(key, Outcome::NoneBelow(bound));
                }
                Outcome::NoneBelow(bound)
            }
        }
    }

    /// Maximal patterns of bin `b` for demand `d`, lexicographically descending (the
    /// models in request order), most replicas first.
    fn patterns(&mut self, b: usize, d: &[u32]) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        let mut cur = vec![0u32; d.len()];
        self.enumerate(b, d, 0, &mut cur, &mut out);
        out
    }

    fn enumerate(
        &mut self,
        b: usize,
        d: &[u32],
        i: usize,
        cur: &mut Vec<u32>,
        out: &mut Vec<Vec<u32>>,
    ) {
        if self.stopped {
            return;
        }
        if i == d.len() {
            // Maximal: no remaining replica of any model can be added.
            let maximal = (0..d.len()).all(|j| {
                cur[j] >= d[j] || {
                    cur[j] += 1;
                    let f = self.feasible(b, cur);
                    cur[j] -= 1;
                    !f
                }
            });
            if maximal {
                out.push(cur.clone());
            }
            return;
        }
        // Largest count of model i that fits with the prefix (feasibility is monotone).
        let cap = if self.valid[b][i].is_none() || d[i] == 0 {
            0
        } else {
            let used: u32 = cur.iter().zip(&self.group).map(|(&c, &g)| c * g).sum();
            d[i].min(self.free[b].saturating_sub(used) / self.group[i].max(1))
        };
        let (mut lo, mut hi) = (0u32, cap);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            cur[i] = mid;
            if self.feasible(b, cur) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        for c in (0..=lo).rev() {
            cur[i] = c;
            self.enumerate(b, d, i + 1, cur, out);
            if self.out_of_budget() {
                break;
            }
        }
        cur[i] = 0;
    }
}

/// Whether the fleet is proven optimal.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Optimality {
    /// The search was exhaustive: no fleet is cheaper (or, at equal price, smaller).
    Proven,
    /// The budget stopped the search: the best fleet found and a proven lower bound
    /// on the optimum (price per hour, or instance count when unpriced).
    Gap {
        /// No fleet costs less than this.
        lower_bound: f64,
        /// Cost of the fleet returned.
        found: f64,
    },
}

impl Optimality {
    /// Whether the plan is proven optimal.
    pub fn is_proven(&self) -> bool {
        matches!(self, Optimality::Proven)
    }
}

/// One worker of the fleet.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FleetWorker {
    /// Index into [`FleetPlan::instances`].
    pub instance: usize,
    /// Replica index across the fleet (from 0 per model).
    pub replica: u32,
    /// Where it runs on its instance (`assignment.replica` is the index on the instance).
    pub assignment: WorkerAssignment,
}

/// One instance of the fleet.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FleetInstance {
    /// `type-i` for a new instance (e.g. `inf2.48xlarge-0`), the node name for an
    /// existing one.
    pub name: String,
    /// Instance type.
    pub instance_type: String,
    /// Whether this is an existing node.
    pub existing: bool,
    /// Price per hour of a new instance, when prices were given.
    pub price_per_hour: Option<f64>,
    /// The instance's plan.
    pub plan: Plan,
}

/// A planned fleet.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetPlan {
    models: Vec<ModelSpec>,
    instances: Vec<FleetInstance>,
    workers: Vec<FleetWorker>,
    total_price: Option<f64>,
    optimality: Optimality,
    search_nodes: u64,
}

impl FleetPlan {
    /// Instances with at least one worker (existing nodes first, then new instances by
    /// type).
    pub fn instances(&self) -> &[FleetInstance] {
        &self.instances
    }
    /// Every worker, instance by instance.
    pub fn workers(&self) -> &[FleetWorker] {
        &self.workers
    }
    /// The models planned.
    pub fn models(&self) -> &[ModelSpec] {
        &self.models
    }
    /// Total price per hour of the new instances, when prices were given.
    pub fn total_price(&self) -> Option<f64> {
        self.total_price
    }
    /// New instances per type, sorted by type name.
    pub fn instance_counts(&self) -> Vec<(String, u32)> {
        let mut m: BTreeMap<String, u32> = BTreeMap::new();
        for i in self.instances.iter().filter(|i| !i.existing) {
            *m.entry(i.instance_type.clone()).or_insert(0) += 1;
        }
        m.into_iter().collect()
    }
    /// Number of new instances.
    pub fn new_instance_count(&self) -> u32 {
        self.instances.iter().filter(|i| !i.existing).count() as u32
    }
    /// Whether the plan is proven optimal, or the gap when a budget stopped the search.
    pub fn optimality(&self) -> Optimality {
        self.optimality
    }
    /// Search nodes explored (for benchmarks and budget tuning).
    pub fn search_nodes(&self) -> u64 {
        self.search_nodes
    }
}

impl fmt::Display for FleetPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 5]> = self
            .instances
            .iter()
            .map(|i| {
                let mut per: Vec<(String, u32, u32)> = Vec::new();
                for w in i.plan.workers() {
                    match per.iter_mut().find(|(m, _, _)| *m == w.model) {
                        Some(e) => e.2 += 1,
                        None => per.push((w.model.clone(), w.cores.count(), 1)),
                    }
                }
                [
                    i.name.clone(),
                    i.instance_type.clone(),
                    match (i.existing, i.price_per_hour) {
                        (true, _) => "existing".into(),
                        (false, Some(p)) => format!("{p:.4}"),
                        (false, None) => "-".into(),
                    },
                    per.iter()
                        .map(|(m, g, n)| format!("{m} {g}x{n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    i.plan.idle_core_count().to_string(),
                ]
            })
            .collect();
        let header = [
            "instance",
            "type",
            "price/h",
            "workers (model cores x n)",
            "idle",
        ];
        let mut w = header.map(str::len);
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.len());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, c: [&str; 5]| {
            writeln!(
                f,
                "{:<w0$}  {:<w1$}  {:>w2$}  {:<w3$}  {:>w4$}",
                c[0],
                c[1],
                c[2],
                c[3],
                c[4],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2],
                w3 = w[3],
                w4 = w[4]
            )
        };
        line(f, header)?;
        for r in &rows {
            line(f, [&r[0], &r[1], &r[2], &r[3], &r[4]])?;
        }
        let counts = self
            .instance_counts()
            .iter()
            .map(|(t, n)| format!("{n} x {t}"))
            .collect::<Vec<_>>()
            .join(", ");
        write!(
            f,
            "new instances: {}",
            if counts.is_empty() { "none" } else { &counts }
        )?;
        if let Some(p) = self.total_price {
            write!(f, "; total price per hour: {p:.4}")?;
        }
        match self.optimality {
            Optimality::Proven => writeln!(f, "; proven optimal"),
            Optimality::Gap { lower_bound, found } => writeln!(
                f,
                "; search stopped by its budget: found {found:.4}, optimum at least {lower_bound:.4}"
            ),
        }
    }
}
