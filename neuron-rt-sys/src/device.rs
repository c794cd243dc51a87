//! Is there Neuron hardware on this machine?
//!
//! Each Neuron chip appears as a device node `/dev/neuronN`. The safe crate's `Auto` backend uses
//! this to decide between the real runtime and the emulator, so that a machine with Neuron
//! hardware never silently runs on the emulator.

use std::path::{Path, PathBuf};

/// The Neuron device nodes under `/dev` (`/dev/neuron0`, `/dev/neuron1`, …), sorted by number.
/// Empty on machines without Neuron hardware (or when `/dev` cannot be read).
pub fn neuron_device_nodes() -> Vec<PathBuf> {
    device_nodes_in(Path::new("/dev"))
}

/// Like [`neuron_device_nodes`], scanning `dir` instead of `/dev` (for the tests).
fn device_nodes_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut nodes: Vec<(u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let index = name.to_str()?.strip_prefix("neuron")?.parse::<u32>().ok()?;
            Some((index, entry.path()))
        })
        .collect();
    nodes.sort();
    nodes.into_iter().map(|(_, path)| path).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_numbered_neuron_nodes_in_order() {
        let dir = std::env::temp_dir().join(format!("neuron-rt-sys-dev-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["neuron10", "neuron2", "neuronx", "nvidia0", "neuron"] {
            std::fs::write(dir.join(name), b"").unwrap();
        }
        let found: Vec<String> = device_nodes_in(&dir)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found, ["neuron2", "neuron10"]);
    }

    #[test]
    fn missing_directory_means_no_devices() {
        assert!(device_nodes_in(Path::new("/nonexistent/neuron-rt-sys")).is_empty());
    }
}
