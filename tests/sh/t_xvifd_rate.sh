#!/bin/bash
# Guest TX rate limiting.  `attach rate=10Mb/s` writes the backend's rate
# key as libxl does ("62500,50000": bytes every 50 ms), and xvifd limits
# the guest's TX to it with credit, as Linux netback: bulk TCP guest ->
# dom0 measures 9-11 Mbit/s, dom0 -> guest is not limited.  The key
# changed while the vif runs (as an admin would, xenstore-write) is
# picked up at once: 20 Mbit/s measures 18-22; removed, "0,0" or garbage
# (logged, once a value however often the guest reconnects) is no limit;
# 0 bytes stops the guest until the key changes.
# The guest cannot change its own key.  A 2-queue guest's queues each get
# the whole rate (Linux): 4 flows, 9-22.  About 30 s.
. "$(dirname "$0")/lib.sh"
command -v iperf3 >/dev/null || w_die "iperf3 missing (scripts/deps demo)"
sim_host_start
xvifd_start --no-hotplug-wait --max-queues 2
guest_up 1 rate=10Mb/s
GUEST_FE_ARGS="--queues 2" guest_up 2 rate=10Mb/s
if1=${GUEST_IF[1]} d1=${GUEST_DOM[1]} if2=${GUEST_IF[2]}
be1=/local/domain/0/backend/vif/$d1/0

# mbps K SECS [IPERF3-ARGS]: bulk TCP guest K -> dom0 (-R: dom0 -> guest)
# for SECS seconds; the receiver's Mbit/s, or "failed".
mbps() {
	local k=$1 secs=$2 port=$((5300 + RANDOM % 1000)) srv out=$T_DIR/iperf.out
	shift 2
	ip netns exec "$DOM0_NS" timeout $((secs + 20)) iperf3 -s -1 \
		-B "169.254.$k.1" -p "$port" >/dev/null 2>&1 &
	srv=$!
	t_wait 5 sh -c "ip netns exec $DOM0_NS ss -ltn | grep -q ':$port '"
	if ! ip netns exec "${GUEST_NS[$k]}" timeout $((secs + 20)) iperf3 \
		-c "169.254.$k.1" -p "$port" -t "$secs" -f m "$@" >"$out" 2>&1; then
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
		echo failed
		return
	fi
	wait "$srv" 2>/dev/null
	awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) }
		END { print v == "" ? "failed" : v }' "$out"
}
# within NAME MBPS LO HI: LO <= MBPS <= HI (HI "-": no bound).
within() {
	if [ "$2" != failed ] && awk -v v="$2" -v lo="$3" -v hi="$4" \
		'BEGIN { exit !(v >= lo && (hi == "-" || v <= hi)) }'; then
		t_pass "$1 ($2 Mbit/s)"
	else
		t_fail "$1" "$2 Mbit/s, want ${3}..${4/-/}"
	fi
}
# logged NAME TEXT: xvifd says TEXT (fixed string) within 5 s.
logged() {
	if t_wait 5 grep -qF -- "$2" "$T_DIR/xvifd.log"; then t_pass "$1"; else
		t_fail "$1" "not in xvifd's log: $2"
	fi
}
# set_rate NAME VALUE|- RATE: dom0 writes (or, "-", removes) guest 1's
# rate key; passes if xvifd logs "guest TX rate: RATE" once more within
# 5 s (each change is seen before the next is made).
set_rate() {
	local what="$if1: guest TX rate: $3" n
	n=$(grep -cF -- "$what" "$T_DIR/xvifd.log")
	if [ "$2" = - ]; then xenstore-rm "$be1/rate"; else
		xenstore-write "$be1/rate" "$2"; fi
	if t_wait 5 sh -c "[ \$(grep -cF -- '$what' '$T_DIR/xvifd.log') -gt $n ]"; then
		t_pass "$1"
	else
		t_fail "$1" "not logged again: $what"
	fi
}

t_eq "attach rate=10Mb/s: the key as libxl writes it" \
	"$(xenstore-read "$be1/rate")" 62500,50000
logged "xvifd reads it at connect" \
	"$if1: guest TX rate: 62500 bytes every 50000 us (10 Mbit/s)"
t_not "the guest cannot write its own rate key" \
	as_dom "$d1" xenstore-write "$be1/rate" 0,0

within "10 Mbit/s: guest -> dom0, 5 s" "$(mbps 1 5)" 9 11
waits=$(xvifd_counter "$if1" tx_rate_waits)
t_ok "tx_rate_waits counts the waits ($waits)" test "${waits:-0}" -gt 0
within "10 Mbit/s: dom0 -> guest is not limited" "$(mbps 1 3 -R)" 50 -

set_rate "a new key while running: read" 125000,50000 \
	"125000 bytes every 50000 us (20 Mbit/s)"
within "20 Mbit/s: guest -> dom0, 5 s" "$(mbps 1 5)" 18 22

kerr=$(xvifd_counter "$if1" key_errors)
set_rate "garbage: no limit" fast unlimited
logged "garbage: logged" "$if1: rate \"fast\" is not <bytes>,<usecs>: traffic unlimited"
t_eq_val "garbage: counted in key_errors" "$(xvifd_counter "$if1" key_errors)" "${kerr:+$((kerr + 1))}"
within "garbage: guest -> dom0 not limited" "$(mbps 1 2)" 50 -

r10="62500 bytes every 50000 us (10 Mbit/s)"
set_rate "10 Mbit/s again, before removing it" 62500,50000 "$r10"
set_rate "removed: no limit" - unlimited
within "removed: guest -> dom0 not limited" "$(mbps 1 2)" 50 -

set_rate "10 Mbit/s again, before \"0,0\"" 62500,50000 "$r10"
set_rate "\"0,0\": no limit" 0,0 unlimited
within "\"0,0\": guest -> dom0 not limited" "$(mbps 1 2)" 50 -

# A rate of nothing: guest TX holds (no timer to spin on) until the key
# changes, then what waited goes.
g1=${GUEST_NS[1]}
set_rate "0 bytes: read" 0,50000 "0 bytes every 50000 us (0 Mbit/s)"
t_not "0 bytes: the guest sends nothing" \
	ip netns exec "$g1" ping -c 2 -i 0.2 -W 1 -q 169.254.1.1
set_rate "10 Mbit/s after 0 bytes" 62500,50000 "$r10"
t_ok "0 bytes, then 10 Mbit/s: it sends again" \
	ip netns exec "$g1" ping -c 1 -W 2 -q 169.254.1.1

t_ok "guest 2 has 2 queues" grep -q "$if2: connected.* (2 queues" "$T_DIR/xvifd.log"
within "2 queues at 10 Mbit/s each: 4 flows, 3 s" "$(mbps 2 3 -P 4)" 9 22

# The key is read at every connect too, which the guest drives: a value
# that does not parse is said and counted once, not at each connect (a
# guest reconnecting in a loop flooded dom0's log with it).  A new value
# is said anew.
set_rate "garbage again" fast unlimited
n=$(grep -cF "$if1: rate \"fast\" is not" "$T_DIR/xvifd.log")
kerr=$(xvifd_counter "$if1" key_errors)
# (fe_restart: Closed, then a new "connected" logged for each.)
ok=0
for _ in 1 2 3; do
	fe_restart 1 || break
	ok=$((ok + 1))
done
t_eq "garbage, 3 reconnects: closed and connected again each time" "$ok" 3
t_eq "garbage, 3 reconnects: said once, not at each connect" \
	"$(grep -cF "$if1: rate \"fast\" is not" "$T_DIR/xvifd.log")" "$n"
t_eq_val "garbage, 3 reconnects: counted once" "$(xvifd_counter "$if1" key_errors)" "$kerr"
# Another value, written while the guest is away (no connection: read at
# the next connect only): said then.
fe_restart 1 xenstore-write "$be1/rate" slow &&
	t_pass "another garbage, written while the guest was away: closed, connected again"
logged "another garbage, written while the guest was away: said at its connect" \
	"$if1: rate \"slow\" is not <bytes>,<usecs>: traffic unlimited"

t_ok "xvifd still runs" kill -0 "$XVIFD_PID"
t_done
