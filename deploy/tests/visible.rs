//! The worker side of `NEURON_RT_VISIBLE_CORES`.

use neuron_rt_deploy::DeployError;
use neuron_rt_deploy::visible::{comma_list, parse_visible_cores};

#[test]
fn contiguous_sets_in_any_spelling() {
    for (s, want) in [
        ("3", "3"),
        ("3-6", "3-6"),
        ("3,4,5,6", "3-6"),
        ("6,5,4,3", "3-6"),
        (" 3 , 4-5 ,6", "3-6"),
        ("10-11", "10-11"),
    ] {
        assert_eq!(parse_visible_cores(s).unwrap().to_string(), want, "{s}");
    }
    let r = parse_visible_cores("4,5").unwrap();
    assert_eq!(comma_list(r), "4,5");
}

#[test]
fn non_contiguous_sets_are_refused_naming_what_was_given() {
    let err = parse_visible_cores("0,2").unwrap_err();
    assert!(matches!(err, DeployError::NotContiguous { .. }));
    let msg = err.to_string();
    assert!(msg.contains("needs contiguous NeuronCores"), "{msg}");
    assert!(msg.contains("`0,2`"), "{msg}");
    assert!(msg.contains("0,2"), "{msg}");
    let err = parse_visible_cores("1-2,5").unwrap_err().to_string();
    assert!(err.contains("cores 1,2,5"), "{err}");
}

#[test]
fn malformed_values_are_refused() {
    for s in ["", "a", "1,,2", "3-1", "1,1", "0-2,2"] {
        let err = parse_visible_cores(s).unwrap_err();
        assert!(
            matches!(err, DeployError::VisibleCoresSyntax { .. }),
            "{s}: {err}"
        );
    }
}
