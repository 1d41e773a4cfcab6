#!/bin/bash
# phase-hop.sh -- what a userspace hop costs in this dom0, as a yardstick
# for the xvif/netback round trip: ping between two network namespaces of
# dom0 joined by a veth pair (the kernel alone), then by a userspace
# TAP-to-TAP relay (bench/taprelay, xvifd's own TAP code: one process
# woken each way, as xvifd is).  Twice each, ABAB; metrics ping_rtt_ms of
# "backends" veth and relay, which ratios.sh pairs.  Under emulation a
# process wakeup costs milliseconds, and xvifd, a process, pays it where
# the kernel's netback does not; the difference relay - veth is that
# price, measured in the same boot.
PHASE=hop
. /e2e/lib.sh
modprobe veth; check veth_loaded $? "modprobe veth"
modprobe tun

# veth ROUND: ns hopa (169.254.78.1) <-> hopb (.2) over a veth pair.
veth() {
	PHASE=hop_veth$1 BACKEND=veth ROUND=$1
	ip netns add hopa && ip netns add hopb &&
		ip link add h0 netns hopa type veth peer name h1 netns hopb &&
		ip -n hopa addr add 169.254.78.1/24 dev h0 && ip -n hopb addr add 169.254.78.2/24 dev h1 &&
		ip -n hopa link set h0 up && ip -n hopb link set h1 up
	check setup $? "veth h0 (hopa) <-> h1 (hopb)"
	ping_rtt ping 169.254.78.2 hopa
	ip netns del hopa; ip netns del hopb
	PHASE=hop BACKEND= ROUND=
}
# relay ROUND: the same namespaces and addresses over two TAPs and the relay.
relay() {
	local p
	PHASE=hop_relay$1 BACKEND=relay ROUND=$1
	ip netns add hopa && ip netns add hopb
	/e2e/bin/taprelay hopa h0 hopb h1 > /tmp/relay.log 2>&1 &
	p=$!
	wait_for 5 ip -n hopb link show h1 &&
		ip -n hopa addr add 169.254.78.1/24 dev h0 && ip -n hopb addr add 169.254.78.2/24 dev h1 &&
		ip -n hopa link set h0 up && ip -n hopb link set h1 up
	check setup $? "taprelay h0 (hopa) <-> h1 (hopb)"
	ping_rtt ping 169.254.78.2 hopa
	kill $p; wait $p
	grep -q 'relayed [1-9][0-9]* frames' /tmp/relay.log; check relayed $? "$(cat /tmp/relay.log)"
	ip netns del hopa; ip netns del hopb
	PHASE=hop BACKEND= ROUND=
}
veth 1
relay 1
veth 2
relay 2
exit 0
