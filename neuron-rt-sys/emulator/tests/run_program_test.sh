#!/bin/sh
# Builds and runs the emulator's program/tar/sha256 unit tests under ASan + UBSan, then the
# Rust/C cross-check: neuron-neff's cross_check_vectors example writes NEFFs plus input and
# expected-output vectors, and program_test runs each NEFF through the C parser/interpreter.
#
#   neuron-rt-sys/emulator/tests/run_program_test.sh            # unit tests + cross-check
#   NO_CROSS_CHECK=1 neuron-rt-sys/emulator/tests/run_program_test.sh   # C unit tests only
#
# Environment: CC (default gcc), CARGO_TARGET_DIR (default /work/target-neff), OUT_DIR for the
# binary and vectors (default a fresh temporary directory), VECTORS_DIR to use vectors written
# earlier (`cargo run -p neuron-neff --example cross_check_vectors -- DIR`) instead of running
# cargo. `cargo test -p neuron-neff --test cross_check` runs the same cross-check without
# sanitizers.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cc=${CC:-gcc}
out=${OUT_DIR:-$(mktemp -d)}
mkdir -p "$out"

flags="-std=c11 -Wall -Wextra -Werror -pedantic -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
$cc $flags -o "$out/program_test" \
    "$here/program_test.c" "$here/../src/program.c" "$here/../src/tar.c" "$here/../src/sha256.c" "$here/../src/errbuf.c" -lm

if [ "${NO_CROSS_CHECK:-0}" = "1" ]; then
    "$out/program_test"
    exit $?
fi

if [ -n "${VECTORS_DIR:-}" ]; then
    vectors=$VECTORS_DIR
else
    vectors="$out/vectors"
    mkdir -p "$vectors"
    (cd "$root" && CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-neff} \
        cargo run --quiet -p neuron-neff --example cross_check_vectors -- "$vectors")
fi
set --
for neff in "$vectors"/*.neff; do
    base=${neff%.neff}
    set -- "$@" --check "$neff" "$base.in.bin" "$base.expected.bin"
done
"$out/program_test" "$@"
