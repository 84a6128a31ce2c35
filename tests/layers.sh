#!/bin/sh
# tests/layers.sh BUILD - check that the kernel (src/kern) is layered as
# src/kern/layers says, from its sources and its object files in BUILD:
#   1. every file of src/kern is in exactly one layer;
#   2. a file includes kernel headers of its own layer or below only (and no
#      file of src/kern includes kern.h, the umbrella for tests);
#   3. outside src/kern (and tests/) only kern/explain.h is included;
#   4. a file calls (an undefined symbol of its .o, defined by another .o of
#      src/kern) only into its own layer or below;
#   5. the file-level call graph of src/kern has no circle (tsort).
# Prints every violation and exits 1 if there is one; 0 and one line if not.
set -u
export LC_ALL=C
build=${1:-build}
kern=src/kern
layers=$kern/layers
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
bad=0
fail() { echo "layers: $*"; bad=1; }

# file -> layer number
awk '!/^#/ && NF >= 3 { for (i = 3; i <= NF; i++) print $i, $1 }' "$layers" > "$tmp/layer"
layer_of() { awk -v f="$1" '$1 == f { print $2; exit }' "$tmp/layer"; }

# 1. every file listed once, every listed file there
for f in $(cd $kern && ls *.c *.h); do
	n=$(awk -v f="$f" '$1 == f' "$tmp/layer" | wc -l)
	[ "$n" -eq 1 ] || fail "$kern/$f is in $n layers of $layers (must be 1)"
done
for f in $(awk '{ print $1 }' "$tmp/layer"); do
	[ -f "$kern/$f" ] || fail "$layers names $f, which is not in $kern"
done

# 2. includes within src/kern
for path in $kern/*.c $kern/*.h; do
	f=${path##*/}
	lf=$(layer_of "$f")
	[ -n "$lf" ] || continue
	for h in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\(kern\/\)\{0,1\}\([^"/]*\)".*/\2/p' "$path"); do
		[ -f "$kern/$h" ] || continue
		[ "$f" != kern.h ] && [ "$h" = kern.h ] && fail "$path includes kern.h (the umbrella for tests): include the header of its layer"
		lh=$(layer_of "$h")
		[ -n "$lh" ] && [ "$lh" -gt "$lf" ] && fail "$path (layer $lf) includes $h of layer $lh above it"
	done
done

# 3. the rest of vmlab reaches the kernel through documented headers only
for path in $(ls src/*/*.c src/*/*.h | grep -v "^$kern/"); do
	for h in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"kern\/\([^"]*\)".*/\1/p' "$path"); do
		[ "$h" = explain.h ] || fail "$path includes kern/$h, a kernel internal (only kern/explain.h is public)"
	done
done

# 4. and 5. calls, from the object files
for f in $(cd $kern && ls *.c); do
	o=$build/$kern/${f%.c}.o
	[ -f "$o" ] || { fail "$o is missing (build first)"; continue; }
	nm -g --defined-only "$o" | awk -v f="$f" 'NF == 3 { print $3, f }' >> "$tmp/defs"
	nm -u "$o" | awk -v f="$f" '{ print f, $NF }' >> "$tmp/uses"
done
sort -k1,1 "$tmp/defs" > "$tmp/defs.s"
# caller callee symbol
sort -k2,2 "$tmp/uses" | join -1 2 -2 1 -o 1.1,2.2,0 - "$tmp/defs.s" |
	awk '$1 != $2' | sort -u > "$tmp/calls"
while read -r from to sym; do
	lf=$(layer_of "$from")
	lt=$(layer_of "$to")
	[ -n "$lf" ] && [ -n "$lt" ] && [ "$lt" -gt "$lf" ] &&
		fail "$kern/$from (layer $lf) calls $sym of $kern/$to (layer $lt) above it"
done < "$tmp/calls"
awk '{ print $1, $2 }' "$tmp/calls" | sort -u > "$tmp/edges"
if ! tsort "$tmp/edges" > /dev/null 2> "$tmp/tsort"; then
	fail "the calls among the files of $kern go round in a circle:"
	sed 's/^/    /' "$tmp/tsort"
fi

[ $bad -eq 0 ] || exit 1
echo "layers: $(awk 'END { print NR }' "$tmp/layer") files in $(grep -c '^[0-9]' "$layers") layers, $(awk 'END { print NR }' "$tmp/edges") file-to-file calls, all downward, no circle"
