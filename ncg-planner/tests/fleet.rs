//! Fleet planning: brute-force optimality on small fleets, properties on random fleets
//! (no overlap, legal sizes, every replica exactly once, deterministic), errors.

mod common;

use std::collections::{BTreeMap, HashSet};

use common::Rng;
use ncg_planner::fleet::{ExistingNode, FleetError, FleetPlan, FleetRequest, InstanceType};
use ncg_planner::{CoreRange, ModelSpec, PlanRequest, Strictness, Topology};

fn small_types() -> Vec<(Topology, f64)> {
    vec![
        (Topology::custom("one2", 1, 2).build().unwrap(), 1.0),
        (
            Topology::custom("ring2x4", 2, 4).ring().build().unwrap(),
            3.5,
        ),
        (
            Topology::custom("ring3x2", 3, 2).ring().build().unwrap(),
            2.75,
        ),
    ]
}

/// Every way to put `d` replicas of each model on `counts` instances (per type), by
/// enumerating per-instance patterns; returns whether some assignment fits.
fn brute_fits(
    types: &[(Topology, f64)],
    counts: &[u32],
    models: &[ModelSpec],
    remaining: &mut Vec<u32>,
) -> bool {
    // Flatten instances.
    let mut inst: Vec<&Topology> = Vec::new();
    for (i, &c) in counts.iter().enumerate() {
        for _ in 0..c {
            inst.push(&types[i].0);
        }
    }
    fn rec(inst: &[&Topology], models: &[ModelSpec], rem: &mut Vec<u32>) -> bool {
        if rem.iter().all(|&x| x == 0) {
            return true;
        }
        let Some((first, rest)) = inst.split_first() else {
            return false;
        };
        // Every pattern c <= rem for this instance.
        let m = rem.len();
        let mut c = vec![0u32; m];
        loop {
            let specs: Vec<ModelSpec> = models
                .iter()
                .zip(&c)
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| ModelSpec::new(s.name(), s.compiled_cores(), *n))
                .collect();
            let fits = specs.is_empty()
                || PlanRequest::new((*first).clone())
                    .strictness(Strictness::Strict)
                    .models(specs)
                    .solve()
                    .is_ok();
            if fits {
                for j in 0..m {
                    rem[j] -= c[j];
                }
                let ok = rec(rest, models, rem);
                for j in 0..m {
                    rem[j] += c[j];
                }
                if ok {
                    return true;
                }
            }
            // Next c (odometer).
            let mut j = 0;
            loop {
                if j == m {
                    return false;
                }
                if c[j] < rem[j] {
                    c[j] += 1;
                    break;
                }
                c[j] = 0;
                j += 1;
            }
        }
    }
    rec(&inst, models, remaining)
}

/// Brute-force optimum (price in micro units, count) over instance counts 0..=max_each.
fn brute_optimum(types: &[(Topology, f64)], models: &[ModelSpec], max_each: u32) -> (u64, u32) {
    let mut best: Option<(u64, u32)> = None;
    let t = types.len();
    let mut counts = vec![0u32; t];
    loop {
        let price: u64 = counts
            .iter()
            .zip(types)
            .map(|(&c, (_, p))| u64::from(c) * (p * 1e6).round() as u64)
            .sum();
        let n: u32 = counts.iter().sum();
        if best.is_none_or(|b| (price, n) < b) {
            let mut rem: Vec<u32> = models.iter().map(ModelSpec::replicas).collect();
            if brute_fits(types, &counts, models, &mut rem) {
                best = Some((price, n));
            }
        }
        let mut j = 0;
        loop {
            if j == t {
                return best.expect("some fleet fits");
            }
            if counts[j] < max_each {
                counts[j] += 1;
                break;
            }
            counts[j] = 0;
            j += 1;
        }
    }
}

fn request(types: &[(Topology, f64)], models: &[ModelSpec]) -> FleetRequest {
    let mut r = FleetRequest::new().models(models.iter().cloned());
    for (t, p) in types {
        r = r.instance_type(InstanceType::new(t.clone()).price_per_hour(*p));
    }
    r
}

fn check_fleet(plan: &FleetPlan, models: &[ModelSpec]) {
    // Every replica exactly once, with its group size, on legal placements.
    let mut seen: HashSet<(String, u32)> = HashSet::new();
    let mut per_model: BTreeMap<String, u32> = BTreeMap::new();
    for w in plan.workers() {
        assert!(
            seen.insert((w.assignment.model.clone(), w.replica)),
            "replica {} of {} placed twice",
            w.replica,
            w.assignment.model
        );
        *per_model.entry(w.assignment.model.clone()).or_insert(0) += 1;
        let spec = models
            .iter()
            .find(|m| m.name() == w.assignment.model)
            .unwrap();
        assert_eq!(w.assignment.cores.count(), spec.group_cores());
        let topo = plan.instances()[w.instance].plan.topology();
        assert!(
            topo.placements(spec.group_cores(), Strictness::Strict)
                .contains(&w.assignment.cores),
            "{} is not a legal placement on {}",
            w.assignment.cores,
            topo.name()
        );
        assert!(!w.assignment.irregular);
    }
    for m in models {
        assert_eq!(per_model.get(m.name()).copied().unwrap_or(0), m.replicas());
        for r in 0..m.replicas() {
            assert!(
                seen.contains(&(m.name().to_string(), r)),
                "replica {r} missing"
            );
        }
    }
    // No overlap on any instance.
    for inst in plan.instances() {
        let mut used = HashSet::new();
        for w in inst.plan.workers() {
            for c in w.cores.iter() {
                assert!(used.insert(c), "core {c} used twice on {}", inst.name);
            }
        }
        assert!(
            !inst.plan.workers().is_empty(),
            "empty instance {}",
            inst.name
        );
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "brute force over 40 random fleets: far too slow under Miri"
)]
fn matches_brute_force_on_small_fleets() {
    let types = small_types();
    let mut rng = Rng::new(7);
    let mut checked = 0;
    for _ in 0..40 {
        let mut models = Vec::new();
        for i in 0..rng.range(1, 3) {
            let size = rng.pick(&[1, 1, 2, 4, 8]);
            models.push(ModelSpec::new(format!("m{i}"), size, rng.range(1, 3)));
        }
        let plan = request(&types, &models).solve().unwrap();
        assert!(plan.optimality().is_proven());
        check_fleet(&plan, &models);
        // An optimal fleet never has more instances of a type than replicas.
        let total: u32 = models.iter().map(ModelSpec::replicas).sum();
        let (bp, bn) = brute_optimum(&types, &models, total);
        let price = (plan.total_price().unwrap() * 1e6).round() as u64;
        assert_eq!(
            (price, plan.new_instance_count()),
            (bp, bn),
            "models {models:?}: planner {plan}"
        );
        checked += 1;
    }
    assert_eq!(checked, 40);
}

#[test]
#[cfg_attr(miri, ignore = "brute-force enumeration: far too slow under Miri")]
fn brute_force_with_memory_needs() {
    // 2 chips x 2 cores, 10 units per chip: two 6-unit replicas cannot share a chip.
    let t = |name: &str, chips| {
        Topology::custom(name, chips, 2)
            .ring()
            .memory_per_chip_bytes(10)
            .build()
            .unwrap()
    };
    let types = vec![(t("a1", 1), 1.0), (t("a2", 2), 1.5)];
    let models = vec![
        ModelSpec::new("big", 1, 3).with_device_memory(6),
        ModelSpec::new("small", 1, 2).with_device_memory(4),
    ];
    let plan = request(&types, &models).solve().unwrap();
    check_fleet(&plan, &models);
    // Each chip holds at most one `big` (6 + 6 > 10) and a big + small pair (10).
    for inst in plan.instances() {
        let topo = inst.plan.topology();
        for chip in 0..topo.chips() {
            let mem: u64 = inst
                .plan
                .workers()
                .iter()
                .filter(|w| w.devices.contains(&chip))
                .map(|w| if w.model == "big" { 6 } else { 4 })
                .sum();
            assert!(mem <= 10, "chip {chip} of {} holds {mem}", inst.name);
        }
    }
    // 3 chips are needed (3 bigs); cheapest: a2 + a1 = 2.5.
    assert_eq!(plan.total_price(), Some(2.5));
}

#[test]
#[cfg_attr(
    miri,
    ignore = "25 random fleets solved twice: far too slow under Miri"
)]
fn random_fleets_properties_and_determinism() {
    let types = vec![
        (Topology::preset("inf2.xlarge").unwrap(), 0.76),
        (Topology::preset("inf2.24xlarge").unwrap(), 6.49),
        (Topology::preset("inf2.48xlarge").unwrap(), 12.98),
        (Topology::preset("trn1.32xlarge").unwrap(), 21.5),
    ];
    let mut rng = Rng::new(99);
    for _ in 0..25 {
        let mut models = Vec::new();
        for i in 0..rng.range(1, 4) {
            let size = rng.pick(&[1, 2, 4, 8, 16]);
            models.push(ModelSpec::new(format!("m{i}"), size, rng.range(1, 20)));
        }
        let req = request(&types, &models);
        let plan = req.solve().unwrap();
        check_fleet(&plan, &models);
        assert_eq!(plan, req.clone().solve().unwrap(), "not deterministic");
        // Price equals the sum of the instances' prices.
        let sum: f64 = plan
            .instances()
            .iter()
            .map(|i| i.price_per_hour.unwrap())
            .sum();
        assert!((sum - plan.total_price().unwrap()).abs() < 1e-6);
    }
}

#[test]
fn unpriced_minimises_instance_count() {
    let plan = FleetRequest::new()
        .instance_type(InstanceType::preset("inf2.xlarge").unwrap())
        .instance_type(InstanceType::preset("inf2.48xlarge").unwrap())
        .model(ModelSpec::new("bert", 2, 12))
        .solve()
        .unwrap();
    assert_eq!(plan.instance_counts(), vec![("inf2.48xlarge".into(), 1)]);
    assert_eq!(plan.total_price(), None);
}

#[test]
fn existing_nodes_are_used_first_and_busy_cores_kept() {
    let topo = Topology::preset("inf2.24xlarge").unwrap();
    let plan = FleetRequest::new()
        .existing_node(ExistingNode::new("node-a", topo).busy(CoreRange::new(0, 4).unwrap()))
        .instance_type(
            InstanceType::preset("inf2.xlarge")
                .unwrap()
                .price_per_hour(0.76),
        )
        .model(ModelSpec::new("bert", 2, 5))
        .solve()
        .unwrap();
    // 8 free cores on node-a hold 4 replicas; one more needs an inf2.xlarge.
    assert_eq!(plan.instances()[0].name, "node-a");
    assert!(plan.instances()[0].existing);
    assert_eq!(plan.instances()[0].plan.workers().len(), 4);
    for w in plan.instances()[0].plan.workers() {
        assert!(w.cores.start() >= 4);
    }
    assert_eq!(plan.instance_counts(), vec![("inf2.xlarge".into(), 1)]);
    assert_eq!(plan.total_price(), Some(0.76));
    let replicas: Vec<u32> = plan.workers().iter().map(|w| w.replica).collect();
    assert_eq!(replicas, vec![0, 1, 2, 3, 4]);
}

#[test]
fn max_count_is_respected() {
    let plan = FleetRequest::new()
        .instance_type(
            InstanceType::preset("inf2.48xlarge")
                .unwrap()
                .price_per_hour(12.98)
                .max_count(1),
        )
        .instance_type(
            InstanceType::preset("inf2.24xlarge")
                .unwrap()
                .price_per_hour(6.49),
        )
        .model(ModelSpec::new("llama", 8, 4))
        .solve()
        .unwrap();
    assert_eq!(
        plan.instance_counts(),
        vec![("inf2.24xlarge".into(), 1), ("inf2.48xlarge".into(), 1)]
    );
}

#[test]
fn impossible_fleets_are_explained() {
    // A size that no type can hold.
    let err = FleetRequest::new()
        .instance_type(InstanceType::preset("inf2.xlarge").unwrap())
        .instance_type(InstanceType::preset("trn1.32xlarge").unwrap())
        .model(ModelSpec::new("huge", 6, 1))
        .solve()
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FleetError::FitsNowhere { .. }), "{msg}");
    assert!(msg.contains("model `huge` fits on no instance"), "{msg}");
    assert!(msg.contains("inf2.xlarge: "), "{msg}");
    assert!(msg.contains("trn1.32xlarge: "), "{msg}");
    assert!(msg.contains("legal group sizes: 1, 2, 8, 16, 32"), "{msg}");

    // Max counts too small.
    let err = FleetRequest::new()
        .instance_type(InstanceType::preset("inf2.24xlarge").unwrap().max_count(1))
        .model(ModelSpec::new("bert", 2, 7))
        .solve()
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FleetError::DoesNotFit { .. }), "{msg}");
    assert!(msg.contains("14 cores of replicas (bert 2x7)"), "{msg}");
    assert!(msg.contains("12 free cores"), "{msg}");

    // Memory no instance can hold.
    let err = FleetRequest::new()
        .instance_type(InstanceType::preset("inf2.xlarge").unwrap())
        .model(ModelSpec::new("llm", 2, 1).with_device_memory(40 << 30))
        .solve()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("more than a group of 2 cores can hold"),
        "{err}"
    );

    // Catalogue errors.
    assert_eq!(
        FleetRequest::new()
            .model(ModelSpec::new("a", 1, 1))
            .solve()
            .unwrap_err(),
        FleetError::NoInstanceTypes
    );
    let err = FleetRequest::new()
        .instance_type(
            InstanceType::preset("inf2.xlarge")
                .unwrap()
                .price_per_hour(1.0),
        )
        .instance_type(InstanceType::preset("inf2.24xlarge").unwrap())
        .model(ModelSpec::new("a", 1, 1))
        .solve()
        .unwrap_err();
    assert!(matches!(err, FleetError::MixedPricing { .. }), "{err}");
    let err = FleetRequest::new()
        .instance_type(
            InstanceType::preset("inf2.xlarge")
                .unwrap()
                .price_per_hour(-1.0),
        )
        .model(ModelSpec::new("a", 1, 1))
        .solve()
        .unwrap_err();
    assert!(matches!(err, FleetError::InvalidPrice { .. }), "{err}");
    let err = FleetRequest::new()
        .instance_type(InstanceType::preset("inf2.xlarge").unwrap())
        .model(ModelSpec::new("a", 1, 0))
        .solve()
        .unwrap_err();
    assert!(err.to_string().contains("asks for 0 replicas"), "{err}");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "searches until its node budget runs out: about 3 minutes under Miri"
)]
fn budget_stop_reports_a_proven_gap() {
    const GIB: u64 = 1 << 30;
    let plan = FleetRequest::new()
        .instance_type(
            InstanceType::preset("inf2.xlarge")
                .unwrap()
                .price_per_hour(0.76),
        )
        .instance_type(
            InstanceType::preset("inf2.48xlarge")
                .unwrap()
                .price_per_hour(12.98),
        )
        .model(ModelSpec::new("mem", 1, 30).with_device_memory(20 * GIB))
        .model(ModelSpec::new("bert", 2, 10))
        .search_budget(2000)
        .solve()
        .unwrap();
    match plan.optimality() {
        ncg_planner::fleet::Optimality::Gap { lower_bound, found } => {
            assert!(lower_bound <= found, "{lower_bound} > {found}");
            assert!((found - plan.total_price().unwrap()).abs() < 1e-9);
        }
        ncg_planner::fleet::Optimality::Proven => panic!("a 2000-node budget cannot prove this"),
        _ => unreachable!(),
    }
    check_fleet(&plan, plan.models());
}
