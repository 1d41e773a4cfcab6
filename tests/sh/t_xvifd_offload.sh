#!/bin/bash
# Checksum offload and GSO through xvif, both ways, IPv4 and IPv6, and
# frontends that take fewer offloads.  Guest 1's netfront offers them all
# (like Linux netfront), guest 2 none (--no-offload), guest 3 checksums
# but no GSO (--no-gso).
#
# A partial checksum is never checked where it lands: a stack takes
# CHECKSUM_PARTIAL as good.  So each direction of guest 1 is also sent
# one hop further, to a namespace behind a veth with checksum and
# segmentation offloads off: the forwarding stack then segments the
# superframe and fills each checksum from what xvif told it (csum_start,
# csum_offset, gso_size, hdr_len), and the far stack checks every one.
. "$(dirname "$0")/lib.sh"
command -v ethtool >/dev/null || w_die "ethtool missing (scripts/deps check)"
sim_host_start
xvifd_start --no-hotplug-wait
guest_up 1
GUEST_FE_ARGS=--no-offload guest_up 2
GUEST_FE_ARGS=--no-gso guest_up 3
g1=${GUEST_NS[1]} if1=${GUEST_IF[1]} if2=${GUEST_IF[2]} if3=${GUEST_IF[3]}

# The offloads xvifd set on each TAP, from its "connected" line.
taps() { grep "$1: connected" "$T_DIR/xvifd.log" | tail -1 | grep -o '(.*)'; }
t_ok "guest 1: csum, tso4 and tso6 on its TAP" sh -c "echo '$(taps "$if1")' | grep -q 'csum, tso4, tso6)'"
t_not "guest 2: no offload on its TAP" sh -c "echo '$(taps "$if2")' | grep -q csum"
t_ok "guest 3: csum only on its TAP" sh -c "echo '$(taps "$if3")' | grep -q ', csum)'"

# during IF NAME CMD...: runs CMD (a check), then sets GREW to how much
# counter NAME of IF grew meanwhile.
during() {
	local i=$1 c=$2 a
	shift 2
	a=$(xvifd_counter "$i" "$c")
	"$@"
	GREW=$(($(xvifd_counter "$i" "$c") - a))
}
csum_errors() { ip netns exec "$1" nstat -asz TcpInCsumErrors | awk '/TcpInCsumErrors/{print $2}'; }
grew() { [ "$2" -gt 0 ] && t_pass "$1 ($2)" || t_fail "$1" "counter grew by $2"; }

# ---- 1. Guest 1, IPv4: superframes both ways, checked one hop on. ----
hb=$W_NS-hb gb=$W_NS-gb
netns_add "$hb"
netns_add "$gb"
ip link add vh0 netns "$DOM0_NS" type veth peer name vh1 netns "$hb"
ip link add vg0 netns "$g1" type veth peer name vg1 netns "$gb"
for e in "$DOM0_NS vh0 169.254.50.1" "$hb vh1 169.254.50.2" \
    "$g1 vg0 169.254.51.1" "$gb vg1 169.254.51.2"; do
	set -- $e
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set "$2" up
	# The sending end of each hop fills checksums and cuts segments itself.
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 ||
		w_die "ethtool -K $2 in $1"
done
ip netns exec "$DOM0_NS" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$g1" sysctl -qw net.ipv4.ip_forward=1
ip -n "$DOM0_NS" route add 169.254.51.0/24 via 169.254.1.2
ip -n "$g1" route add 169.254.50.0/24 via 169.254.1.1
ip -n "$hb" route add 169.254.0.0/16 via 169.254.50.1
ip -n "$gb" route add 169.254.0.0/16 via 169.254.51.1

during "$if1" tx_gso tcp_check "tcp 16 MiB guest 1 -> behind dom0, sha256" \
	"$g1" "$hb" 169.254.50.2 16
grew "guest 1 -> host: GSO superframes handed to the TAP" "$GREW"
during "$if1" rx_gso tcp_check "tcp 16 MiB dom0 -> behind guest 1, sha256" \
	"$DOM0_NS" "$gb" 169.254.51.2 16
grew "host -> guest 1: GSO superframes handed to the guest" "$GREW"
t_eq "every segment's checksum good behind dom0" "$(csum_errors "$hb")" 0
t_eq "every segment's checksum good behind guest 1" "$(csum_errors "$gb")" 0
grew "guest 1: checksums left to the host" "$(xvifd_counter "$if1" tx_csum_offloads)"
grew "guest 1: checksums left to the guest" "$(xvifd_counter "$if1" rx_csum_blank)"

# ---- 2. Guest 1, IPv6 (link-local): superframes both ways, intact. ----
for ns in "$DOM0_NS" "$g1"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
done
ip -n "$DOM0_NS" addr add fe80::1:1/64 dev "$if1" nodad
ip -n "$g1" addr add fe80::1:2/64 dev eth0 nodad
during "$if1" tx_gso tcp_check "tcp6 16 MiB guest 1 -> host, sha256" \
	"$g1" "$DOM0_NS" "[fe80::1:1%$if1]" 16 "[fe80::1:1%eth0]"
grew "guest 1 -> host over IPv6: GSO superframes" "$GREW"
during "$if1" rx_gso tcp_check "tcp6 16 MiB host -> guest 1, sha256" \
	"$DOM0_NS" "$g1" "[fe80::1:2%eth0]" 16 "[fe80::1:2%$if1]"
grew "host -> guest 1 over IPv6: GSO superframes" "$GREW"

# ---- 3. Frontends that take less: finished frames, no superframe. ----
for k in 2 3; do
	g=${GUEST_NS[$k]} i=${GUEST_IF[$k]}
	tcp_check "tcp 8 MiB guest $k -> host, sha256" "$g" "$DOM0_NS" "169.254.$k.1" 8
	tcp_check "tcp 8 MiB host -> guest $k, sha256" "$DOM0_NS" "$g" "169.254.$k.2" 8
	t_eq "guest $k: no GSO from the guest" "$(xvifd_counter "$i" tx_gso)" 0
	t_eq "guest $k: no GSO to the guest" "$(xvifd_counter "$i" rx_gso)" 0
	t_eq "guest $k: no frame dropped for its offloads" \
		"$(xvifd_counter "$i" rx_offload_drops)" 0
done
t_eq "guest 2: no checksum left to the host" "$(xvifd_counter "$if2" tx_csum_offloads)" 0
t_eq "guest 2: no checksum left to the guest" "$(xvifd_counter "$if2" rx_csum_blank)" 0
grew "guest 3: checksums left to the guest" "$(xvifd_counter "$if3" rx_csum_blank)"
t_done
