//! Output contract: ranges, env, devices, local cores, NUMA, fragmentation, Display.

use ncg_planner::{CoreRange, ENV_TO_REMOVE, ModelSpec, PlanRequest, Strictness, Topology};

#[test]
fn core_range_contract() {
    let r = CoreRange::new(51, 2).unwrap();
    assert_eq!((r.start(), r.count(), r.end(), r.last()), (51, 2, 53, 52));
    assert_eq!(r.to_string(), "51-52");
    assert!(r.contains(51) && r.contains(52) && !r.contains(50) && !r.contains(53));
    assert!(r.overlaps(&CoreRange::new(52, 5).unwrap()));
    assert!(!r.overlaps(&CoreRange::new(53, 5).unwrap()));
    assert!(!r.overlaps(&CoreRange::new(49, 2).unwrap()));
    assert_eq!("51-52".parse::<CoreRange>().unwrap(), r);
    assert_eq!(" 7 ".parse::<CoreRange>().unwrap().to_string(), "7");
    assert_eq!(CoreRange::inclusive(0, 3).unwrap().count(), 4);
}

#[test]
fn inf1_24xlarge_devices_cover_the_group() {
    // hardware-and-env.md §5: cores 51, 52 on inf1.24xlarge -> /dev/neuron12, /dev/neuron13.
    let t = Topology::preset("inf1.24xlarge").unwrap();
    assert_eq!(t.chip_of_core(51), Some(12));
    assert_eq!(t.chip_of_core(52), Some(13));
    // A 2-core group crossing chips 12-13 is irregular; plan it with cores 0-50 busy and
    // 53-63 busy so it is the only place left.
    let plan = PlanRequest::new(t)
        .busy(CoreRange::new(0, 51).unwrap())
        .busy(CoreRange::new(53, 11).unwrap())
        .model(ModelSpec::new("m", 2, 1))
        .solve()
        .unwrap();
    let w = &plan.workers()[0];
    assert_eq!(w.visible_cores_env(), "51-52");
    assert_eq!(w.device_paths(), vec!["/dev/neuron12", "/dev/neuron13"]);
    assert!(w.irregular);
    assert!(plan.to_string().contains("irregular"));
}

#[test]
fn worker_env_and_lines() {
    let t = Topology::preset("trn1.32xlarge").unwrap();
    let plan = PlanRequest::new(t)
        .model(ModelSpec::new("bert", 2, 2))
        .solve()
        .unwrap();
    let w = plan.worker("bert", 1).unwrap();
    assert_eq!(
        w.env(),
        vec![("NEURON_RT_VISIBLE_CORES".to_string(), w.cores.to_string())]
    );
    assert_eq!(w.num_cores_env(), 2);
    assert_eq!(w.local_cores(), 0..2);
    assert!(w.numa_node.is_some());
    let line = w.env_line();
    assert!(
        line.starts_with(&format!(
            "worker bert#1: NEURON_RT_VISIBLE_CORES={} NEURON_RT_NUM_CORES=2 devices=/dev/neuron",
            w.cores
        )),
        "{line}"
    );
    assert_eq!(plan.env_lines().len(), 2);
    assert!(ENV_TO_REMOVE.contains(&"NEURON_RT_NUM_CORES"));
    assert!(plan.worker("bert", 2).is_none());
    // NUMA balance: two 2-core workers go to different NUMA nodes.
    let nodes: Vec<_> = plan.workers().iter().map(|w| w.numa_node).collect();
    assert_ne!(nodes[0], nodes[1]);
    assert_eq!(plan.numa_imbalance(), Some(0));
}

#[test]
fn fragmentation_and_idle() {
    let t = Topology::preset("inf1.6xlarge").unwrap(); // 16 cores, ring of 4 chips
    let plan = PlanRequest::new(t.clone())
        .model(ModelSpec::new("a", 1, 1))
        .solve()
        .unwrap();
    // One core used at 0: idle 1-15 (15 cores), largest free block = chips 1-3 (12 cores).
    assert_eq!(plan.workers()[0].cores.to_string(), "0");
    assert_eq!(plan.idle_cores(), &[CoreRange::new(1, 15).unwrap()]);
    assert_eq!(plan.largest_free_block(), 12);
    assert!((plan.fragmentation() - (1.0 - 12.0 / 15.0)).abs() < 1e-12);
    let full = PlanRequest::new(t)
        .model(ModelSpec::new("a", 4, 4))
        .solve()
        .unwrap();
    assert_eq!((full.idle_core_count(), full.fragmentation()), (0, 0.0));
}

#[test]
fn display_table_and_chip_map() {
    let plan = PlanRequest::new(Topology::preset_with_lnc("trn2.48xlarge", 1).unwrap())
        .model(ModelSpec::new("llama", 16, 1))
        .model(ModelSpec::new("bert", 2, 2))
        .busy(CoreRange::new(0, 4).unwrap())
        .strictness(Strictness::Strict)
        .solve()
        .unwrap();
    let s = plan.to_string();
    for part in [
        "plan for trn2.48xlarge (LNC 1): 16 chip(s) x 8 cores = 128 cores",
        "worker",
        "cores",
        "devices",
        "local",
        "numa",
        "llama#0",
        "bert#1",
        "busy: 0-3",
        "largest free legal block:",
        "fragmentation:",
        "chip  0 [####BBBB]",
        "legend: A=llama B=bert #=busy .=idle",
    ] {
        assert!(s.contains(part), "{s}\nlacks {part:?}");
    }
    // bert fills the free half of chip 0; llama needs an aligned chip pair and chips 0-1
    // are not free, so it takes chips 2-3.
    assert_eq!(plan.worker("bert", 0).unwrap().cores.to_string(), "4-5");
    assert_eq!(plan.worker("llama", 0).unwrap().cores.to_string(), "16-31");
}

#[test]
fn empty_request_gives_empty_plan() {
    let plan = PlanRequest::new(Topology::preset("inf2.xlarge").unwrap())
        .solve()
        .unwrap();
    assert!(plan.workers().is_empty());
    assert_eq!(plan.idle_core_count(), 2);
    assert_eq!(plan.largest_free_block(), 2);
}
