#!/bin/sh
# check_exports.sh LIB: every function declared in our public headers (../include/nrt/*.h and
# include/nrt_emu.h) must be exported by the drop-in library LIB, and LIB must export no nrt_* or
# nrta_* function the headers do not declare. Declarations are found with the C preprocessor's view of
# the headers (comments stripped), so a name mentioned only in a comment never counts.
set -eu
lib=$1
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include "nrt/nrt.h"\n#include "nrt/nrt_experimental.h"\n#include "nrt/nrt_profile.h"\n#include "nrt/nrt_status.h"\n#include "nrt/nrt_version.h"\n#include "nrt/nrt_async.h"\n#include "nrt_emu.h"\n' \
    > "$tmp/all.c"
${CC:-cc} -E -P -I"$here/../include" -I"$here/include" "$tmp/all.c" | tr '\n' ' ' | tr ';' '\n' |
    grep -v typedef | grep -oE '\bnrta?_[a-z0-9_]+[[:space:]]*\(' | sed 's/[[:space:]]*($//' |
    sort -u > "$tmp/declared"
nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | grep -E '^nrta?_' |
    sort -u > "$tmp/exported"
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
n=$(wc -l < "$tmp/declared")
if [ -n "$missing" ] || [ -n "$extra" ]; then
    [ -z "$missing" ] || echo "declared in our headers but not exported by $lib:" $missing
    [ -z "$extra" ] || echo "exported by $lib but not declared in our headers:" $extra
    exit 1
fi
echo "exports: all $n functions declared in our headers are exported by $(basename "$lib")"
