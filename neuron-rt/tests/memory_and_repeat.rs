//! `Device::memory_stats`, `IoBinding::execute_repeat` and the runtime version on the emulator.
//! The runtime is one per process: every test holds `LOCK` and closes its device.

use neuron_neff::{DType, ModelBuilder};
use neuron_rt::{Backend, Device, Error};
use std::sync::{Mutex, MutexGuard};

static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn open(instance: &str) -> Device {
    let dir = std::env::temp_dir().join(format!("nrt-mem-rep-{}", std::process::id()));
    Device::builder()
        .backend(Backend::emulator(instance))
        .emulator_lock_dir(dir)
        .open()
        .unwrap()
}

fn increment() -> Vec<u8> {
    ModelBuilder::new("increment")
        .input("x", DType::Float32, &[4])
        .constant_f32("one", &[4], &[1.0; 4])
        .add("y", "x", "one")
        .output("y")
        .build()
        .unwrap()
}

#[test]
fn memory_stats_follow_tensors_and_models() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let idle = device.memory_stats(1).unwrap();
    assert_eq!(idle.bytes_used, 0);
    assert_eq!(idle.bytes_limit, 32 << 30);
    assert_eq!(idle.bytes_free(), idle.bytes_limit);
    {
        let model = device
            .core_group(neuron_rt::CoreRange::new(1, 1).unwrap())
            .unwrap()
            .load(&increment())
            .unwrap();
        let loaded = device.memory_stats(1).unwrap();
        assert_eq!(loaded.bytes_used, 16, "the model's 16 bytes of constants");
        let binding = model.binding().unwrap();
        let bound = device.memory_stats(1).unwrap();
        assert_eq!(
            bound.bytes_used,
            16 + 16 + 16,
            "constants + input x + output y"
        );
        assert_eq!(
            device.memory_stats(0).unwrap().bytes_used,
            0,
            "core 0 untouched"
        );
        drop(binding);
        assert_eq!(device.memory_stats(1).unwrap().bytes_used, 16);
    }
    assert_eq!(device.memory_stats(1).unwrap().bytes_used, 0);
    match device.memory_stats(2) {
        Err(Error::GroupOutOfRange { visible, .. }) => assert_eq!(visible, 2),
        other => panic!("expected GroupOutOfRange, got {other:?}"),
    }
    device.close().unwrap();
}

#[test]
fn execute_repeat_feeds_outputs_back() {
    let _g = lock();
    let device = open("inf2.xlarge");
    let model = device
        .core_group_of_size(1)
        .unwrap()
        .load(&increment())
        .unwrap();
    let mut binding = model.binding().unwrap();
    binding.write_input("x", &[0.0f32, 1.0, 2.0, 3.0]).unwrap();
    binding.execute_repeat(4).unwrap();
    let mut y = [0.0f32; 4];
    binding.read_output("y", &mut y).unwrap();
    assert_eq!(y, [4.0, 5.0, 6.0, 7.0]);
    binding.execute_repeat(1).unwrap();
    binding.read_output("y", &mut y).unwrap();
    assert_eq!(
        y,
        [1.0, 2.0, 3.0, 4.0],
        "one repetition = one execution of the bound input"
    );
    match binding.execute_repeat(0) {
        Err(Error::InvalidSetting { what, .. }) => assert_eq!(what, "repeat count"),
        other => panic!("expected InvalidSetting, got {other:?}"),
    }
    assert!(matches!(
        binding.execute_repeat(u32::MAX),
        Err(Error::InvalidSetting { .. })
    ));
    drop(binding);
    drop(model);

    // a model whose outputs do not match its inputs cannot repeat
    let mlp = ModelBuilder::mlp("mlp", &[4, 8, 2], 1, 3).build().unwrap();
    let model = device.core_group_of_size(1).unwrap().load(&mlp).unwrap();
    let mut binding = model.binding().unwrap();
    match binding.execute_repeat(2) {
        Err(Error::Runtime { call, status, .. }) => {
            assert_eq!(call, "nrt_execute_repeat");
            assert_eq!(status.code(), 2, "NRT_INVALID");
        }
        other => panic!("expected a runtime error, got {other:?}"),
    }
    drop(binding);
    drop(model);
    device.close().unwrap();
}

#[test]
fn runtime_version_names_the_emulated_instance() {
    let _g = lock();
    let device = open("inf2.24xlarge");
    let detail = &device.runtime_version().detail;
    assert!(detail.contains("instance inf2.24xlarge"), "{detail}");
    device.close().unwrap();
}
