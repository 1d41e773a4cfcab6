#!/bin/bash
# Xen's own hotplug scripts, unmodified (Debian's xen-utils-common, in
# /etc/xen/scripts), run by the simulated toolstack for xvifd, which waits
# for their hotplug-status as on a real dom0:
#  - vif-bridge with a Linux bridge xenbr0 in dom0: the rename to vifname,
#    the port, guest traffic (ping, TCP) to the bridge's address and
#    between two guests on it; an xvifd restart; detach and destroy (the
#    offline action);
#  - vif-route: dom0's eth0 address on the vif, a host route and proxy
#    ARP per guest; traffic to dom0 and, routed by dom0, between guests;
#  - vif-openvswitch with Debian's openvswitch-switch (see ovs_start): the
#    port, its VLAN tag (bridge=xenbr1.7), traffic, detach and destroy; a
#    "SKIP" line instead (tests/run.sh counts it neither way) where the
#    package is missing.
# Everything the scripts do stays in the test: the toolstack runs them
# inside the dom0 namespace, so ip, ifconfig, ovs-vsctl and /proc/sys/net
# act on that namespace only (so would iptables, but Debian's vif-common.sh
# has its firewall part disabled, Debian bug #894013), and in a mount
# namespace of its own (ip netns exec makes one) where /var/log/xen is a
# directory of the test and logger(1) a script that writes there: their
# log is the test's, and nothing of it reaches the machine's.
. "$(dirname "$0")/lib.sh"
XS=/etc/xen/scripts
for f in vif-bridge vif-route vif-openvswitch vif-common.sh; do
	[ -e $XS/$f ] || w_die "no $XS/$f (xen-utils-common: scripts/deps check)"
done
[ -d /var/log/xen ] || w_die "no /var/log/xen (xen-utils-common makes it)"
dpkg-query -W xen-utils-common >/dev/null 2>&1 || w_die "xen-utils-common not installed"
command -v ifconfig >/dev/null || w_die "no ifconfig, which vif-route runs (net-tools)"
sim_host_start
DOM0_NS=$T_NS-d0
netns_add "$DOM0_NS"
xvifd_start
be=/local/domain/0/backend/vif
mkdir -p "$T_DIR/xenlog"
hplog=$T_DIR/xenlog/xen-hotplug.log
host_log=$(stat -c %s:%Y /var/log/xen/xen-hotplug.log 2>/dev/null)

t_eq "the stock scripts are xen-utils-common's, unmodified" \
	"$(dpkg -V xen-utils-common 2>&1 | grep " $XS/")" ""

# The scripts' syslog (logger, from their log()), kept in the test's log.
LOGGER=$(readlink -f "$(command -v logger)") || w_die "no logger (bsdutils)"
syslog=$T_DIR/xenlog/syslog
printf '#!/bin/sh\necho "$*" >>%s\n' "$syslog" >"$T_DIR/logger"
chmod +x "$T_DIR/logger"

# dom0_tool CMD ARGS: `xvif-sim CMD`, the toolstack, as libxl runs in dom0.
dom0_tool() {
	ip netns exec "$DOM0_NS" sh -c 'mount --bind "$1" /var/log/xen &&
		mount --bind "$2" "$3" || exit 1
		shift 3; exec "$@"' sh "$T_DIR/xenlog" "$T_DIR/logger" "$LOGGER" "$SIM" "$@"
}

# stock_guest K SCRIPT ADDR [ATTACH-ARGS]: guest K, a domain whose vif the
# toolstack attaches with SCRIPT, its netfront in $T_NS-gK, eth0 ADDR
# (with prefix).  Sets GUEST_DOM/NS/IF[K]; 1 (reported) if it failed.
stock_guest() {
	local k=$1 script=$2 addr=$3 d ns
	shift 3
	d=$("$SIM" create --dir "$SIM_DIR" --name "g$k") || w_die "create domain"
	ns=$T_NS-g$k
	GUEST_DOM[$k]=$d GUEST_NS[$k]=$ns GUEST_IF[$k]=xvif${d}i0
	if ! dom0_tool attach --dir "$SIM_DIR" "$d" "mac=00:16:3e:${k}0:00:01" \
	    "script=$script" "$@" >"$T_DIR/attach$k.log" 2>&1; then
		t_fail "$script: guest $k attached" "$(tail -3 "$T_DIR/attach$k.log") $(tail -5 "$hplog")"
		return 1
	fi
	netns_add "$ns"
	"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$ns" >"$T_DIR/fe$k.log" 2>&1 &
	GUEST_FE[$k]=$!
	w_cleanup_add "w_stop ${GUEST_FE[$k]}"
	if ! t_wait 15 state_is "$be/$d/0" 4 || ! t_wait 5 ip -n "$ns" link show eth0; then
		t_fail "$script: guest $k connected" "backend state $(xenstore-read "$be/$d/0/state" 2>&1)"
		return 1
	fi
	ip -n "$ns" addr add "$addr" dev eth0
	ip -n "$ns" link set eth0 up
	t_wait 15 sh -c "ip -n $ns link show eth0 | grep -q LOWER_UP" ||
		{ t_fail "$script: guest $k carrier" "$(tail -3 "$T_DIR/fe$k.log")"; return 1; }
}

ping_ok() {	# NAME FROM_NS ADDR
	t_ok "$1" ip netns exec "$2" ping -c 3 -i 0.2 -W 2 -q "$3"
}
link_of() {	# IF: "state UP master xenbr0 link/ether MAC" of IF in dom0
	ip -n "$DOM0_NS" -o link show "$1" 2>&1 |
		grep -oE '(master [^ ]+|state [A-Z]+|link/ether [^ ]+)' | tr '\n' ' '
}

# -- vif-bridge --------------------------------------------------------
bridge_section() {
	local g1 g2 i1 i2 d1 d2 brmac
	ip -n "$DOM0_NS" link add xenbr0 type bridge
	ip -n "$DOM0_NS" addr add 169.254.50.1/24 dev xenbr0
	ip -n "$DOM0_NS" link set xenbr0 up
	stock_guest 1 vif-bridge 169.254.50.11/24 || return
	stock_guest 2 vif-bridge 169.254.50.12/24 || return
	g1=${GUEST_NS[1]} g2=${GUEST_NS[2]} i1=${GUEST_IF[1]} i2=${GUEST_IF[2]}
	d1=${GUEST_DOM[1]} d2=${GUEST_DOM[2]}
	t_eq "vif-bridge: hotplug-status" "$(xenstore-read "$be/$d1/0/hotplug-status")" connected
	t_ok "vif-bridge: Connected only after the script" grep -q \
		"$i1: backend InitWait -> Connected" "$T_DIR/xvifd.log"
	t_not "vif-bridge: libxl's name vif$d1.0 is gone" ip -n "$DOM0_NS" link show "vif$d1.0"
	t_eq "vif-bridge: $i1 a port of xenbr0, up, the script's MAC" "$(link_of "$i1")" \
		"master xenbr0 state UP link/ether fe:ff:ff:ff:ff:ff "
	# Xen 4.17's set_mtu writes the bridge's MTU for the frontend to a path
	# made from the interface's name (README, "xvifd on a real dom0"): with
	# a vifname it is /local/domain/<vifname>/..., and the frontend keeps
	# the mtu libxl wrote.
	t_eq "vif-bridge: the frontend's mtu key" \
		"$(xenstore-read "/local/domain/$d1/device/vif/0/mtu")" 1500
	ping_ok "vif-bridge: guest 1 -> the bridge's address" "$g1" 169.254.50.1
	ping_ok "vif-bridge: guest 2 -> the bridge's address" "$g2" 169.254.50.1
	ping_ok "vif-bridge: guest 1 -> guest 2 across the bridge" "$g1" 169.254.50.12
	t_ok "vif-bridge: the bridge learned guest 1 on its port" sh -c \
		"bridge -n $DOM0_NS fdb show br xenbr0 | grep -q '^00:16:3e:10:00:01 dev $i1 '"
	tcp_check "vif-bridge: tcp 8 MiB guest 1 -> dom0, sha256" "$g1" "$DOM0_NS" 169.254.50.1 8
	tcp_check "vif-bridge: tcp 8 MiB dom0 -> guest 2, sha256" "$DOM0_NS" "$g2" 169.254.50.12 8
	tcp_check "vif-bridge: tcp 8 MiB guest 1 -> guest 2, sha256" "$g1" "$g2" 169.254.50.12 8

	# A restart takes the ports over as the script left them.
	brmac=$(link_of xenbr0)
	w_stop "$XVIFD_PID"
	xvifd_start
	t_wait 10 grep -q "$i2: re-attached" "$T_DIR/xvifd.log"
	t_eq "vif-bridge: after an xvifd restart, $i1 as the script left it" "$(link_of "$i1")" \
		"master xenbr0 state UP link/ether fe:ff:ff:ff:ff:ff "
	t_eq "vif-bridge: after an xvifd restart, xenbr0's MAC unchanged" "$(link_of xenbr0)" "$brmac"
	ping_ok "vif-bridge: after the restart, guest 1 -> guest 2" "$g1" 169.254.50.12
	ping_ok "vif-bridge: after the restart, guest 2 -> the bridge" "$g2" 169.254.50.1

	# Detach and destroy: the offline action, then nothing left.
	t_ok "vif-bridge: detach (offline) succeeds" dom0_tool detach --dir "$SIM_DIR" "$d2" 0
	t_ok "vif-bridge: the offline action ran" grep -q \
		"Successful vif-bridge offline for $i2, bridge xenbr0" "$syslog"
	t_not "vif-bridge: $i2 gone after detach" ip -n "$DOM0_NS" link show "$i2"
	t_ok "vif-bridge: guest 1 unaffected" ip netns exec "$g1" ping -c 2 -i 0.2 -W 2 -q 169.254.50.1
	t_ok "vif-bridge: destroy succeeds" dom0_tool destroy --dir "$SIM_DIR" "$d1"
	t_not "vif-bridge: $i1 gone after destroy" ip -n "$DOM0_NS" link show "$i1"
	t_eq "vif-bridge: xenbr0 has no port left" "$(ip -n "$DOM0_NS" -o link show master xenbr0)" ""
}

# -- vif-route ---------------------------------------------------------
# dom0's eth0 (a veth end here) has dom0's address, 169.254.60.1/24; each
# guest has an address of its own (the vif's `ip` key) in 169.254.61.0/24,
# and a /16 on eth0, so that dom0's address and the other guests are on
# its link: dom0 answers for them (proxy ARP) and routes.
route_section() {
	local g3 g4 i3 i4 d3 d4
	ip -n "$DOM0_NS" link add eth0 type veth peer name uplink
	ip -n "$DOM0_NS" addr add 169.254.60.1/24 dev eth0
	ip -n "$DOM0_NS" link set uplink up
	ip -n "$DOM0_NS" link set eth0 up
	ip netns exec "$DOM0_NS" sysctl -qw net.ipv4.ip_forward=1
	stock_guest 3 vif-route 169.254.61.3/16 ip=169.254.61.3 || return
	stock_guest 4 vif-route 169.254.61.4/16 ip=169.254.61.4 || return
	g3=${GUEST_NS[3]} g4=${GUEST_NS[4]} i3=${GUEST_IF[3]} i4=${GUEST_IF[4]}
	d3=${GUEST_DOM[3]} d4=${GUEST_DOM[4]}
	t_eq "vif-route: hotplug-status" "$(xenstore-read "$be/$d3/0/hotplug-status")" connected
	t_eq "vif-route: $i3 has dom0's address" \
		"$(ip -n "$DOM0_NS" -o -4 addr show dev "$i3" | awk '{print $4}')" 169.254.60.1/32
	t_eq "vif-route: a host route to guest 3's ip through $i3" \
		"$(ip -n "$DOM0_NS" route show 169.254.61.3)" \
		"169.254.61.3 dev $i3 scope link src 169.254.60.1 metric 2 "
	t_eq "vif-route: proxy ARP on $i3" \
		"$(ip netns exec "$DOM0_NS" cat /proc/sys/net/ipv4/conf/"$i3"/proxy_arp)" 1
	ping_ok "vif-route: guest 3 -> dom0's eth0 address" "$g3" 169.254.60.1
	ping_ok "vif-route: guest 4 -> dom0's eth0 address" "$g4" 169.254.60.1
	ping_ok "vif-route: guest 3 -> guest 4, routed by dom0" "$g3" 169.254.61.4
	tcp_check "vif-route: tcp 8 MiB guest 3 -> dom0, sha256" "$g3" "$DOM0_NS" 169.254.60.1 8
	tcp_check "vif-route: tcp 8 MiB dom0 -> guest 4, sha256" "$DOM0_NS" "$g4" 169.254.61.4 8
	t_ok "vif-route: detach (offline) succeeds" dom0_tool detach --dir "$SIM_DIR" "$d4" 0
	t_ok "vif-route: the offline action ran" grep -q \
		"Successful vif-route offline for $i4" "$syslog"
	t_eq "vif-route: no route to guest 4 left" "$(ip -n "$DOM0_NS" route show 169.254.61.4)" ""
	t_ok "vif-route: destroy succeeds" dom0_tool destroy --dir "$SIM_DIR" "$d3"
	t_not "vif-route: $i3 gone after destroy" ip -n "$DOM0_NS" link show "$i3"
}

# -- vif-openvswitch ---------------------------------------------------
# Debian's openvswitch-switch, but its daemons our own: an ovsdb-server
# and an ovs-vswitchd inside dom0's namespace, with a run directory of the
# test (OVS_RUNDIR, which the script's ovs-vsctl inherits through the
# toolstack), stopped at exit.  The bridge uses OVS's userspace datapath
# (datapath_type=netdev): the script does the same either way, and no
# kernel module is needed or loaded (this machine's kernel may have none).
ovs_start() {
	local o=$T_DIR/ovs
	mkdir -p "$o"
	export OVS_RUNDIR=$o OVS_DBDIR=$o OVS_LOGDIR=$o OVS_SYSCONFDIR=$o
	ovsdb-tool create "$o/conf.db" /usr/share/openvswitch/vswitch.ovsschema ||
		w_die "ovsdb-tool create"
	ip netns exec "$DOM0_NS" ovsdb-server "$o/conf.db" --remote="punix:$o/db.sock" \
		--no-chdir --log-file="$o/ovsdb-server.log" 2>>"$o/err" &
	w_cleanup_add "w_stop $!"
	t_wait 10 test -S "$o/db.sock" || w_die "ovsdb-server: $(tail -3 "$o/err")"
	ovs-vsctl --timeout=10 --no-wait init || w_die "ovs-vsctl init"
	ip netns exec "$DOM0_NS" ovs-vswitchd "unix:$o/db.sock" --no-chdir \
		--log-file="$o/ovs-vswitchd.log" 2>>"$o/err" &
	w_cleanup_add "w_stop $!"
	ovs-vsctl --timeout=10 add-br xenbr1 -- set bridge xenbr1 datapath_type=netdev ||
		w_die "ovs-vsctl add-br: $(tail -3 "$o/err")"
}

# The guest sends its TCP with complete checksums here.  A partial one
# (NETTXF_csum_blank, written to the vif's TAP as NEEDS_CSUM) crosses
# OVS 3.1's userspace datapath as it came, and its internal port hands
# it to dom0 still flagged partial, usually: with the CPUs busy, dom0
# received the guest's SYN-ACKs unflagged, their checksum field holding
# the pseudo-header sum (tcpdump on xenbr1: "cksum 0xe031 (incorrect)";
# dom0's TcpInCsumErrors counting them), and every connect timed out.
# Kernel netback hands this datapath the same partial skbs, so it would
# meet the same (not tried: no netback here); the offload paths are
# tested with Linux bridges (above, and t_xvifd_offload).  What this
# section tests is the script and traffic through the ports it makes.
ovs_guest_csum_off() {
	ip netns exec "$1" ethtool -K eth0 tx off >/dev/null 2>&1 ||
		w_die "ethtool -K eth0 tx off in $1"
}

ovs_section() {
	local g5 g6 i5 i6 d5 d6
	if ! command -v ovs-vswitchd >/dev/null || ! command -v ovs-vsctl >/dev/null; then
		t_fail "vif-openvswitch" "openvswitch-switch is not installed (scripts/deps check)"
		return
	fi
	ovs_start
	ip -n "$DOM0_NS" addr add 169.254.70.1/24 dev xenbr1
	ip -n "$DOM0_NS" link set xenbr1 up
	stock_guest 5 vif-openvswitch 169.254.70.5/24 bridge=xenbr1 || return
	stock_guest 6 vif-openvswitch 169.254.70.6/24 bridge=xenbr1.7 || return
	g5=${GUEST_NS[5]} g6=${GUEST_NS[6]} i5=${GUEST_IF[5]} i6=${GUEST_IF[6]}
	d5=${GUEST_DOM[5]} d6=${GUEST_DOM[6]}
	t_eq "vif-openvswitch: hotplug-status" "$(xenstore-read "$be/$d5/0/hotplug-status")" connected
	t_eq "vif-openvswitch: $i5 a port of xenbr1" "$(ovs-vsctl port-to-br "$i5")" xenbr1
	t_eq "vif-openvswitch: the port's external ids" "$(ovs-vsctl get interface "$i5" \
		external-ids:attached-mac external-ids:xen-vm-name | tr -d '"' | tr '\n' ' ')" \
		"00:16:3e:50:00:01 g5 "
	t_eq "vif-openvswitch: bridge=xenbr1.7 -> VLAN tag 7 on $i6" "$(ovs-vsctl get port "$i6" tag)" 7
	ping_ok "vif-openvswitch: guest 5 -> the bridge's address" "$g5" 169.254.70.1
	ovs_guest_csum_off "$g5"
	tcp_check "vif-openvswitch: tcp 8 MiB guest 5 -> dom0, sha256" "$g5" "$DOM0_NS" 169.254.70.1 8
	tcp_check "vif-openvswitch: tcp 8 MiB dom0 -> guest 5, sha256" "$DOM0_NS" "$g5" 169.254.70.5 8
	stock_guest 7 vif-openvswitch 169.254.70.7/24 bridge=xenbr1.7 || return
	ping_ok "vif-openvswitch: guest 6 -> guest 7, both in VLAN 7" "$g6" 169.254.70.7
	t_not "vif-openvswitch: guest 6 (VLAN 7) cannot reach untagged guest 5" \
		ip netns exec "$g6" ping -c 2 -i 0.2 -W 1 -q 169.254.70.5
	t_ok "vif-openvswitch: detach (offline) succeeds" dom0_tool detach --dir "$SIM_DIR" "$d6" 0
	t_ok "vif-openvswitch: the offline action ran" grep -q \
		"Successful vif-openvswitch offline for $i6" "$syslog"
	t_not "vif-openvswitch: no port $i6 left" ovs-vsctl port-to-br "$i6"
	t_ok "vif-openvswitch: destroy succeeds" dom0_tool destroy --dir "$SIM_DIR" "$d5"
	dom0_tool destroy --dir "$SIM_DIR" "${GUEST_DOM[7]}"
	t_eq "vif-openvswitch: xenbr1 has no guest port left" "$(ovs-vsctl list-ports xenbr1)" ""
}

bridge_section
route_section
ovs_section
[ "$T_FAILED" = 0 ] || tail -n 30 "$hplog" "$syslog" "$T_DIR"/attach*.log 2>/dev/null
t_eq "nothing written to the machine's /var/log/xen" \
	"$(stat -c %s:%Y /var/log/xen/xen-hotplug.log 2>/dev/null)" "$host_log"
t_ok "xvifd alive at the end" kill -0 "$XVIFD_PID"
t_done
