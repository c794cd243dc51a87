//! The models file of the `fleet` example: models, the instance-type catalogue and
//! existing nodes, in TOML or JSON (same structure).
//!
//! ```toml
//! strict = true                     # optional, default true (legal device sets only)
//!
//! [[model]]
//! name = "llama"
//! cores = 8                         # compiled core count
//! replicas = 4
//! lnc = 2                           # optional: the model's -lnc (trn2)
//! memory_gib = 20.0                 # optional: device memory per replica
//! group_cores = 8                   # optional: cores per worker (>= cores)
//! path = "/models/llama.neff"       # optional: given to the worker
//!
//! [[instance]]
//! type = "inf2.48xlarge"
//! price = 12.98                     # optional (all types or none)
//! max = 3                           # optional
//! lnc = 2                           # optional (trn2)
//!
//! [[node]]                          # optional: running nodes, used first
//! name = "ip-10-0-1-7.ec2.internal"
//! type = "inf2.24xlarge"
//! busy = "0-3,8"
//! ```

use std::path::Path;

use ncg_planner::fleet::{ExistingNode, FleetRequest, InstanceType};
use ncg_planner::{CoreRange, ModelSpec, Strictness, Topology};
use serde::{Deserialize, Serialize};

use crate::DeployError;

/// One model entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// Model name.
    pub name: String,
    /// Compiled core count.
    pub cores: u32,
    /// Replicas (workers) across the fleet.
    pub replicas: u32,
    /// LNC the model was compiled for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lnc: Option<u32>,
    /// Device memory per replica, GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_gib: Option<f64>,
    /// Cores per worker when larger than `cores`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_cores: Option<u32>,
    /// NEFF path inside the worker's container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// One instance type of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceEntry {
    /// Instance type (a planner preset).
    #[serde(rename = "type")]
    pub instance_type: String,
    /// Price per hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// Most new instances of this type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// LNC (trn2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lnc: Option<u32>,
}

/// A running node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeEntry {
    /// Node name (Kubernetes node name).
    pub name: String,
    /// Instance type.
    #[serde(rename = "type")]
    pub instance_type: String,
    /// Busy cores, e.g. `0-3,8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy: Option<String>,
    /// LNC (trn2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lnc: Option<u32>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsFile {
    /// Refuse irregular groups (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Models.
    #[serde(rename = "model", default)]
    pub models: Vec<ModelEntry>,
    /// Instance types.
    #[serde(rename = "instance", default)]
    pub instances: Vec<InstanceEntry>,
    /// Existing nodes.
    #[serde(rename = "node", default)]
    pub nodes: Vec<NodeEntry>,
}

const GIB: f64 = (1u64 << 30) as f64;

fn topology(t: &str, lnc: Option<u32>) -> Result<Topology, DeployError> {
    Ok(match lnc {
        Some(l) => Topology::preset_with_lnc(t, l)?,
        None => Topology::preset(t)?,
    })
}

impl ModelsFile {
    /// Read a `.toml` or `.json` file (by extension; other names are tried as TOML).
    ///
    /// # Errors
    /// [`DeployError::ModelsFile`] with the parser's message and position.
    pub fn read(path: &Path) -> Result<Self, DeployError> {
        let err = |reason: String| DeployError::ModelsFile {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if json {
            Self::from_json(&text)
        } else {
            Self::from_toml(&text)
        }
        .map_err(|e| match e {
            DeployError::ModelsFile { reason, .. } => err(reason),
            e => e,
        })
    }

    /// Parse TOML text.
    ///
    /// # Errors
    /// [`DeployError::ModelsFile`].
    pub fn from_toml(text: &str) -> Result<Self, DeployError> {
        toml::from_str(text).map_err(|e| DeployError::ModelsFile {
            path: "<toml>".into(),
            reason: e.to_string(),
        })
    }

    /// Parse JSON text.
    ///
    /// # Errors
    /// [`DeployError::ModelsFile`].
    pub fn from_json(text: &str) -> Result<Self, DeployError> {
        serde_json::from_str(text).map_err(|e| DeployError::ModelsFile {
            path: "<json>".into(),
            reason: e.to_string(),
        })
    }

    /// The fleet request the file describes.
    ///
    /// # Errors
    /// Unknown instance types, bad LNC, bad busy ranges, a negative memory need.
    pub fn request(&self) -> Result<FleetRequest, DeployError> {
        let mut r = FleetRequest::new().strictness(if self.strict.unwrap_or(true) {
            Strictness::Strict
        } else {
            Strictness::Prefer
        });
        for m in &self.models {
            let mut s = ModelSpec::new(&m.name, m.cores, m.replicas);
            if let Some(l) = m.lnc {
                s = s.with_lnc(l);
            }
            if let Some(g) = m.group_cores {
                s = s.with_group_cores(g);
            }
            if let Some(gib) = m.memory_gib {
                if !(gib.is_finite() && gib > 0.0 && gib < 1e9) {
                    return Err(DeployError::ModelsFile {
                        path: "<models>".into(),
                        reason: format!(
                            "model `{}`: memory_gib = {gib}; expected a positive number of GiB",
                            m.name
                        ),
                    });
                }
                s = s.with_device_memory((gib * GIB).ceil() as u64);
            }
            r = r.model(s);
        }
        for i in &self.instances {
            let mut t = InstanceType::new(topology(&i.instance_type, i.lnc)?);
            if let Some(p) = i.price {
                t = t.price_per_hour(p);
            }
            if let Some(m) = i.max {
                t = t.max_count(m);
            }
            r = r.instance_type(t);
        }
        for n in &self.nodes {
            let mut node = ExistingNode::new(&n.name, topology(&n.instance_type, n.lnc)?);
            for piece in n.busy.as_deref().unwrap_or("").split(',') {
                if piece.trim().is_empty() {
                    continue;
                }
                node = node.busy(piece.parse::<CoreRange>()?);
            }
            r = r.existing_node(node);
        }
        Ok(r)
    }

    /// The NEFF path given for a model, if any.
    pub fn model_path(&self, model: &str) -> Option<&str> {
        self.models
            .iter()
            .find(|m| m.name == model)
            .and_then(|m| m.path.as_deref())
    }
}
