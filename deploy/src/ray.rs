//! Ray options from a fleet plan.
//!
//! Ray's Neuron support schedules the resource `neuron_cores` (whole numbers only) and
//! writes the ids it assigned to an actor into `NEURON_RT_VISIBLE_CORES` as a comma
//! list, with no contiguity guarantee (the worker checks: [`crate::visible`]). Per
//! model this module gives Ray Serve deployment options —
//! `num_replicas` and `ray_actor_options: {"resources": {"neuron_cores": N}}` — and the
//! worker's environment.

use std::collections::BTreeMap;

use ncg_planner::fleet::FleetPlan;
use serde::{Deserialize, Serialize};

use crate::{DeployError, env};

/// Ray's resource name for NeuronCores.
pub const NEURON_CORES: &str = "neuron_cores";

/// `ray_actor_options` of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorOptions {
    /// Custom/accelerator resources: `{"neuron_cores": N}`.
    pub resources: BTreeMap<String, u32>,
    /// `runtime_env` with the worker's variables.
    pub runtime_env: RuntimeEnv,
}

/// Ray `runtime_env` subset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeEnv {
    /// Environment variables.
    pub env_vars: BTreeMap<String, String>,
}

/// Options of one model (Ray Serve deployment form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelOptions {
    /// Model name (Serve deployment name).
    pub name: String,
    /// Replicas (actors).
    pub num_replicas: u32,
    /// Options for each actor.
    pub ray_actor_options: ActorOptions,
    /// Replicas per instance type in the plan (for node-group sizing).
    pub replicas_per_instance_type: BTreeMap<String, u32>,
}

/// Ray options of a whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RayOptions {
    /// Per model.
    pub models: Vec<ModelOptions>,
    /// `neuron_cores` per instance type, for `ray start --resources` on each node.
    pub node_resources: BTreeMap<String, u32>,
}

/// Ray options for every model of the plan.
///
/// ```
/// use ncg_planner::ModelSpec;
/// use ncg_planner::fleet::{FleetRequest, InstanceType};
/// let plan = FleetRequest::new()
///     .instance_type(InstanceType::preset("inf2.24xlarge")?)
///     .model(ModelSpec::new("bert", 2, 3))
///     .solve()?;
/// let ray = neuron_rt_deploy::ray::options(&plan, &Default::default());
/// assert_eq!(ray.models[0].num_replicas, 3);
/// assert_eq!(ray.models[0].ray_actor_options.resources["neuron_cores"], 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn options(plan: &FleetPlan, model_paths: &BTreeMap<String, String>) -> RayOptions {
    let mut models = Vec::new();
    for m in plan.models() {
        let mut per_type: BTreeMap<String, u32> = BTreeMap::new();
        let mut lnc = None;
        for w in plan
            .workers()
            .iter()
            .filter(|w| w.assignment.model == m.name())
        {
            let inst = &plan.instances()[w.instance];
            *per_type.entry(inst.instance_type.clone()).or_insert(0) += 1;
            lnc = lnc.or(w.assignment.lnc);
        }
        let mut env_vars: BTreeMap<String, String> = BTreeMap::new();
        env_vars.insert(env::MODEL.into(), m.name().into());
        env_vars.insert(env::COMPILED_CORES.into(), m.compiled_cores().to_string());
        if let Some(l) = lnc {
            env_vars.insert(env::LOGICAL_NC_CONFIG.into(), l.to_string());
        }
        if let Some(p) = model_paths.get(m.name()) {
            env_vars.insert(env::MODEL_PATH.into(), p.clone());
        }
        models.push(ModelOptions {
            name: m.name().into(),
            num_replicas: m.replicas(),
            ray_actor_options: ActorOptions {
                resources: [(NEURON_CORES.to_string(), m.group_cores())]
                    .into_iter()
                    .collect(),
                runtime_env: RuntimeEnv { env_vars },
            },
            replicas_per_instance_type: per_type,
        });
    }
    let node_resources = plan
        .instances()
        .iter()
        .map(|i| (i.instance_type.clone(), i.plan.topology().total_cores()))
        .collect();
    RayOptions {
        models,
        node_resources,
    }
}

/// The options as pretty JSON (what `ray.remote(**opts)` / Serve's `.options(**opts)`
/// take after `json.load`).
///
/// # Errors
/// [`DeployError::Serialize`].
pub fn to_json(options: &RayOptions) -> Result<String, DeployError> {
    serde_json::to_string_pretty(options).map_err(|e| DeployError::Serialize {
        what: "Ray options",
        reason: e.to_string(),
    })
}
