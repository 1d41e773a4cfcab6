#!/bin/bash
# run.sh -- run every test: the C programs in $BUILD/tests/ and the shell
# tests in tests/sh/*.sh.  Each prints "PASS <what>" / "FAIL <what>: why"
# lines; this script counts them and ends with "N passed, N failed".
# A program that dies without reporting, or reports nothing, is a failure.
# Usage: tests/run.sh [name-substring]   (BUILD defaults to build)
# Env: T_PROG_TIMEOUT (900 s a program), T_KILL_AFTER (10 s from SIGTERM to
# SIGKILL), T_SH_DIR (tests/sh: where the shell tests are).
#
# Tests leave nothing behind.  After each program, what it left is a
# failure, "FAIL <test>: left behind: <what>", and is removed at once so
# that later tests are not disturbed:
#   process  a process of the run: every test is started with the
#            environment variable XVIF_T_RUN_<token>=1, which its
#            processes inherit (daemons and timeout(1)'s children too),
#            or one whose command line names a directory of the run
#   netns    a network namespace named as the test names them (xvt<pid>,
#            xvt<pid>-*, xv<pid>-*: <pid> the test's), or with the token
#   link     a TAP in this namespace that was not there before: named
#            after the test (xvt<pid>*), or held by a process of the run,
#            or named as tests name TAPs (xvif*, vif*, eth*, tap*), made
#            during the test and held by nobody
#   dir      /tmp/xvif-*<token>*: scratch directories, named with the
#            run's token (XVIF_T_TOKEN) by tests/sh/lib.sh and tests/t.c
# Only what the run made is ever touched: a name that existed before the
# run started is never looked at again.  On timeout every process of the
# run gets SIGTERM (the test cleans up), then SIGKILL after T_KILL_AFTER.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
export BUILD
filter=${1:-}
per_test_timeout=${T_PROG_TIMEOUT:-900}
kill_after=${T_KILL_AFTER:-10}
sh_dir=${T_SH_DIR:-tests/sh}
pass=0 fail=0 stopped=
tok=$$_$RANDOM
mark=XVIF_T_RUN_$tok
log=$(mktemp /tmp/xvif-run.XXXXXX)
trap 'rm -f "$log"' EXIT
trap 'stopped=1' INT TERM HUP

if [ "$(id -u)" -ne 0 ]; then
	echo "tests: must run as root (network namespaces, TAP devices)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# What was there before: never ours.
declare -A pre_ns pre_link pre_tmp test_links run_taps
root_links() { ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'; }
for x in $(ip netns list 2>/dev/null | awk '{print $1}'); do pre_ns[$x]=1; done
for x in $(root_links); do pre_link[$x]=1; done
for x in /tmp/xvif-*; do [ -e "$x" ] && pre_tmp[$x]=1; done

# The live processes of the run (never this script: it has no mark, and
# the pattern below does not match its own text).
run_procs() {
	local f p
	for f in $(grep -lszxF "$mark=1" /proc/[0-9]*/environ) \
	    $(grep -lsaE "/tmp/xvif-[a-z]+\.$tok\." /proc/[0-9]*/cmdline); do
		p=${f#/proc/}
		echo "${p%/*}"
	done
}
# Stop a test: SIGTERM to it and every process of the run, SIGKILL later.
stop_test() {
	local pid=$1 i
	# shellcheck disable=SC2046
	kill -TERM -- "$pid" -"$pid" $(run_procs) 2>/dev/null
	for ((i = 0; i < kill_after * 5; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	# shellcheck disable=SC2046
	kill -KILL -- "$pid" -"$pid" $(run_procs) 2>/dev/null
}
left() { echo "FAIL $1: left behind: $2"; nleft=$((nleft + 1)); }
# leftovers NAME PID: report and remove what test NAME (process PID) left.
leftovers() {
	local name=$1 pid=$2 p procs='' i x
	nleft=0
	# Processes: a short grace for those that are on their way out.
	for ((i = 0; i < 15; i++)); do
		procs=$(run_procs | sort -un)
		[ -n "$procs" ] || break
		sleep 0.2
	done
	run_taps=()
	for p in $procs; do
		x=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-100)
		[ -n "$x" ] && left "$name" "process $p (${x% })"
		for x in $(grep -hs '^iff:' /proc/"$p"/fdinfo/* | awk '{print $2}'); do
			run_taps[$x]=1
		done
	done
	for ((i = 0; i < 25; i++)); do
		[ -n "$procs" ] || break
		# shellcheck disable=SC2086
		kill -KILL $procs 2>/dev/null
		sleep 0.2
		procs=$(run_procs)
	done
	[ -z "$procs" ] || echo "  warning: could not kill: $(tr '\n' ' ' <<<"$procs")"
	for x in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[ -z "${pre_ns[$x]:-}" ] || continue
		case $x in
		xvt"$pid" | xvt"$pid"-* | xv"$pid" | xv"$pid"-* | *"$tok"*) ;;
		*) continue ;;
		esac
		left "$name" "netns $x"
		ip netns del "$x" || echo "  warning: could not delete netns $x"
	done
	for x in $(root_links); do
		[ -z "${pre_link[$x]:-}" ] || continue
		ip -d link show dev "$x" 2>/dev/null | grep -q ' tun type ' || continue
		case $x in
		xvt"$pid" | xvt"$pid"[!0-9]* | xv"$pid" | xv"$pid"[!0-9]*) ;;	# the test's
		*)
			# Held by the test's processes, or one of the names tests
			# give TAPs, made during this test and now held by nobody.
			if [ -z "${run_taps[$x]:-}" ]; then
				case $x in xvif* | vif* | eth* | tap*) ;; *) continue ;; esac
				[ -z "${test_links[$x]:-}" ] || continue
				[ -z "$(grep -lsx "iff:[[:space:]]*$x" /proc/[0-9]*/fdinfo/* | head -1)" ] ||
					continue
			fi
			;;
		esac
		left "$name" "link $x"
		ip link del dev "$x" || echo "  warning: could not delete link $x"
	done
	for x in /tmp/xvif-*"$tok"*; do
		if [ ! -e "$x" ] || [ -n "${pre_tmp[$x]:-}" ] || [ "$x" = "$log" ]; then
			continue
		fi
		left "$name" "$([ -d "$x" ] && echo dir || echo file) $x"
		rm -rf "$x"
	done
	return 0
}

run_one() {	# name, command...
	local name=$1 rc np nf pid t0 timed_out='' x
	shift
	echo "== $name"
	test_links=()
	for x in $(root_links); do test_links[$x]=1; done
	# Its own process group, with SIGINT not ignored (set -m): a test
	# behaves as in the foreground, and stop_test reaches all of it.
	set -m
	env "$mark=1" XVIF_T_TOKEN="$tok" "$@" </dev/null >"$log" 2>&1 &
	pid=$!
	set +m
	t0=$SECONDS
	while kill -0 "$pid" 2>/dev/null; do
		if [ -n "$stopped" ]; then
			stop_test "$pid"
			break
		fi
		if [ $((SECONDS - t0)) -ge "$per_test_timeout" ]; then
			timed_out=1
			stop_test "$pid"
			break
		fi
		sleep 0.2
	done
	wait "$pid" 2>/dev/null
	rc=$?
	cat "$log"
	np=$(grep -c '^PASS ' "$log")
	nf=$(grep -c '^FAIL ' "$log")
	if [ -n "$timed_out" ]; then
		echo "FAIL $name: timed out after ${per_test_timeout}s"
		nf=$((nf + 1))
	elif [ -n "$stopped" ]; then
		echo "FAIL $name: interrupted"
		nf=$((nf + 1))
	elif [ "$rc" -ne 0 ] && [ "$nf" -eq 0 ]; then
		echo "FAIL $name: exited $rc without reporting a failure"
		nf=$((nf + 1))
	elif [ "$np" -eq 0 ] && [ "$nf" -eq 0 ]; then
		echo "FAIL $name: reported no test at all"
		nf=1
	fi
	leftovers "$name" "$pid"
	pass=$((pass + np))
	fail=$((fail + nf + nleft))
}

for t in "$BUILD"/tests/t_*; do
	[ -z "$stopped" ] || break
	[ -x "$t" ] || continue
	case $(basename "$t") in *"$filter"*) ;; *) continue ;; esac
	run_one "$(basename "$t")" "$t"
done
for t in "$BUILD"/fuzz/*-replay; do
	[ -z "$stopped" ] || break
	[ -x "$t" ] || continue
	n=$(basename "$t" -replay)
	case $n in *"$filter"*) ;; *) continue ;; esac
	run_one "$n" "$t" "fuzz/corpus/$n" "$n"
done
for t in "$sh_dir"/t_*.sh; do
	[ -z "$stopped" ] || break
	[ -f "$t" ] || continue
	case $(basename "$t") in *"$filter"*) ;; *) continue ;; esac
	run_one "$(basename "$t" .sh)" bash "$t"
done
[ -z "$stopped" ] || { echo "FAIL tests/run.sh: interrupted"; fail=$((fail + 1)); }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
