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
# 2. Times `wc -l` over the trace, for scale.
# 3. Times `VMLAB run --policy P --json TRACE` for every policy (default
#    machine: 64 frames, TLB 64:4), after one untimed warm-up run.
# 4. Builds bench/bench_mem.c against libvmlab.a (next to VMLAB, so
#    build/libvmlab.a for make bench) and runs it: the same simulation fed
#    from memory, without reading or parsing the trace (its own warm-up).
# 5. Converts the trace to vmt (vmlab convert, every run: the format may
#    change) and times `VMLAB run` from it the same way.
# 6. Prints one table: per policy, references, page faults, vmlab run's CPU
#    seconds, M references/s and CPU time as a multiple of wc -l's, the same
#    from vmt and its CPU time as a share of lackey's, and the in-memory CPU
#    seconds and M references/s.
# 7. SHARDS: for lru and clock, on the bundled trace and this one (vmt), the
#    exact curve over 16 sizes against --sample 0.1 and 0.01: the mean
#    absolute error in miss ratio and the CPU speed-up.
# 8. sweep --policies all over 8 sizes, -j 2 against -j 1: wall time (the
#    target is a wall-time one), with the load average before and after.
#
# Times are CPU time (user + system) of the whole process, the least of
# BENCH_RUNS (default 3) runs: the machine may be shared, and a loaded one
# stretches wall time far more than CPU time.
#
# Environment: BENCH_POLICIES (default: every policy `vmlab policies` lists),
# BENCH_OUT (default bench/out), BENCH_RUNS (default 3), BENCH_SWEEP=0 skips
# step 8 (it takes minutes).
set -euo pipefail

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

VMLAB=${1:-build/vmlab}
POLICIES=${BENCH_POLICIES:-$("$VMLAB" policies | awk 'NR > 1 && !/^ / { print $1 }' | tr '\n' ' ')}
OUT=${BENCH_OUT:-bench/out}
RUNS=${BENCH_RUNS:-3}
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

# ---------------------------------------------------------------- timing
# cpu_of CMD...: CPU seconds (user + system) of one run of CMD, stdout to
# $CPU_OUT (default /dev/null), stderr to $CPU_ERR; returns CMD's status.
cpu_of() {
	local t status
	t=$( { TIMEFORMAT='%U %S'; time "$@" >"${CPU_OUT:-/dev/null}" 2>"${CPU_ERR:-/dev/null}"; } 2>&1 ) ||
		return 1
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f", a[1] + a[2] }'
}
# least A B: the smaller of two numbers ("" counts as none).
least() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

# ---------------------------------------------------------------- reference
echo "== reference: reading the trace without simulating"
cat "$TRACE" >/dev/null # warm the page cache
lines=$(wc -l <"$TRACE")
wc_s=
for _ in $(seq "$RUNS"); do wc_s=$(least "$wc_s" "$(cpu_of wc -l "$TRACE")"); done
printf 'wc -l TRACE: %s lines, %s CPU s (least of %s)\n' "$lines" "$wc_s" "$RUNS"
echo

# ---------------------------------------------------------------- vmlab run
[ -x "$VMLAB" ] || die "no vmlab binary at '$VMLAB' (build it with: make build/vmlab)"

# json_u FILE KEY: the first "KEY": N in FILE.
json_u() {
	grep -o "\"$2\"[[:space:]]*:[[:space:]]*[0-9]*" "$1" | head -n 1 | grep -o '[0-9]*$' || true
}

echo "== vmlab run --policy P --json TRACE   (default machine: 64 frames, TLB 64:4)"
failed=0
declare -A run_refs run_s run_faults
for p in $POLICIES; do
	json=$OUT/run-$p.json
	best=
	# run 0 is the warm-up, not counted
	for r in $(seq 0 "$RUNS"); do
		if ! s=$(CPU_OUT=$json CPU_ERR=$OUT/run-$p.err cpu_of "$VMLAB" run --policy "$p" --json "$TRACE"); then
			printf '%-8s failed: %s\n' "$p" "$(head -n 1 "$OUT/run-$p.err")"
			failed=1
			best=
			break
		fi
		[ "$r" -gt 0 ] && best=$(least "$best" "$s")
	done
	[ -n "$best" ] || continue
	run_refs[$p]=$(json_u "$json" references)
	run_faults[$p]=$(json_u "$json" page_faults)
	run_s[$p]=$best
	printf '%-8s %s CPU s\n' "$p" "$best"
done
echo

# ---------------------------------------------------------------- vmt
VMT=$OUT/bzip2.vmt
echo "== vmlab run --policy P --json TRACE.vmt   (the same trace converted to vmt)"
convert_s=$(cpu_of "$VMLAB" convert "$TRACE" "$VMT") || die "vmlab convert $TRACE $VMT failed"
printf 'convert: %s bytes of vmt (%s CPU s to write)\n' "$(wc -c <"$VMT")" "$convert_s"
declare -A vmt_s
for p in $POLICIES; do
	json=$OUT/vmt-$p.json
	best=
	for r in $(seq 0 "$RUNS"); do
		if ! s=$(CPU_OUT=$json CPU_ERR=$OUT/vmt-$p.err cpu_of "$VMLAB" run --policy "$p" --json "$VMT"); then
			printf '%-8s failed: %s\n' "$p" "$(head -n 1 "$OUT/vmt-$p.err")"
			failed=1
			best=
			break
		fi
		[ "$r" -gt 0 ] && best=$(least "$best" "$s")
	done
	[ -n "$best" ] || continue
	vmt_s[$p]=$best
	if [ "$(json_u "$json" page_faults)" != "${run_faults[$p]:-}" ]; then
		echo "$p: vmt counted $(json_u "$json" page_faults) page faults, lackey ${run_faults[$p]:-}" >&2
		failed=1
	fi
	printf '%-8s %s CPU s\n' "$p" "$best"
done
echo

# ---------------------------------------------------------------- in memory
BUILD_DIR=$(dirname "$VMLAB")
LIB=$BUILD_DIR/libvmlab.a
declare -A mem_s mem_rate mem_faults
if [ ! -f "$LIB" ]; then
	echo "== in-memory source: skipped, no $LIB (build it with: make $LIB)"
	failed=1
else
	echo "== in-memory source: bench/bench_mem.c (trace read once into memory, simulation timed alone)"
	gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc bench/bench_mem.c "$LIB" ${BENCH_LDLIBS:--lelf -llz4 -lzstd -lz -llzma -lbz2 -lm -pthread} \
		-o "$BUILD_DIR/bench_mem" || die "bench/bench_mem.c did not build"
	# shellcheck disable=SC2086 # POLICIES is a list of words
	BENCH_RUNS=$RUNS "$BUILD_DIR/bench_mem" "$TRACE" $POLICIES >"$OUT/bench_mem.out" || failed=1
	grep -v '^mem ' "$OUT/bench_mem.out" || true
	grep '^mem .* failed' "$OUT/bench_mem.out" || true
	while read -r _ p refs secs rate faults; do
		[ "$refs" = failed: ] && continue
		mem_s[$p]=$secs
		mem_rate[$p]=$rate
		mem_faults[$p]=$faults
	done < <(grep '^mem ' "$OUT/bench_mem.out")
fi
echo

# ---------------------------------------------------------------- table
echo "== results: CPU seconds (user + system), least of $RUNS runs; wc -l: $wc_s s"
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' policy references "page faults" \
	"\`vmlab run\` CPU s" "M refs/s" "× \`wc -l\`" "vmt CPU s" "M refs/s" "vmt / lackey" \
	"in memory CPU s" "M refs/s"
echo '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
for p in $POLICIES; do
	[ -n "${run_s[$p]:-}" ] || continue
	refs=${run_refs[$p]:-0}
	awk -v p="$p" -v refs="$refs" -v faults="${run_faults[$p]}" -v s="${run_s[$p]}" \
		-v wc="$wc_s" -v ms="${mem_s[$p]:--}" -v mr="${mem_rate[$p]:--}" -v vs="${vmt_s[$p]:--}" 'BEGIN {
		rate = (s > 0) ? refs / s / 1e6 : 0
		ratio = (wc > 0) ? s / wc : 0
		mrs = (mr == "-") ? "-" : sprintf("%.1f", mr)
		vrate = (vs == "-" || vs <= 0) ? "-" : sprintf("%.1f", refs / vs / 1e6)
		vshare = (vs == "-" || s <= 0) ? "-" : sprintf("%.0f%%", 100 * vs / s)
		printf "| %s | %d | %d | %.3f | %.1f | %.1f | %s | %s | %s | %s | %s |\n", p, refs, faults, s, rate, ratio,
			vs, vrate, vshare, ms, mrs
	}'
	if [ -n "${mem_faults[$p]:-}" ] && [ "${mem_faults[$p]}" != "${run_faults[$p]}" ]; then
		echo "$p: bench_mem counted ${mem_faults[$p]} page faults, vmlab run ${run_faults[$p]}" >&2
		failed=1
	fi
done
echo "(vmlab run: the whole command, reading and parsing the text included; opt also"
echo " buffers the trace and builds its next-use index. vmt: the same run from the"
echo " vmt of the trace. In memory: vm_access alone.)"
echo

# ---------------------------------------------------------------- SHARDS
# shards_row NAME TRACE POLICY: exact curve over 16 sizes (1 to the distinct
# pages, geometric) against --sample 0.1 and 0.01.
shards_row() {
	local name=$1 tr=$2 pol=$3 d list ex_s r s mae
	d=$(json_u <("$VMLAB" run --json "$tr") distinct_pages)
	list="1..$d/17"   # 16 sizes once the duplicates at the small end are merged (D = 296, 454)
	ex_s=
	for _ in $(seq "$RUNS"); do
		ex_s=$(least "$ex_s" "$(CPU_OUT=$OUT/mrc-exact.csv cpu_of "$VMLAB" mrc --policy "$pol" --frames "$list" --csv "$tr")")
	done
	for r in 0.1 0.01; do
		s=
		for _ in $(seq "$RUNS"); do
			s=$(least "$s" "$(CPU_OUT=$OUT/mrc-$r.csv cpu_of "$VMLAB" mrc --policy "$pol" --sample "$r" --frames "$list" --csv "$tr")")
		done
		# miss ratio is the last column of both CSVs; rows are the same sizes
		mae=$(paste -d, <(tail -n +2 "$OUT/mrc-exact.csv" | awk -F, '{ print $NF }') \
			<(tail -n +2 "$OUT/mrc-$r.csv" | awk -F, '{ print $NF }') |
			awk -F, '{ d = $1 - $2; t += d < 0 ? -d : d; n++ } END { printf "%.4f", n ? t / n : 0 }')
		awk -v n="$name" -v p="$pol" -v r="$r" -v sz="$(($(wc -l <"$OUT/mrc-exact.csv") - 1))" -v mae="$mae" \
			-v e="$ex_s" -v s="$s" 'BEGIN {
			printf "| %s | %s | %s | %d | %s | %.3f | %.3f | %.1f× |\n", n, p, r, sz, mae, e, s, (s > 0) ? e / s : 0
		}'
	done
}
echo "== SHARDS: mrc --sample R against the exact curve (CPU s, least of $RUNS)"
echo '| trace | policy | R | sizes | mean abs. error (miss ratio) | exact CPU s | sampled CPU s | speed-up |'
echo '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |'
for pol in lru clock; do
	shards_row "bundled (examples/ls.lackey.zst)" examples/ls.lackey.zst "$pol"
	shards_row "benchmark (vmt)" "$VMT" "$pol"
done
echo

# ---------------------------------------------------------------- sweep
if [ "${BENCH_SWEEP:-1}" != 0 ]; then
	wall() { local t0 t1; t0=$(now); "$@" >/dev/null 2>&1 || return 1; t1=$(now); elapsed "$t0" "$t1"; }
	echo "== sweep --policies all --frames 8..512/8 TRACE.vmt: -j 2 against -j 1 (wall time, one run each)"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	w1=$(wall "$VMLAB" sweep --policies all --frames 8..512/8 -j 1 --csv "$VMT") || { echo "sweep -j 1 failed"; failed=1; }
	w2=$(wall "$VMLAB" sweep --policies all --frames 8..512/8 -j 2 --csv "$VMT") || { echo "sweep -j 2 failed"; failed=1; }
	echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
	awk -v a="${w1:-0}" -v b="${w2:-0}" 'BEGIN {
		printf "sweep -j 1: %.1f s, -j 2: %.1f s wall: %.2f× faster (on an idle 2-core machine the target is 1.8×)\n", a, b, (b > 0) ? a / b : 0
	}'
fi

exit "$failed"
