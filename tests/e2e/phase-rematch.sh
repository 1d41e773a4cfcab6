#!/bin/bash
# phase-rematch.sh -- the measurements once more, netback first and xvif
# second.  With the xvif and netback phases before it the order is ABBA:
# neither backend always meets the colder dom0 (the boot's first xl
# create is its slowest), and each metric has two figures per backend in
# one boot, which ratios.sh averages and shows side by side.  It checks
# only what the measurements need (create, carrier, ping, iperf3, destroy).
PHASE=rematch
. /e2e/lib.sh
MAC=00:16:3e:12:34:56
LOG=/run/xvifd-rematch.log

# round BACKEND GUEST: create, the measurements, destroy; the checks are
# rematch_BACKEND/*, the metrics BACKEND's.
round() {
	local l rc
	PHASE=rematch_$1 BACKEND=$1
	create_guest $2 $MAC || { dump_console $2; xl destroy $2 2>/dev/null; return 1; }
	l=$(wait_console $2 'DOMU: CARRIER' 90); rc=$?
	[ $rc = 0 ] && [[ $l == *"CARRIER 1"* ]]; check carrier $? "${l:-no CARRIER line from the guest in 90 s}"
	ping_metric
	throughput
	destroy_guest $2
	PHASE=rematch BACKEND=
}

# The netback phase left the module loaded and unblacklisted.
lsmod | grep -q '^xen_netback' || modprobe xen-netback
lsmod | grep -q '^xen_netback'; check netback_loaded $? "$(lsmod | grep '^xen_netback')"
round netback gr1
# Two backends must never serve the same vifs: netback goes first.
rmmod xen-netback; check netback_unloaded $? "rmmod xen-netback"
lsmod | grep -q '^xen_netback' && exit 1
xvifd --hv xen -vv >> $LOG 2>&1 &
echo $! > /run/xvifd.pid
wait_for 10 grep -q 'serving' $LOG; check xvifd_start $? "$(tail -1 $LOG)"
round xvif gr2 || indent xvifd < $LOG
kill "$(cat /run/xvifd.pid)"
wait_for 5 eval '! kill -0 $(cat /run/xvifd.pid) 2>/dev/null'
check xvifd_stop $? "xvifd stopped on SIGTERM"
rm -f /run/xvifd.pid
exit 0
