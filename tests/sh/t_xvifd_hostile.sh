#!/bin/bash
# t_xvifd_hostile.sh -- defects a hostile or unlucky guest used to hit,
# each against the real xvifd on the simulated host, beside a good guest
# that must never notice:
#  - a fatal request already in the ring at connect, and a frontend that
#    insists on Connected: one log line, Closing, an idle daemon (no
#    connect -> fail -> reconnect loop), until the frontend resets;
#  - the host interface deleted under a connected vif: made again at
#    once under the same connection, no spinning; deleted again at once,
#    the vif fails;
#  - an oversized frame from the host: dropped and counted, never cut;
#    the MTU held to what a ring carries (65517, 1500 without SG);
#  - one-way 8000-byte UDP at MTU 9000: no lost RX wakeup (no second
#    without frames);
#  - a guest that posts no RX buffer: its TX is not throttled, and its
#    carrier, once off for the stall, stays off while it sends; one slot
#    posted ends the stall; a frame that never gets its slots is dropped;
#    what the TAP holds for a guest stalled a wait ago, dropped at once;
#  - an event storm: spurious notifications backed off, the daemon idle;
#  - a restart in InitWait after the hotplug script renamed and bridged
#    the interface: that interface is taken over, no second one made.
# Traffic stays on 169.254.0.0/16 inside namespaces created here.
. "$(dirname "$0")/lib.sh"
sim_host_start
DOM0_NS=$T_NS-d0
netns_add "$DOM0_NS"
xvifd_start --no-hotplug-wait
guest_up 1
be=/local/domain/0/backend/vif
good_pings() {
	t_ok "$1: the good guest is unharmed" ip netns exec "$DOM0_NS" \
	    ping -c 3 -i 0.2 -W 2 -q 169.254.1.2
}

# cpu_ticks PID: user + system clock ticks the process used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# busy_pct PID SECS: the share of one CPU PID used over the next SECS.
busy_pct() {
	local a b
	a=$(cpu_ticks "$1")
	sleep "$2"
	b=$(cpu_ticks "$1")
	echo $(( (b - a) * 100 / ($2 * $(getconf CLK_TCK)) ))
}

# fe_up K NETFRONT-ARGS -- ATTACH-ARGS: guest K with netfront options.
# Sets FD (domid), FNS (netns), FPID, FLOG.
fe_up() {
	local k=$1 fa=() mac
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do fa+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	mac=$(printf '00:16:3e:%02x:00:01' "$k")
	FD=$("$SIM" create --dir "$SIM_DIR" --name "h$k") || w_die "create domain"
	"$SIM" attach --dir "$SIM_DIR" "$FD" "mac=$mac" "$@" >>"$T_DIR/tool.log" 2>&1 ||
		w_die "attach to domain $FD: $(tail -2 "$T_DIR/tool.log")"
	FNS=$T_NS-h$k
	netns_add "$FNS"
	FLOG=$T_DIR/fe-h$k.log
	"$SIM" netfront --dir "$SIM_DIR" "$FD" 0 --netns "$FNS" "${fa[@]}" \
	    >"$FLOG" 2>&1 &
	FPID=$!
	t_cleanup_add "w_stop $FPID 0"
	t_wait 15 ip -n "$DOM0_NS" link show "xvif${FD}i0" ||
		w_die "no xvif${FD}i0: $(tail -3 "$T_DIR/xvifd.log")"
	t_wait 15 ip -n "$FNS" link show eth0 ||
		w_die "no eth0 in guest h$k: $(tail -3 "$FLOG")"
}
# addr_up K: 169.254.K.1 on the xvif, .2 on the guest's eth0, both up.
addr_up() {
	ip -n "$DOM0_NS" addr add "169.254.$1.1/24" dev "xvif${FD}i0"
	ip -n "$DOM0_NS" link set "xvif${FD}i0" up
	ip -n "$FNS" addr add "169.254.$1.2/24" dev eth0
	ip -n "$FNS" link set eth0 up
}

# jumbo_up K: addr_up K, MTU 9000 both sides, each side's neighbour
# entry made (no ARP through a ring that may hold nothing).
jumbo_up() {
	local dmac
	addr_up "$1"
	ip -n "$DOM0_NS" link set "xvif${FD}i0" mtu 9000
	ip netns exec "$FNS" ip link set eth0 mtu 9000
	dmac=$(ip -n "$DOM0_NS" -o link show "xvif${FD}i0" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	ip -n "$FNS" neigh replace "169.254.$1.1" lladdr "$dmac" dev eth0 nud permanent
	ip -n "$DOM0_NS" neigh replace "169.254.$1.2" lladdr "$(printf '00:16:3e:%02x:00:01' "$1")" \
	    dev "xvif${FD}i0" nud permanent
}
# big_frame_dropped NAME K: a frame of 2 slots held for guest K, which
# posts one at a time, is dropped 10 s on and said, and the small frames
# queued behind it (pinged from now) go.
big_frame_dropped() {
	local pinger
	ip netns exec "$DOM0_NS" ping -c 3 -i 0.2 -w 20 -q "169.254.$2.2" >"$T_DIR/behind.out" 2>&1 &
	pinger=$!
	t_cleanup_add "kill $pinger 2>/dev/null"
	t_wait 15 grep -q "xvif${FD}i0: rx: a frame of 2 slots dropped: fewer posted for 10 s" \
	    "$T_DIR/xvifd.log" &&
		t_pass "$1: the frame that never fits is dropped after 10 s, and said" ||
		t_fail "$1: the frame that never fits is dropped after 10 s, and said" \
		    "$(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -2)"
	wait $pinger &&
		t_pass "$1: the small frames queued behind it go" ||
		t_fail "$1: the small frames queued behind it go" "$(tail -2 "$T_DIR/behind.out")"
}

# -- 1. A fatal request in the ring at connect, and a frontend insisting.
k=20
for mode in connect-fatal connect-bad-extra; do
	k=$((k + 1))
	fe_up $k --misbehave $mode --
	t_wait 10 state_is "$be/$FD/0" 5 && t_pass "$mode: backend Closing" ||
		t_fail "$mode: backend Closing" "state $(xenstore-read $be/$FD/0/state)"
	t_wait 10 grep -q "insisting on Connected" "$FLOG" ||
		t_fail "$mode: setup" "the rogue never insisted: $(tail -3 "$FLOG")"
	sleep 1
	lines=$(grep -c "xvif${FD}i0" "$T_DIR/xvifd.log")
	busy=$(busy_pct "$XVIFD_PID" 3)
	[ "$busy" -lt 5 ] && t_pass "$mode: xvifd idle while the rogue insists (${busy}% CPU)" ||
		t_fail "$mode: xvifd idle while the rogue insists" "${busy}% CPU"
	t_eq "$mode: nothing more logged for it in 3 s" \
	    "$(grep -c "xvif${FD}i0" "$T_DIR/xvifd.log")" "$lines"
	t_eq "$mode: one fatal-error line" \
	    "$(grep -c "xvif${FD}i0: fatal error, disabling vif" "$T_DIR/xvifd.log")" 1
	t_eq "$mode: one connect" "$(grep -c "xvif${FD}i0: connected" "$T_DIR/xvifd.log")" 1
	t_ok "$mode: backend still Closing, frontend still Connected" sh -c \
	    "[ \$(xenstore-read $be/$FD/0/state) = 5 ] && [ \$(xenstore-read /local/domain/$FD/device/vif/0/state) = 4 ]"
	t_ok "$mode: error node says why" sh -c \
	    "xenstore-read $be/$FD/0/error | grep -Eq 'more than 20 slots|extra info of an invalid type'"
	good_pings $mode
	# The frontend resets (shutdown: Closing, Closed): the failure goes.
	kill -TERM "$FPID"
	t_wait 10 state_is "$be/$FD/0" 6 && t_pass "$mode: frontend closed: backend Closed" ||
		t_fail "$mode: frontend closed: backend Closed" "state $(xenstore-read $be/$FD/0/state)"
	t_ok "$mode: the failure is cleared by the reset" \
	    grep -q "xvif${FD}i0: frontend Closed: the failure is cleared" "$T_DIR/xvifd.log"
done

# -- 1b. A frontend firing our watch in a loop (XSA-349): 5000 writes of
# its state.  Watch events only say "look again", so nothing queues up:
# no log line each, memory flat, the vif untouched.
fe1=/local/domain/${GUEST_DOM[1]}/device/vif/0
wargs=()
for i in $(seq 1 500); do wargs+=("$fe1/state" 4); done
rss0=$(awk '/VmRSS/{print $2}' "/proc/$XVIFD_PID/status")
lines=$(wc -l <"$T_DIR/xvifd.log")
for i in $(seq 1 10); do as_dom "${GUEST_DOM[1]}" xenstore-write "${wargs[@]}"; done
sleep 1
t_eq "watch flood: no log line for 5000 watch events" "$(wc -l <"$T_DIR/xvifd.log")" "$lines"
if ! nm "$XVIFD" 2>/dev/null | grep -q __asan_init; then
	grow=$(( $(awk '/VmRSS/{print $2}' "/proc/$XVIFD_PID/status") - rss0 ))
	[ "$grow" -lt 1024 ] && t_pass "watch flood: RSS grew ${grow} KiB" ||
		t_fail "watch flood: memory" "RSS grew ${grow} KiB"
fi
t_ok "watch flood: the vif still Connected" state_is "$be/${GUEST_DOM[1]}/0" 4
good_pings "watch flood"
# ... and written one by one, as fast as the guest can, for 8 s: a watch
# event each.  xvifd once looked at the vif (XenStore reads) for each
# event, fell behind, and queued events without bound (RSS grew by tens
# of MiB), while another guest's new vif waited its turn past libxl's
# 10 s.  Now one look a batch of events.
cat >"$T_DIR/flood.py" <<'PY2'
import socket, struct, sys, time
XS_WRITE = 11
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
body = sys.argv[2].encode() + b"\0" + b"4"
msg = struct.pack("<IIII", XS_WRITE, 0, 0, len(body)) + body
end, n, buf = time.monotonic() + float(sys.argv[3]), 0, b""
while time.monotonic() < end:
    # One write at a time, as xs_write: the flood XenStore delivers
    # whole (many in flight overflow our connection, and it drops).
    s.sendall(msg)
    got = 0
    while got < 1:
        buf += s.recv(65536)
        while len(buf) >= 16:
            t, _, _, ln = struct.unpack("<IIII", buf[:16])
            if len(buf) < 16 + ln:
                break
            if t != XS_WRITE:
                sys.exit("write refused: %r" % buf[16:16 + ln])
            buf = buf[16 + ln:]
            got += 1
    n += 1
print(n)
PY2
rss0=$(awk '/VmRSS/{print $2}' "/proc/$XVIFD_PID/status")
timeout 30 python3 "$T_DIR/flood.py" "$SIM_DIR/xs-dom${GUEST_DOM[1]}.sock" "$fe1/state" 8 \
	>"$T_DIR/flood.out" 2>&1 &
flood=$!
t_cleanup_add "kill $flood 2>/dev/null"
sleep 2
dn=$("$SIM" create --dir "$SIM_DIR" --name flooded) || w_die "create domain"
t0=$(date +%s%N)
"$SIM" attach --dir "$SIM_DIR" "$dn" mac=00:16:3e:2f:00:01 >>"$T_DIR/tool.log" 2>&1
arc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
wait "$flood"
frc=$?
writes=$(cat "$T_DIR/flood.out")
t_eq "write flood: the guest's writes went through" "$frc" 0
t_ok "write flood ($writes writes in 8 s): a new vif meanwhile reaches InitWait in under 1 s (${ms} ms)" \
	test "$arc" = 0 -a "$ms" -lt 1000
if ! nm "$XVIFD" 2>/dev/null | grep -q __asan_init; then
	grow=$(( $(awk '/VmRSS/{print $2}' "/proc/$XVIFD_PID/status") - rss0 ))
	[ "$grow" -lt 2048 ] && t_pass "write flood: RSS grew ${grow} KiB" ||
		t_fail "write flood: memory" "RSS grew ${grow} KiB"
fi
busy=$(busy_pct "$XVIFD_PID" 2)
t_ok "write flood over: xvifd idle at once (${busy}% CPU)" test "$busy" -lt 5
t_ok "write flood: the vif still Connected" state_is "$be/${GUEST_DOM[1]}/0" 4
good_pings "write flood"
"$SIM" destroy --dir "$SIM_DIR" "$dn" || w_die "destroy domain"

# -- 2. The host interface deleted under a connected vif: made again at
# once, the guest's connection untouched (a Linux netfront the backend
# closes stays Closed until the vif is detached, as ours does).
fe_up 30 --
addr_up 30
t_ok "deleted tap: guest up first" ip netns exec "$FNS" ping -c 2 -i 0.2 -W 2 -q 169.254.30.1
# The toolstack's mtu (read as the vif is made: this one has 1500 until
# its interface is made again, which must take it, not a new TAP's 1500).
xenstore-write "$be/$FD/0/mtu" 4000
ifi0=$(ip -n "$DOM0_NS" -o link show "xvif${FD}i0" | cut -d: -f1)
ip -n "$DOM0_NS" link del "xvif${FD}i0"
t_wait 10 grep -q "xvif${FD}i0: host interface lost: interface xvif${FD}i0: " "$T_DIR/xvifd.log" &&
	t_pass "deleted tap: the loss is said, with why" ||
	t_fail "deleted tap: the loss is said" "$(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -3)"
t_wait 10 grep -q "xvif${FD}i0: interface xvif${FD}i0 lost under the guest, made again; no hotplug script runs" \
    "$T_DIR/xvifd.log" &&
	t_pass "deleted tap: made again at once, telling the admin to bridge it" ||
	t_fail "deleted tap: made again at once" "$(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -3)"
t_ok "deleted tap: a new interface of the same name" sh -c \
    "i=\$(ip -n $DOM0_NS -o link show xvif${FD}i0 | cut -d: -f1); [ -n \"\$i\" ] && [ -n '$ifi0' ] && [ \"\$i\" != '$ifi0' ]"
t_eq "deleted tap: not a fatal error" \
    "$(grep -c "xvif${FD}i0: fatal error" "$T_DIR/xvifd.log")" 0
t_ok "deleted tap: backend and frontend still Connected" sh -c \
    "[ \$(xenstore-read $be/$FD/0/state) = 4 ] && [ \$(xenstore-read /local/domain/$FD/device/vif/0/state) = 4 ]"
t_not "deleted tap: the netfront never saw the backend close" grep -q "backend state Clos" "$FLOG"
t_eq "deleted tap: counted (interface_remakes)" "$(xvifd_counter "xvif${FD}i0" interface_remakes)" 1
t_ok "deleted tap: made again with the toolstack's mtu" \
    sh -c "ip -n $DOM0_NS link show xvif${FD}i0 | grep -q ' mtu 4000 '"
t_eq "deleted tap: ... which xvifctl shows" \
    "$("$BUILD/xvifctl" --sim-dir "$SIM_DIR" --json show "xvif${FD}i0" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["vifs"][0]["mtu"])')" 4000
# The guest sends on into the new interface, down until the admin says.
ip netns exec "$FNS" ping -c 20 -i 0.05 -W 1 -q 169.254.30.1 >/dev/null 2>&1 &
pinger=$!
busy=$(busy_pct "$XVIFD_PID" 3)
wait $pinger
[ "$busy" -lt 5 ] && t_pass "deleted tap: xvifd does not spin (${busy}% CPU)" ||
	t_fail "deleted tap: xvifd does not spin" "${busy}% CPU"
ip -n "$DOM0_NS" addr add 169.254.30.1/24 dev "xvif${FD}i0"
ip -n "$DOM0_NS" link set "xvif${FD}i0" up
t_ok "deleted tap: traffic again on the same connection, once it is addressed" \
    ip netns exec "$FNS" ping -c 2 -i 0.2 -W 2 -q 169.254.30.1
good_pings "deleted tap"
# Deleted again at once (something on the host deleting it in a loop):
# the vif fails, once, and a Linux netfront stays Closed.
fe_up 29 --
t_ok "deleted again at once: guest up first" t_wait 10 state_is "$be/$FD/0" 4
ip -n "$DOM0_NS" link del "xvif${FD}i0"
t_wait 10 grep -q "xvif${FD}i0: interface xvif${FD}i0 lost under the guest, made again" "$T_DIR/xvifd.log" ||
	t_fail "deleted again at once: setup" "not made again: $(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -3)"
ip -n "$DOM0_NS" link del "xvif${FD}i0"
t_wait 10 grep -q "xvif${FD}i0: fatal error, disabling vif: interface xvif${FD}i0: .*(lost again less than 10 s after it was made again)" \
    "$T_DIR/xvifd.log" &&
	t_pass "deleted again at once: the vif fails, saying why" ||
	t_fail "deleted again at once: the vif fails" "$(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -3)"
t_ok "deleted again at once: the error node says so" t_wait 10 sh -c \
    "xenstore-read $be/$FD/0/error | grep -q 'interface xvif${FD}i0: '"
t_ok "deleted again at once: the netfront is closed, and stays so" \
    t_wait 10 grep -q "closed by the backend: staying Closed" "$FLOG"
t_eq "deleted again at once: not made a third time" \
    "$(xvifd_counter "xvif${FD}i0" interface_remakes)" 1
t_not "deleted again at once: no interface left behind" ip -n "$DOM0_NS" link show "xvif${FD}i0"
good_pings "deleted again at once"

# Deleted between two connections of a 2-queue guest, when no queue
# reads it: the next connect's second queue attached by name made a new,
# ownerless TAP of that name (any local user could open it) and carried
# its share of the guest's frames there.  Now that queue finds the TAP
# lost, and the connect makes the interface again and tries once more.
fe_up 50 --queues 2 --
addr_up 50
t_ok "deleted between connects: 2-queue guest up first" \
    ip netns exec "$FNS" ping -c 2 -i 0.2 -W 2 -q 169.254.50.1
kill -TERM "$FPID"; wait "$FPID" 2>/dev/null
t_wait 10 state_is "$be/$FD/0" 6
ip -n "$DOM0_NS" link del "xvif${FD}i0"
"$SIM" netfront --dir "$SIM_DIR" "$FD" 0 --netns "$FNS" --queues 2 >>"$FLOG" 2>&1 &
FPID=$!
t_cleanup_add "w_stop $FPID 0"
t_ok "deleted between connects: the second queue is refused, not put on a new TAP" \
    t_wait 10 grep -q "xvif${FD}i0: queue 1: interface xvif${FD}i0: No such device" "$T_DIR/xvifd.log"
t_ok "deleted between connects: the connect makes the interface again" \
    t_wait 15 grep -q "xvif${FD}i0: interface xvif${FD}i0 made again" "$T_DIR/xvifd.log"
t_wait 10 state_is "$be/$FD/0" 4
t_ok "deleted between connects: the interface is the vif's, persistent" \
    sh -c "ip -n $DOM0_NS -d link show xvif${FD}i0 | grep -q 'persist on'"
ip -n "$DOM0_NS" addr add 169.254.50.1/24 dev "xvif${FD}i0"
ip -n "$DOM0_NS" link set "xvif${FD}i0" up
ip -n "$FNS" addr replace 169.254.50.2/24 dev eth0
ip -n "$FNS" link set eth0 up
t_ok "deleted between connects: traffic again through the interface" \
    ip netns exec "$FNS" ping -c 4 -i 0.2 -W 2 -q 169.254.50.1
good_pings "deleted between connects"
# ... and of a one-queue guest: its queue is the dead TAP itself, which
# the connect takes and its first read finds lost: made again, and the
# backend goes on to Connected.
fe_up 51 --
addr_up 51
kill -TERM "$FPID"; wait "$FPID" 2>/dev/null
t_wait 10 state_is "$be/$FD/0" 6
ip -n "$DOM0_NS" link del "xvif${FD}i0"
"$SIM" netfront --dir "$SIM_DIR" "$FD" 0 --netns "$FNS" >>"$FLOG" 2>&1 &
FPID=$!
t_cleanup_add "w_stop $FPID 0"
t_ok "deleted between connects, one queue: made again" \
    t_wait 15 grep -q "xvif${FD}i0: interface xvif${FD}i0 made again" "$T_DIR/xvifd.log"
t_ok "deleted between connects, one queue: backend Connected" t_wait 10 state_is "$be/$FD/0" 4
ip -n "$DOM0_NS" addr add 169.254.51.1/24 dev "xvif${FD}i0"
ip -n "$DOM0_NS" link set "xvif${FD}i0" up
t_wait 10 ip -n "$FNS" link show eth0
ip -n "$FNS" addr replace 169.254.51.2/24 dev eth0
ip -n "$FNS" link set eth0 up
t_ok "deleted between connects, one queue: traffic through the new interface" \
    ip netns exec "$FNS" ping -c 4 -i 0.2 -W 2 -q 169.254.51.1

# -- 3. Frames and MTUs no ring can carry.
# A TAP takes an MTU of up to 65521; a packet socket may send it a frame
# of MTU + 14 + 4 if it carries an 802.1Q tag: 65539 bytes, more than
# any ring carries (65535).
g1=xvif${GUEST_DOM[1]}i0
ip -n "$DOM0_NS" link set "$g1" mtu 65521
{ printf '\000\026\076\001\000\001\000\026\076\002\000\001\201\000\000\005\210\265'
  head -c $((65539 - 18)) /dev/zero; } >"$T_DIR/big.frame"
fe_bytes() {	# guest 1's netfront: bytes it received so far
	local n
	n=$(grep -c 'rx_bytes=' "$T_DIR/fe1.log")
	kill -USR1 "${GUEST_FE[1]}"
	t_wait 5 sh -c "[ \$(grep -c 'rx_bytes=' '$T_DIR/fe1.log') -gt $n ]"
	grep 'rx_bytes=' "$T_DIR/fe1.log" | tail -1 | grep -o ' rx_bytes=[0-9]*' | cut -d= -f2
}
fb=$(fe_bytes)
before=$(xvifd_counter "$g1" rx_oversize_drops)
ip netns exec "$DOM0_NS" socat -u -b 70000 "OPEN:$T_DIR/big.frame" "INTERFACE:$g1" ||
	t_fail "oversize: setup" "socat could not send the frame"
t_eq "oversize: a 65539-byte frame is dropped and counted" \
    "$(xvifd_counter "$g1" rx_oversize_drops)" $((before + 1))
fb2=$(fe_bytes)
[ $((fb2 - fb)) -lt 60000 ] && t_pass "oversize: no part of it reached the guest" ||
	t_fail "oversize: no part of it reached the guest" "$((fb2 - fb)) bytes arrived"
t_ok "oversize: the guest saw no bad frame" sh -c \
    "grep 'rx_errors=' '$T_DIR/fe1.log' | tail -1 | grep -q ' rx_errors=0 '"
ip -n "$DOM0_NS" link set "$g1" mtu 1500
good_pings oversize

fe_up 31 -- mtu=65521
t_eq "mtu: the toolstack's 65521 is held to 65517" \
    "$(ip -n "$DOM0_NS" -o link show "xvif${FD}i0" | grep -o 'mtu [0-9]*')" "mtu 65517"
kill -TERM "$FPID"
fe_up 32 --no-sg -- mtu=9000
t_wait 10 state_is "$be/$FD/0" 4
t_eq "mtu: 1500 once a frontend without feature-sg connects" \
    "$(ip -n "$DOM0_NS" -o link show "xvif${FD}i0" | grep -o 'mtu [0-9]*')" "mtu 1500"
# An admin raising it again by hand: frames of more than a page still
# never reach that frontend as a multi-slot chain (NetBSD's xvif sent
# them); they are dropped and counted.
addr_up 32
ip -n "$DOM0_NS" link set "xvif${FD}i0" mtu 9000
ip -n "$DOM0_NS" neigh replace 169.254.32.2 lladdr 00:16:3e:20:00:01 dev "xvif${FD}i0" nud permanent
ip netns exec "$DOM0_NS" ping -c 3 -i 0.2 -W 1 -s 6000 -q 169.254.32.2 >/dev/null 2>&1
t_eq "no sg: frames of more than a page dropped and counted" \
    "$(xvifd_counter "xvif${FD}i0" rx_too_big)" 3
kill -USR1 "$FPID"
t_wait 5 grep -q 'rx_errors=' "$FLOG"
t_ok "no sg: the frontend never got a chain" sh -c \
    "grep 'rx_errors=' '$FLOG' | tail -1 | grep -q ' rx_errors=0 '"
t_ok "no sg: one-page frames still go" ip netns exec "$DOM0_NS" ping -c 2 -i 0.2 -W 2 -q 169.254.32.2
kill -TERM "$FPID"

# -- 4. One-way 8000-byte UDP at MTU 9000, 20 s: a guest that posted too
# few slots for the next frame must still wake us when it posts more.
fe_up 33 -- mtu=9000
addr_up 33
ip netns exec "$FNS" ip link set eth0 mtu 9000
t_ok "lost wakeup: ping at mtu 9000, replies intact" \
	ping_intact ip netns exec "$DOM0_NS" ping -c 2 -i 0.2 -W 2 -s 8000 -p c35a 169.254.33.2
# Small frames beside the big ones make the guest post odd numbers of
# slots, so that one slot is posted when a big frame needs two.
ip netns exec "$DOM0_NS" timeout 20 socat -u -b 8000 OPEN:/dev/zero \
    UDP-SENDTO:169.254.33.2:9 >/dev/null 2>&1 &
sender=$!
ip netns exec "$DOM0_NS" timeout 20 socat -u -b 100 OPEN:/dev/zero \
    UDP-SENDTO:169.254.33.2:9 >/dev/null 2>&1 &
sender2=$!
# A lost wakeup stalls RX until the 10 s stall timer; a busy machine
# may leave a second empty now and then, never three in a row.
gaps=0 run=0 worst=0 prev=$(link_packets "$FNS" eth0 | cut -d' ' -f1)
for s in $(seq 1 19); do
	sleep 1
	cur=$(link_packets "$FNS" eth0 | cut -d' ' -f1)
	if [ "$cur" -gt "$prev" ]; then run=0; else
		gaps=$((gaps + 1)) run=$((run + 1))
		[ $run -gt $worst ] && worst=$run
	fi
	prev=$cur
done
wait $sender $sender2
kill -USR1 "$XVIFD_PID"; sleep 0.3
[ "$worst" -lt 3 ] &&
	t_pass "lost wakeup: guest RX never stops in 19 s of one-way UDP ($gaps empty seconds, at most $worst in a row)" ||
	t_fail "lost wakeup: guest RX never stops in 19 s of one-way UDP" \
	    "$gaps empty seconds, $worst in a row; $(grep "xvif${FD}i0: xvif${FD}i0 " "$T_DIR/xvifd.log" | tail -1)"
t_ok "lost wakeup: xvifd alive" kill -0 "$XVIFD_PID"
kill -TERM "$FPID"

# -- 5. A guest that posts no RX buffer: its carrier goes off once (the
# stall), stays off while it sends, and its TX is not throttled.
fe_up 34 --misbehave no-rx-slots --
addr_up 34
dmac=$(ip -n "$DOM0_NS" -o link show "xvif${FD}i0" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ip -n "$FNS" neigh replace 169.254.34.1 lladdr "$dmac" dev eth0 nud permanent
ip netns exec "$DOM0_NS" ping -c 3 -i 0.2 -W 1 -q 169.254.34.2 >/dev/null 2>&1
t_wait 20 grep -q "xvif${FD}i0: guest rx stalled" "$T_DIR/xvifd.log" &&
	t_pass "starved rx: the stall is detected" ||
	t_fail "starved rx: the stall is detected" "$(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -2)"
a=$(link_packets "$DOM0_NS" "xvif${FD}i0" | cut -d' ' -f1)
ip netns exec "$FNS" timeout 3 socat -u -b 64 OPEN:/dev/zero \
    UDP-SENDTO:169.254.34.1:9 >/dev/null 2>&1
b=$(link_packets "$DOM0_NS" "xvif${FD}i0" | cut -d' ' -f1)
# Throttled, it moved about 75 frames a second; unthrottled, thousands.
[ $((b - a)) -gt 3000 ] && t_pass "starved rx: guest tx not throttled ($((b - a)) frames in 3 s)" ||
	t_fail "starved rx: guest tx not throttled" "$((b - a)) frames in 3 s"
t_ok "starved rx: carrier still off after the guest sent" sh -c \
    "ip -n $DOM0_NS link show xvif${FD}i0 | grep -q NO-CARRIER"
t_not "starved rx: no 'guest rx ready' without a posted slot" \
    grep -q "xvif${FD}i0: guest rx ready" "$T_DIR/xvifd.log"
t_eq "starved rx: one stall" "$(xvifd_counter "xvif${FD}i0" rx_stalls)" 1
kill -TERM "$FPID"
good_pings "starved rx"

# A guest that stalls (no slot for 10 s) with two big frames for it
# (8000 bytes at MTU 9000: 2 slots each), then posts one slot at a time
# (--rx-slots 1).  One slot is what a stalled guest is asked for and
# what makes it ready, even with the second big frame held for two: the
# stall's end was asked at the frame's need, and the guest was not heard.
# That frame, which never gets its slots, is dropped 10 s on and said,
# the small frames queued behind it go, and it is no second stall
# (carrier off, 10 s more without frames): Linux stalls a guest with no
# slot at all, and drops a frame that waited too long.
fe_up 47 --misbehave no-rx-slots --rx-slots 1 -- mtu=9000
# No IPv6: the host's router solicitations and reports would queue
# behind the big frames (and be what the stall drops), and the guest's,
# sent on the channel its slots are told on, would wake RX.
ip netns exec "$DOM0_NS" sysctl -qw "net.ipv6.conf.xvif${FD}i0.disable_ipv6=1"
ip netns exec "$FNS" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
jumbo_up 47
ip netns exec "$DOM0_NS" ping -c 2 -i 0.2 -W 1 -s 8000 -q 169.254.47.2 >/dev/null 2>&1
t_wait 20 grep -q "xvif${FD}i0: guest rx stalled" "$T_DIR/xvifd.log" ||
	t_fail "too few slots: setup" "no stall: $(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -2)"
kill -USR2 "$FPID"
t_wait 10 grep -q "posting rx buffers from now on" "$FLOG" ||
	t_fail "too few slots: setup" "the guest did not post: $(tail -2 "$FLOG")"
t_wait 3 grep -q "xvif${FD}i0: guest rx ready" "$T_DIR/xvifd.log" &&
	t_pass "too few slots: a stalled guest posting one slot is ready at once, a frame of two held" ||
	t_fail "too few slots: a stalled guest posting one slot is ready at once, a frame of two held" \
	    "$(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -2)"
big_frame_dropped "too few slots" 47
t_ok "too few slots: and the next at once" ip netns exec "$DOM0_NS" \
    ping -c 2 -i 0.2 -W 1 -q 169.254.47.2
t_eq "too few slots: no second stall" "$(xvifd_counter "xvif${FD}i0" rx_stalls)" 1
t_not "too few slots: carrier on" sh -c \
    "ip -n $DOM0_NS link show xvif${FD}i0 | grep -q NO-CARRIER"
kill -TERM "$FPID"
# The same for a guest that never notifies (no feature-rx-notify), which
# xvifd polls: the frame that never fits was held for ever, and nothing
# reached it again.  Dropped after 10 s; such a guest is never stalled.
fe_up 48 --no-rx-notify --rx-slots 1 -- mtu=9000
jumbo_up 48
t_ok "polled, too few slots: small frames go" ip netns exec "$DOM0_NS" \
    ping -c 2 -i 0.2 -W 1 -q 169.254.48.2
ip netns exec "$DOM0_NS" ping -c 1 -W 1 -s 8000 -q 169.254.48.2 >/dev/null 2>&1
big_frame_dropped "polled, too few slots" 48
t_eq "polled, too few slots: never stalled" "$(xvifd_counter "xvif${FD}i0" rx_stalls)" 0
# The frames queued behind a frame that never fits waited with it: those
# that do not fit either are dropped at once, not one a wait (tun's queue
# of 500 frames stayed full, and a guest that posted enough later got
# frames minutes old); those that fit go (the small frames above).
c0=$(xvifd_counter "xvif${FD}i0" rx_no_slot_drops)
n0=$(grep -c "xvif${FD}i0: rx: a frame of 2 slots dropped: fewer posted for 10 s" "$T_DIR/xvifd.log")
sent=$(ip netns exec "$DOM0_NS" timeout 10 ping -c 50 -i 0.01 -W 1 -s 8000 -q 169.254.48.2 2>&1 |
	awk '/transmitted/ { print $1 }')
sent=${sent:-0}
# The first held a wait, then dropped with all behind it: a wait, not 50.
t_wait 15 sh -c "[ \$(grep -c 'xvif${FD}i0: rx: a frame of 2 slots dropped: fewer posted for 10 s' '$T_DIR/xvifd.log') -gt $n0 ]" ||
	t_fail "polled, too few slots: setup" "the first not dropped: $(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -2)"
sleep 1
c=$(xvifd_counter "xvif${FD}i0" rx_no_slot_drops)
[ -n "$c0" ] && [ "$sent" -ge 45 ] && [ "${c:-0}" -ge $((c0 + sent - 2)) ] &&
	t_pass "polled, too few slots: the big frames queued behind it dropped with it ($c0 -> $c rx_no_slot_drops, $sent sent)" ||
	t_fail "polled, too few slots: the big frames queued behind it dropped with it" \
	    "rx_no_slot_drops ${c0:-none} -> ${c:-none}, $sent sent"
t_ok "polled, too few slots: small frames go after it" ip netns exec "$DOM0_NS" \
    ping -c 2 -i 0.2 -W 1 -q 169.254.48.2
kill -TERM "$FPID"

# A guest stalled a wait (10 s) ago: the frames queued for it in its TAP
# came before its carrier went off, and have waited as long as Linux lets
# a frame wait (rx_drain_timeout, then it drops them all).  Dropped all
# at once, said and counted; they went one a wait, so that a guest back
# after minutes was fed frames minutes old.
fe_up 49 --misbehave no-rx-slots --
ip netns exec "$DOM0_NS" sysctl -qw "net.ipv6.conf.xvif${FD}i0.disable_ipv6=1"
ip netns exec "$FNS" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
addr_up 49
ip -n "$DOM0_NS" neigh replace 169.254.49.2 lladdr 00:16:3e:31:00:01 \
    dev "xvif${FD}i0" nud permanent
# Sent into the TAP: the first held, the rest queued.  (Not the TAP's TX
# count: tun counts a frame there when it is read.)
sent=$(ip netns exec "$DOM0_NS" timeout 5 ping -c 100 -i 0.01 -W 1 -q 169.254.49.2 2>&1 |
	awk '/transmitted/ { print $1 }')
sent=${sent:-0}
t_wait 20 grep -q "xvif${FD}i0: guest rx stalled" "$T_DIR/xvifd.log" ||
	t_fail "stale backlog: setup" "no stall: $(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -2)"
if t_wait 15 grep -q "xvif${FD}i0: rx: [0-9]* frames dropped: queued for a stalled guest for 10 s" \
    "$T_DIR/xvifd.log"; then
	n=$(grep -o "xvif${FD}i0: rx: [0-9]* frames dropped" "$T_DIR/xvifd.log" | tail -1 | cut -d' ' -f3)
	# All but the frame dropped at the stall itself.
	[ "$sent" -ge 90 ] && [ "$n" -ge $((sent - 3)) ] &&
		t_pass "stale backlog: dropped at once a wait after the stall ($n of $sent), and said" ||
		t_fail "stale backlog: dropped at once a wait after the stall, and said" "$n of $sent"
else
	t_fail "stale backlog: dropped at once a wait after the stall, and said" \
	    "$(grep "xvif${FD}i0" "$T_DIR/xvifd.log" | tail -2)"
fi
c=$(xvifd_counter "xvif${FD}i0" rx_no_slot_drops)
[ "${c:-0}" -ge $((sent - 2)) ] && t_pass "stale backlog: counted (rx_no_slot_drops $c)" ||
	t_fail "stale backlog: counted" "rx_no_slot_drops ${c:-none}"
kill -USR2 "$FPID"
t_wait 10 grep -q "xvif${FD}i0: guest rx ready" "$T_DIR/xvifd.log" ||
	t_fail "stale backlog: setup" "the guest did not come back: $(tail -2 "$FLOG")"
sleep 1
g=$(link_packets "$FNS" eth0 | cut -d' ' -f1)
[ "${g:-99}" -le 2 ] && t_pass "stale backlog: the guest back gets none of it ($g frames)" ||
	t_fail "stale backlog: the guest back gets none of it" "${g:-no} frames"
t_ok "stale backlog: and what comes now" ip netns exec "$DOM0_NS" \
    ping -c 2 -i 0.2 -W 1 -q 169.254.49.2
kill -TERM "$FPID"

# A guest slower than its host (--rx-slots 8: 8 RX slots a millisecond at
# most) under a flood for 12 s, past XVIF_RX_STALL_MS: its ring runs dry again
# and again while it takes frames all along, which is no stall (Linux
# measures one from the last frame delivered).  The stall clock ran from
# the first dry ring of the stream: a false "guest rx stalled", carrier
# off and the held frame dropped, 10 s into any long transfer to a slow
# guest.
fe_up 45 --rx-slots 8 --
addr_up 45
ip -n "$DOM0_NS" neigh replace 169.254.45.2 lladdr 00:16:3e:2d:00:01 dev "xvif${FD}i0" nud permanent
ip netns exec "$DOM0_NS" timeout 12 socat -u -b 1400 OPEN:/dev/zero \
    UDP-SENDTO:169.254.45.2:9 >/dev/null 2>&1
w=$(xvifd_counter "xvif${FD}i0" rx_slot_waits) f=$(xvifd_counter "xvif${FD}i0" rx_frames)
[ "${w:-0}" -gt 10 ] && [ "${f:-0}" -gt 1000 ] &&
	t_pass "slow guest, 12 s of flood: its ring ran dry $w times, $f frames taken" ||
	t_fail "slow guest, 12 s of flood: its ring ran dry, frames taken" "slot waits ${w:-none}, frames ${f:-none}"
t_eq "slow guest, 12 s of flood: no stall" "$(xvifd_counter "xvif${FD}i0" rx_stalls)" 0
t_not "slow guest, 12 s of flood: no 'guest rx stalled'" \
    grep -q "xvif${FD}i0: guest rx stalled" "$T_DIR/xvifd.log"
t_not "slow guest, 12 s of flood: carrier on" sh -c \
    "ip -n $DOM0_NS link show xvif${FD}i0 | grep -q NO-CARRIER"
kill -TERM "$FPID"
# The same slow guest storming its one channel while its TX waits for
# rate credit: a notification that finds only that wait holds the
# channel masked until the credit comes (vif_evt_hold, XSA-332), and RX
# running dry after it waited with it for the guest's "slots posted":
# a burst of 100 frames went 8 a credit interval (1 s).  RX coming to
# wait lets it go: the burst is the guest's in a few tens of ms.
fe_up 46 --misbehave event-storm --rx-slots 8 -- rate=10Kb/s@1s
addr_up 46
ip -n "$DOM0_NS" neigh replace 169.254.46.2 lladdr 00:16:3e:2e:00:01 dev "xvif${FD}i0" nud permanent
ip netns exec "$FNS" ping -c 20 -i 0.2 -s 1400 -W 1 -q 169.254.46.1 >/dev/null 2>&1 &
pinger=$!
t_cleanup_add "kill $pinger 2>/dev/null"
sleep 1
f0=$(xvifd_counter "xvif${FD}i0" rx_frames)
head -c 140000 /dev/zero | ip netns exec "$DOM0_NS" socat -u -b 1400 STDIN \
    UDP-SENDTO:169.254.46.2:9
t1=$((SECONDS + 3))
while f=$(xvifd_counter "xvif${FD}i0" rx_frames); [ "${f:-0}" -lt $((f0 + 100)) ] &&
    [ $SECONDS -lt $t1 ]; do
	sleep 0.1
done
t_ok "slow guest storming, TX waiting for credit: a burst of 100 frames taken within 3 s ($((f - f0)))" \
	test "${f:-0}" -ge $((f0 + 100))
rw=$(xvifd_counter "xvif${FD}i0" tx_rate_waits)
t_ok "slow guest storming, TX waiting for credit: it waited ($rw times)" test "${rw:-0}" -gt 0
wait "$pinger"
kill -TERM "$FPID"

# -- 6. An event storm: notifications with no work behind them are
# answered with a growing back-off (Linux's spurious-event lateeoi), so
# the storming vif costs the daemon next to nothing.
fe_up 36 --misbehave event-storm --
t_wait 10 grep -q "notifying 50 times" "$FLOG" ||
	t_fail "event storm: setup" "no storm: $(tail -3 "$FLOG")"
sleep 1
busy=$(busy_pct "$XVIFD_PID" 3)
[ "$busy" -lt 5 ] && t_pass "event storm: xvifd stays idle (${busy}% CPU)" ||
	t_fail "event storm: xvifd stays idle" "${busy}% CPU"
sp=$(xvifd_counter "xvif${FD}i0" events_spurious)
ei=$(xvifd_counter "xvif${FD}i0" events_in)
[ "${sp:-0}" -gt 3 ] && [ "$ei" -lt 1000 ] &&
	t_pass "event storm: spurious events counted ($sp), few let in ($ei)" ||
	t_fail "event storm: spurious events counted, few let in" "spurious ${sp:-none}, in $ei"
tcp_check "event storm: the good guest moves data intact" "${GUEST_NS[1]}" "$DOM0_NS" 169.254.1.1 8
kill -TERM "$FPID"
# The storm while the guest's TX waits for credit (10 kbit/s, frames of
# 1.4 kB queued behind it): requests waiting are no spurious event, and
# each notification was let in at once (17 k in 3 s in a review); now
# the TX channel stays masked until the credit comes, as Linux holds its
# late EOI while a queue is rate-limited, and the rest is backed off:
# a shared channel, and split ones stormed in turn (RX's notifications
# found nothing either: backed off, not let in for TX's wait).  A rate
# of nothing (1 B/s every 100 ms is 0 bytes an interval, as xl rounds
# it) arms no credit timer: the shared channel is then not held but
# backed off, and no frame goes.
k=40
for ch in shared split nothing; do
	k=$((k + 1))
	case $ch in
	split) fe_up $k --misbehave event-storm --split-evtchn -- rate=10Kb/s@1s ;;
	nothing) fe_up $k --misbehave event-storm --shared-evtchn -- rate=1B/s@100ms ;;
	*) fe_up $k --misbehave event-storm --shared-evtchn -- rate=10Kb/s@1s ;;
	esac
	addr_up $k
	ip netns exec "$FNS" ping -c 20 -i 0.2 -s 1400 -W 1 -q "169.254.$k.1" >/dev/null 2>&1 &
	pinger=$!
	t_cleanup_add "kill $pinger 2>/dev/null"
	sleep 1
	ei0=$(xvifd_counter "xvif${FD}i0" events_in) tx0=$(xvifd_counter "xvif${FD}i0" tx_frames)
	sleep 3
	ei=$(xvifd_counter "xvif${FD}i0" events_in) tx=$(xvifd_counter "xvif${FD}i0" tx_frames)
	rw=$(xvifd_counter "xvif${FD}i0" tx_rate_waits)
	what="$ch channel"
	[ $ch = nothing ] && what="rate of nothing, shared channel"
	t_ok "storm while TX waits for credit, $what: it waited ($rw times)" test "${rw:-0}" -gt 0
	t_ok "storm while TX waits for credit, $what: few events let in ($((ei - ei0)) in 3 s)" \
		test $((ei - ei0)) -lt 200
	if [ $ch = nothing ]; then
		t_eq "storm while TX waits for credit, rate of nothing: no frame goes" $((tx - tx0)) 0
		t_ok "storm while TX waits for credit, rate of nothing: the rate is 0 bytes" \
			grep -q "xvif${FD}i0: guest TX rate: 0 bytes every 100000 us" "$T_DIR/xvifd.log"
	else
		t_ok "storm while TX waits for credit, $ch channel: frames still go, at the rate ($((tx - tx0)) in 3 s)" \
			test $((tx - tx0)) -ge 1 -a $((tx - tx0)) -le 6
	fi
	wait "$pinger"
	kill -TERM "$FPID"
done
# The same storm dressed up as work: RX slots posted and taken back
# before each notification (nothing waits for them: they are no work,
# as in Linux's lateeoi), and the TX ring's rsp_prod put one behind ours
# with rsp_event at it, which made every push of no new response notify.
fe_up 38 --misbehave rx-post-storm --
t_wait 10 grep -q "rx producer moving" "$FLOG" ||
	t_fail "rx-post storm: setup" "no storm: $(tail -3 "$FLOG")"
sleep 1
eo0=$(xvifd_counter "xvif${FD}i0" events_out)
busy=$(busy_pct "$XVIFD_PID" 3)
[ "$busy" -lt 5 ] && t_pass "rx-post storm: xvifd stays idle (${busy}% CPU)" ||
	t_fail "rx-post storm: xvifd stays idle" "${busy}% CPU"
sp=$(xvifd_counter "xvif${FD}i0" events_spurious)
ei=$(xvifd_counter "xvif${FD}i0" events_in)
eo=$(xvifd_counter "xvif${FD}i0" events_out)
[ "${sp:-0}" -gt 3 ] && [ "$ei" -lt 1000 ] &&
	t_pass "rx-post storm: spurious events counted ($sp), few let in ($ei)" ||
	t_fail "rx-post storm: spurious events counted, few let in" "spurious ${sp:-none}, in $ei"
# (The guest's own IPv6 chatter is answered: a few.)
t_ok "rx-post storm: no notification back for nothing ($eo0 -> $eo)" test "$eo" -le $((eo0 + 20))
t_ok "rx-post storm: the vif is not failed" state_is "$be/$FD/0" 4
# ... and with a frame held for it: 5000 bytes, two slots, where the
# guest posts one and moves it back and forth (a slot short each time).
# No other frame may take that slot: no IPv6, no ARP on the xvif.
ip netns exec "$DOM0_NS" sysctl -qw "net.ipv6.conf.xvif${FD}i0.disable_ipv6=1"
ip -n "$DOM0_NS" link set "xvif${FD}i0" mtu 9000
ip -n "$DOM0_NS" addr add 169.254.38.1/24 dev "xvif${FD}i0"
ip -n "$DOM0_NS" link set "xvif${FD}i0" up
ip -n "$DOM0_NS" neigh add 169.254.38.2 lladdr 00:16:3e:26:00:01 dev "xvif${FD}i0"
ip netns exec "$DOM0_NS" ping -c 1 -W 1 -s 5000 -q 169.254.38.2 >/dev/null 2>&1
for i in 1 2 3 4 5; do
	held=$(xvifd_counter "xvif${FD}i0" rx_slot_waits)
	[ "$held" = 1 ] && break
	sleep 0.5
done
t_eq "rx-post storm: a frame held for the guest's slots" "$held" 1
ei0=$(xvifd_counter "xvif${FD}i0" events_in)
sleep 3
ei=$(xvifd_counter "xvif${FD}i0" events_in)
t_ok "rx-post storm, a frame held: few events let in ($ei0 -> $ei in 3 s)" test $((ei - ei0)) -lt 100
t_ok "rx-post storm, a frame held: the vif is not failed" state_is "$be/$FD/0" 4
kill -TERM "$FPID"
# An honest guest's refills are work wherever its ring indices are: one
# whose indices are past 2^31 (a long-lived frontend, as a restarted
# xvifd re-attaches to it), split channels, telling of every refill
# (asked or not, as the protocol allows), bulk TCP to it.  The furthest
# RX producer seen once started at 0, 2^31 behind: every refill counted
# spurious, the RX channel backed off up to a second at a time.
fe_up 40 --split-evtchn --ring-index 2415919104 --rx-kick --
addr_up 40
t_ok "ring indices past 2^31: the guest's rings start there" t_wait 10 grep -q "ring indices from 2415919104" "$FLOG"
t_ok "ring indices past 2^31: connected, split channels" t_wait 10 grep -q \
	"xvif${FD}i0: connected (tx ring [0-9]*, rx ring [0-9]*, event channels [0-9]*/[0-9]*" "$T_DIR/xvifd.log"
tcp_check "ring indices past 2^31: TCP to the guest intact" "$DOM0_NS" "$FNS" 169.254.40.2 16
sp=$(xvifd_counter "xvif${FD}i0" events_spurious)
ei=$(xvifd_counter "xvif${FD}i0" events_in)
[ "$ei" -gt 0 ] && [ $((${sp:-0} * 10)) -le "$ei" ] &&
	t_pass "ring indices past 2^31: refills are work ($sp of $ei events spurious)" ||
	t_fail "ring indices past 2^31: refills are work" "spurious ${sp:-none} of ${ei:-none}"
kill -TERM "$FPID"

# -- 7. Restart in InitWait after the hotplug script renamed the interface
# and put it in a bridge: the restarted daemon takes that one over.
cat >"$T_DIR/hotplug" <<EOS
#!/bin/sh
[ "\$1" = online ] || exit 0
name=\$(xenstore-read "\$XENBUS_PATH/vifname") || exit 1
ip -n $DOM0_NS link show "\$name" >/dev/null 2>&1 && exit 1
ip -n $DOM0_NS link set "\$vif" name "\$name" || exit 1
ip -n $DOM0_NS link set "\$name" master xvbr0 up || exit 1
echo "\$vif -> \$name" >>"$T_DIR/hotplug.log"
EOS
chmod +x "$T_DIR/hotplug"
ip -n "$DOM0_NS" link add xvbr0 type bridge
ip -n "$DOM0_NS" addr add 169.254.35.1/24 dev xvbr0
ip -n "$DOM0_NS" link set xvbr0 up
d=$("$SIM" create --dir "$SIM_DIR" --name h35)
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:23:00:01 script="$T_DIR/hotplug" \
    >>"$T_DIR/tool.log" 2>&1 || t_fail "initwait restart: attach" "$(tail -2 "$T_DIR/tool.log")"
t_wait 10 grep -q "xvif${d}i0" "$T_DIR/hotplug.log" ||
	t_fail "initwait restart: setup" "the script did not run"
t_ok "initwait restart: backend InitWait, interface renamed and bridged" sh -c \
    "[ \$(xenstore-read $be/$d/0/state) = 2 ] && ip -n $DOM0_NS link show xvif${d}i0 | grep -q 'master xvbr0'"
kill -KILL "$XVIFD_PID"; wait "$XVIFD_PID" 2>/dev/null
mv "$T_DIR/xvifd.log" "$T_DIR/xvifd.log.1"
xvifd_start --no-hotplug-wait
# Its control socket answers for the vif once the vif is taken up (and
# its interface with it, or a second one made): then look.
t_ok "initwait restart: the vif taken up" \
	t_wait 10 "$PWD/$BUILD/xvifctl" --sim-dir "$SIM_DIR" show "xvif${d}i0"
t_not "initwait restart: no second interface vif$d.0" ip -n "$DOM0_NS" link show "vif$d.0"
t_ok "initwait restart: the bridged interface kept" sh -c \
    "ip -n $DOM0_NS link show xvif${d}i0 | grep -q 'master xvbr0'"
netns_add "$T_NS-h35"
"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$T_NS-h35" >"$T_DIR/fe-h35.log" 2>&1 &
t_cleanup_add "w_stop $! 0"
t_wait 15 state_is "$be/$d/0" 4
t_wait 15 ip -n "$T_NS-h35" link show eth0
ip -n "$T_NS-h35" addr add 169.254.35.2/24 dev eth0
ip -n "$T_NS-h35" link set eth0 up
t_ok "initwait restart: traffic through the bridge" \
    ip netns exec "$T_NS-h35" ping -c 2 -i 0.2 -W 2 -q 169.254.35.1
good_pings "initwait restart"
# ... restarted once more, Connected, its interface deleted while no
# xvifd ran: made again under its final name -- the script that renamed
# it ran once, at InitWait, and will not run again (it came back as
# vif<D>.<H>, for good).
kill -KILL "$XVIFD_PID"; wait "$XVIFD_PID" 2>/dev/null
ip -n "$DOM0_NS" link del "xvif${d}i0"
xvifd_start --no-hotplug-wait
t_ok "connected restart, interface gone: made again as xvif${d}i0" \
    t_wait 10 ip -n "$DOM0_NS" link show "xvif${d}i0"
t_not "... not as vif$d.0" ip -n "$DOM0_NS" link show "vif$d.0"
t_ok "... and connected again, the admin told it is new (no bridge port)" t_wait 10 \
    grep -q "xvif${d}i0: re-attached, to a new interface xvif${d}i0: its own was gone" "$T_DIR/xvifd.log"
good_pings "connected restart, interface gone"
# ... and one whose script did not rename it (not run yet, or one that
# does not): restarted past InitWait, its vif<D>.<H> is taken over -- not
# replaced by a new interface of the final name, and then deleted as an
# earlier vif's.
printf '#!/bin/sh\nexit 0\n' >"$T_DIR/noop"
chmod +x "$T_DIR/noop"
d2=$("$SIM" create --dir "$SIM_DIR" --name h39)
"$SIM" attach --dir "$SIM_DIR" "$d2" mac=00:16:3e:27:00:01 script="$T_DIR/noop" \
    >>"$T_DIR/tool.log" 2>&1 || t_fail "unrenamed: attach" "$(tail -2 "$T_DIR/tool.log")"
netns_add "$T_NS-h39"
"$SIM" netfront --dir "$SIM_DIR" "$d2" 0 --netns "$T_NS-h39" >"$T_DIR/fe-h39.log" 2>&1 &
t_cleanup_add "w_stop $! 0"
t_wait 15 state_is "$be/$d2/0" 4
t_ok "unrenamed: Connected as vif$d2.0" ip -n "$DOM0_NS" link show "vif$d2.0"
kill -KILL "$XVIFD_PID"; wait "$XVIFD_PID" 2>/dev/null
xvifd_start --no-hotplug-wait
t_ok "... restarted: re-attached to vif$d2.0" \
    t_wait 10 grep -q "xvif${d2}i0: re-attached to vif$d2.0" "$T_DIR/xvifd.log"
t_ok "... which is still there" ip -n "$DOM0_NS" link show "vif$d2.0"
t_not "... and no xvif${d2}i0 made" ip -n "$DOM0_NS" link show "xvif${d2}i0"

# -- 8. A guest that connects and fails in a loop (a driver reloaded over
# and over, a fatal request each time): its "connected" and "fatal error"
# lines, 10 of each per 10 s, no more, and how many were held back said
# with the next one.  The loop: netfronts in turn on one vif, each failing
# its first connect (then reloading its driver, connecting again, fine)
# before it is stopped.
t0=$SECONDS	# the first connect, fe_up's, opens the limiter's window
fe_up 37 --misbehave prod-overrun --reload-when-closed -- rate=100Mb/s antispoof=1 ip=169.254.37.2
pushed() { grep -c "misbehave prod-overrun: pushed" "$FLOG"; }
conns() { grep -c "state Connected: tx-ring-ref" "$FLOG"; }
one_more() {	# N: the Nth failing netfront, stopped once connected again
	t_wait 10 sh -c "[ \$(grep -c 'misbehave prod-overrun: pushed' $FLOG) -ge $1 ]" &&
		t_wait 10 state_is "$be/$FD/0" 4 || return 1
	kill -TERM "$FPID"; wait "$FPID" 2>/dev/null
	t_wait 10 state_is "$be/$FD/0" 6
}
one_more 1
for i in $(seq 2 13); do
	"$SIM" netfront --dir "$SIM_DIR" "$FD" 0 --netns "$FNS" --misbehave prod-overrun \
	    --reload-when-closed >>"$FLOG" 2>&1 &
	FPID=$!
	t_cleanup_add "w_stop $FPID 0"
	one_more "$i" || break
done
el=$((SECONDS - t0)) c=$(conns) f=$(pushed)
t_eq "reconnect loop: 13 netfronts, each failed once" "$i $f" "13 13"
if [ "$el" -lt 8 ] && [ "$c" -gt 10 ]; then
	t_eq "reconnect loop: $c connects in ${el} s, 10 'connected' lines" \
	    "$(grep -c "xvif${FD}i0: connected" "$T_DIR/xvifd.log")" 10
	t_eq "reconnect loop: ... and of $f fatal errors, 10 lines" \
	    "$(grep -c "xvif${FD}i0: fatal error" "$T_DIR/xvifd.log")" 10
else
	t_fail "reconnect loop: the loop" "$c connects in ${el} s: not more than 10 in 10 s"
fi
t_eq "reconnect loop: the rate and anti-spoofing said once, not at each connect" \
    "$(grep -c "xvif${FD}i0: guest TX rate" "$T_DIR/xvifd.log") $(grep -c "xvif${FD}i0: anti-spoofing" "$T_DIR/xvifd.log")" "1 1"
sleep $((el < 11 ? 11 - el : 0))
c=$(conns) f=$(pushed)	# every netfront so far stopped: their logs whole
"$SIM" netfront --dir "$SIM_DIR" "$FD" 0 --netns "$FNS" --misbehave prod-overrun \
    >>"$FLOG" 2>&1 &
t_cleanup_add "w_stop $! 0"
t_ok "reconnect loop: after 10 s, said again, with how many were held back" t_wait 10 sh -c \
    "grep -q 'xvif${FD}i0: connected .*) ($((c - 10)) more connects not logged)' '$T_DIR/xvifd.log' &&
     grep -q 'xvif${FD}i0: fatal error, disabling vif: .* ($((f - 10)) more fatal errors not logged)' '$T_DIR/xvifd.log'"
good_pings "reconnect loop"
t_ok "xvifd alive at the end" kill -0 "$XVIFD_PID"
t_done
