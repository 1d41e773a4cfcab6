#!/bin/bash
# phase-xvif.sh -- xvifd as the backend (xen-netback blacklisted), the
# guests' vifs on the bridge xenbr0 through the stock vif-bridge: create,
# carrier, ping, TCP payloads, iperf3, MAC rule in the log, the bridge
# port, attach/detach cycles, the interface deleted under the guest,
# SIGKILL + restart under a live TCP stream (the port as the script
# left it), destroy.
PHASE=xvif
. /e2e/lib.sh
G=gx
MAC=00:16:3e:12:34:56
LOG=/run/xvifd.log
CYCLES=${e2e_cycles:-10}

xpid() { cat /run/xvifd.pid; }

lsmod | grep -q '^xen_netback' && rmmod xen-netback
modprobe xen-netback 2>/dev/null
! lsmod | grep -q '^xen_netback'; check netback_blacklisted $? "modprobe xen-netback refused"
modprobe tun
: > $LOG
xvifd_start $LOG; rc=$?
xvifd_alive && [ $rc = 0 ]; check xvifd_start $? "$(tail -1 $LOG)"
xvifd_alive || { indent xvifd < $LOG; exit 1; }

create_guest $G $MAC || { indent xvifd < $LOG; dump_console $G; xl destroy $G 2>/dev/null; exit 1; }
IF=xvif${D}i0
wait_for 10 test -e /sys/class/net/$IF
check tap_name $? "$IF: $(ip -o link show $IF 2>&1 | cut -c1-120)"
# xvifd makes it with the MAC rule's address; vif-bridge (xl's default
# script) then renames it and gives the port fe:ff:ff:ff:ff:ff.
want=00:16:3e:13:34:56
grep -q "$IF: Ethernet address $want" $LOG
check log_ethernet_address $? "$(grep -m1 'Ethernet address' $LOG)"
xs_is /local/domain/0/backend/vif/$D/0/vifname $IF
check vifname_key $? "vifname=$(xenstore-read /local/domain/0/backend/vif/$D/0/vifname 2>&1)"

# What libxl wrote and xvifd answered, for the simulator comparison.
echo "----- xenstore, vif 0 connected (xenstore-ls -fp) -----"
for p in /local/domain/0/backend/vif/$D /local/domain/$D/device/vif /libxl/$D/device/vif; do
	xenstore-ls -fp $p 2>&1 | indent xs-connected; done

workload $G
bridge_checks $IF $MAC
# Xen 4.17's set_mtu (xen-network-common.sh) derives the frontend's path
# from the interface's name, which only works for vif<D>.<H>: with a
# vifname it writes under /local/domain/<vifname>/ instead.  For the record.
xenstore-ls -fp /local/domain/$IF 2>&1 | indent vif-bridge-mtu-node

# The stock netfront took the offloads: checksums and superframes cross
# undone (counters since start, from the SIGUSR1 dump).
kill -USR1 "$(xpid)"
wait_for 5 grep -q "$IF: $IF .*rx_gso=" $LOG
cnt() { grep "$IF: $IF " $LOG | tail -1 | grep -o " $1=[0-9]*" | cut -d= -f2; }
offl="$(grep -m1 "$IF: connected" $LOG | grep -o '(.*)') tx_csum_offloads=$(cnt tx_csum_offloads) tx_gso=$(cnt tx_gso) rx_csum_blank=$(cnt rx_csum_blank) rx_gso=$(cnt rx_gso)"
[ "$(cnt tx_csum_offloads)" -gt 0 ] && [ "$(cnt rx_gso)" -gt 0 ]; check offloads_used $? "$offl"
# The stock netfront of a guest with N vCPUs asks for N queues (split
# event channels too); the frames each queue carried, the TAP reads that
# brought them and the waits for the guest's slots, for the record.
nq=${e2e_domu_vcpus:-2}
qf=$(for q in $(seq 0 $((nq - 1))); do grep "$IF queue $q: " $LOG | tail -1 |
	grep -oE ' (tx_frames|rx_frames|rx_tap_reads|rx_slot_waits)=[0-9]*' | tr -d '\n' | sed "s/^/ q$q:/"; done)
if [ "$nq" -gt 1 ]; then
	grep -m1 "$IF: connected" $LOG | grep -q "($nq queues, .*event channels"
else
	grep -m1 "$IF: connected" $LOG | grep -q "(tx ring .*event channels"
fi
check queues $? "$(grep -m1 "$IF: connected" $LOG | grep -o '(.*)' | cut -c1-90);$qf"
# Each queue's share of the frames (one flow is one queue: only the runs
# of 4 flows spread), for the record: a figure "with 2 queues" that one
# queue carried would be a single queue's.
mark "queues: each one's share of the frames since the start:$(awk '{ for (i = 1; i <= NF; i++)
	if ($i ~ /^q[0-9]+:$/) q = $i; else if ($i ~ /^(tx|rx)_frames=/) { split($i, a, "="); f[q] += a[2]; t += a[2] } }
	END { for (i = 0; ("q" i ":") in f; i++) printf " q%d %.0f%%", i, t ? 100 * f["q" i ":"] / t : 0 }' <<<"$qf")"
# xvifctl (from the package) over the control socket: the vif as
# Connected with its queues and carrier, and counters that moved.
xvifctl list > /tmp/xvifctl.list 2>&1
awk -v i=$IF -v q=$nq '$1 == i && $4 == "Connected" && $7 == q && $9 == "on" { f = 1 } END { exit !f }' /tmp/xvifctl.list
check xvifctl_list $? "$(tail -1 /tmp/xvifctl.list | tr -s ' ' | cut -c1-110)"
xvifctl --json stats $IF > /tmp/xvifctl.json 2>&1
rxf=$(grep -m1 -o '"rx_frames": [0-9]*' /tmp/xvifctl.json | grep -o '[0-9]*$')
[ "${rxf:-0}" -gt 1000 ] && [ "$(grep -c '"id":' /tmp/xvifctl.json)" = "$nq" ]
check xvifctl_stats $? "rx_frames=${rxf:-none}, $(grep -c '"id":' /tmp/xvifctl.json) queues"

# ---- a guest on a trunk: VLAN 10 tagged on its bridge port ----
# The guest has eth0.10 (domU-init).  dom0's stack hands the TAP TCP
# superframes behind the tag, which no frontend takes whole: xvifd drops
# the first, turns TCP segmentation off on the TAP, and the kernel cuts
# from then on (as it does for netback, whose netdev has no
# vlan_features).  The payload must arrive whole either way.
ip link set xenbr0 type bridge vlan_filtering 1 &&
	bridge vlan add dev $IF vid 10 && bridge vlan add dev xenbr0 vid 10 self &&
	ip link add link xenbr0 name xenbr0.10 type vlan id 10 &&
	ip addr add 169.254.78.1/24 dev xenbr0.10 && ip link set xenbr0.10 up
check vlan_trunk_setup $? "$(console $G | grep -a -m1 'DOMU: VLAN10' | cut -c1-60)"
wait_for 10 ping -c 1 -W 1 169.254.78.2 > /dev/null 2>&1
check vlan_ping $? ""
h=$(sha256sum /srv/up.bin | cut -d' ' -f1)
g=$G send_guest /srv/up.bin 60 169.254.78.2; rc=$?
l=$(g=$G wait_got $n0 30)
kill -USR1 "$(xpid)"; sleep 1
[ $rc = 0 ] && [[ $l == *"GOT-SHA $h"* ]]
check vlan_tcp_dom0_to_domU_sha256 $? "nc rc=$rc, guest: ${l:-no GOT-SHA line}; $(grep -c "$IF: a VLAN-tagged TCP superframe" $LOG) tagged superframe(s) said, tso $(ethtool -k $IF 2>/dev/null | awk '/^tcp-segmentation-offload:/{print $2}'), rx_offload_drops=$(cnt rx_offload_drops)"
ip link del xenbr0.10 2>/dev/null
bridge vlan del dev $IF vid 10 2>/dev/null
ip link set xenbr0 type bridge vlan_filtering 0

# ---- a vif with an invalid MAC (written by hand: xl checks MACs) ----
B7=/local/domain/0/backend/vif/$D/7
xenstore-write $B7/frontend /local/domain/$D/device/vif/7 $B7/frontend-id $D \
	$B7/online 1 $B7/state 1 $B7/handle 7 $B7/type vif $B7/mac 00:16:3e:zz:00:07
wait_for 10 xs_is $B7/state 6
check refuse_bad_mac_closed $? "state=$(xenstore-read $B7/state 2>&1) error=$(xenstore-read $B7/error 2>&1)"
grep -q "xvif${D}i7: 00:16:3e:zz:00:07 is not a valid mac address" $LOG
check log_bad_mac_diagnostic $? "$(grep -m1 "xvif${D}i7" $LOG)"
no_if xvif${D}i7; check refuse_bad_mac_no_tap $? ""
xenstore-rm $B7
ping -c 2 -W 2 $DOMU_IP > /dev/null 2>&1; check ping_after_bad_mac $? "the other vif goes on"
# ---- xl network-attach / network-detach cycles ----
start_trace() {
	/e2e/trace-states $B /local/domain/$D/device/vif/1 60 > /tmp/trace.log & TR=$!
	wait_for 5 test -s /tmp/trace.log
}
# xl_attach [-vvv]: xl network-attach of vif 1.  xl was seen to die of a
# heap corruption under load ("malloc(): corrupted top size", SIGABRT,
# after it wrote the device's keys), like other dom0 processes did under
# QEMU with XSAVE (see run.sh); that is retried once, after the
# half-made device is taken away, and reported in the check's detail.
xl_attach() {
	local rc
	LIBC_FATAL_STDERR_=1 timeout -k 5 60 xl "$@" network-attach $G mac=00:16:3e:12:34:61 \
		bridge=xenbr0 > /tmp/att.log 2>&1; rc=$?
	[ $rc = 134 ] || return $rc
	xl_aborts=$((xl_aborts + 1))
	mark "xl network-attach aborted ($(grep -a -m1 -iE 'malloc|corrupt|abort' /tmp/att.log)): detach, retry"
	timeout -k 5 60 xl network-detach $G 1 > /dev/null 2>&1 ||
		xenstore-rm $B /local/domain/$D/device/vif/1 /libxl/$D/device/vif/1 2>/dev/null
	wait_for 20 xs_absent $B || return $rc
	wait_for 10 no_if xvif${D}i1 || return $rc
	[ $n = 1 ] && { wait $TR; start_trace; }
	LIBC_FATAL_STDERR_=1 timeout -k 5 60 xl "$@" network-attach $G mac=00:16:3e:12:34:61 \
		bridge=xenbr0 > /tmp/att.log 2>&1
}
xl_aborts=0
fds0=$(ls /proc/$(xpid)/fd | wc -l); rss0=$(awk '/VmRSS/{print $2}' /proc/$(xpid)/status)
ok=0; n=0; s=$(t)
while [ $n -lt $CYCLES ]; do
	n=$((n + 1))
	B=/local/domain/0/backend/vif/$D/1
	# The first cycle: libxl's view (-vvv) and a state trace, for the record.
	v=; [ $n = 1 ] && { v=-vvv; start_trace; }
	if ! xl_attach $v; then
		fail attach_cycle "cycle $n: xl network-attach failed"; indent attach < /tmp/att.log; break; fi
	if ! wait_for 20 xs_is $B/state 4; then
		fail attach_cycle "cycle $n: backend state $(xenstore-read $B/state 2>&1), frontend $(xenstore-read /local/domain/$D/device/vif/1/state 2>&1)"; break; fi
	if ! on_bridge xvif${D}i1; then fail attach_cycle "cycle $n: xvif${D}i1 not on xenbr0"; break; fi
	[ $n = 1 ] && { echo "----- xenstore, vif 1 connected -----"; xenstore-ls -fp $B | indent xs-attach;
		xenstore-ls -fp /local/domain/$D/device/vif/1 | indent xs-attach;
		grep -E 'wanted state|hotplug|script|rc=' /tmp/att.log | indent xl-attach; }
	if ! timeout -k 5 60 xl $v network-detach $G 1 > /tmp/det.log 2>&1; then
		fail attach_cycle "cycle $n: xl network-detach failed"; indent detach < /tmp/det.log; break; fi
	if ! wait_for 10 xs_absent $B; then fail attach_cycle "cycle $n: $B still there"; break; fi
	if ! wait_for 10 no_if xvif${D}i1; then fail attach_cycle "cycle $n: xvif${D}i1 still there"; break; fi
	[ $n = 1 ] && { wait $TR
		grep -E 'wanted state|hotplug|script|rc=|remov' /tmp/det.log | indent xl-detach
		echo "----- state trace of attach + detach (be/fe state, on watches) -----"; indent trace < /tmp/trace.log; }
	ok=$n
done
fds1=$(ls /proc/$(xpid)/fd | wc -l); rss1=$(awk '/VmRSS/{print $2}' /proc/$(xpid)/status)
[ $ok = $CYCLES ]; check attach_detach_cycles $? "$ok/$CYCLES cycles in $(since $s)s ($xl_aborts xl crash(es) retried)"
[ $ok -gt 0 ] && metric attach_detach_cycle_s "$(awk -v a="$(since $s)" -v n=$ok 'BEGIN{printf "%.2f", a/n}')"
[ "$fds1" = "$fds0" ] && [ $((rss1 - rss0)) -lt 2048 ]
check attach_detach_no_leak $? "xvifd fds $fds0 -> $fds1, VmRSS ${rss0} -> ${rss1} kB"
grep -q "xvif${D}i1: Ethernet address 00:16:3e:13:34:61" $LOG
check log_ethernet_address_i1 $? "$(grep -m1 "xvif${D}i1: Ethernet address" $LOG)"
ping -c 2 -W 2 $DOMU_IP > /dev/null 2>&1; check ping_after_cycles $? "eth0 still works"

# ---- the interface deleted under the live guest: made again at once;
# the stock netfront, which a backend's Closing would close for good,
# never notices ----
ip link del $IF
wait_for 10 grep -q "$IF: interface $IF lost under the guest, made again" $LOG
check tap_deleted_made_again $? "$(grep "$IF" $LOG | tail -2 | cut -c1-120 | tr '\n' ' ')"
xs_is /local/domain/0/backend/vif/$D/0/state 4 && xs_is /local/domain/$D/device/vif/0/state 4
check tap_deleted_still_connected $? "backend $(xenstore-read /local/domain/0/backend/vif/$D/0/state 2>&1), frontend $(xenstore-read /local/domain/$D/device/vif/0/state 2>&1)"
# The administrator's part, as the log asks (no hotplug script runs):
# vif-bridge's port address, up, on the bridge.
ip link set $IF address fe:ff:ff:ff:ff:ff && ip link set $IF up &&
	ip link set $IF master xenbr0
wait_for 20 ping -c 1 -W 1 $DOMU_IP > /dev/null 2>&1
check ping_after_tap_deleted $? "$(ip -o link show $IF 2>&1 | cut -c1-120)"

# ---- SIGKILL xvifd under a live TCP stream, restart, stream survives ----
head -c 8388608 /dev/urandom > /tmp/long.bin
h=$(sha256sum /tmp/long.bin | cut -d' ' -f1)
g=$G; n0=$(console $G | grep -a -c 'DOMU: GOT-SHA')
ts=$(t)
{ ( for i in $(seq 0 63); do dd if=/tmp/long.bin bs=131072 skip=$i count=1 2>/dev/null; sleep 0.1; done ) |
	timeout -k 5 120 nc -N $DOMU_IP 5001; echo $? > /tmp/long.rc; } &
SENDER=$!
sleep 2
kill -9 "$(xpid)"; wait "$(xpid)" 2>/dev/null
mark "xvifd SIGKILLed"
sleep 1
test -e /sys/class/net/$IF; check tap_survives_sigkill $? "$IF after SIGKILL"
xvifd_start $LOG; check xvifd_restart $? "$(tail -1 $LOG)"
wait $SENDER
el=$(since $ts)
kill -USR1 "$(xpid)"	# every vif's state and counters, into the log
l=$(wait_got $n0 30)
[ "$(cat /tmp/long.rc)" = 0 ] && [[ $l == *"GOT-SHA $h"* ]]
check tcp_survives_restart $? "sender rc=$(cat /tmp/long.rc) in ${el}s (6.4 s of pacing), guest: ${l:-no GOT-SHA line} (want $h)"
metric restart_stream_s "$el"
grep -q "$IF: re-attached" $LOG; check log_reattached $? "$(grep -m1 're-attached' $LOG)"
on_bridge $IF; check bridge_port_after_restart $? "$(ip -o link show $IF 2>&1 | cut -c1-150)"
ping -c 3 -W 2 $DOMU_IP > /dev/null 2>&1; check ping_after_restart $? ""
iperf after_restart

# ---- xl destroy: Closed, TAP gone, nothing left ----
destroy_guest $G
wait_for 10 no_if $IF; check destroy_tap_gone $? "$IF $(ip -o link show $IF 2>/dev/null | cut -c1-80)"
grep -qE "$IF: backend .*-> *(Closed|6)" $LOG
check destroy_backend_closed $? "$(grep "$IF: backend" $LOG | tail -2 | tr '\n' ' ')"
xvifd_alive; check xvifd_alive_after_destroy $? ""
kill -TERM "$(xpid)"; wait "$(xpid)"; rc=$?
check xvifd_sigterm $rc "exit status $rc; $(tail -1 $LOG)"
echo "----- xvifd log (-vv) -----"; indent xvifd < $LOG
echo "----- hotplug (/var/log/xen/xen-hotplug.log) -----"
indent hotplug < /var/log/xen/xen-hotplug.log 2>/dev/null
n=$(console_junk $G)
[ "$n" = 0 ]; check guest_console_clean $? "$n bytes outside printable ASCII on the guest's console"
dump_console $G
exit 0
