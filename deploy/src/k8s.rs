//! Kubernetes manifests from a fleet plan, built with `k8s-openapi` types.
//!
//! Two forms:
//! * [`deployments`]: per model and instance type a `Deployment` whose container asks
//!   the Neuron device plugin for `aws.amazon.com/neuroncore: N` (or
//!   `aws.amazon.com/neurondevice: D` for whole-chip groups), selects nodes by
//!   `node.kubernetes.io/instance-type`, and names the scheduler that runs the Neuron
//!   scheduler extension (`schedulerName`), which picks contiguous cores and injects
//!   `NEURON_RT_VISIBLE_CORES`. Requested sizes are checked against what the extension
//!   can allocate on that instance type (inf1/inf2: adjacent devices; trn1.32xlarge:
//!   sets of 1, 4, 8, 16 devices).
//! * [`static_pods`]: for clusters without the extension, one `Pod` per worker, pinned
//!   by node name, with its exact `NEURON_RT_VISIBLE_CORES` and its `/dev/neuronN`
//!   devices mounted (privileged, since no device plugin hands them over).
//!
//! Both carry the worker environment ([`crate::env`]) and HTTP probes on the serving
//! example's health endpoints (`/v2/health/live`, `/v2/health/ready`).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction, HostPathVolumeSource,
    ObjectFieldSelector, Pod, PodSpec, PodTemplateSpec, Probe, ResourceRequirements,
    SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use ncg_planner::fleet::FleetPlan;
use ncg_planner::{ModelSpec, Topology};
use serde::Serialize;

use crate::{DeployError, env};

/// Device-plugin resource for NeuronCores.
pub const NEURONCORE: &str = "aws.amazon.com/neuroncore";
/// Device-plugin resource for whole Neuron devices (chips).
pub const NEURONDEVICE: &str = "aws.amazon.com/neurondevice";
/// Well-known node label holding the EC2 instance type.
pub const INSTANCE_TYPE_LABEL: &str = "node.kubernetes.io/instance-type";
/// Label carrying the model name on every object.
pub const MODEL_LABEL: &str = "neuron-rt.dev/model";
/// Readiness path of the serving example.
pub const READY_PATH: &str = "/v2/health/ready";
/// Liveness path of the serving example.
pub const LIVE_PATH: &str = "/v2/health/live";

/// Which device-plugin resource the Deployments request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NeuronResource {
    /// `aws.amazon.com/neuroncore`: the group's core count (default).
    #[default]
    Cores,
    /// `aws.amazon.com/neurondevice`: whole chips (only for groups of whole chips).
    Devices,
}

/// Options of the manifests.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct K8sOptions {
    /// Container image of the worker.
    pub image: String,
    /// Namespace (omitted when `None`).
    pub namespace: Option<String>,
    /// Scheduler running the Neuron scheduler extension (Deployment form).
    pub scheduler_name: Option<String>,
    /// Resource the Deployments request.
    pub resource: NeuronResource,
    /// Port of the worker's HTTP server (probes).
    pub port: u16,
    /// Command of the container (image default when empty).
    pub command: Vec<String>,
    /// NEFF path per model, passed as [`env::MODEL_PATH`].
    pub model_paths: BTreeMap<String, String>,
}

impl K8sOptions {
    /// Options with an image, scheduler `my-scheduler` (a placeholder: set the name of the
    /// scheduler that runs the Neuron extension in your cluster), `neuroncore` requests,
    /// port 8000.
    pub fn new(image: impl Into<String>) -> Self {
        Self {
            image: image.into(),
            namespace: None,
            scheduler_name: Some("my-scheduler".into()),
            resource: NeuronResource::Cores,
            port: 8000,
            command: Vec::new(),
            model_paths: BTreeMap::new(),
        }
    }

    fn check(&self) -> Result<(), DeployError> {
        if self.image.trim().is_empty() {
            return Err(DeployError::InvalidOption {
                option: "image",
                reason: "empty; give the worker's container image, e.g. \
                         registry.example/neuron-worker:1.0"
                    .into(),
            });
        }
        if self.port == 0 {
            return Err(DeployError::InvalidOption {
                option: "port",
                reason: "0; give the port the worker's HTTP server listens on".into(),
            });
        }
        if let Some(ns) = &self.namespace {
            dns_label(ns)?;
        }
        Ok(())
    }
}

/// A Kubernetes object name from free text: lowercase, `.`/`_`/other → `-`.
///
/// # Errors
/// [`DeployError::InvalidName`] when nothing usable is left or it is too long.
pub fn dns_label(text: &str) -> Result<String, DeployError> {
    let mut s: String = text
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        return Err(DeployError::InvalidName {
            name: text.into(),
            reason: "no letter or digit".into(),
        });
    }
    if s.len() > 63 {
        return Err(DeployError::InvalidName {
            name: text.into(),
            reason: format!("`{s}` has {} characters", s.len()),
        });
    }
    Ok(s)
}

/// Core counts the Neuron scheduler extension can allocate on `topo`: sizes inside one
/// chip, and whole legal device sets (adjacent devices on inf1/inf2 rings; 1, 4, 8 or
/// 16 devices on trn1.32xlarge).
pub fn scheduler_sizes(topo: &Topology) -> Vec<u32> {
    topo.legal_group_sizes()
}

fn spec<'a>(plan: &'a FleetPlan, model: &str) -> Option<&'a ModelSpec> {
    plan.models().iter().find(|m| m.name() == model)
}

fn limits(resource: &str, n: u32) -> ResourceRequirements {
    let q: BTreeMap<String, Quantity> = [(resource.to_string(), Quantity(n.to_string()))]
        .into_iter()
        .collect();
    ResourceRequirements {
        limits: Some(q.clone()),
        requests: Some(q),
        ..Default::default()
    }
}

fn env_var(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        value_from: None,
    }
}

fn probe(path: &str, port: u16, initial: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::Int(i32::from(port)),
            ..Default::default()
        }),
        initial_delay_seconds: Some(initial),
        period_seconds: Some(10),
        ..Default::default()
    }
}

fn container(
    opts: &K8sOptions,
    model: &ModelSpec,
    lnc: Option<u32>,
    mut env: Vec<EnvVar>,
) -> Container {
    env.insert(0, env_var(env::MODEL, model.name()));
    env.push(env_var(
        env::COMPILED_CORES,
        model.compiled_cores().to_string(),
    ));
    if let Some(l) = lnc {
        env.push(env_var(env::LOGICAL_NC_CONFIG, l.to_string()));
    }
    if let Some(p) = opts.model_paths.get(model.name()) {
        env.push(env_var(env::MODEL_PATH, p.clone()));
    }
    Container {
        name: "worker".into(),
        image: Some(opts.image.clone()),
        command: (!opts.command.is_empty()).then(|| opts.command.clone()),
        env: Some(env),
        ports: Some(vec![ContainerPort {
            container_port: i32::from(opts.port),
            name: Some("http".into()),
            ..Default::default()
        }]),
        readiness_probe: Some(probe(READY_PATH, opts.port, 5)),
        liveness_probe: Some(probe(LIVE_PATH, opts.port, 30)),
        ..Default::default()
    }
}

fn labels(model: &str) -> Result<BTreeMap<String, String>, DeployError> {
    Ok([
        (
            "app.kubernetes.io/name".to_string(),
            "neuron-rt-worker".to_string(),
        ),
        (MODEL_LABEL.to_string(), dns_label(model)?),
    ]
    .into_iter()
    .collect())
}

/// One `Deployment` per (model, instance type) of the plan, in plan order.
///
/// # Errors
/// [`DeployError::IllegalSchedulerSize`] for a group the scheduler extension cannot
/// allocate on its instance type (naming the legal sizes), [`DeployError::NotWholeDevices`]
/// for a `neurondevice` request of a partial chip, invalid names or options.
pub fn deployments(plan: &FleetPlan, opts: &K8sOptions) -> Result<Vec<Deployment>, DeployError> {
    opts.check()?;
    // (model, instance type) -> (replicas, topology, group size)
    let mut groups: Vec<(String, String, u32, Topology, u32)> = Vec::new();
    for w in plan.workers() {
        let inst = &plan.instances()[w.instance];
        let a = &w.assignment;
        match groups
            .iter_mut()
            .find(|g| g.0 == a.model && g.1 == inst.instance_type)
        {
            Some(g) => g.2 += 1,
            None => groups.push((
                a.model.clone(),
                inst.instance_type.clone(),
                1,
                inst.plan.topology().clone(),
                a.cores.count(),
            )),
        }
    }
    let mut out = Vec::new();
    for (model, itype, replicas, topo, size) in groups {
        let legal = scheduler_sizes(&topo);
        if !legal.contains(&size) {
            return Err(DeployError::IllegalSchedulerSize {
                model,
                instance_type: itype,
                size,
                legal,
            });
        }
        let k = topo.cores_per_chip();
        let (resource, amount) = match opts.resource {
            NeuronResource::Cores => (NEURONCORE, size),
            NeuronResource::Devices => {
                if size % k != 0 {
                    return Err(DeployError::NotWholeDevices {
                        model,
                        instance_type: itype,
                        size,
                        per_chip: k,
                    });
                }
                (NEURONDEVICE, size / k)
            }
        };
        let Some(m) = spec(plan, &model) else {
            continue;
        };
        let name = dns_label(&format!("{model}-{itype}"))?;
        let mut sel = labels(&model)?;
        sel.insert("neuron-rt.dev/instance-type".into(), dns_label(&itype)?);
        let env = vec![EnvVar {
            name: env::WORKER_ID.into(),
            value: None,
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "metadata.name".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }];
        let mut c = container(opts, m, topo.lnc(), env);
        c.resources = Some(limits(resource, amount));
        let node_selector: BTreeMap<String, String> =
            [(INSTANCE_TYPE_LABEL.to_string(), itype.clone())]
                .into_iter()
                .collect();
        out.push(Deployment {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: opts.namespace.clone(),
                labels: Some(sel.clone()),
                ..Default::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(i32::try_from(replicas).unwrap_or(i32::MAX)),
                selector: LabelSelector {
                    match_labels: Some(sel.clone()),
                    ..Default::default()
                },
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(sel),
                        ..Default::default()
                    }),
                    spec: Some(PodSpec {
                        containers: vec![c],
                        node_selector: Some(node_selector),
                        scheduler_name: opts.scheduler_name.clone(),
                        ..Default::default()
                    }),
                },
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    Ok(out)
}

/// One `Pod` per worker, pinned to its node (`nodeName`: the existing node's name, or
/// the planned instance's name `type-i` — replace it with the node that instance
/// became), with its exact `NEURON_RT_VISIBLE_CORES` and `/dev/neuronN` devices.
///
/// # Errors
/// Invalid names or options.
pub fn static_pods(plan: &FleetPlan, opts: &K8sOptions) -> Result<Vec<Pod>, DeployError> {
    opts.check()?;
    let mut out = Vec::new();
    for w in plan.workers() {
        let inst = &plan.instances()[w.instance];
        let a = &w.assignment;
        let Some(m) = spec(plan, &a.model) else {
            continue;
        };
        let env = vec![
            env_var(env::VISIBLE_CORES, a.visible_cores_env()),
            env_var(env::REPLICA, w.replica.to_string()),
            env_var(env::WORKER_COUNT, plan.workers().len().to_string()),
        ];
        let mut c = container(opts, m, a.lnc, env);
        let devices = a.device_paths();
        c.volume_mounts = Some(
            devices
                .iter()
                .enumerate()
                .map(|(i, d)| VolumeMount {
                    name: format!("neuron{i}"),
                    mount_path: d.clone(),
                    ..Default::default()
                })
                .collect(),
        );
        c.security_context = Some(SecurityContext {
            privileged: Some(true),
            ..Default::default()
        });
        let volumes = devices
            .iter()
            .enumerate()
            .map(|(i, d)| Volume {
                name: format!("neuron{i}"),
                host_path: Some(HostPathVolumeSource {
                    path: d.clone(),
                    type_: Some("CharDevice".into()),
                }),
                ..Default::default()
            })
            .collect();
        let mut l = labels(&a.model)?;
        l.insert("neuron-rt.dev/replica".into(), w.replica.to_string());
        let annotations: BTreeMap<String, String> = [
            (
                "neuron-rt.dev/planned-instance".to_string(),
                inst.name.clone(),
            ),
            (
                "neuron-rt.dev/visible-cores".to_string(),
                a.visible_cores_env(),
            ),
        ]
        .into_iter()
        .collect();
        out.push(Pod {
            metadata: ObjectMeta {
                name: Some(dns_label(&format!("{}-{}", a.model, w.replica))?),
                namespace: opts.namespace.clone(),
                labels: Some(l),
                annotations: Some(annotations),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![c],
                node_name: Some(inst.name.clone()),
                node_selector: Some(
                    [(INSTANCE_TYPE_LABEL.to_string(), inst.instance_type.clone())]
                        .into_iter()
                        .collect(),
                ),
                volumes: Some(volumes),
                restart_policy: Some("Always".into()),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    Ok(out)
}

/// Objects as a multi-document YAML stream (`---` between documents), ready for
/// `kubectl apply -f`.
///
/// # Errors
/// [`DeployError::Serialize`].
pub fn to_yaml<T: Serialize>(objects: &[T]) -> Result<String, DeployError> {
    let mut out = String::new();
    for o in objects {
        let doc = serde_saphyr::to_string(o).map_err(|e| DeployError::Serialize {
            what: "manifest",
            reason: e.to_string(),
        })?;
        out.push_str("---\n");
        out.push_str(&doc);
        if !doc.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}
