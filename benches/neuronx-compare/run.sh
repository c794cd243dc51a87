#!/usr/bin/env bash
# Build the drop-in libnrt.so.1 and a NEURON_DIR for neuronx's build script (our own headers, as
# neuronx expects them under include/nrt), then run the comparison.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${NEURONX_COMPARE_DIR:-/tmp/neuronx-compare-$USER}"
mkdir -p "$work/lib" "$work/include/nrt" "${NEURON_RT_EMULATOR_LOCK_DIR:=$work/locks}"
export NEURON_RT_EMULATOR_LOCK_DIR
make -s -C "$root/neuron-rt-sys/emulator" OUT="$work/lib"
for h in "$root"/neuron-rt-sys/include/nrt/*.h; do ln -sf "$h" "$work/include/nrt/"; done
# neuronx's wrapper includes nrt_async.h; an empty one stands in when our headers lack it (the
# comparison uses nothing from it).
[ -e "$work/include/nrt/nrt_async.h" ] || : > "$work/include/nrt/nrt_async.h"
NEURON_DIR="$work" LD_LIBRARY_PATH="$work/lib" \
  cargo run --release --manifest-path "$here/Cargo.toml" --target-dir "$work/target" "$@"
