//! A runtime that returns `NRT_SUCCESS` but a NULL handle is reported as `Error::NullHandle`
//! naming the call — not as an invented status — and nothing is leaked or freed twice.

mod common;

use neuron_neff::ModelBuilder;
use neuron_rt::{Backend, Device, Error};

/// `nrt_load` "succeeds" but leaves the model NULL.
const NULL_HANDLES: &str = r#"
int nrt_load(const void *neff, size_t size, int32_t vnc, int32_t count, void **model) {
    (void)neff; (void)size; (void)vnc; (void)count; *model = NULL; return 0;
}
int nrt_unload(void *model) { (void)model; return 0; }
"#;

#[test]
fn success_with_a_null_handle_is_a_typed_error() {
    let dir = std::env::temp_dir().join(format!("neuron-rt-null-{}", std::process::id()));
    let library = common::build(&dir, &["nrt_load", "nrt_unload"], NULL_HANDLES);
    let device = Device::builder()
        .backend(Backend::Hardware {
            library: Some(library),
        })
        .open()
        .unwrap();
    let neff = ModelBuilder::noop("noop", 4, 4).build().unwrap();
    let err = device
        .core_group_of_size(1)
        .unwrap()
        .load(&neff)
        .unwrap_err();
    assert!(
        matches!(&err, Error::NullHandle { call: "nrt_load", context } if context.model.as_deref() == Some("noop")),
        "{err:?}"
    );
    assert!(err.to_string().contains("NULL handle"), "{err}");
    // The group's cores were released with the failed load.
    assert_eq!(device.free_core_blocks().len(), 1);
    drop(device);
    let _ = std::fs::remove_dir_all(&dir);
}
