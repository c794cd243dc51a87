#!/usr/bin/env bash
# Serving benchmark on the emulator (BENCHMARKS.md, "Serving"): an MLP compiled for batch 8 with
# 1 ms device time on 8 one-core groups of an emulated inf2.24xlarge. Device limit = groups x
# batch / device time = 64,000 inferences/s. Runs, each against a fresh server:
#   1. in-process, dynamic batching, closed loop (throughput)
#   2. in-process, dynamic batching, open loop at 70 % of the device limit (p99 latency)
#   3. multi-process mode (8 worker processes on one SO_REUSEPORT port), closed loop
#   4. multi-process mode, open loop at 70 %
#   5. in-process, no batching, closed loop (comparison; its limit is 8,000 inferences/s)
#   6. in-process, no batching, open loop at 70 % of *its* limit
# Each line: the load generator's JSON, then "server<=4ms": the fraction of requests the
# server's own latency histogram (GET /metrics) put at or under 4 ms, which leaves out the
# load generator's lateness (max_send_lag_ms).
# Usage: bash serve/bench.sh            # 10 s per run
#        DURATION=3 bash serve/bench.sh # short
# Environment: DURATION (s), CONNECTIONS (closed loop), RATE (open loop req/s, default 70 % of
# the limit), ROWS (rows per request, default 1), PORT (default 18700).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-256}
ROWS=${ROWS:-1}
NGROUPS=8; BATCH=8; DEVICE_US=1000
LIMIT=$(( NGROUPS * BATCH * 1000000 / DEVICE_US ))
RATE=${RATE:-$(( LIMIT * 7 / 10 / ROWS ))}
PORT=${PORT:-18700}
export NEURON_RT_EMULATOR_LOCK_DIR=${NEURON_RT_EMULATOR_LOCK_DIR:-$(mktemp -d /tmp/serve-bench-locks.XXXXXX)}
cargo build -q --release -p neuron-rt-serve --example serve --example loadgen
SERVE=target/release/examples/serve
LOADGEN=target/release/examples/loadgen
REQUESTS=10000000

run() { # name, loadgen args, serve args...
  local name=$1 load=$2; shift 2
  "$SERVE" --port "$PORT" --groups $NGROUPS --batch $BATCH --device-time-us $DEVICE_US "$@" 2>/tmp/serve-bench-$$.log &
  local pid=$!
  for _ in $(seq 1 300); do
    "$LOADGEN" --url "http://127.0.0.1:$PORT" --requests 1 --connections 1 --duration-s 1 --json >/dev/null 2>&1 && break
    sleep 0.1
  done
  local out before after
  before=$(le4ms)
  out=$("$LOADGEN" --url "http://127.0.0.1:$PORT" --rows "$ROWS" --requests $REQUESTS \
        --duration-s "$DURATION" --json $load)
  after=$(le4ms)
  kill -TERM "$pid"; wait "$pid" || true
  printf '%-34s %s server<=4ms %s\n' "$name" "$out" \
    "$(echo "$before $after" | awk '{ n = $4 - $2; printf "%.4f", (n > 0 ? ($3 - $1) / n : 0) }')"
}

# "<requests <= 4 ms> <all requests>" from the server's latency histogram (all models, all
# worker processes behind the port answer alike only in-process; in multi-process mode each
# scrape reaches one worker, so the fraction is that worker's).
le4ms() {
  curl -s "http://127.0.0.1:$PORT/metrics" | awk '
    /^nrt_serve_request_duration_seconds_bucket/ && /le="0.004"/ { a += $NF }
    /^nrt_serve_request_duration_seconds_bucket/ && /le="\+Inf"/ { n += $NF }
    END { printf "%d %d", a, n }'
}

echo "device limit: $LIMIT inferences/s ($NGROUPS groups x batch $BATCH / ${DEVICE_US} us); rows/request $ROWS"
NB_RATE=$(( NGROUPS * 1000000 / DEVICE_US * 7 / 10 )) # no batching: one request per execution
run "batching, closed loop"          "--connections $CONNECTIONS"
run "batching, open loop 70%"        "--connections $CONNECTIONS --rate $RATE"
run "multi-process, closed loop"     "--connections $CONNECTIONS" --processes
run "multi-process, open loop 70%"   "--connections $CONNECTIONS --rate $RATE" --processes
run "no batching, closed loop"       "--connections $CONNECTIONS" --no-batching
run "no batching, open loop 70%/its" "--connections $CONNECTIONS --rate $NB_RATE" --no-batching
