#!/bin/bash
# fakebackend.sh -- a scripted vif backend for tests, written with the stock
# xenstore-utils, like the testbed's shell-loop fakebackend but driven by a
# XenStore watch (xenstore-watch) on dom0's backend/vif directory.  It does
# only the XenStore handshake, no data path:
#   a vif with online=1 in state 1 (Initialising) -> state 2 (InitWait);
#   a vif with online=0 in state 5 (Closing)      -> state 6 (Closed).
# Runs until killed (SIGTERM), as dom0: XENSTORED_PATH must point at the
# simulated host's xenstored.sock.
#
# usage: fakebackend.sh [--never-initwait] [--never-closed]
#			[--hotplug-status VALUE] [--ready FILE]
#   --never-initwait	misbehave: leave new vifs in state 1
#   --never-closed	misbehave: leave removed vifs in state 5
#   --hotplug-status V	write hotplug-status=V before InitWait (as if a
#			hotplug script had run)
#   --ready FILE	touch FILE once the watch is armed (its first event)
# Every action is logged on stdout: "fakebackend: <path> state A->B".
set -u
initwait=1 closed=1 hps= ready=
while [ $# -gt 0 ]; do
	case $1 in
	--never-initwait) initwait=0 ;;
	--never-closed) closed=0 ;;
	--hotplug-status) hps=${2?}; shift ;;
	--ready) ready=${2?}; shift ;;
	*) echo "usage: fakebackend.sh [--never-initwait] [--never-closed]" \
	    "[--hotplug-status V] [--ready FILE]" >&2; exit 2 ;;
	esac
	shift
done
: "${XENSTORED_PATH:?fakebackend.sh: XENSTORED_PATH is not set}"

BE=/local/domain/0/backend/vif

scan() {
	local d h p st on
	for d in $(xenstore-list "$BE" 2>/dev/null); do
		for h in $(xenstore-list "$BE/$d" 2>/dev/null); do
			p=$BE/$d/$h
			st=$(xenstore-read "$p/state" 2>/dev/null) || continue
			on=$(xenstore-read "$p/online" 2>/dev/null) || on=
			if [ "$st" = 1 ] && [ "$on" = 1 ] && [ "$initwait" = 1 ]; then
				[ -n "$hps" ] &&
				    xenstore-write "$p/hotplug-status" "$hps"
				xenstore-write "$p/state" 2 &&
				    echo "fakebackend: $p state 1->2"
			elif [ "$st" = 5 ] && [ "$on" = 0 ] && [ "$closed" = 1 ]; then
				xenstore-write "$p/state" 6 &&
				    echo "fakebackend: $p state 5->6"
			fi
		done
	done
}

# The watcher is our child; take it down with us.
coproc WATCH { exec xenstore-watch "$BE"; }
trap 'kill "$WATCH_PID" 2>/dev/null; exit 0' TERM INT
trap 'kill "$WATCH_PID" 2>/dev/null' EXIT
first=1
# A second at most a read: a SIGTERM that lands between bash's look for
# pending traps and its read(2) is only acted on once that read returns
# (it once waited for a watch event that never came, past the test's
# 5 s).  A timeout (status > 128) reads again; end of file ends.
while :; do
	read -r -t 1 _ <&"${WATCH[0]}"
	rc=$?
	[ "$rc" -gt 128 ] && continue
	[ "$rc" = 0 ] || break
	if [ "$first" = 1 ] && [ -n "$ready" ]; then
		touch "$ready"
	fi
	first=0
	scan
done
echo "fakebackend: xenstore-watch ended" >&2
exit 1
