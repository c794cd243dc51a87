//! Fleet plan-time benchmark (plain `Instant` harness, `harness = false`).
//!
//! Run: `cargo bench --bench fleet`. Each scenario is solved once to show the fleet,
//! then timed; prints median and worst in ms against the 100 ms target (200 replicas
//! over 5 instance types).

use std::hint::black_box;
use std::time::{Duration, Instant};

use ncg_planner::ModelSpec;
use ncg_planner::fleet::{FleetRequest, InstanceType};

const TARGET: Duration = Duration::from_millis(100);
const ITERS: usize = 20;

fn inf2_trn1_catalogue(r: FleetRequest) -> FleetRequest {
    let t = |n: &str, p: f64| InstanceType::preset(n).expect("preset").price_per_hour(p);
    r.instance_type(t("inf2.xlarge", 0.76))
        .instance_type(t("inf2.8xlarge", 1.97))
        .instance_type(t("inf2.24xlarge", 6.49))
        .instance_type(t("inf2.48xlarge", 12.98))
        .instance_type(t("trn1.32xlarge", 21.50))
}

fn scenarios() -> Vec<(&'static str, FleetRequest)> {
    const GIB: u64 = 1 << 30;
    vec![
        (
            "200 replicas (16x5 8x10 4x20 2x50 1x115), 5 priced types",
            inf2_trn1_catalogue(FleetRequest::new())
                .model(ModelSpec::new("big", 16, 5))
                .model(ModelSpec::new("llama", 8, 10))
                .model(ModelSpec::new("sd", 4, 20))
                .model(ModelSpec::new("bert", 2, 50))
                .model(ModelSpec::new("tiny", 1, 115)),
        ),
        (
            "200 replicas with memory needs (1-core 20 GiB, 2-core 30 GiB), 5 priced types",
            inf2_trn1_catalogue(FleetRequest::new())
                .model(ModelSpec::new("llama", 8, 10))
                .model(ModelSpec::new("mem20", 1, 60).with_device_memory(20 * GIB))
                .model(ModelSpec::new("mem30", 2, 30).with_device_memory(30 * GIB))
                .model(ModelSpec::new("bert", 2, 40))
                .model(ModelSpec::new("tiny", 1, 60)),
        ),
        (
            "200 replicas, 5 unpriced types (fewest instances), max 3 inf2.48xlarge",
            FleetRequest::new()
                .instance_type(InstanceType::preset("inf2.xlarge").expect("preset"))
                .instance_type(InstanceType::preset("inf2.24xlarge").expect("preset"))
                .instance_type(
                    InstanceType::preset("inf2.48xlarge")
                        .expect("preset")
                        .max_count(3),
                )
                .instance_type(InstanceType::preset("trn1.32xlarge").expect("preset"))
                .instance_type(InstanceType::preset("inf1.24xlarge").expect("preset"))
                .model(ModelSpec::new("llama", 8, 20))
                .model(ModelSpec::new("bert", 2, 80))
                .model(ModelSpec::new("tiny", 1, 100)),
        ),
    ]
}

fn main() {
    println!("ncg-planner fleet plan-time benchmark ({ITERS} timed solves per scenario)");
    let mut failed = 0;
    for (name, req) in scenarios() {
        let t = Instant::now();
        let fleet = match req.solve() {
            Ok(f) => f,
            Err(e) => {
                println!("{name}: error: {e}");
                failed += 1;
                continue;
            }
        };
        let first = t.elapsed();
        let mut times = Vec::with_capacity(ITERS);
        for _ in 0..ITERS {
            let t = Instant::now();
            black_box(black_box(&req).solve().ok());
            times.push(t.elapsed());
        }
        times.sort_unstable();
        let median = times[times.len() / 2];
        let worst = *times.last().unwrap_or(&median);
        let pass = median < TARGET;
        if !pass {
            failed += 1;
        }
        println!("\n{name}");
        print!("{fleet}");
        println!(
            "median {:.2} ms, worst {:.2} ms (first {:.2} ms), {} search nodes: {}",
            median.as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3,
            first.as_secs_f64() * 1e3,
            fleet.search_nodes(),
            if pass { "PASS" } else { "FAIL" }
        );
    }
    println!(
        "\ntarget: median < {} ms per fleet plan; {failed} scenario(s) failed",
        TARGET.as_millis()
    );
}
