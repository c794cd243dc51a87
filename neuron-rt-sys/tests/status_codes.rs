//! Every status value of the reference round-trips through the name lookup.

use neuron_rt_sys::NRT_STATUS;

/// (value, name) from shared/reference/nrt-abi.md §4.
const REFERENCE: &[(u32, &str)] = &[
    (0, "NRT_SUCCESS"),
    (1, "NRT_FAILURE"),
    (2, "NRT_INVALID"),
    (3, "NRT_INVALID_HANDLE"),
    (4, "NRT_RESOURCE"),
    (5, "NRT_TIMEOUT"),
    (6, "NRT_HW_ERROR"),
    (7, "NRT_QUEUE_FULL"),
    (9, "NRT_LOAD_NOT_ENOUGH_NC"),
    (10, "NRT_UNSUPPORTED_NEFF_VERSION"),
    (11, "NRT_FAIL_HOST_MEM_ALLOC"),
    (13, "NRT_UNINITIALIZED"),
    (14, "NRT_CLOSED"),
    (15, "NRT_QUEUE_EMPTY"),
    (101, "NRT_EXEC_UNIT_UNRECOVERABLE"),
    (1002, "NRT_EXEC_BAD_INPUT"),
    (1003, "NRT_EXEC_COMPLETED_WITH_NUM_ERR"),
    (1004, "NRT_EXEC_COMPLETED_WITH_ERR"),
    (1005, "NRT_EXEC_NC_BUSY"),
    (1006, "NRT_EXEC_OOB"),
    (1100, "NRT_COLL_PENDING"),
    (1200, "NRT_EXEC_HW_ERR_COLLECTIVES"),
    (1201, "NRT_EXEC_HW_ERR_HBM_UE"),
    (1202, "NRT_EXEC_HW_ERR_NC_UE"),
    (1203, "NRT_EXEC_HW_ERR_DMA_ABORT"),
    (1204, "NRT_EXEC_SW_NQ_OVERFLOW"),
    (1205, "NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE"),
    (1206, "NRT_NETWORK_PROXY_FAILURE"),
];

#[test]
fn every_reference_status_round_trips_through_its_name() {
    for &(value, name) in REFERENCE {
        let status = NRT_STATUS(value);
        assert_eq!(status.name(), Some(name), "value {value}");
        assert_eq!(NRT_STATUS::from_name(name), Some(status), "name {name}");
        assert_ne!(status.description(), "unknown status code", "{name}");
        assert!(
            status
                .to_string()
                .starts_with(&format!("{name} ({value}): "))
        );
    }
}

#[test]
fn the_crate_knows_exactly_the_reference_codes() {
    let known: Vec<u32> = NRT_STATUS::known().map(|s| s.0).collect();
    let reference: Vec<u32> = REFERENCE.iter().map(|&(v, _)| v).collect();
    assert_eq!(known, reference);
}

#[test]
fn named_constants_have_the_reference_values() {
    assert_eq!(NRT_STATUS::NRT_SUCCESS.0, 0);
    assert_eq!(NRT_STATUS::NRT_LOAD_NOT_ENOUGH_NC.0, 9);
    assert_eq!(NRT_STATUS::NRT_UNINITIALIZED.0, 13);
    assert_eq!(NRT_STATUS::NRT_EXEC_UNIT_UNRECOVERABLE.0, 101);
    assert_eq!(NRT_STATUS::NRT_NETWORK_PROXY_FAILURE.0, 1206);
}

#[test]
fn unknown_and_unused_codes_stay_opaque_values() {
    for value in [8, 12, 16, 999, 1007, 4242, u32::MAX] {
        let status = NRT_STATUS(value);
        assert_eq!(status.name(), None, "{value}");
        assert_eq!(status.description(), "unknown status code");
        assert_eq!(
            status.to_string(),
            format!("status {value} (unknown to this version of neuron-rt-sys)")
        );
        assert!(!status.is_success());
    }
    assert!(NRT_STATUS::NRT_SUCCESS.is_success());
    assert_eq!(NRT_STATUS::from_name("NRT_NOT_A_STATUS"), None);
}

/// `(name, value)` of every enumerator of `NRT_STATUS` in our C header: the one source of the
/// values (bindgen generates the Rust constants from it).
fn header_statuses() -> Vec<(String, u32)> {
    let header = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/include/nrt/nrt_status.h"
    ))
    .unwrap();
    header
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().split_once('=')?;
            let name = name.trim();
            let value = rest.split(',').next()?.trim().parse::<u32>().ok()?;
            name.starts_with("NRT_").then(|| (name.to_string(), value))
        })
        .collect()
}

#[test]
fn the_status_table_is_exactly_the_c_headers_enum() {
    let header = header_statuses();
    assert!(header.len() >= 28, "parsed {header:?}");
    let table: Vec<(String, u32)> = NRT_STATUS::known()
        .map(|s| (s.name().unwrap().to_string(), s.0))
        .collect();
    let mut sorted = header.clone();
    sorted.sort_by_key(|(_, v)| *v);
    assert_eq!(
        table, sorted,
        "neuron-rt-sys's status table differs from nrt_status.h"
    );
}
