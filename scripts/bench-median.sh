#!/bin/sh
# bench-median.sh runs a `go test -bench` command, shows its output as it comes, and then prints
# the median of every benchmark's every metric (ns/op, allocs/op, custom units) over its runs,
# e.g. over -count 5. It exits with the command's status.
#
#   scripts/bench-median.sh go test -run '^$' -bench . -count 5 ./media/
set -u
out=$(mktemp)
status=$(mktemp)
trap 'rm -f "$out" "$status"' EXIT INT TERM

{ "$@" 2>&1; echo $? >"$status"; } | tee "$out"

echo
echo "Medians ($*):"
# One "package/benchmark unit value" line per figure; then sorted so that a group's values are in
# a row in numeric order, and the middle one (or the mean of the two middle ones) printed.
awk '
	/^pkg: / { n = split($2, p, "/"); pkg = p[n] }
	/^Benchmark/ { for (i = 3; i + 1 <= NF; i += 2) print pkg "." $1, $(i + 1), $i }
' "$out" | LC_ALL=C sort -k1,1 -k2,2 -k3,3g | awk '
	function flush() {
		if (n == 0) return
		m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		printf "  %-52s %14.6g %-28s (%d runs)\n", name, m, unit, n
	}
	{
		if ($1 != name || $2 != unit) { flush(); n = 0; name = $1; unit = $2 }
		v[++n] = $3
	}
	END { flush() }
'
exit "$(cat "$status")"
