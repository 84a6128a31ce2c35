#!/usr/bin/env bash
# bench.sh - throughput of vmlab on a real program's memory trace.
#
#   bench/bench.sh [VMLAB]          (make bench runs: bench/bench.sh build/vmlab)
#
# 1. Records, once, a Valgrind lackey trace of bzip2 -9 compressing a
#    deterministic input (the numbers 1..20000 in a fixed shuffled order,
#    108,894 bytes) into bench/out/ (gitignored; reused while the recipe is the
#    same).  About 53 million accesses, 750 MB of text, 454 distinct 4 KiB
#    pages: a working set seven times the default 64 frames.
# 2. Times `cat` and `wc -l` over the trace, for reference.
# 3. Times `VMLAB run --policy P --json TRACE` for every policy (default
#    machine: 64 frames, TLB 64:4) and prints references, seconds, million
#    references per second and page faults.
# 4. Builds bench/bench_mem.c against libvmlab.a (next to VMLAB, so
#    build/libvmlab.a for make bench) and runs it: the same
#    simulation fed from memory, without reading or parsing the trace.
#
# Environment: BENCH_POLICIES (default "fifo random lru lfu clock eclock opt"),
# BENCH_OUT (default bench/out).
set -euo pipefail

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

VMLAB=${1:-build/vmlab}
POLICIES=${BENCH_POLICIES:-fifo random lru lfu clock eclock opt}
OUT=${BENCH_OUT:-bench/out}
INPUT=$OUT/bzip2-input.txt
TRACE=$OUT/bzip2.lackey
META=$TRACE.recipe

# The recording recipe: change it and the trace is recorded again.
SEQ_N=20000
PROGRAM=(bzip2 -9 -c bzip2-input.txt)
RECIPE="valgrind --tool=lackey --trace-mem=yes; env -i PATH=/usr/bin:/bin LC_ALL=C; \
input: seq 1 $SEQ_N | sort -R --random-source=<(yes); program: ${PROGRAM[*]}"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

command -v valgrind >/dev/null 2>&1 ||
	die "valgrind is not installed; it records the benchmark trace (Debian: apt-get install -y valgrind)"
command -v bzip2 >/dev/null 2>&1 ||
	die "bzip2 is not installed; it is the traced program (Debian: apt-get install -y bzip2)"

# ---------------------------------------------------------------- machine
echo "== machine"
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
printf '%-10s %s\n' "cpus" "$(nproc)"
printf '%-10s %s\n' "cpu" "${cpu:-unknown}"
printf '%-10s %s %s\n' "kernel" "$(uname -r)" "$(uname -m)"
[ -r /etc/debian_version ] && printf '%-10s %s\n' "debian" "$(cat /etc/debian_version)"
printf '%-10s %s\n' "memory" "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
printf '%-10s %s\n' "valgrind" "$(valgrind --version)"
printf '%-10s %s   (other work on the machine skews the timings)\n' "load" "$(cut -d' ' -f1-3 /proc/loadavg)"
echo

# ---------------------------------------------------------------- trace
mkdir -p "$OUT"
if [ -s "$TRACE" ] && [ -f "$META" ] && [ "$(cat "$META")" = "$RECIPE" ]; then
	echo "== trace: reusing $TRACE"
else
	echo "== trace: recording $TRACE (takes a minute or two)"
	rm -f "$TRACE" "$META"
	seq 1 "$SEQ_N" | sort -R --random-source=<(yes) >"$INPUT"
	t0=$(now)
	# env -i: a small, fixed environment (and so initial stack) for the program.
	if ! (cd "$OUT" && env -i PATH=/usr/bin:/bin LC_ALL=C \
		valgrind --tool=lackey --trace-mem=yes --log-file=bzip2.lackey.part \
		"${PROGRAM[@]}" >bzip2-input.txt.bz2); then
		rm -f "$TRACE.part"
		die "recording failed: valgrind ${PROGRAM[*]} (in $OUT) exited non-zero"
	fi
	t1=$(now)
	mv "$TRACE.part" "$TRACE"
	printf '%s\n' "$RECIPE" >"$META"
	echo "recorded in $(elapsed "$t0" "$t1") s"
fi
echo "program:  ${PROGRAM[*]}   (bzip2 -9 compressing the numbers 1..$SEQ_N, shuffled)"
echo "input:    $(wc -c <"$INPUT" 2>/dev/null || echo '?') bytes, md5 $(md5sum <"$INPUT" 2>/dev/null | cut -c1-32)"
echo "trace:    $TRACE, $(wc -c <"$TRACE") bytes"
echo

# ---------------------------------------------------------------- reference
echo "== reference: reading the trace without simulating"
cat "$TRACE" >/dev/null # warm the page cache
t0=$(now); cat "$TRACE" >/dev/null; t1=$(now)
cat_s=$(elapsed "$t0" "$t1")
t0=$(now); lines=$(wc -l <"$TRACE"); t1=$(now)
wc_s=$(elapsed "$t0" "$t1")
printf '%-24s %10s s\n' "cat TRACE > /dev/null" "$cat_s"
printf '%-24s %10s s   (%s lines)\n' "wc -l TRACE" "$wc_s" "$lines"
echo

# ---------------------------------------------------------------- vmlab run
[ -x "$VMLAB" ] || die "no vmlab binary at '$VMLAB' (build it with: make build/vmlab)"

# json_u FILE KEY: the first "KEY": N in FILE.
json_u() {
	grep -o "\"$2\"[[:space:]]*:[[:space:]]*[0-9]*" "$1" | head -n 1 | grep -o '[0-9]*$' || true
}

echo "== vmlab run --policy P --json TRACE   (default machine: 64 frames, TLB 64:4)"
printf '%-8s %12s %9s %10s %12s\n' policy references seconds "Mrefs/s" page_faults
failed=0
for p in $POLICIES; do
	json=$OUT/run-$p.json
	t0=$(now)
	if ! "$VMLAB" run --policy "$p" --json "$TRACE" >"$json" 2>"$OUT/run-$p.err"; then
		t1=$(now)
		printf '%-8s failed after %s s: %s\n' "$p" "$(elapsed "$t0" "$t1")" \
			"$(head -n 1 "$OUT/run-$p.err")"
		failed=1
		continue
	fi
	t1=$(now)
	secs=$(elapsed "$t0" "$t1")
	refs=$(json_u "$json" references)
	faults=$(json_u "$json" page_faults)
	rate=$(awk -v r="${refs:-0}" -v s="$secs" 'BEGIN { printf "%.2f", (s > 0) ? r / s / 1e6 : 0 }')
	printf '%-8s %12s %9s %10s %12s\n' "$p" "${refs:-?}" "$secs" "$rate" "${faults:-?}"
done
echo "(seconds: wall clock of the whole command: reading and parsing the trace included;"
echo " opt also builds its next-use index first)"
echo

# ---------------------------------------------------------------- in memory
BUILD_DIR=$(dirname "$VMLAB")
LIB=$BUILD_DIR/libvmlab.a
if [ ! -f "$LIB" ]; then
	echo "== in-memory source: skipped, no $LIB (build it with: make $LIB)"
	exit 1
fi
echo "== in-memory source: bench/bench_mem.c (trace read once into memory, simulation timed alone)"
gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc bench/bench_mem.c "$LIB" -lzstd -lz -lm \
	-o "$BUILD_DIR/bench_mem" || die "bench/bench_mem.c did not build"
# shellcheck disable=SC2086 # POLICIES is a list of words
"$BUILD_DIR/bench_mem" "$TRACE" $POLICIES || failed=1

exit "$failed"
