#!/bin/bash
# phase-rematch.sh -- the measurements again, e2e_rematch pairs of rounds
# (3 by default): netback then xvif, xvif then netback, and so on.  With
# the xvif and netback phases before it the order is ABBA ABBA: neither
# backend always meets the colder dom0 (the boot's first xl create is its
# slowest) or the machine's busier minutes, and each metric has 1 +
# e2e_rematch figures per backend in one boot, which ratios.sh averages
# and shows side by side (one run's two rounds differed by up to 2.4x:
# two figures could not say which backend was faster).  It checks only
# what the measurements need (create, carrier, ping, iperf3, attach,
# destroy).
PHASE=rematch
. /e2e/lib.sh
MAC=00:16:3e:12:34:56
LOG=/run/xvifd-rematch.log

PAIRS=${e2e_rematch:-3}

# round BACKEND GUEST: create, the measurements, destroy; the checks are
# rematch<PAIR>_BACKEND/*, the metrics BACKEND's.
round() {
	local l rc
	PHASE=rematch${pair}_$1 BACKEND=$1 ROUND=$((pair + 1))
	create_guest $2 $MAC || { dump_console $2; xl destroy $2 2>/dev/null; return 1; }
	l=$(wait_console $2 'DOMU: CARRIER' 90); rc=$?
	[ $rc = 0 ] && [[ $l == *"CARRIER 1"* ]]; check carrier $? "${l:-no CARRIER line from the guest in 90 s}"
	ping_metric
	throughput
	attach_metric $2
	destroy_guest $2
	PHASE=rematch BACKEND= ROUND=
}

# Two backends must never serve the same vifs: one goes before the other
# comes (each keeps serving if it is the one already there).  The
# netback phase left the module loaded and unblacklisted.
stop_xvifd() {
	[ -f /run/xvifd.pid ] || return 0
	kill "$(cat /run/xvifd.pid)"
	wait_for 5 eval '! kill -0 $(cat /run/xvifd.pid) 2>/dev/null'
	check xvifd_stop $? "xvifd stopped on SIGTERM"
	rm -f /run/xvifd.pid
}
use_netback() {
	stop_xvifd
	lsmod | grep -q '^xen_netback' || modprobe xen-netback
	lsmod | grep -q '^xen_netback'; check netback_loaded $? "$(lsmod | grep '^xen_netback')"
}
use_xvif() {
	xvifd_alive && return 0
	if lsmod | grep -q '^xen_netback'; then
		rmmod xen-netback; check netback_unloaded $? "rmmod xen-netback"
		lsmod | grep -q '^xen_netback' && exit 1
	fi
	xvifd_start $LOG && xvifd_alive; check xvifd_start $? "$(tail -1 $LOG)"
	xvifd_alive || exit 1
}

for ((pair = 1; pair <= PAIRS; pair++)); do
	if ((pair % 2)); then order="netback xvif"; else order="xvif netback"; fi
	for b in $order; do
		PHASE=rematch$pair
		use_$b
		round $b gr$pair$b || { [ $b = xvif ] && indent xvifd < $LOG; }
	done
done
PHASE=rematch
stop_xvifd
exit 0
