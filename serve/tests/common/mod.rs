//! Shared test setup: every server of a test binary runs on one emulated trn1.32xlarge (32
//! cores) with a lock directory of its own, so parallel tests and other processes never collide.
#![allow(dead_code)]

use neuron_rt::{Backend, Device};
use neuron_rt_serve::client::{ClientResponse, Connection};
use neuron_rt_serve::{MlpSpec, Mode, ModelConfig, RunningServer, ServeConfig};
use std::path::PathBuf;
use std::sync::Mutex;

pub const INSTANCE: &str = "trn1.32xlarge";

pub fn lock_dir() -> PathBuf {
    std::env::temp_dir().join(format!("nrt-serve-tests-{}", std::process::id()))
}

/// The device every server of this process uses (same settings, so the same `Device`).
pub fn device() -> Device {
    Device::builder()
        .backend(Backend::emulator(INSTANCE))
        .emulator_lock_dir(lock_dir())
        .open()
        .expect("open the emulated device")
}

pub fn mlp(device_time_us: u64) -> MlpSpec {
    MlpSpec {
        layers: vec![4, 8, 3],
        batch: 4,
        device_time_us,
        seed: 7,
    }
}

pub fn config(name: &str, groups: u32, spec: MlpSpec) -> ServeConfig {
    ServeConfig {
        port: 0,
        instance: Some(INSTANCE.into()),
        emulator_lock_dir: Some(lock_dir()),
        models: vec![ModelConfig::builtin_mlp(name, groups, spec)],
        ..ServeConfig::default()
    }
}

/// Servers plan around the cores already claimed in this process; starting them one at a time
/// keeps two plans from picking the same free cores.
static START: Mutex<()> = Mutex::new(());

pub fn start(config: ServeConfig) -> RunningServer {
    let _guard = START.lock().unwrap_or_else(|p| p.into_inner());
    neuron_rt_serve::start(config, Mode::InProcess, false).expect("server starts")
}

/// Reference outputs: the model run directly on a group of its own, with `row` in every row.
pub fn reference_row(spec: &MlpSpec, name: &str, row: &[f32]) -> Vec<f32> {
    let _guard = START.lock().unwrap_or_else(|p| p.into_inner());
    let device = device();
    let neff = spec.build(name).unwrap();
    let model = device.core_group_of_size(1).unwrap().load(&neff).unwrap();
    let batch: Vec<f32> = (0..spec.batch).flat_map(|_| row.iter().copied()).collect();
    let x = ndarray::Array2::from_shape_vec((spec.batch, row.len()), batch).unwrap();
    let out = model
        .run(&[neuron_rt::Input::new("input", &x)])
        .unwrap()
        .array::<f32>("probs")
        .unwrap();
    out.as_slice().unwrap()[..out.shape()[1]].to_vec()
}

pub async fn connect(server: &RunningServer) -> Connection {
    Connection::connect(server.addr).await.expect("connect")
}

pub async fn post(conn: &mut Connection, path: &str, body: &str) -> ClientResponse {
    conn.request(
        hyper::Method::POST,
        path,
        &[("content-type", "application/json".into())],
        body.to_string().into(),
    )
    .await
    .expect("request")
}

pub fn assert_close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}
