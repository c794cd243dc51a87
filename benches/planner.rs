//! Plan-time benchmark for ncg-planner (plain `Instant` harness, `harness = false`).
//!
//! Run: `cargo bench --bench planner`. For each scenario: warm-up, then timed
//! iterations; prints median and p99 in µs and PASS/FAIL (median) against the 1 ms target.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ncg_planner::{CoreRange, ModelSpec, PlanRequest, Topology};

const TARGET: Duration = Duration::from_millis(1);
const WARMUP: usize = 50;
const ITERS: usize = 1000;

struct Scenario {
    name: &'static str,
    request: PlanRequest,
}

fn range(start: u32, count: u32) -> CoreRange {
    CoreRange::new(start, count).expect("valid range")
}

fn scenarios() -> Vec<Scenario> {
    let trn2_lnc1 = Topology::preset_with_lnc("trn2.48xlarge", 1).expect("preset");
    let trn2_lnc2 = Topology::preset("trn2.48xlarge").expect("preset");
    let trn1 = Topology::preset("trn1.32xlarge").expect("preset");
    let inf2 = Topology::preset("inf2.48xlarge").expect("preset");
    let inf1 = Topology::preset("inf1.24xlarge").expect("preset");
    vec![
        Scenario {
            name: "trn2.48xlarge LNC1, 128 x 1-core workers",
            request: PlanRequest::new(trn2_lnc1.clone()).model(ModelSpec::new("w", 1, 128)),
        },
        Scenario {
            name: "trn2.48xlarge LNC1, mixed 16x2 8x3 4x4 2x6 1x10 + busy 0-3,40",
            request: PlanRequest::new(trn2_lnc1.clone())
                .model(ModelSpec::new("llama", 16, 2))
                .model(ModelSpec::new("gpt", 8, 3))
                .model(ModelSpec::new("t5", 4, 4))
                .model(ModelSpec::new("bert", 2, 6))
                .model(ModelSpec::new("tiny", 1, 10))
                .busy(range(0, 4))
                .busy(range(40, 1)),
        },
        Scenario {
            name: "trn2.48xlarge LNC1, full mixed 32 16x2 8x4 4x4 2x4 1x8 (128 cores)",
            request: PlanRequest::new(trn2_lnc1)
                .model(ModelSpec::new("big", 32, 1))
                .model(ModelSpec::new("llama", 16, 2))
                .model(ModelSpec::new("gpt", 8, 4))
                .model(ModelSpec::new("t5", 4, 4))
                .model(ModelSpec::new("bert", 2, 4))
                .model(ModelSpec::new("tiny", 1, 8)),
        },
        Scenario {
            name: "trn2.48xlarge LNC2, mixed 8x2 4x5 2x6 1x7 + busy 10-11",
            request: PlanRequest::new(trn2_lnc2)
                .model(ModelSpec::new("llama", 8, 2))
                .model(ModelSpec::new("gpt", 4, 5))
                .model(ModelSpec::new("bert", 2, 6))
                .model(ModelSpec::new("tiny", 1, 7))
                .busy(range(10, 2)),
        },
        Scenario {
            name: "trn1.32xlarge mixed 8x1 2x6 1x9 + busy 5 (NUMA balanced)",
            request: PlanRequest::new(trn1)
                .model(ModelSpec::new("llama", 8, 1))
                .model(ModelSpec::new("bert", 2, 6))
                .model(ModelSpec::new("tiny", 1, 9))
                .busy(range(5, 1)),
        },
        Scenario {
            name: "inf2.48xlarge mixed 8x1 4x2 2x3 1x1 + busy 0",
            request: PlanRequest::new(inf2)
                .model(ModelSpec::new("llama", 8, 1))
                .model(ModelSpec::new("sd", 4, 2))
                .model(ModelSpec::new("bert", 2, 3))
                .model(ModelSpec::new("tiny", 1, 1))
                .busy(range(0, 1)),
        },
        Scenario {
            name: "inf1.24xlarge mixed 16x1 4x5 2x6 1x9",
            request: PlanRequest::new(inf1)
                .model(ModelSpec::new("big", 16, 1))
                .model(ModelSpec::new("yolo", 4, 5))
                .model(ModelSpec::new("bert", 2, 6))
                .model(ModelSpec::new("tiny", 1, 9)),
        },
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() {
    println!("ncg-planner plan-time benchmark ({ITERS} iterations after {WARMUP} warm-up)");
    println!(
        "{:<72} {:>10} {:>10}  result",
        "scenario", "median µs", "p99 µs"
    );
    let mut failed = 0;
    for s in scenarios() {
        // Check it solves at all (and show the plan shape once).
        let plan = match s.request.solve() {
            Ok(p) => p,
            Err(e) => {
                println!("{:<72} error: {e}", s.name);
                failed += 1;
                continue;
            }
        };
        for _ in 0..WARMUP {
            black_box(s.request.solve().ok());
        }
        let mut times = Vec::with_capacity(ITERS);
        for _ in 0..ITERS {
            let t = Instant::now();
            black_box(black_box(&s.request).solve().ok());
            times.push(t.elapsed());
        }
        times.sort_unstable();
        let median = percentile(&times, 0.5);
        let p99 = percentile(&times, 0.99);
        // Judged on the median: on a shared 2-core machine the p99 picks up scheduler
        // noise from other processes; it is printed and flagged separately.
        let pass = median < TARGET;
        if !pass {
            failed += 1;
        }
        println!(
            "{:<72} {:>10.1} {:>10.1}  {}{} ({} workers, {} idle, largest free block {})",
            s.name,
            median.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6,
            if pass { "PASS" } else { "FAIL" },
            if p99 < TARGET {
                ""
            } else {
                " (p99 over target)"
            },
            plan.workers().len(),
            plan.idle_core_count(),
            plan.largest_free_block()
        );
    }
    println!(
        "target: median < {} µs per plan; {failed} scenario(s) failed",
        TARGET.as_micros()
    );
}
