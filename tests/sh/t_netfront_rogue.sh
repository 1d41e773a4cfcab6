#!/bin/bash
# t_netfront_rogue.sh -- hostile guests: `xvif-sim netfront --misbehave
# MODE` against the real xvifd, one rogue guest per mode beside a good
# guest.  Each misbehaviour is done once, right after Connected; the test
# checks what the rogue netfront saw (error responses, or the backend
# failing its vif and taking it back on a reconnect), that the good guest
# is never hurt, and that the rogue works again afterwards where the
# protocol allows it.  Traffic stays on 169.254.0.0/16 inside namespaces
# created here.
. "$(dirname "$0")/lib.sh"
sim_host_start
DOM0_NS=$T_NS-d0
netns_add "$DOM0_NS"
xvifd_start --no-hotplug-wait
guest_up 1

# rogue_up K MODE: like guest_up, but the netfront misbehaves, and
# reloads its driver each time the backend closes it (a hostile guest
# tries again; Linux's would stay Closed).  Sets RD, RNS, RPID, RLOG.
rogue_up() {
	local k=$1 mode=$2 mac
	mac=$(printf '00:16:3e:%02x:00:01' "$k")
	RD=$("$SIM" create --dir "$SIM_DIR" --name "r$k") || {
		echo "FAIL $T_NAME: setup: create domain"; exit 1; }
	"$SIM" attach --dir "$SIM_DIR" "$RD" "mac=$mac" >>"$T_DIR/tool.log" 2>&1 || {
		echo "FAIL $T_NAME: setup: attach to domain $RD: $(tail -2 "$T_DIR/tool.log")"; exit 1; }
	RNS=$T_NS-r$k
	netns_add "$RNS"
	RLOG=$T_DIR/rogue-$mode.log
	"$SIM" netfront --dir "$SIM_DIR" "$RD" 0 --netns "$RNS" \
	    --misbehave "$mode" --reload-when-closed >"$RLOG" 2>&1 &
	RPID=$!
	t_cleanup_add "w_stop $RPID 0"
	t_wait 15 ip -n "$DOM0_NS" link show "xvif${RD}i0" || {
		echo "FAIL $T_NAME: setup: no xvif${RD}i0: $(tail -3 "$T_DIR/xvifd.log")"; exit 1; }
	t_wait 15 ip -n "$RNS" link show eth0 || {
		echo "FAIL $T_NAME: setup: no eth0 in rogue $mode: $(tail -3 "$RLOG")"; exit 1; }
	ip -n "$DOM0_NS" addr add "169.254.$k.1/24" dev "xvif${RD}i0"
	ip -n "$DOM0_NS" link set "xvif${RD}i0" up
	ip -n "$RNS" addr add "169.254.$k.2/24" dev eth0
	ip -n "$RNS" link set eth0 up
}

# rogue_down MODE: SIGTERM, a bounded wait, exit 0.
rogue_down() {
	kill -TERM "$RPID"
	if t_wait 15 sh -c "! kill -0 $RPID 2>/dev/null"; then
		wait "$RPID"
		t_eq "$1: rogue netfront exits 0 on SIGTERM" "$?" 0
	else
		t_fail "$1: rogue netfront exits 0 on SIGTERM" "still running"
	fi
}

good_pings() {
	t_ok "$1: the good guest is unharmed" ip netns exec "$DOM0_NS" \
	    ping -c 3 -i 0.2 -W 2 -q 169.254.1.2
}

rogue_pings() {
	if t_wait 15 ip netns exec "$RNS" ping -c 1 -W 1 -q "169.254.$1.1"; then
		t_pass "$2: the rogue guest works again"
	else t_fail "$2: the rogue guest works again" "$(tail -4 "$RLOG")"; fi
}

# expect MODE REGEX WHAT: the rogue's log says REGEX within 10 s.
expect() {
	if t_wait 10 grep -Eq "$2" "$RLOG"; then t_pass "$1: $3"
	else t_fail "$1: $3" "$(grep misbehave "$RLOG" | tr '\n' ' ')"; fi
}

# xvifd_says MODE REGEX WHAT: xvifd's log has "xvif<RD>i0: REGEX" within 10 s.
xvifd_says() {
	if t_wait ${4:-10} grep -Eq "xvif${RD}i0: $2" "$T_DIR/xvifd.log"; then
		t_pass "$1: xvifd: $3"
	else t_fail "$1: xvifd: $3" "$(grep "xvif${RD}i0" "$T_DIR/xvifd.log" | tail -3 | tr '\n' ' ')"; fi
}
# counter_is MODE NAME VALUE: xvifd's SIGUSR1 dump shows NAME=VALUE for the rogue.
counter_is() {
	local v
	v=$(xvifd_counter "xvif${RD}i0" "$2")
	if [ "$v" = "$3" ]; then
		t_pass "$1: counter $2=$3"
	else t_fail "$1: counter $2=$3" "$(grep "xvif${RD}i0: xvif${RD}i0 " "$T_DIR/xvifd.log" | tail -1)"; fi
}
declare -A SAYS=(
	[slots19]="tx id [0-9]+: packet with size [0-9]+ is more than 18 slots"
	[ungranted]="tx id [0-9]+: grant copy of ref [0-9]+: GNTST_general_error"
	[revoked]="tx id [0-9]+: grant copy of ref [0-9]+: GNTST_general_error"
	[page-overrun]="tx id [0-9]+: packet with size [0-9]+ is (fragment|first slot) runs past its page"
	[slots20]="tx id [0-9]+: packet with size [0-9]+ is more than 18 slots"
	[slots21]="fatal error, disabling vif: tx id [0-9]+: packet of more than 20 slots"
	[prod-overrun]="fatal error, disabling vif: tx ring: req_prod [0-9]+ is more than 256 past"
	[rx-prod-overrun]="fatal error, disabling vif: rx ring: req_prod [0-9]+ is more than 256 past"
	[csum-not-ip]="tx id [0-9]+: checksum offload: no TCP or UDP header found"
	[gso-not-tcp]="tx id [0-9]+: GSO TCPv4 on a frame that is not"
)
declare -A COUNTER=([slots19]=tx_bad_requests [slots20]=tx_bad_requests [ungranted]=tx_grant_errors
	[revoked]=tx_grant_errors [page-overrun]=tx_bad_requests [csum-not-ip]=tx_bad_requests
	[gso-not-tcp]=tx_bad_requests)

k=10
# Two requests in one grant-copy batch, the second never granted: every
# op's status is checked, not only the first's (NetBSD's xennetback_copy
# checked op 0 only): the good one is delivered, the bad one answered
# with an error.
k=$((k + 1))
rogue_up $k ungranted-second
expect ungranted-second "misbehave ungranted-second: responses: 1 NETIF_RSP_OKAY, 1 NETIF_RSP_ERROR" \
    "the good request delivered, the ungranted one refused"
xvifd_says ungranted-second "${SAYS[ungranted]}" "logs why"
counter_is ungranted-second tx_grant_errors 1
good_pings ungranted-second
rogue_down ungranted-second

# Guest RX posting: a buffer on a grant never given costs that frame (an
# error response in its slot, counted), the next frames go on.
k=$((k + 1))
rogue_up $k rx-ungranted
expect rx-ungranted "misbehave rx-ungranted: posted" "says what it does"
ip netns exec "$DOM0_NS" ping -c 3 -i 0.2 -W 1 -q "169.254.$k.2" >/dev/null 2>&1
xvifd_says rx-ungranted "rx: grant copy to ref [0-9]+: GNTST_general_error" "logs why"
counter_is rx-ungranted rx_grant_errors 1
counter_is rx-ungranted rx_bad_requests 1
good_pings rx-ungranted
rogue_pings $k rx-ungranted
rogue_down rx-ungranted

# Bad packets: error responses for that packet only.  19 and 20 slots
# are dropped, as Linux does (more than 18, less than fatal_skb_slots);
# so are offloads on frames without the header they need.
for mode in slots19 slots20 ungranted revoked csum-not-ip gso-not-tcp; do
	k=$((k + 1))
	rogue_up $k $mode
	expect $mode "misbehave $mode: responses: 0 NETIF_RSP_OKAY" \
	    "no slot of the bad packet is accepted"
	t_not "$mode: the vif is not failed for it" \
	    grep -q "xvif${RD}i0: fatal error" "$T_DIR/xvifd.log"
	t_ok "$mode: still Connected" \
	    state_is "/local/domain/0/backend/vif/$RD/0" 4
	t_not "$mode: no reconnect" grep -q "state Connected: tx-ring-ref 10 " "$RLOG"
	xvifd_says $mode "${SAYS[$mode]}" "logs why"
	counter_is $mode "${COUNTER[$mode]}" 1
	good_pings $mode
	rogue_pings $k $mode
	rogue_down $mode
done

# page-overrun: Linux fails the vif, NetBSD and QEMU answer an error;
# either way nothing of it is delivered.
k=$((k + 1))
rogue_up $k page-overrun
expect page-overrun "misbehave page-overrun: (responses: 0 NETIF_RSP_OKAY|backend went Closing)" \
    "the slot is refused"
xvifd_says page-overrun "${SAYS[page-overrun]}" "logs why"
counter_is page-overrun tx_bad_requests 1
good_pings page-overrun
rogue_pings $k page-overrun
rogue_down page-overrun

# A broken ring: the backend fails the vif, the netfront reconnects with
# fresh rings (refs 10/11 of its partition), and it works again.
for mode in slots21 prod-overrun rx-prod-overrun reconnect; do
	k=$((k + 1))
	rogue_up $k $mode
	if [ $mode != reconnect ]; then
		expect $mode "misbehave $mode: backend went Closing" \
		    "the backend fails the vif"
		xvifd_says $mode "${SAYS[$mode]}" "logs why"
		t_ok "$mode: xvifd: error node written" sh -c \
		    "xenstore-read /local/domain/0/backend/vif/$RD/0/error | grep -q ."
	fi
	expect $mode "state Connected: tx-ring-ref 10 rx-ring-ref 11" \
	    "reconnected with fresh rings"
	good_pings $mode
	rogue_pings $k $mode
	rogue_down $mode
done

# A guest that never posts RX buffers: its frames are dropped, nobody
# else notices.
k=$((k + 1))
rogue_up $k no-rx-slots
expect no-rx-slots "misbehave no-rx-slots" "says what it does"
ip netns exec "$DOM0_NS" ping -c 3 -i 0.2 -W 1 -q "169.254.$k.2" >/dev/null 2>&1
t_not "no-rx-slots: the rogue receives nothing" \
    ip netns exec "$DOM0_NS" ping -c 1 -W 1 -q "169.254.$k.2"
good_pings no-rx-slots
kill -USR1 "$RPID"
expect no-rx-slots "rx_frames=0 " "counts no rx frame"
# One wait, however long: the frame held for the guest's slots.
counter_is no-rx-slots rx_slot_waits 1
# Stall detection: no slot for 10 s, carrier off (XSA-392).
xvifd_says no-rx-slots "guest rx stalled" "detects the stall" 20
t_ok "no-rx-slots: carrier off on the host interface" sh -c \
    "ip -n $DOM0_NS link show xvif${RD}i0 | grep -q NO-CARRIER"
counter_is no-rx-slots rx_stalls 1
good_pings no-rx-slots-stalled
rogue_down no-rx-slots

# A guest that posts no RX buffer, so xvifd holds the frame it read off
# the TAP, then reconnects with fresh rings: the held frame lived in the
# old connection's buffers and must never reach the new rings (xvifd once
# delivered it out of freed memory).  The netfront counts frames sent to
# a unicast MAC not its own; made-up bytes show up there.
k=$((k + 1))
rogue_up $k starve-reconnect
expect starve-reconnect "posting no rx buffers until SIGUSR2" "says what it does"
ip netns exec "$DOM0_NS" ping -c 3 -i 0.2 -W 1 -q "169.254.$k.2" >/dev/null 2>&1
kill -USR2 "$RPID"
expect starve-reconnect "closing to reconnect with rx buffers" "reconnects on SIGUSR2"
xvifd_says starve-reconnect "connected \\(tx ring" "connects the fresh rings"
rogue_pings $k starve-reconnect
kill -USR1 "$RPID"
t_wait 5 grep -q 'rx_foreign=' "$RLOG"
l=$(grep 'rx_foreign=' "$RLOG" | tail -1)
[[ $l =~ rx_frames=[1-9].*\ rx_foreign=0$ ]] &&
	t_pass "starve-reconnect: nothing from the starved rings reached the fresh ones" ||
	t_fail "starve-reconnect: nothing from the starved rings reached the fresh ones" "${l:-no counters}"
good_pings starve-reconnect
rogue_down starve-reconnect

# A frontend that says Initialised before it writes its keys (the
# protocol allows it; Linux netback only looks at Connected): waited
# for, then connected -- not failed for keys not there yet.
k=$((k + 1))
rogue_up $k initialised-early
expect initialised-early "misbehave initialised-early: backend InitWait after" \
    "the backend waits for the keys"
expect initialised-early "state Connected: tx-ring-ref 8 " "then connects"
# Then Initialising again, fresh rings: Initialised over the first
# connection's keys, which are not this one's.
expect initialised-early "state Connected: tx-ring-ref 10 " \
    "again, with fresh rings, not the first connection's keys"
t_eq "initialised-early: waited for both times" \
    "$(grep -c 'misbehave initialised-early: backend InitWait after' "$RLOG")" 2
t_not "initialised-early: no error node" \
    xenstore-read "/local/domain/0/backend/vif/$RD/0/error"
t_ok "initialised-early: backend Connected" \
    t_wait 10 state_is "/local/domain/0/backend/vif/$RD/0" 4
good_pings initialised-early
rogue_pings $k initialised-early
rogue_down initialised-early

# Ring refs and ports come back lowest-free: a frontend may connect over
# the same refs and channel as the connection before, on rings made
# again.  After a connect the backend failed as it connected (before it
# marked the rings: nothing to tell old keys by), then after a reinit
# from a connection that was up (the fresh ring lost the mark), the same
# keys said with Initialised are this connection's: connected, not
# waited on for ever.
k=$((k + 1))
rogue_up $k same-refs
expect same-refs "misbehave same-refs: .*backend went Closing with 1 request" \
    "the first connect is failed as it connects"
expect same-refs "state Initialised: tx-ring-ref 8 rx-ring-ref 9 event-channel" \
    "then Initialised over the same refs"
xvifd_says same-refs "connected( again)? \\(tx ring 8, rx ring 9" \
    "connects them after the failed connect"
t_wait 10 sh -c "[ \"\$(grep -c 'state Initialised: tx-ring-ref 8 rx-ring-ref 9 ' \"$RLOG\")\" = 2 ]"
t_eq "same-refs: reinit, Initialised over the same refs again" \
    "$(grep -c 'state Initialised: tx-ring-ref 8 rx-ring-ref 9 ' "$RLOG")" 2
t_ok "same-refs: connected twice over them" t_wait 10 sh -c \
    "[ \"\$(grep -Ec 'xvif${RD}i0: connected( again)? \\(tx ring 8, rx ring 9,' $T_DIR/xvifd.log)\" = 2 ]"
t_ok "same-refs: backend Connected" \
    t_wait 10 state_is "/local/domain/0/backend/vif/$RD/0" 4
t_ok "same-refs: frontend Connected" \
    t_wait 10 state_is "/local/domain/$RD/device/vif/0" 4
good_pings same-refs
rogue_pings $k same-refs
rogue_down same-refs

t_done
