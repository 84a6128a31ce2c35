#!/bin/sh
# seed.sh NAME DIR - put the seed inputs of harness NAME (tests/fuzz/NAME.c)
# into DIR, from examples/ and tests/data, in the form the harness reads.
set -eu
name=$1 dir=$2
mkdir -p "$dir"
case $name in
fuzz_trace)
	# 4 control bytes (format, policy, page size and frames, VA bits and
	# TLB; see fuzz_trace.c), then the trace: plain, gzip, zstd, cut short
	ex=tests/data/true-excerpt.lackey
	for f in $ex examples/small.pages; do
		b=$(basename "$f")
		{ printf '\000\000\000\000'; cat "$f"; } >"$dir/seed-$b"
		{ printf '\001\006\044\016'; cat "$f"; } >"$dir/seed-opt-$b"
		{ printf '\004\003\363\012'; cat "$f"; } >"$dir/seed-swap-$b"
	done
	{ printf '\000\001\000\000'; gzip -9c $ex; } >"$dir/seed-gz"
	{ printf '\000\002\000\000'; zstd -q -19 -c $ex; } >"$dir/seed-zst"
	{ printf '\000\005\000\000'; head -c 3000 examples/ls.lackey.zst; } >"$dir/seed-zst-cut"
	printf '\002\000\000\000R 0x1000\nW 0x2000 4 7 # pid 7\nX 0xfff 2\n' >"$dir/seed-text"
	;;
fuzz_explain)
	# line 1 options, line 2 addresses, then the state file
	{ printf -- '--page-size 64 --va-bits 14 --pa-bits 12 --levels 1 --tlb 16:4\n0x27c 0x3d4 0x40\n'
	  cat examples/cscapp.state; } >"$dir/seed-cscapp"
	{ printf -- '--access w\n0x5123 0x10\n'; printf 'pte 0x5 0x9 ru\ntlb 1 2 0 rw\n'; } >"$dir/seed-default"
	;;
fuzz_script_parse|fuzz_script_run)
	for f in examples/*.vms tests/data/*.vms; do
		cp "$f" "$dir/seed-$(basename "$f")"
	done
	;;
*)
	echo "seed.sh: no seeds for $name" >&2
	;;
esac
