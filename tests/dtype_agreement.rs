//! One definition of the element types on the Rust side — `neuron_neff::DType` (codes, the
//! legacy numbering, sizes, names) — and the C side agreeing with it: the values of our C header
//! (`nrt.h`, from which bindgen generates neuron-rt-sys's constants) and the emulator's
//! interpreter (`emulator/src/program.c`), observed through what it reports for a loaded model.

use neuron_neff::{DType, ModelBuilder};
use neuron_rt::{Backend, Device};
use std::collections::BTreeMap;

/// `NRT_DTYPE_<NAME> = <value>` of the C header, by name.
fn header_dtypes() -> BTreeMap<String, u32> {
    let header = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/neuron-rt-sys/include/nrt/nrt.h"
    ))
    .unwrap();
    header
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().split_once('=')?;
            let name = name.trim().strip_prefix("NRT_DTYPE_")?;
            let value = rest.trim().split([',', ' ', '/']).next()?;
            let value = match value
                .strip_prefix("0x")
                .or_else(|| value.strip_prefix("0X"))
            {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => value.parse().ok()?,
            };
            Some((name.to_string(), value))
        })
        .collect()
}

#[test]
fn the_c_header_has_exactly_neuron_neffs_dtype_codes() {
    let mut header = header_dtypes();
    for dtype in DType::ALL {
        assert_eq!(
            header.remove(dtype.nrt_name()),
            Some(dtype.code()),
            "NRT_DTYPE_{} in nrt.h",
            dtype.nrt_name()
        );
    }
    // What is left are the "no type" markers, which are no element type.
    assert!(
        header.values().all(|&v| DType::from_code(v).is_none()),
        "nrt.h codes without a DType: {header:?}"
    );
    assert!(
        !header.is_empty(),
        "the header's UNKNOWN/INVALID markers were not parsed"
    );
}

#[test]
fn the_emulator_reports_every_dtype_with_neuron_neffs_code_and_size() {
    let dir = std::env::temp_dir().join(format!("neuron-rt-dtypes-{}", std::process::id()));
    let device = Device::builder()
        .backend(Backend::emulator("inf2.xlarge"))
        .emulator_lock_dir(&dir)
        .open()
        .unwrap();
    for dtype in DType::ALL {
        let neff = ModelBuilder::new(format!("copy_{}", dtype.name()))
            .input("x", dtype, &[3, 2])
            .identity("y", "x", &[6])
            .output("y")
            .build()
            .unwrap();
        let model = device.core_group_of_size(1).unwrap().load(&neff).unwrap();
        for (info, shape) in [
            (&model.inputs()[0], vec![3, 2]),
            (&model.outputs()[0], vec![6]),
        ] {
            assert_eq!(info.dtype, dtype, "{}", info.name);
            assert_eq!(info.shape, shape);
            assert_eq!(info.size_bytes, 6 * dtype.size_bytes(), "{dtype}");
        }
    }
    drop(device);
    let _ = std::fs::remove_dir_all(&dir);
}
