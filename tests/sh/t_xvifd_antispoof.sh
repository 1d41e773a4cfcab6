#!/bin/bash
# Anti-spoofing (xvifd --antispoof and a vif's antispoof key) against
# frames forged inside a guest: a raw socket on the guest's eth0 sends
# legitimate frames and forged ones (another source MAC, another IPv4 or
# IPv6 source, ARP and NDP naming another address or MAC, behind a VLAN
# tag, cut short), each marked with its name past its IP packet's end; a
# raw socket on dom0's xvif interface says which arrived.  Forged frames
# must not arrive and must be counted by rule, legitimate ones must; the
# guest's own stack keeps working from its address and its MAC, and not
# from another.  A vif with antispoof=0 under --antispoof, and every vif
# of an xvifd without it, pass the same forged frames; a vif with
# antispoof=1 under an xvifd without --antispoof is filtered.  The ip and
# antispoof keys changed while a vif runs apply at once; a bad one then
# leaves the rules as they were (logged, counted).  An ip key that does
# not parse refuses the connect, naming the word.
. "$(dirname "$0")/lib.sh"
XVIFCTL=$PWD/$BUILD/xvifctl
PY=$T_DIR/frames.py
cat >"$PY" <<'EOF'
# frames.py send IFACE K | listen IFACE OUT READY SECS
import socket, struct, sys, time

def mac(s):
    return bytes(int(x, 16) for x in s.split(':'))

def a4(s):
    return socket.inet_pton(socket.AF_INET, s)

def a6(s):
    return socket.inet_pton(socket.AF_INET6, s)

def eth(src, etype, vlan=None):
    h = b'\xff' * 6 + src
    if vlan is not None:
        h += struct.pack('!HH', 0x8100, vlan)
    return h + struct.pack('!H', etype)

def udp(sport, dport, payload=b''):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload

def bootp(chaddr):
    # A DHCP client's BOOTREQUEST up to its chaddr (Ethernet, 6 bytes).
    return struct.pack('!BBBB24x', 1, 1, 6, 0) + chaddr + b'\0' * 10

def ip4(src, proto, payload, dst='255.255.255.255'):
    return struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0, 0,
                       64, proto, 0, a4(src), a4(dst)) + payload

def arp(op, sha, spa, tpa):
    return struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, op, sha, a4(spa),
                       b'\0' * 6, a4(tpa))

def ip6(src, nh, payload):
    return struct.pack('!IHBB16s16s', 0x60000000, len(payload), nh, 255,
                       a6(src), a6('ff02::1')) + payload

def na(target, lla):
    # Override set; the target link-layer address option names lla.
    return struct.pack('!BBHI16sBB6s', 136, 0, 0, 0x20000000, a6(target),
                       2, 1, lla)

def frames(k):
    m = mac('00:16:3e:%02x:00:01' % k)
    bad = mac('00:16:3e:99:99:99')
    me, other, gw = ['169.254.%d.%d' % (k, i) for i in (2, 99, 1)]
    ll = 'fe80::%02x%02x:%02xff:fe%02x:%02x%02x' % (m[0] ^ 2, m[1], m[2],
                                                    m[3], m[4], m[5])
    return [
        ('ok_udp', eth(m, 0x800) + ip4(me, 17, udp(4000, 4001))),
        ('ok_dhcp', eth(m, 0x800) + ip4('0.0.0.0', 17, udp(68, 67, bootp(m)))),
        ('ok_arp_probe', eth(m, 0x806) + arp(1, m, '0.0.0.0', me)),
        ('ok_arp', eth(m, 0x806) + arp(1, m, me, gw)),
        ('ok_ll6', eth(m, 0x86dd) + ip6(ll, 17, udp(4000, 4001))),
        ('ok_na', eth(m, 0x86dd) + ip6(ll, 58, na(ll, m))),
        ('ok_vlan', eth(m, 0x800, 5) + ip4(me, 17, udp(4000, 4001))),
        ('bad_mac', eth(bad, 0x800) + ip4(me, 17, udp(4000, 4001))),
        ('bad_ip4', eth(m, 0x800) + ip4(other, 17, udp(4000, 4001))),
        ('bad_dhcp', eth(m, 0x800) + ip4('0.0.0.0', 17, udp(68, 67, bootp(bad)))),
        ('bad_dhcp_me', eth(m, 0x800) + ip4(me, 17, udp(68, 67, bootp(bad)))),
        ('bad_arp_spa', eth(m, 0x806) + arp(2, m, gw, gw)),
        ('bad_arp_sha', eth(m, 0x806) + arp(2, bad, me, gw)),
        ('bad_ip6', eth(m, 0x86dd) + ip6('fe80::99', 17, udp(4000, 4001))),
        ('bad_na_target', eth(m, 0x86dd) + ip6(ll, 58, na('fe80::1:1', m))),
        ('bad_na_lla', eth(m, 0x86dd) + ip6(ll, 58, na(ll, bad))),
        ('bad_vlan', eth(m, 0x800, 5) + ip4(other, 17, udp(4000, 4001))),
        ('bad_short', eth(m, 0x800) + b'\x45\x00'),
        ('END', eth(m, 0x800) + ip4(me, 17, udp(4000, 4001))),
    ]

def mark(name):
    return b'XVAS:' + name.encode() + b';'

if sys.argv[1] == 'send':
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((sys.argv[2], 0))
    for name, f in frames(int(sys.argv[3])):
        s.send(f + mark(name))	# past the IP packet: padding to a parser
        time.sleep(0.005)
    sys.exit(0)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[2], 0))
s.settimeout(0.2)
open(sys.argv[4], 'w').close()
seen, end = set(), time.time() + float(sys.argv[5])
while 'END' not in seen and time.time() < end:
    try:
        data, addr = s.recvfrom(65536)
    except socket.timeout:
        continue
    i = data.find(b'XVAS:')
    if addr[2] == socket.PACKET_OUTGOING or i < 0:
        continue
    seen.add(data[i + 5:data.find(b';', i)].decode())
open(sys.argv[3], 'w').write(''.join(n + '\n' for n in sorted(seen)))
EOF
OK_NAMES="ok_udp ok_dhcp ok_arp_probe ok_arp ok_ll6 ok_na ok_vlan"
BAD_NAMES="bad_mac bad_ip4 bad_dhcp bad_dhcp_me bad_arp_spa bad_arp_sha bad_ip6 bad_na_target
bad_na_lla bad_vlan bad_short"

# forge K: guest K sends the frames; $T_DIR/seen lists those that arrived.
forge() {
	local k=$1 lp
	rm -f "$T_DIR/ready" "$T_DIR/seen"
	ip netns exec "$DOM0_NS" timeout 20 python3 "$PY" listen \
		"${GUEST_IF[$k]}" "$T_DIR/seen" "$T_DIR/ready" 10 &
	lp=$!
	if t_wait 5 test -e "$T_DIR/ready"; then
		ip netns exec "${GUEST_NS[$k]}" timeout 20 python3 "$PY" send eth0 "$k"
	fi
	wait "$lp"
	touch "$T_DIR/seen"
}
seen() { grep -qx "$1" "$T_DIR/seen"; }
# ctr K NAME: counter NAME of guest K's vif, from xvifctl's JSON.
ctr() {
	"$XVIFCTL" --sim-dir "$SIM_DIR" --json stats "${GUEST_IF[$1]}" |
		python3 -c 'import json, sys
v = [v for v in json.load(sys.stdin)["vifs"] if v["name"] == sys.argv[1]]
print(v[0]["counters"][sys.argv[2]] if v else -1)' "${GUEST_IF[$1]}" "$2"
}
# no_reply NAME CMD...: ping CMD got no answer (1), not an error (2).
no_reply() {
	local name=$1 rc
	shift
	"$@" >"$T_DIR/ping.out" 2>&1
	rc=$?
	[ "$rc" = 1 ] && t_pass "$name" ||
		t_fail "$name" "exited $rc: $(tail -2 "$T_DIR/ping.out" | tr '\n' ' ')"
}
spoof_ctrs() {
	echo "$(ctr "$1" tx_spoof_mac_drops) $(ctr "$1" tx_spoof_ip_drops)" \
		"$(ctr "$1" tx_spoof_bad_drops)"
}
# filtered WHAT K: guest K's forged frames stop at xvifd, counted by
# rule (5 MAC, 5 address, 1 malformed), and its legitimate ones pass.
filtered() {
	local what=$1 k=$2 missing= leaked= n before after
	before=$(spoof_ctrs "$k")
	forge "$k"
	after=$(spoof_ctrs "$k")
	for n in $OK_NAMES END; do seen "$n" || missing="$missing $n"; done
	for n in $BAD_NAMES; do seen "$n" && leaked="$leaked $n"; done
	t_eq "$what: legitimate frames arrive" "${missing:-none}" none
	t_eq "$what: forged frames do not" "${leaked:-none}" none
	set -- $before $after
	t_eq "$what: counted (mac, ip, bad drops)" \
		"$(($4 - $1)) $(($5 - $2)) $(($6 - $3))" "5 5 1"
}
# unfiltered WHAT K: every frame of guest K arrives, nothing is counted.
unfiltered() {
	local what=$1 k=$2 missing= n
	forge "$k"
	for n in $OK_NAMES $BAD_NAMES END; do seen "$n" || missing="$missing $n"; done
	t_eq "$what: forged frames pass" "${missing:-none}" none
	t_eq "$what: nothing counted" "$(spoof_ctrs "$k")" "0 0 0"
}

sim_host_start
xvifd_start --no-hotplug-wait --antispoof
guest_up 1 ip=169.254.1.2
guest_up 2 ip=169.254.2.2 antispoof=0
if1=${GUEST_IF[1]} g1=${GUEST_NS[1]}
t_ok "anti-spoofing on for guest 1, with its key" grep -q \
	"$if1: anti-spoofing: source mac 00:16:3e:01:00:01, ip 169.254.1.2\$" \
	"$T_DIR/xvifd.log"
t_not "anti-spoofing off for guest 2 (antispoof=0)" grep -q \
	"${GUEST_IF[2]}: anti-spoofing" "$T_DIR/xvifd.log"

# ---- 1. Forged frames, --antispoof. ----
filtered "--antispoof" 1
t_ok "the log says why" grep -q "$if1: tx id [0-9]*: dropped: " "$T_DIR/xvifd.log"
unfiltered "antispoof=0 under --antispoof" 2

# ---- 2. The guest's own stack: its address and MAC work, others not. ----
ip -n "$DOM0_NS" addr add fe80::1:1/64 dev "$if1" nodad
ip -n "$g1" addr add fe80::216:3eff:fe01:1/64 dev eth0 nodad 2>/dev/null
# If the kernel made that address itself first, the add above failed and
# the address is tentative until its duplicate detection ends (about a
# second): ping6 cannot bind it meanwhile.
t_wait 5 sh -c "ip -n $g1 -6 addr show dev eth0 | grep 'fe80::216:3eff:fe01:1/64' | grep -qv tentative" ||
	t_fail "setup: the guest's link-local address usable" "$(ip -n "$g1" -6 addr show dev eth0 | tr '\n' ' ')"
t_ok "ping from the guest's address" \
	ip netns exec "$g1" ping -c 2 -i 0.2 -W 2 -q 169.254.1.1
t_ok "ping6 from the link-local address its MAC gives" \
	ip netns exec "$g1" ping -6 -c 2 -i 0.2 -W 2 -q \
	-I fe80::216:3eff:fe01:1%eth0 fe80::1:1%eth0
# dom0 knows the other addresses' MAC already: its reply needs no ARP or
# NDP answer from them (which the ARP and NA rules would stop), so only
# the IP rules keep these pings unanswered.
ip -n "$DOM0_NS" neigh replace 169.254.1.99 lladdr 00:16:3e:01:00:01 dev "$if1" nud permanent
ip -n "$DOM0_NS" neigh replace fe80::99 lladdr 00:16:3e:01:00:01 dev "$if1" nud permanent
ip -n "$g1" addr add 169.254.1.99/24 dev eth0
no_reply "no ping from an address not in the ip key" \
	ip netns exec "$g1" ping -c 2 -i 0.2 -W 1 -q -I 169.254.1.99 169.254.1.1
ip -n "$g1" addr del 169.254.1.99/24 dev eth0
ip -n "$g1" addr add fe80::99/64 dev eth0 nodad
no_reply "no ping6 from another link-local address" \
	ip netns exec "$g1" ping -6 -c 2 -i 0.2 -W 1 -q -I fe80::99%eth0 \
	fe80::1:1%eth0
ip -n "$g1" addr del fe80::99/64 dev eth0
ip -n "$DOM0_NS" neigh del 169.254.1.99 dev "$if1"
ip -n "$DOM0_NS" neigh del fe80::99 dev "$if1"
before=$(ctr 1 tx_spoof_mac_drops)
ip -n "$g1" link set eth0 address 00:16:3e:99:99:99
no_reply "no ping from another MAC" \
	ip netns exec "$g1" ping -c 2 -i 0.2 -W 1 -q 169.254.1.1
ip -n "$g1" link set eth0 address 00:16:3e:01:00:01
after=$(ctr 1 tx_spoof_mac_drops)
[ "$after" -gt "$before" ] && t_pass "another MAC: counted ($((after - before)))" ||
	t_fail "another MAC: counted" "tx_spoof_mac_drops $before -> $after"
t_ok "ping again with its own MAC" \
	ip netns exec "$g1" ping -c 2 -i 0.2 -W 2 -q 169.254.1.1

# ---- 3. xvifd without --antispoof: vifs pass, antispoof=1 filters. ----
kill -TERM "$XVIFD_PID"
wait "$XVIFD_PID"
xvifd_start --no-hotplug-wait
t_wait 10 sh -c "grep -c 're-attached' '$T_DIR/xvifd.log' | grep -qx 2" &&
	t_pass "restarted without --antispoof, re-attached" ||
	t_fail "restarted without --antispoof, re-attached" "$(tail -3 "$T_DIR/xvifd.log")"
unfiltered "no --antispoof" 1
guest_up 3 ip=169.254.3.2 antispoof=1
filtered "antispoof=1 without --antispoof" 3

# ---- 4. The keys change while the vif runs: its queues take them. ----
be3=/local/domain/0/backend/vif/${GUEST_DOM[3]}/0
if3=${GUEST_IF[3]}
# live_key WHAT KEY VALUE LOGLINE: write it, wait for xvifd's line.
live_key() {
	local n
	n=$(grep -c "$if3: anti-spoofing now\|$if3: ip: " "$T_DIR/xvifd.log")
	xenstore-write "$be3/$2" "$3"
	t_wait 10 sh -c "[ \$(grep -c '$if3: anti-spoofing now\|$if3: ip: ' \
		'$T_DIR/xvifd.log') -gt $n ]" &&
		t_ok "$1: $4" grep -qF "$if3: $4" "$T_DIR/xvifd.log" ||
		t_fail "$1: xvifd said nothing" "$(tail -3 "$T_DIR/xvifd.log")"
}
# arrived NAMES...: which of NAMES arrived in the last forge, in order.
arrived() { local n out=; for n in "$@"; do seen "$n" && out="$out $n"; done; echo "${out:-none}"; }
live_key "ip += .99" ip "169.254.3.2 169.254.3.99" \
	"anti-spoofing now: source mac 00:16:3e:03:00:01, ip 169.254.3.2 169.254.3.99"
forge 3
t_eq "ip += .99: its frames pass, no other forged one" \
	"$(arrived $BAD_NAMES)/$(arrived $OK_NAMES)" " bad_ip4 bad_vlan/$(printf ' %s' $OK_NAMES)"
errs=$(ctr 3 key_errors)
live_key "a bad ip key" ip "169.254.3.2 10.0.0.300" \
	"ip: \"10.0.0.300\" is not an IPv4 or IPv6 address: anti-spoofing left as it was"
t_eq "a bad ip key: counted" "$(ctr 3 key_errors)" "$((errs + 1))"
t_not "a bad ip key: no error node (nothing failed)" \
	xenstore-read "$be3/error"
forge 3
t_eq "a bad ip key: the rules before it hold" \
	"$(arrived $BAD_NAMES)" " bad_ip4 bad_vlan"
live_key "antispoof=0" antispoof 0 "anti-spoofing now off"
before=$(spoof_ctrs 3)
forge 3
t_eq "antispoof=0: every forged frame passes" "$(arrived $BAD_NAMES END)" \
	"$(printf ' %s' $BAD_NAMES END)"
t_eq "antispoof=0: nothing counted" "$(spoof_ctrs 3)" "$before"
xenstore-write "$be3/ip" 169.254.3.2
live_key "antispoof=1 again" antispoof 1 \
	"anti-spoofing now: source mac 00:16:3e:03:00:01, ip 169.254.3.2"
filtered "antispoof=1 again, ip back" 3
t_eq "the guest stayed connected" "$(xenstore-read "$be3/state")" 4

# ---- 5. An ip key that does not parse refuses the connect. ----
d=$("$SIM" create --dir "$SIM_DIR" --name bad) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:04:00:01 antispoof=1 \
	"ip=169.254.4.2 10.0.0.300" >>"$T_DIR/tool.log" 2>&1 ||
	w_die "attach: $(tail -2 "$T_DIR/tool.log")"
netns_add "$W_NS-g4"
"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$W_NS-g4" >>"$T_DIR/fe4.log" 2>&1 &
t_cleanup_add "w_stop $!"
msg="ip: \"10.0.0.300\" is not an IPv4 or IPv6 address"
t_wait 15 grep -qF "xvif${d}i0: $msg" "$T_DIR/xvifd.log" &&
	t_pass "bad ip key: the log names the vif and the word" ||
	t_fail "bad ip key: the log names the vif and the word" "$(tail -3 "$T_DIR/xvifd.log")"
t_eq "bad ip key: the error node says it" \
	"$(xenstore-read "/local/domain/0/backend/vif/$d/0/error" 2>&1)" "$msg"
t_not "bad ip key: never connected" grep -q "xvif${d}i0: connected" "$T_DIR/xvifd.log"
# ... and so does an antispoof key that is neither 0 nor 1.
d=$("$SIM" create --dir "$SIM_DIR" --name bad2) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:05:00:01 ip=169.254.5.2 \
	>>"$T_DIR/tool.log" 2>&1 || w_die "attach: $(tail -2 "$T_DIR/tool.log")"
xenstore-write "/local/domain/0/backend/vif/$d/0/antispoof" yes
netns_add "$W_NS-g5"
"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$W_NS-g5" >>"$T_DIR/fe5.log" 2>&1 &
t_cleanup_add "w_stop $!"
t_wait 15 grep -qF "xvif${d}i0: antispoof \"yes\" is not 0 or 1" "$T_DIR/xvifd.log" &&
	t_pass "bad antispoof key: refused, named" ||
	t_fail "bad antispoof key: refused, named" "$(tail -3 "$T_DIR/xvifd.log")"
t_not "bad antispoof key: never connected" grep -q "xvif${d}i0: connected" "$T_DIR/xvifd.log"
t_ok "xvifd serves on" kill -0 "$XVIFD_PID"
t_done
