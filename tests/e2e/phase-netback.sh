#!/bin/bash
# phase-netback.sh -- the reference: the same workload over the kernel's
# xen-netback (its interface is vif<D>.0, no vifname key), on the same
# bridge xenbr0 through the same stock vif-bridge.
PHASE=netback
. /e2e/lib.sh
G=gn
rm -f /lib/modprobe.d/xvif.conf
modprobe xen-netback; check netback_load $? "modprobe xen-netback"
# xvifd will not start beside it (two backends would drive one ring).
out=$(timeout 20 /usr/sbin/xvifd --user xvifd 2>&1)
rc=$?
[ "$rc" = 78 ] && [[ $out == *"xen-netback is loaded"* ]]
check xvifd_refuses_beside_netback $? "exit $rc: $out"
MAC=00:16:3e:12:34:56
create_guest $G $MAC || { dump_console $G; xl destroy $G 2>/dev/null; exit 1; }
IF=vif$D.0
wait_for 10 test -e /sys/class/net/$IF; check netback_if $? "$IF"
nq=$(ls -d /sys/class/net/$IF/queues/tx-* 2>/dev/null | wc -l)
[ "$nq" = "${e2e_domu_vcpus:-2}" ]; check queues $? "$IF has $nq tx queues"
workload $G
bridge_checks $IF $MAC
destroy_guest $G
wait_for 10 no_if $IF; check destroy_if_gone $? "$IF"
dump_console $G
exit 0
