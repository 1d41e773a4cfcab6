#!/bin/bash
# run.sh -- run every test: the C programs in $BUILD/tests/ and the shell
# tests in tests/sh/*.sh.  Each prints "PASS <what>" / "FAIL <what>: why"
# lines; this script counts them and ends with "N passed, N failed".
# A program that dies without reporting, or reports nothing, is a failure.
# Usage: tests/run.sh [name-substring]   (BUILD defaults to build)
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
export BUILD
filter=${1:-}
per_test_timeout=${T_PROG_TIMEOUT:-900}
pass=0 fail=0
log=$(mktemp /tmp/xvif-run.XXXXXX)
trap 'rm -f "$log"' EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "tests: must run as root (network namespaces, TAP devices)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

run_one() {	# name, command...
	local name=$1 rc np nf
	shift
	echo "== $name"
	timeout --kill-after=10 "$per_test_timeout" "$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	np=$(grep -c '^PASS ' "$log")
	nf=$(grep -c '^FAIL ' "$log")
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "FAIL $name: timed out after ${per_test_timeout}s"
		nf=$((nf + 1))
	elif [ "$rc" -ne 0 ] && [ "$nf" -eq 0 ]; then
		echo "FAIL $name: exited $rc without reporting a failure"
		nf=$((nf + 1))
	elif [ "$np" -eq 0 ] && [ "$nf" -eq 0 ]; then
		echo "FAIL $name: reported no test at all"
		nf=1
	fi
	pass=$((pass + np))
	fail=$((fail + nf))
}

for t in "$BUILD"/tests/t_*; do
	[ -x "$t" ] || continue
	case $(basename "$t") in *"$filter"*) ;; *) continue ;; esac
	run_one "$(basename "$t")" "$t"
done
for t in "$BUILD"/fuzz/*-replay; do
	[ -x "$t" ] || continue
	n=$(basename "$t" -replay)
	case $n in *"$filter"*) ;; *) continue ;; esac
	run_one "$n" "$t" "fuzz/corpus/$n" "$n"
done
for t in tests/sh/t_*.sh; do
	[ -f "$t" ] || continue
	case $(basename "$t") in *"$filter"*) ;; *) continue ;; esac
	run_one "$(basename "$t" .sh)" bash "$t"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
