//! Dynamic batching on the emulator, without HTTP: padding, splitting, the delay, no-batching,
//! oversized requests, a full queue, draining on close.

mod common;

use common::*;
use neuron_rt_serve::batcher::{BatchConfig, BatchQueue, ExecResult, SubmitError, run_executor};
use neuron_rt_serve::metrics::ModelMetrics;
use neuron_rt_serve::model::ModelInfo;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

const ROW: usize = 4; // input width of common::mlp
const OUT: usize = 3; // output width

fn rows_bytes(rows: &[[f32; ROW]]) -> Vec<u8> {
    rows.iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn row(i: usize) -> [f32; ROW] {
    std::array::from_fn(|j| ((i * ROW + j) as f32 * 0.31).sin())
}

/// Run `f` with a queue served by one executor on its own group; returns the metrics.
fn with_executor(
    delay: Duration,
    batching: bool,
    max_queue: usize,
    f: impl FnOnce(&BatchQueue),
) -> Arc<ModelMetrics> {
    let spec = mlp(200);
    let device = device();
    let model = {
        let neff = spec.build("mlp").unwrap();
        device.core_group_of_size(1).unwrap().load(&neff).unwrap()
    };
    let info = ModelInfo::of_model("mlp", &model).unwrap();
    assert_eq!(info.max_batch, 4);
    let metrics = Arc::new(ModelMetrics::new("mlp", 4, &["x".to_string()]));
    let queue = BatchQueue::new(
        BatchConfig {
            max_batch: 4,
            delay,
            batching,
            max_queue,
        },
        Arc::clone(&metrics),
    );
    std::thread::scope(|s| {
        let (q, m, i, md) = (&queue, &metrics, &info, &model);
        let exec = s.spawn(move || run_executor(md, i, q, m, &m.groups[0], || {}));
        f(&queue);
        queue.close();
        exec.join().unwrap().unwrap();
    });
    metrics
}

fn wait(rx: oneshot::Receiver<ExecResult>) -> Vec<Vec<u8>> {
    rx.blocking_recv()
        .expect("executor replied")
        .expect("execution ok")
}

fn expected(i: usize) -> Vec<f32> {
    reference_row(&mlp(0), "mlp", &row(i))
}

#[test]
fn partial_batch_is_padded_and_rows_come_back() {
    let want: Vec<Vec<f32>> = (0..3).map(expected).collect();
    let metrics = with_executor(Duration::from_millis(1), true, 16, |q| {
        let rx = q
            .submit(3, vec![rows_bytes(&[row(0), row(1), row(2)])])
            .unwrap();
        let out = wait(rx);
        assert_eq!(out.len(), 1, "one output tensor");
        let got = floats(&out[0]);
        assert_eq!(
            got.len(),
            3 * OUT,
            "only the request's 3 rows, not the padding"
        );
        for r in 0..3 {
            assert_close(&got[r * OUT..(r + 1) * OUT], &want[r]);
        }
    });
    assert_eq!(metrics.batch_size.count(), 1);
    assert_eq!(metrics.groups[0].executions(), 1);
}

#[test]
fn requests_filling_the_batch_share_one_execution_and_are_split_back() {
    let want: Vec<Vec<f32>> = (0..4).map(expected).collect();
    // A delay far longer than the test: the full batch must not wait for it.
    let delay = Duration::from_secs(120);
    let started = Instant::now();
    let metrics = with_executor(delay, true, 16, |q| {
        let a = q.submit(1, vec![rows_bytes(&[row(0)])]).unwrap();
        let b = q
            .submit(3, vec![rows_bytes(&[row(1), row(2), row(3)])])
            .unwrap();
        let (a, b) = (floats(&wait(a)[0]), floats(&wait(b)[0]));
        assert_close(&a, &want[0]);
        assert_eq!(b.len(), 3 * OUT);
        for r in 0..3 {
            assert_close(&b[r * OUT..(r + 1) * OUT], &want[r + 1]);
        }
    });
    assert!(
        started.elapsed() < delay,
        "a full batch runs without waiting for the delay"
    );
    assert_eq!(
        metrics.batch_size.count(),
        1,
        "one execution for both requests"
    );
    assert_eq!(metrics.groups[0].executions(), 1);
    let text = neuron_rt_serve::metrics::Metrics::new(vec![Arc::clone(&metrics)], None).render();
    assert!(
        text.contains("nrt_serve_batch_size_bucket{model=\"mlp\",le=\"3\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains("nrt_serve_batch_size_bucket{model=\"mlp\",le=\"4\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("nrt_serve_inferences_total{model=\"mlp\"} 4\n"),
        "{text}"
    );
}

#[test]
fn a_lone_request_waits_for_the_delay_then_runs_alone() {
    let delay = Duration::from_millis(300);
    let metrics = with_executor(delay, true, 16, |q| {
        let t = Instant::now();
        let rx = q.submit(1, vec![rows_bytes(&[row(5)])]).unwrap();
        let out = wait(rx);
        // A lower bound only: the request was held for the batch to fill.
        assert!(t.elapsed() >= delay, "answered after {:?}", t.elapsed());
        assert_close(&floats(&out[0]), &expected(5));
    });
    assert_eq!(metrics.batch_size.count(), 1);
}

#[test]
fn a_request_that_does_not_fit_waits_for_the_next_execution() {
    let metrics = with_executor(Duration::from_millis(50), true, 16, |q| {
        let a = q
            .submit(3, vec![rows_bytes(&[row(0), row(1), row(2)])])
            .unwrap();
        let b = q.submit(2, vec![rows_bytes(&[row(3), row(4)])]).unwrap();
        assert_eq!(floats(&wait(a)[0]).len(), 3 * OUT);
        let b = floats(&wait(b)[0]);
        assert_close(&b[OUT..], &expected(4));
    });
    assert_eq!(
        metrics.batch_size.count(),
        2,
        "3 + 2 rows do not fit a batch of 4"
    );
}

#[test]
fn without_batching_every_request_runs_alone() {
    let metrics = with_executor(Duration::from_secs(120), false, 16, |q| {
        let rxs: Vec<_> = (0..3)
            .map(|i| q.submit(1, vec![rows_bytes(&[row(i)])]).unwrap())
            .collect();
        for (i, rx) in rxs.into_iter().enumerate() {
            assert_close(&floats(&wait(rx)[0]), &expected(i));
        }
    });
    assert_eq!(metrics.groups[0].executions(), 3);
}

#[test]
fn oversized_and_empty_requests_are_refused() {
    with_executor(Duration::from_millis(1), true, 16, |q| {
        let err = q.submit(5, vec![vec![0; 5 * ROW * 4]]).unwrap_err();
        assert_eq!(err, SubmitError::TooLarge { rows: 5, max: 4 });
        assert!(err.to_string().contains("larger than the batch size 4"));
        assert!(q.submit(0, vec![vec![]]).is_err());
    });
}

#[test]
fn a_full_queue_refuses_and_close_drains_what_is_queued() {
    let metrics = Arc::new(ModelMetrics::new("m", 4, &[]));
    let q = BatchQueue::new(
        BatchConfig {
            max_batch: 4,
            delay: Duration::from_secs(120),
            batching: true,
            max_queue: 2,
        },
        Arc::clone(&metrics),
    );
    let _a = q.submit(1, vec![vec![0; 16]]).unwrap();
    let _b = q.submit(1, vec![vec![0; 16]]).unwrap();
    assert_eq!(
        q.submit(1, vec![vec![0; 16]]).unwrap_err(),
        SubmitError::Full(2)
    );
    assert_eq!(metrics.queue_depth(), 2);
    q.close();
    assert_eq!(
        q.submit(1, vec![vec![0; 16]]).unwrap_err(),
        SubmitError::Closed
    );
    // Closed: the queued requests are handed out at once (no delay), then None.
    let batch = q.next_batch().expect("the queued requests");
    assert_eq!(batch.len(), 2);
    assert!(q.next_batch().is_none());
    assert_eq!(metrics.queue_depth(), 0);
}
