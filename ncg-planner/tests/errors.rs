//! Every error message: what was wrong, what was expected, what would fit.

use ncg_planner::{CoreRange, ModelSpec, PlanError, PlanRequest, Strictness, Topology};

fn msg<T: std::fmt::Debug>(r: Result<T, PlanError>) -> String {
    r.expect_err("expected an error").to_string()
}

fn has(m: &str, parts: &[&str]) {
    for p in parts {
        assert!(m.contains(p), "message {m:?} lacks {p:?}");
    }
}

#[test]
fn unknown_instance_lists_presets() {
    let m = msg(Topology::preset("p4d.24xlarge"));
    has(
        &m,
        &[
            "unknown instance type `p4d.24xlarge`",
            "known presets:",
            "trn2.48xlarge",
            "inf2.48xlarge",
        ],
    );
}

#[test]
fn trn2_3xlarge_is_explained() {
    let m = msg(Topology::preset("trn2.3xlarge"));
    has(
        &m,
        &["no public description of trn2.3xlarge", "Topology::custom"],
    );
}

#[test]
fn invalid_lnc_messages() {
    let m = msg(Topology::preset_with_lnc("trn2.48xlarge", 4));
    has(
        &m,
        &[
            "LNC 4 is not available on trn2.48xlarge",
            "accepted LNC values: 1, 2",
        ],
    );
    let m = msg(Topology::preset_with_lnc("trn1.32xlarge", 2));
    has(
        &m,
        &[
            "LNC 2 is not available on trn1.32xlarge",
            "Trn2/Trn3 only",
            "accepted LNC values: 1",
        ],
    );
    assert!(Topology::preset_with_lnc("trn1.32xlarge", 1).is_ok());
}

#[test]
fn core_range_messages() {
    has(
        &msg(CoreRange::new(3, 0)),
        &["empty core range starting at core 3", "at least 1 core"],
    );
    has(
        &msg(CoreRange::new(u32::MAX, 2)),
        &["2 cores starting at core 4294967295", "largest core id"],
    );
    has(
        &msg("7-3".parse::<CoreRange>()),
        &["`7-3`", "smaller than the first", "expected `a` or `a-b`"],
    );
    has(
        &msg("x".parse::<CoreRange>()),
        &["`x`", "non-negative integer"],
    );
    has(
        &msg(CoreRange::inclusive(5, 4)),
        &["empty core range starting at core 5"],
    );
}

#[test]
fn invalid_topology_messages() {
    has(
        &msg(Topology::custom("t", 0, 2).build()),
        &["invalid topology `t`", "0 chips"],
    );
    has(
        &msg(Topology::custom("t", 2, 0).build()),
        &["0 cores per chip"],
    );
    has(
        &msg(Topology::custom("t", 2000, 1).build()),
        &["2000 cores", "limit of 1024"],
    );
    has(
        &msg(Topology::custom("t", 2, 2).link(0, 5).build()),
        &["link 0-5", "chips are 0-1"],
    );
    has(
        &msg(Topology::custom("t", 2, 2).link(1, 1).build()),
        &["links a chip to itself"],
    );
    has(
        &msg(Topology::custom("t", 2, 2).numa(vec![Some(0)]).build()),
        &["1 entries but there are 2 chips"],
    );
    let nine: Vec<Option<u32>> = (0..9).map(Some).collect();
    has(
        &msg(Topology::custom("t", 9, 1).numa(nine).build()),
        &["9 distinct NUMA nodes", "at most 8"],
    );
    has(
        &msg(Topology::custom("t", 4, 1)
            .ring()
            .chip_sets([(3, 2)])
            .build()),
        &["2 chip(s) starting at chip 3", "chips 0-3"],
    );
    has(
        &msg(Topology::custom("t", 4, 1).chip_sets([(0, 2)]).build()),
        &["chip set 0-1 is not connected"],
    );
    has(
        &msg(Topology::custom("t", 4, 1).lnc(3).build()),
        &["LNC 3", "1 or 2"],
    );
}

fn inf1() -> Topology {
    Topology::preset("inf1.6xlarge").unwrap()
}

#[test]
fn busy_out_of_range() {
    let m = msg(PlanRequest::new(inf1())
        .busy(CoreRange::new(14, 4).unwrap())
        .solve());
    has(
        &m,
        &[
            "busy cores 14-17 are outside inf1.6xlarge",
            "cores are 0-15",
            "LNC",
        ],
    );
}

#[test]
fn model_validation_messages() {
    let r = |m: ModelSpec| msg(PlanRequest::new(inf1()).model(m).solve());
    has(
        &r(ModelSpec::new("", 1, 1)),
        &["invalid model name ``", "empty"],
    );
    has(
        &r(ModelSpec::new("my model", 1, 1)),
        &["`my model`", "whitespace"],
    );
    has(
        &r(ModelSpec::new("bert", 0, 1)),
        &["model `bert` is compiled for 0 NeuronCores", "at least 1"],
    );
    has(
        &r(ModelSpec::new("bert", 2, 0)),
        &["model `bert` asks for 0 replicas", "at least 1"],
    );
    has(
        &r(ModelSpec::new("bert", 4, 1).with_group_cores(2)),
        &[
            "compiled for 4 NeuronCores but its group has only 2",
            "NRT_LOAD_NOT_ENOUGH_NC",
            "at least 4",
            "recompile it for 2",
        ],
    );
    let m = msg(PlanRequest::new(inf1())
        .model(ModelSpec::new("bert", 1, 1))
        .model(ModelSpec::new("bert", 2, 1))
        .solve());
    has(&m, &["model `bert` appears twice", "distinct name"]);
}

#[test]
fn illegal_group_size_lists_legal_sizes_and_next() {
    let t = Topology::preset("trn1.32xlarge").unwrap();
    let m = msg(PlanRequest::new(t.clone())
        .strictness(Strictness::Strict)
        .model(ModelSpec::new("llama", 4, 1))
        .solve());
    has(
        &m,
        &[
            "model `llama` needs a group of 4 NeuronCores",
            "not a legal group size on trn1.32xlarge",
            "2 cores per chip",
            "sets of 1, 4, 8, 16 chips",
            "legal group sizes: 1, 2, 8, 16, 32",
            "the next legal size is 8",
            "Strictness::Prefer would accept it",
        ],
    );
    // Under Prefer the same model is placed, flagged irregular.
    let plan = PlanRequest::new(t.clone())
        .model(ModelSpec::new("llama", 4, 1))
        .solve()
        .unwrap();
    assert!(plan.workers()[0].irregular);
    assert_eq!(plan.irregular_groups(), 1);
    // Larger than the instance.
    let m = msg(PlanRequest::new(t)
        .model(ModelSpec::new("huge", 64, 1))
        .solve());
    has(
        &m,
        &[
            "group of 64 NeuronCores",
            "it has only 32 cores",
            "legal group sizes: 1, 2, 8, 16, 32",
        ],
    );
}

#[test]
fn cortex_messages() {
    let m = msg(PlanRequest::cortex(inf1(), 2, 3).solve());
    has(
        &m,
        &[
            "cannot evenly distribute 2 chip(s) (8 NeuronCores total) over 3 worker(s)",
            "acceptable numbers of workers are 1, 2, 4, 8",
        ],
    );
    has(
        &msg(PlanRequest::cortex(inf1(), 0, 3).solve()),
        &["chips_per_replica must be at least 1"],
    );
    has(
        &msg(PlanRequest::cortex(inf1(), 1, 0).solve()),
        &["workers_per_replica must be at least 1"],
    );
    has(
        &msg(PlanRequest::cortex(inf1(), 5, 1).solve()),
        &[
            "asks for 5 chips per replica but inf1.6xlarge has 4",
            "at most 4",
        ],
    );
    // trn1: 4 chips = 8 cores; 3 workers does not divide; acceptable counts keep legal sizes only
    // (8 cores/2 = 4 cores is not a legal trn1 group under Strict).
    let t = Topology::preset("trn1.32xlarge").unwrap();
    let m = msg(PlanRequest::cortex(t, 4, 3)
        .strictness(Strictness::Strict)
        .solve());
    has(&m, &["acceptable numbers of workers are 1, 4, 8"]);
}

#[test]
fn does_not_fit_names_blocker_and_what_fits() {
    let t = inf1(); // 16 cores
    let err = PlanRequest::new(t)
        .model(ModelSpec::new("yolo", 4, 2))
        .model(ModelSpec::new("bert", 2, 3))
        .model(ModelSpec::new("tiny", 1, 1))
        .busy(CoreRange::new(0, 2).unwrap())
        .solve()
        .unwrap_err();
    let m = err.to_string();
    has(
        &m,
        &[
            "request does not fit on inf1.6xlarge (16 cores, 14 free, 15 needed)",
            // yolo at 4-7 and 8-11, bert at 2-3, 12-13, 14-15: nothing left for tiny.
            "model `tiny` (groups of 1 cores x 1 replicas) is the first that cannot be placed",
            "at most 0 of its 1 replicas fit next to them",
            "(14 would fit on the instance alone)",
            "legal group sizes on this instance: 1, 2, 3, 4, 8, 12, 16",
        ],
    );
    let PlanError::DoesNotFit(d) = err else {
        panic!()
    };
    assert_eq!(
        (d.max_replicas_that_fit, d.max_alone, d.free_cores),
        (0, 14, 14)
    );
    assert_eq!(d.blocking_model, "tiny");
}

#[test]
fn does_not_fit_strict_says_prefer_would_fit() {
    // 4 chips x 4 cores with one busy core per chip (1, 6, 9, 12).
    let t = inf1();
    let busy = [1u32, 6, 9, 12];
    let mut req = PlanRequest::new(t)
        .strictness(Strictness::Strict)
        .model(ModelSpec::new("m", 2, 4));
    for b in busy {
        req = req.busy(CoreRange::new(b, 1).unwrap());
    }
    // Free regular 2-core slots: 2-3, 4-5, 10-11, 14-15 -> 4 fit; a fifth does not.
    let m = msg(req.clone().model(ModelSpec::new("n", 2, 1)).solve());
    has(&m, &["model `n`", "at most 0 of its 1 replicas fit"]);
    // A 3-core model: regular slots need offset 0 of a chip; all chips have a busy core
    // in its first three cores -> none. Irregular 13-15 (unaligned) is free.
    let m = msg(PlanRequest::new(inf1())
        .strictness(Strictness::Strict)
        .model(ModelSpec::new("odd", 3, 1))
        .busy_ranges(busy.iter().map(|&b| CoreRange::new(b, 1).unwrap()))
        .solve());
    has(
        &m,
        &[
            "model `odd`",
            "at most 0 of its 1 replicas fit",
            "it would fit with Strictness::Prefer",
        ],
    );
}

#[test]
fn cortex_does_not_fit_reports_workers() {
    let m = msg(PlanRequest::cortex(inf1(), 1, 4)
        .busy(CoreRange::new(0, 14).unwrap())
        .solve());
    has(
        &m,
        &["4 workers of 1 cores do not fit", "at most 2 workers fit"],
    );
}

#[test]
fn huge_replica_counts_do_not_panic_or_allocate() {
    let m = msg(PlanRequest::new(inf1())
        .model(ModelSpec::new("w", 1, u32::MAX))
        .solve());
    has(
        &m,
        &[
            "4294967295 needed",
            "at most 16 of its 4294967295 replicas fit",
        ],
    );
    let m = msg(PlanRequest::new(inf1())
        .model(ModelSpec::new("w", u32::MAX, 1))
        .solve());
    has(&m, &["group of 4294967295 NeuronCores", "only 16 cores"]);
}
