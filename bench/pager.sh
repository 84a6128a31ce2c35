#!/usr/bin/env bash
# pager.sh - the real pager against the kernel (make bench runs it after
# bench.sh; make bench-pager alone):
#
#   bench/pager.sh [VMLAB]
#
# 1-2. bench/bench_pager.c, built against libvmlab.a beside VMLAB: per-fault
#    latency (kernel anonymous fault, SIGSEGV+mprotect, the pager's first
#    touch, swap-in and soft fault) and a 4x-over-budget array workload for
#    every hardware-bits policy against no budget.
# 3. sort of 30,000 lines (a fixed shuffle) under
#    `vmlab pager --budget 256K` for every hardware-bits policy, against
#    plain sort: elapsed and CPU seconds (one run each), the pager's faults;
#    every output compared with plain sort's.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VMLAB=${1:-build/vmlab}
BUILD_DIR=$(dirname "$VMLAB")
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"

gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc bench/bench_pager.c "$BUILD_DIR/libvmlab.a" \
	${BENCH_LDLIBS:--lelf -llz4 -lzstd -lz -llzma -lbz2 -lm -pthread} -o "$BUILD_DIR/bench_pager"
"$BUILD_DIR/bench_pager"

IN=$OUT/pager-sort-input.txt
seq 1 30000 | sort -R --random-source=<(yes) > "$IN"
export LC_ALL=C
t() { /usr/bin/time -f '%e %U %S' -o "$OUT/time" "$@"; awk '{ printf "%7.2f %7.2f", $1, $2 + $3 }' "$OUT/time"; }
echo
echo "== sort of $(wc -l < "$IN") lines ($(wc -c < "$IN") bytes), vmlab pager --budget 256K (one run each)"
printf '  %-10s %7s %7s %8s %8s %8s %8s\n' policy elapsed cpu faults major soft swapouts
printf '  %-10s ' "no pager"; t sort "$IN" -o "$OUT/sort.plain"; printf ' %8s' - - - -; echo
for p in $("$VMLAB" policies | awk 'NR > 1 && $2 == "hardware" { print $1 }'); do
	printf '  %-10s ' "$p"
	t "$VMLAB" pager --budget 256K --policy "$p" --stats "$OUT/sort.json" -- sort "$IN" -o "$OUT/sort.paged"
	cmp -s "$OUT/sort.plain" "$OUT/sort.paged" || { echo " OUTPUT DIFFERS"; exit 1; }
	js=$(cat "$OUT/sort.json")
	for k in page_faults major_faults soft_faults swap_outs; do
		v=$(sed -n "s/.*\"$k\": \([0-9]*\).*/\1/p" <<<"$js")
		[ -n "$v" ] || { echo " no $k in the pager's stats: $js"; exit 1; }
		printf ' %8s' "$v"
	done
	echo
done
