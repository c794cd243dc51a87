//! The ncg-planner API contract neuron-rt and launchers rely on, exercised from outside
//! the crate.

use ncg_planner::{CoreRange, ModelSpec, PlanRequest, Topology};

#[test]
fn contract_names_and_shapes() {
    let topo = Topology::preset_with_lnc("trn2.48xlarge", 1).unwrap();
    assert!(Topology::presets().contains(&"inf2.48xlarge"));
    assert_eq!(
        (topo.chips(), topo.cores_per_chip(), topo.total_cores()),
        (16, 8, 128)
    );
    assert_eq!(topo.memory_per_chip_bytes(), 96 << 30);
    assert_eq!(topo.chip_of_core(127), Some(15));
    let plan = PlanRequest::new(topo.clone())
        .model(ModelSpec::new("bert", 2, 3))
        .busy(CoreRange::new(0, 2).unwrap())
        .solve()
        .unwrap();
    let w = &plan.workers()[0];
    let _: &String = &w.model;
    let _: u32 = w.replica;
    let _: CoreRange = w.cores;
    let _: Option<u32> = w.numa_node;
    let _: &Vec<u32> = &w.devices;
    assert_eq!(w.visible_cores_env(), "2-3");
    assert_eq!(w.num_cores_env(), 2);
    assert_eq!(w.device_paths(), vec!["/dev/neuron0".to_string()]);
    assert_eq!(w.local_cores(), 0..2);
    assert!(
        w.env()
            .iter()
            .any(|(k, v)| k == "NEURON_RT_VISIBLE_CORES" && v == "2-3")
    );
    assert_eq!(
        plan.idle_cores().iter().map(|r| r.count()).sum::<u32>(),
        128 - 2 - 6
    );
    assert!(plan.fragmentation() >= 0.0);
    assert!(!plan.to_string().is_empty());
    let cortex = PlanRequest::cortex(topo, 1, 4).solve().unwrap();
    assert_eq!(cortex.workers().len(), 4);
}
