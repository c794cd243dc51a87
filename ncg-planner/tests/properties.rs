//! Property tests on real presets with random requests: no overlap, contiguity, chip
//! rules, busy cores untouched, output consistency, determinism, and the "what would
//! fit" claims of `DoesNotFit`.

mod common;

use std::time::{Duration, Instant};

use common::Rng;
use ncg_planner::{CoreRange, ModelSpec, Plan, PlanError, PlanRequest, Strictness, Topology};

fn presets() -> Vec<Topology> {
    vec![
        Topology::preset_with_lnc("trn2.48xlarge", 1).unwrap(),
        Topology::preset("trn2.48xlarge").unwrap(),
        Topology::preset("trn1.32xlarge").unwrap(),
        Topology::preset("inf2.48xlarge").unwrap(),
        Topology::preset("inf2.24xlarge").unwrap(),
        Topology::preset("inf1.24xlarge").unwrap(),
        Topology::preset("inf1.6xlarge").unwrap(),
        Topology::preset("inf2.xlarge").unwrap(),
        Topology::preset("trn2-ultraserver").unwrap(),
    ]
}

struct Case {
    req: PlanRequest,
    strictness: Strictness,
    specs: Vec<ModelSpec>,
    busy: Vec<CoreRange>,
}

fn random_case(rng: &mut Rng, topo: &Topology, strictness: Strictness) -> Case {
    let n = topo.total_cores();
    let legal = topo.legal_group_sizes();
    let small: Vec<u32> = legal.iter().copied().filter(|&s| s <= n / 2).collect();
    let sizes = if small.is_empty() {
        legal.clone()
    } else {
        small
    };
    let budget = if rng.chance(15) {
        n + n / 4
    } else {
        rng.range(n / 4, n)
    };
    let mut specs = Vec::new();
    let mut used = 0;
    for i in 0..rng.range(1, 5) {
        let size = if strictness == Strictness::Prefer && rng.chance(10) {
            rng.range(1, (n / 4).max(1))
        } else {
            rng.pick(&sizes)
        };
        if used + size > budget {
            continue;
        }
        let reps = rng.range(1, ((budget - used) / size).clamp(1, 12));
        used += size * reps;
        specs.push(ModelSpec::new(format!("model{i}"), size, reps));
    }
    if specs.is_empty() {
        specs.push(ModelSpec::new("model0", 1, 1));
    }
    let mut busy = Vec::new();
    for _ in 0..rng.pick(&[0, 0, 1, 2, 4]) {
        let start = rng.range(0, n - 1);
        let count = rng.range(1, (n - start).min(6));
        busy.push(CoreRange::new(start, count).unwrap());
    }
    let req = PlanRequest::new(topo.clone())
        .strictness(strictness)
        .models(specs.clone())
        .busy_ranges(busy.clone());
    Case {
        req,
        strictness,
        specs,
        busy,
    }
}

fn check_plan(topo: &Topology, case: &Case, plan: &Plan, strictness: Strictness) {
    let n = topo.total_cores();
    let k = topo.cores_per_chip();
    let mut owner = vec![None::<usize>; n as usize];
    // Every worker of every model, in request order.
    let expected: usize = case.specs.iter().map(|m| m.replicas() as usize).sum();
    assert_eq!(plan.workers().len(), expected);
    let mut i = 0;
    for m in &case.specs {
        for r in 0..m.replicas() {
            let w = &plan.workers()[i];
            assert_eq!((w.model.as_str(), w.replica), (m.name(), r));
            assert_eq!(w.cores.count(), m.group_cores());
            i += 1;
        }
    }
    for (wi, w) in plan.workers().iter().enumerate() {
        assert!(w.cores.end() <= n, "inside the instance");
        // No overlap, busy untouched.
        for c in w.cores.iter() {
            assert!(owner[c as usize].is_none(), "core {c} assigned twice");
            owner[c as usize] = Some(wi);
            assert!(
                !case.busy.iter().any(|b| b.contains(c)),
                "busy core {c} assigned"
            );
        }
        // Contiguity and env consistency.
        assert_eq!(w.visible_cores_env(), w.cores.to_string());
        assert_eq!(w.num_cores_env(), w.cores.count());
        assert_eq!(w.local_cores(), 0..w.cores.count());
        let devs: Vec<u32> = (w.cores.start() / k..=w.cores.last() / k).collect();
        assert_eq!(w.devices, devs);
        assert_eq!(w.device_paths().len(), devs.len());
        // Chip rules.
        let regular = topo
            .placements(w.cores.count(), Strictness::Strict)
            .contains(&w.cores);
        assert_eq!(!regular, w.irregular, "irregular flag of {}", w.cores);
        if strictness == Strictness::Strict {
            assert!(regular, "{} is not a regular placement", w.cores);
        }
        if w.cores.count() <= k && regular {
            assert_eq!(
                w.cores.start() / k,
                w.cores.last() / k,
                "small group inside one chip"
            );
        }
        if w.cores.count() > k && regular {
            assert_eq!(w.cores.start() % k, 0, "large group on whole chips");
            assert_eq!(w.cores.count() % k, 0);
        }
    }
    // Idle cores are exactly the cores neither busy nor assigned.
    let idle: u32 = (0..n)
        .filter(|&c| owner[c as usize].is_none() && !case.busy.iter().any(|b| b.contains(c)))
        .count() as u32;
    assert_eq!(plan.idle_core_count(), idle);
    for r in plan.idle_cores() {
        for c in r.iter() {
            assert!(owner[c as usize].is_none());
        }
    }
    // The reported largest free block is a free regular block, and none is larger.
    let free = |r: &CoreRange| {
        plan.idle_cores()
            .iter()
            .any(|i| i.start() <= r.start() && r.end() <= i.end())
    };
    let best = topo
        .legal_group_sizes()
        .into_iter()
        .filter(|&s| topo.placements(s, Strictness::Strict).iter().any(free))
        .max()
        .unwrap_or(0);
    assert_eq!(plan.largest_free_block(), best);
    let f = plan.fragmentation();
    assert!((0.0..1.0).contains(&f));
    if idle > 0 {
        assert!((f - (1.0 - f64::from(best) / f64::from(idle))).abs() < 1e-12);
    }
}

fn check_error(case: &Case, err: &PlanError) {
    match err {
        PlanError::DoesNotFit(d) => {
            assert!(d.max_replicas_that_fit < d.requested_replicas);
            let idx = case
                .specs
                .iter()
                .position(|m| m.name() == d.blocking_model)
                .unwrap();
            // The claim "at most N fit next to the models before it" is exact.
            let build = |n: u32| {
                let mut r = PlanRequest::new(case.req.topology().clone())
                    .busy_ranges(case.busy.clone())
                    .models(case.specs[..idx].iter().cloned());
                if n > 0 {
                    r = r.model(ModelSpec::new(d.blocking_model.clone(), d.group_size, n));
                }
                r
            };
            let s = |r: PlanRequest| r.strictness(case.strictness).solve();
            assert!(s(build(d.max_replicas_that_fit)).is_ok(), "{err}");
            assert!(s(build(d.max_replicas_that_fit + 1)).is_err(), "{err}");
            // The models before the blocker fit on their own.
            assert!(s(build(0)).is_ok() || idx == 0);
        }
        PlanError::IllegalGroupSize { .. } => {}
        other => panic!("unexpected error {other:?}"),
    }
}

fn sweep(strictness: Strictness, per_topology: u32, seed: u64) -> Duration {
    let mut rng = Rng::new(seed);
    let mut worst = Duration::ZERO;
    let (mut ok, mut refused) = (0, 0);
    for topo in presets() {
        for _ in 0..per_topology {
            let case = random_case(&mut rng, &topo, strictness);
            let t = Instant::now();
            let res = case.req.solve();
            worst = worst.max(t.elapsed());
            match res {
                Ok(plan) => {
                    ok += 1;
                    check_plan(&topo, &case, &plan, strictness);
                    // Determinism: same input, same plan; busy order does not matter.
                    let again = case.req.clone().solve().unwrap();
                    assert_eq!(plan, again);
                    let mut busy = case.busy.clone();
                    busy.reverse();
                    let shuffled = PlanRequest::new(topo.clone())
                        .strictness(strictness)
                        .models(case.specs.clone())
                        .busy_ranges(busy)
                        .solve()
                        .unwrap();
                    assert_eq!(plan.workers(), shuffled.workers());
                }
                Err(e) => {
                    refused += 1;
                    check_error(&case, &e);
                }
            }
        }
    }
    assert!(ok > per_topology * 3, "{ok} solved");
    assert!(refused > 0, "no refused case");
    eprintln!("{strictness:?}: {ok} solved, {refused} refused, worst solve {worst:?}");
    worst
}

#[test]
#[cfg_attr(miri, ignore = "random sweep of thousands of solves: hours under Miri")]
fn random_requests_strict() {
    // Timing is printed, never asserted (benches/planner_stress measures the worst case).
    sweep(Strictness::Strict, 40, 11);
}

#[test]
#[cfg_attr(miri, ignore = "random sweep of thousands of solves: hours under Miri")]
fn random_requests_prefer() {
    sweep(Strictness::Prefer, 40, 12);
}

#[test]
fn incremental_planning_keeps_earlier_workers() {
    let topo = Topology::preset_with_lnc("trn2.48xlarge", 1).unwrap();
    let first = PlanRequest::new(topo.clone())
        .model(ModelSpec::new("a", 8, 3))
        .solve()
        .unwrap();
    let second = PlanRequest::new(topo)
        .keep(&first)
        .model(ModelSpec::new("b", 2, 5))
        .solve()
        .unwrap();
    for w in second.workers() {
        for old in first.workers() {
            assert!(
                !w.cores.overlaps(&old.cores),
                "{} overlaps {}",
                w.cores,
                old.cores
            );
        }
    }
    assert_eq!(
        second.busy().len(),
        1,
        "kept workers merge into one busy range"
    );
    assert_eq!(second.busy()[0], CoreRange::new(0, 24).unwrap());
}
