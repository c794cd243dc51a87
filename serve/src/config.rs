//! Server configuration: a TOML or JSON file, or command-line flags (see [`crate::cli`]).
//!
//! ```toml
//! port = 8000
//! instance = "inf2.24xlarge"   # run on the emulator as this instance (omit: hardware if present)
//! batch_delay_ms = 2.0
//!
//! [[models]]
//! name = "mlp"
//! groups = 8                    # NeuronCore Groups (replicas), one model each
//! mlp = { layers = [16, 64, 10], batch = 8, device_time_us = 1000 }
//!
//! [[models]]
//! name = "resnet"
//! neff = "/models/resnet.neff"
//! groups = 2
//! batching = false
//! ```

use crate::model::MlpSpec;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The emulator instance used when the machine has no Neuron hardware and none is configured.
pub const DEFAULT_INSTANCE: &str = "inf2.24xlarge";

/// The whole server configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on (default 127.0.0.1).
    #[serde(default = "default_host")]
    pub host: IpAddr,
    /// Port (default 8000; 0 picks a free one, in-process mode only).
    #[serde(default = "default_port")]
    pub port: u16,
    /// Run on the emulator, emulating this instance. Unset: the Neuron hardware when the machine
    /// has it, else the emulator as [`DEFAULT_INSTANCE`].
    #[serde(default)]
    pub instance: Option<String>,
    /// Emulator core-lock directory (default: the emulator's, or `NEURON_RT_EMULATOR_LOCK_DIR`).
    #[serde(default)]
    pub emulator_lock_dir: Option<PathBuf>,
    /// Default batching delay in milliseconds (default 2).
    #[serde(default = "default_delay_ms")]
    pub batch_delay_ms: f64,
    /// Default for dynamic batching (default on).
    #[serde(default = "default_true")]
    pub batching: bool,
    /// Requests allowed to wait per model before 503 (default 4096).
    #[serde(default = "default_max_queue")]
    pub max_queue: usize,
    /// Largest request body in bytes (default 64 MiB).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// How long shutdown waits for in-flight requests, seconds (default 30).
    #[serde(default = "default_shutdown_s")]
    pub shutdown_timeout_s: f64,
    /// Multi-process mode: one serving process per group, sharing the port (SO_REUSEPORT).
    #[serde(default)]
    pub processes: bool,
    /// HTTP threads per process (default: one per CPU, 2 to 8, in-process; 1 per worker in
    /// multi-process mode). Each is a single-threaded runtime serving the connections dealt to
    /// it by one accept loop; a connection stays on its thread.
    #[serde(default)]
    pub http_threads: Option<usize>,
    /// The models (default: one built-in MLP named `mlp` on 8 groups).
    #[serde(default = "default_models")]
    pub models: Vec<ModelConfig>,
}

/// One served model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Served name (the `{name}` of `/v2/models/{name}`).
    pub name: String,
    /// NeuronCore Groups (replicas) for this model (default 1).
    #[serde(default = "default_groups")]
    pub groups: u32,
    /// A compiled NEFF file.
    #[serde(default)]
    pub neff: Option<PathBuf>,
    /// The built-in emulator MLP (used when `neff` is not given).
    #[serde(default)]
    pub mlp: Option<MlpSpec>,
    /// Batching delay for this model, ms (default: the server's).
    #[serde(default)]
    pub batch_delay_ms: Option<f64>,
    /// Dynamic batching for this model (default: the server's).
    #[serde(default)]
    pub batching: Option<bool>,
}

fn default_host() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}
fn default_port() -> u16 {
    8000
}
fn default_delay_ms() -> f64 {
    2.0
}
fn default_true() -> bool {
    true
}
fn default_max_queue() -> usize {
    4096
}
fn default_max_body() -> usize {
    64 << 20
}
fn default_shutdown_s() -> f64 {
    30.0
}
fn default_groups() -> u32 {
    1
}
fn default_models() -> Vec<ModelConfig> {
    vec![ModelConfig::builtin_mlp("mlp", 8, MlpSpec::default())]
}

/// A configuration problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file could not be parsed.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Default for ServeConfig {
    fn default() -> Self {
        // Every field has a serde default; an empty document gives them all.
        ServeConfig {
            host: default_host(),
            port: default_port(),
            instance: None,
            emulator_lock_dir: None,
            batch_delay_ms: default_delay_ms(),
            batching: true,
            max_queue: default_max_queue(),
            max_body_bytes: default_max_body(),
            shutdown_timeout_s: default_shutdown_s(),
            processes: false,
            http_threads: None,
            models: default_models(),
        }
    }
}

impl ModelConfig {
    /// A built-in MLP model on `groups` groups.
    pub fn builtin_mlp(name: &str, groups: u32, mlp: MlpSpec) -> ModelConfig {
        ModelConfig {
            name: name.to_string(),
            groups,
            neff: None,
            mlp: Some(mlp),
            batch_delay_ms: None,
            batching: None,
        }
    }

    /// The NEFF bytes: the file, or the built-in MLP.
    pub fn neff_bytes(&self) -> Result<Vec<u8>, ConfigError> {
        match &self.neff {
            Some(path) => std::fs::read(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            }),
            None => self
                .mlp
                .clone()
                .unwrap_or_default()
                .build(&self.name)
                .map_err(|e| ConfigError::Invalid(format!("model '{}': {e}", self.name))),
        }
    }
}

impl ServeConfig {
    /// Read a `.toml` or `.json` file.
    pub fn from_file(path: &Path) -> Result<ServeConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let parsed = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| e.to_string())
        } else {
            toml::from_str(&text).map_err(|e| e.to_string())
        };
        let config: ServeConfig = parsed.map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Check ranges and consistency.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if self.models.is_empty() {
            return bad("no models configured".into());
        }
        let delay_ok = |d: f64| d.is_finite() && (0.0..=10_000.0).contains(&d);
        if !delay_ok(self.batch_delay_ms) {
            return bad(format!(
                "batch_delay_ms = {} must be between 0 and 10000",
                self.batch_delay_ms
            ));
        }
        if !(self.shutdown_timeout_s.is_finite() && self.shutdown_timeout_s >= 0.0) {
            return bad("shutdown_timeout_s must be a non-negative number".into());
        }
        if self.max_queue == 0 || self.max_body_bytes == 0 {
            return bad("max_queue and max_body_bytes must be at least 1".into());
        }
        if self.http_threads == Some(0) {
            return bad("http_threads must be at least 1".into());
        }
        let mut names = std::collections::HashSet::new();
        for m in &self.models {
            if m.name.is_empty()
                || !m
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                return bad(format!(
                    "model name {:?} must be non-empty ASCII letters, digits, '-', '_' or '.'",
                    m.name
                ));
            }
            if !names.insert(&m.name) {
                return bad(format!("model '{}' is configured twice", m.name));
            }
            if m.groups == 0 {
                return bad(format!("model '{}': groups must be at least 1", m.name));
            }
            if m.neff.is_some() && m.mlp.is_some() {
                return bad(format!(
                    "model '{}': give either neff or mlp, not both",
                    m.name
                ));
            }
            if let Some(d) = m.batch_delay_ms {
                if !delay_ok(d) {
                    return bad(format!(
                        "model '{}': batch_delay_ms = {d} must be between 0 and 10000",
                        m.name
                    ));
                }
            }
        }
        if self.processes {
            if self.models.len() != 1 {
                return bad(format!(
                    "multi-process mode serves one model (every worker process answers on the \
                     shared port); {} are configured — run one server per model",
                    self.models.len()
                ));
            }
            if self.port == 0 {
                return bad("multi-process mode needs a fixed port (the workers share it)".into());
            }
        }
        Ok(())
    }

    /// The batching delay of `model`.
    pub fn delay_of(&self, model: &ModelConfig) -> Duration {
        Duration::from_secs_f64(model.batch_delay_ms.unwrap_or(self.batch_delay_ms) / 1000.0)
    }

    /// Whether `model` is batched.
    pub fn batching_of(&self, model: &ModelConfig) -> bool {
        model.batching.unwrap_or(self.batching)
    }

    /// The shutdown drain deadline.
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.shutdown_timeout_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_files() {
        let dir = std::env::temp_dir().join(format!("nrt-serve-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let toml_path = dir.join("c.toml");
        std::fs::write(
            &toml_path,
            "port = 9000\nbatch_delay_ms = 1.5\n[[models]]\nname = \"a\"\ngroups = 2\nmlp = { batch = 4 }\n",
        )
        .unwrap();
        let c = ServeConfig::from_file(&toml_path).unwrap();
        assert_eq!(c.port, 9000);
        assert_eq!(c.models[0].groups, 2);
        assert_eq!(c.models[0].mlp.as_ref().unwrap().batch, 4);
        assert_eq!(c.models[0].mlp.as_ref().unwrap().layers, vec![16, 64, 10]);
        assert_eq!(c.delay_of(&c.models[0]), Duration::from_micros(1500));
        let json_path = dir.join("c.json");
        std::fs::write(&json_path, r#"{"models":[{"name":"b","batching":false}]}"#).unwrap();
        let c = ServeConfig::from_file(&json_path).unwrap();
        assert!(!c.batching_of(&c.models[0]));
        std::fs::write(&toml_path, "prot = 1\n").unwrap();
        let err = ServeConfig::from_file(&toml_path).unwrap_err().to_string();
        assert!(err.contains("unknown field `prot`"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn invalid_configurations_are_named() {
        let mut c = ServeConfig::default();
        c.models.push(c.models[0].clone());
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("configured twice")
        );
        let c = ServeConfig {
            batch_delay_ms: -1.0,
            ..Default::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("batch_delay_ms")
        );
        let c = ServeConfig {
            processes: true,
            port: 0,
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("fixed port"));
        assert!(ServeConfig::default().validate().is_ok());
    }
}
