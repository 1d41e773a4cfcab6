#!/bin/bash
# Checksum offload and GSO through xvif, both ways, IPv4 and IPv6, and
# frontends that take fewer offloads; a guest on a VLAN trunk.  Guest 1's netfront offers them all
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
t_ok "guest 2: no offload on its TAP" sh -c "echo '$(taps "$if2")' | grep -qE '^\(tx ring [0-9]+, rx ring [0-9]+, event channels? [0-9/]+(, sg)?(, rx-notify)?\)\$'"
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

# ---- 4. A VLAN-tagged TCP superframe from the host (a guest on a trunk:
# a tagged port of a VLAN-aware bridge).  Linux lets a TAP keep a
# superframe behind a tag, which no frontend takes whole (netfront finds
# no IP header behind a tag); Linux netback never gets one (the kernel
# segments for it).  The first one is dropped and said, and TCP
# segmentation on that TAP turned off: from then on the kernel segments,
# and the guest gets each segment, its checksum filled in.  (The kernel
# running the tests may have no 802.1Q or VLAN-filtering bridge: the
# superframe is sent as a bridge would hand it over, through a packet
# socket with a vnet header, and caught as it reaches the guest's eth0.)
guest_up 4
g4=${GUEST_NS[4]} if4=${GUEST_IF[4]}
VPY=$T_DIR/vlan.py
cat >"$VPY" <<'PYEOF'
import socket, struct, sys, time
SRC, DST, SPORT, DPORT, SEQ = '169.254.61.1', '169.254.61.2', 4100, 4200, 1000

def fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

def sum16(b):
    if len(b) % 2:
        b += b'\0'
    return sum(struct.unpack('!%dH' % (len(b) // 2), b))

def pseudo(ip, tcplen):
    return sum16(ip[12:20]) + 6 + tcplen

if sys.argv[1] == 'send':
    # One superframe of 8000 bytes, segments of 1400, behind tag 10, its
    # TCP checksum partial (the pseudo-header sum), as a bridge's port
    # hands it over to a TAP with TCP segmentation.  (send IF N MAC
    # untagged GSO-SIZE: without the tag, segments of GSO-SIZE.)
    tagged = len(sys.argv) <= 5
    gso_size = int(sys.argv[6]) if not tagged else 1400
    payload = bytes((i * 7 + int(sys.argv[3])) & 0xff for i in range(8000))
    tcp = struct.pack('!HHIIBBHHH', SPORT, DPORT, SEQ, 1, 5 << 4, 0x18,
                      65535, 0, 0)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + 20 + len(payload), 1,
                     0x4000, 64, 6, 0, socket.inet_aton(SRC),
                     socket.inet_aton(DST))
    ip = ip[:10] + struct.pack('!H', 0xffff - fold(sum16(ip))) + ip[12:]
    tcp = tcp[:16] + struct.pack('!H', fold(pseudo(ip, 20 + len(payload)))) \
        + tcp[18:]
    eth = bytes.fromhex(sys.argv[4].replace(':', '')) + \
        bytes.fromhex('02aabbccdd01') + (struct.pack('!HHH', 0x8100, 10,
        0x800) if tagged else struct.pack('!H', 0x800))
    # virtio_net_hdr: NEEDS_CSUM, GSO TCPV4, hdr_len, gso_size,
    # csum_start (past the tag), csum_offset.
    tl = 4 if tagged else 0
    vh = struct.pack('=BBHHHH', 1, 1, 54 + tl, gso_size, 34 + tl, 16)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.setsockopt(263, 15, 1)	# SOL_PACKET, PACKET_VNET_HDR
    s.bind((sys.argv[2], 0))
    s.send(vh + eth + ip + tcp + payload)
    sys.exit(0)
# listen IF OUT READY SECS: the segments of our flow that reach IF (a
# tag may be taken off on the way in); OUT: "segments bytes bad-sums".
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[2], 0))
s.settimeout(0.2)
open(sys.argv[4], 'w').close()
segs = nbytes = bad = 0
end = time.time() + float(sys.argv[5])
while time.time() < end and nbytes < 8000:
    try:
        f, addr = s.recvfrom(65536)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    if f[12:14] == b'\x81\x00':
        f = f[:12] + f[16:]
    if len(f) < 54 or f[12:14] != b'\x08\x00' or f[14 + 9] != 6:
        continue
    ip = f[14:14 + 20]
    tcp = f[34:14 + struct.unpack('!H', ip[2:4])[0]]
    if struct.unpack('!HH', tcp[:4]) != (SPORT, DPORT):
        continue
    segs += 1
    nbytes += len(tcp) - 20
    if fold(sum16(ip)) != 0xffff or \
       fold(pseudo(ip, len(tcp)) + sum16(tcp)) != 0xffff:
        bad += 1
open(sys.argv[3], 'w').write('%d %d %d\n' % (segs, nbytes, bad))
PYEOF
gmac=$(ip netns exec "$g4" cat /sys/class/net/eth0/address)
# vlan_sf N: send superframe N from the host; VSEEN: what the guest got.
vlan_sf() {
	local lp
	rm -f "$T_DIR/vready" "$T_DIR/vseen"
	ip netns exec "$g4" timeout 20 python3 "$VPY" listen eth0 \
		"$T_DIR/vseen" "$T_DIR/vready" 3 &
	lp=$!
	t_cleanup_add "w_stop $lp 0"
	if ! t_wait 5 test -e "$T_DIR/vready"; then
		t_fail "guest 4: setup" "the listener in the guest is not ready"
	elif ! ip netns exec "$DOM0_NS" python3 "$VPY" send "$if4" "$1" "$gmac"; then
		t_fail "guest 4: setup" "superframe $1 not sent"
	fi
	wait "$lp"
	VSEEN=$(cat "$T_DIR/vseen" 2>/dev/null)
}
tso4() { ip netns exec "$DOM0_NS" ethtool -k "$if4" | awk '/^tcp-segmentation-offload:/{print $2}'; }
t_eq "guest 4: TCP segmentation on its TAP to begin with" "$(tso4)" on
d0=$(xvifd_counter "$if4" rx_offload_drops)
vlan_sf 1
t_eq "guest 4: a tagged superframe: not to the guest" "$VSEEN" "0 0 0"
t_eq "guest 4: ... dropped, counted" "$(xvifd_counter "$if4" rx_offload_drops)" $((d0 + 1))
t_ok "guest 4: ... and said" grep -q \
	"$if4: a VLAN-tagged TCP superframe from the host, dropped (a frontend cannot take one whole); TCP segmentation on $if4 turned off" \
	"$T_DIR/xvifd.log"
t_eq "guest 4: no TCP segmentation on its TAP now" "$(tso4)" off
f0=$(xvifd_counter "$if4" rx_csum_filled)
vlan_sf 2
t_eq "guest 4: the next one reaches the guest in segments, checksums right" "$VSEEN" "6 8000 0"
t_eq "guest 4: ... filled in here" "$(xvifd_counter "$if4" rx_csum_filled)" $((f0 + 6))
t_eq "guest 4: said once" "$(grep -c "$if4: a VLAN-tagged TCP superframe" "$T_DIR/xvifd.log")" 1
tcp_check "guest 4: TCP to it still intact" "$DOM0_NS" "$g4" 169.254.4.2 8

# ---- 5. The same superframe from a guest: refused, as Linux netback
# refuses it (skb_checksum_setup knows no tag).  Let through, a bridge
# handed it whole to every other guest's TAP, each of which dropped it
# and turned its TCP segmentation off for good (section 4): one frame of
# one guest cost every guest on the bridge its offload.
# guest_sf WHAT NS IF SECS SEND-ARGS...: a superframe sent on eth0 of
# guest namespace NS (vlan.py send), caught on its interface IF in dom0
# for SECS in the background ($lp; what it saw in $T_DIR/vseen).
guest_sf() {
	local what=$1 ns=$2 if=$3 secs=$4
	shift 4
	rm -f "$T_DIR/vready" "$T_DIR/vseen"
	ip netns exec "$DOM0_NS" timeout 20 python3 "$VPY" listen "$if" \
		"$T_DIR/vseen" "$T_DIR/vready" "$secs" &
	lp=$!
	t_cleanup_add "w_stop $lp 0"
	t_wait 5 test -e "$T_DIR/vready" || t_fail "$what: setup" "no listener on $if"
	ip netns exec "$ns" python3 "$VPY" send eth0 "$@" ||
		t_fail "$what: setup" "the guest's packet socket refused the superframe"
}
b0=$(xvifd_counter "$if4" tx_bad_requests)
guest_sf "guest 4 sends" "$g4" "$if4" 3 3 ff:ff:ff:ff:ff:ff
wait "$lp"
t_eq "guest 4 sends a tagged superframe: it does not reach the host" \
	"$(cat "$T_DIR/vseen" 2>/dev/null)" "0 0 0"
t_eq "... refused, counted" "$(xvifd_counter "$if4" tx_bad_requests)" $((b0 + 1))
t_ok "... and said" grep -q "$if4: .*GSO behind a VLAN tag" "$T_DIR/xvifd.log"
tcp_check "... TCP from it still intact" "$g4" "$DOM0_NS" 169.254.4.1 8

# ---- 6. A superframe's cost of a guest's rate is what goes on the wire:
# one of 8000 bytes cut into segments of 48 bytes (Linux's least MSS) is
# 167 frames, each with its headers (~17 KB).  Charged its
# 8000 bytes only, it went within a rate of 2 KB a second at once (the
# credit piled up since the connect), however small its segments.  (A
# cost above the most credit that can pile up: t_vif_rate.)
guest_up 5 rate=2KB/s@1s
g5=${GUEST_NS[5]} if5=${GUEST_IF[5]}
w0=$(xvifd_counter "$if5" tx_rate_waits)
guest_sf "guest 5" "$g5" "$if5" 15 4 ff:ff:ff:ff:ff:ff untagged 48
waited() { [ "$(xvifd_counter "$if5" tx_rate_waits)" -gt "$w0" ]; }
t_ok "a superframe of 48-byte segments waits for the rate's credit" t_wait 5 waited
wait "$lp"
t_eq "... and then goes: its 8000 bytes reach the host" \
	"$(cut -d' ' -f2 "$T_DIR/vseen" 2>/dev/null)" 8000

# ---- 7. Segments of 1 byte: no TCP sends them, and wherever the host
# segments in software one request of 64 KiB would be 65535 frames.
# Dropped (an error response), counted and said; Linux's netback takes
# any size but 0.  Charged its length (it makes no segments), a credit
# of 4 seconds at this rate.
sleep 5		# the rate's credit back
b0=$(xvifd_counter "$if5" tx_bad_requests)
guest_sf "guest 5, 1-byte segments" "$g5" "$if5" 3 4 ff:ff:ff:ff:ff:ff untagged 1
wait "$lp"
t_eq "a superframe of 1-byte segments does not reach the host" \
	"$(cat "$T_DIR/vseen" 2>/dev/null)" "0 0 0"
t_eq "... refused, counted" "$(xvifd_counter "$if5" tx_bad_requests)" $((b0 + 1))
t_ok "... and said" grep -q "$if5: .*is GSO of segments under 8 bytes" "$T_DIR/xvifd.log"
t_ok "... the guest still talks" ip netns exec "$g5" ping -c 2 -i 0.2 -W 2 -q 169.254.5.1
t_done
