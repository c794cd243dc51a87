#!/usr/bin/env bash
# Serving benchmark on the emulator (BENCHMARKS.md, "Serving"): an MLP compiled for batch 8 with
# 1 ms device time on 8 one-core groups of an emulated inf2.24xlarge. Device limit = groups x
# batch / device time = 64,000 inferences/s. Four runs, each against a fresh server:
#   1. in-process, dynamic batching, closed loop (throughput)
#   2. in-process, dynamic batching, open loop at 70 % of the device limit (p99 latency)
#   3. multi-process mode (8 worker processes on one SO_REUSEPORT port), closed loop
#   4. in-process, no batching, closed loop (comparison)
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
  local out
  out=$("$LOADGEN" --url "http://127.0.0.1:$PORT" --rows "$ROWS" --requests $REQUESTS \
        --duration-s "$DURATION" --json $load)
  kill -TERM "$pid"; wait "$pid" || true
  printf '%-34s %s\n' "$name" "$out"
}

echo "device limit: $LIMIT inferences/s ($NGROUPS groups x batch $BATCH / ${DEVICE_US} us); rows/request $ROWS"
run "batching, closed loop"       "--connections $CONNECTIONS"
run "batching, open loop 70%"     "--connections $CONNECTIONS --rate $RATE"
run "multi-process, closed loop"  "--connections $CONNECTIONS" --processes
run "no batching, closed loop"    "--connections $CONNECTIONS" --no-batching
