#!/bin/bash
# t_netfront.sh -- the simulated guest netfront (`xvif-sim netfront`,
# sim/simfe*.c) against a backend scripted here with the stock
# xenstore-utils, as dom0: it answers the toolstack's state=1 with its
# features and InitWait, watches the frontend directory while the netfront
# connects, checks the keys Linux xen-netfront writes (one transaction,
# never Initialised), then flips its own state to walk the netfront
# through Connected, a backend-initiated close and reconnect (a guest
# reloading its driver; Linux's stays Closed, also checked), and a
# SIGTERM close.  Also: a backend without feature-rx-copy, --no-sg and
# --no-rx-notify, --vanish, and the bounded wait for InitWait.
# Needs `xvif-sim host`, `create` and `attach`: without them it fails.
. "$(dirname "$0")/lib.sh"
export XVIF_SIM_TIMEOUT_SCALE=0.5	# libxl's 10 s InitWait wait -> 5 s

if [ ! -x "$SIM" ]; then
	echo "FAIL $T_NAME: setup: $SIM is missing (make all)"
	exit 1
fi
for c in xenstore-read xenstore-write xenstore-watch ip; do
	command -v "$c" >/dev/null || {
		echo "FAIL $T_NAME: setup: $c not installed (xenstore-utils, iproute2)"
		exit 1
	}
done
sim_host_start

xr() { xenstore-read "$1" 2>/dev/null; }
st_is() { [ "$(xr "$1/state")" = "$2" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# be_probe BE KEY=VAL...: the scripted backend's probe: wait for the
# toolstack's state=1, write the features, go InitWait.
be_probe() {
	local be=$1 kv
	shift
	t_wait 10 st_is "$be" 1 || return 1
	for kv in "$@"; do
		xenstore-write "$be/${kv%%=*}" "${kv#*=}" || return 1
	done
	xenstore-write "$be/state" 2
}

# attach_vif DOM DEVID MAC KEY=VAL...: `xvif-sim attach`, with the scripted
# backend answering it.  Sets BE and FE.
attach_vif() {
	local dom=$1 devid=$2 mac=$3 apid
	shift 3
	BE=/local/domain/0/backend/vif/$dom/$devid
	FE=/local/domain/$dom/device/vif/$devid
	"$SIM" attach --dir "$SIM_DIR" "$dom" "mac=$mac" "devid=$devid" \
	    >>"$T_DIR/attach.log" 2>&1 &
	apid=$!
	be_probe "$BE" "$@" || {
		kill "$apid" 2>/dev/null
		echo "FAIL $T_NAME: setup: attach $dom/$devid: no backend state 1: $(tail -2 "$T_DIR/attach.log")"
		exit 1
	}
	wait "$apid" || {
		echo "FAIL $T_NAME: setup: attach $dom/$devid failed: $(tail -2 "$T_DIR/attach.log")"
		exit 1
	}
}

# fe_start NAME NS DOM DEVID ARGS...: a netfront in netns NS; FE_PID.
fe_start() {
	local name=$1 ns=$2 dom=$3 devid=$4
	shift 4
	"$SIM" netfront --dir "$SIM_DIR" "$dom" "$devid" --netns "$ns" "$@" \
	    >"$T_DIR/$name.log" 2>&1 &
	FE_PID=$!
	t_cleanup_add "w_stop $FE_PID 0"
}

BE_STD="feature-rx-copy=1 feature-rx-flip=0 feature-sg=1 feature-ipv6-csum-offload=1"

DOM=$("$SIM" create --dir "$SIM_DIR" --name nf) || {
	echo "FAIL $T_NAME: setup: xvif-sim create failed"
	exit 1
}
NS=$T_NS-nf
netns_add "$NS"

# ---- 1. The handshake, watched. ----
MAC=00:16:3e:4e:46:01
# shellcheck disable=SC2086
attach_vif "$DOM" 0 "$MAC" $BE_STD
BE0=$BE FE0=$FE
# Every frontend watch event: the state then, and whether the keys were
# there with it.
mkfifo "$T_DIR/fewatch.fifo"
xenstore-watch "$FE0" >"$T_DIR/fewatch.fifo" 2>/dev/null &
WPID=$!
t_cleanup_add "w_stop $WPID"
while read -r _; do
	echo "state=$(xr "$FE0/state") keys=$(xr "$FE0/tx-ring-ref")/$(xr "$FE0/event-channel")"
done <"$T_DIR/fewatch.fifo" >"$T_DIR/fewatch.log" &
RPID=$!
t_cleanup_add "w_stop $RPID"
sleep 0.2
fe_start fe0 "$NS" "$DOM" 0 --reload-when-closed
FE0_PID=$FE_PID

if t_wait 10 st_is "$FE0" 4; then t_pass "frontend goes Connected on backend InitWait"
else t_fail "frontend goes Connected on backend InitWait" \
    "state $(xr "$FE0/state"): $(tail -3 "$T_DIR/fe0.log")"; fi
for kv in request-rx-copy=1 feature-rx-notify=1 feature-sg=1 \
    feature-gso-tcpv4=1 feature-gso-tcpv6=1 feature-ipv6-csum-offload=1; do
	t_eq "frontend key ${kv%%=*}" "$(xr "$FE0/${kv%%=*}")" "${kv#*=}"
done
TXR=$(xr "$FE0/tx-ring-ref") RXR=$(xr "$FE0/rx-ring-ref") EVT=$(xr "$FE0/event-channel")
if [[ $TXR =~ ^[0-9]+$ && $RXR =~ ^[0-9]+$ && $EVT =~ ^[0-9]+$ &&
    $TXR -ge 8 && $TXR -lt 1024 && $RXR -lt 1024 && $TXR != "$RXR" &&
    $EVT -gt 0 ]]; then
	t_pass "ring refs in vif 0's grant partition, an event channel"
else
	t_fail "ring refs in vif 0's grant partition, an event channel" \
	    "tx-ring-ref '$TXR' rx-ring-ref '$RXR' event-channel '$EVT'"
fi
t_eq "no multi-queue key with one queue" \
    "$(xr "$FE0/multi-queue-num-queues" || echo absent)" absent
sleep 0.3
if grep -q '^state=3' "$T_DIR/fewatch.log"; then
	t_fail "never Initialised" "$(tr '\n' ' ' <"$T_DIR/fewatch.log")"
else t_pass "never Initialised"; fi
if grep '^state=4' "$T_DIR/fewatch.log" | grep -q 'keys=/\|keys=.*/$'; then
	t_fail "keys and Connected in one transaction" \
	    "$(tr '\n' ' ' <"$T_DIR/fewatch.log")"
elif grep -q '^state=4' "$T_DIR/fewatch.log"; then
	t_pass "keys and Connected in one transaction"
else
	t_fail "keys and Connected in one transaction" \
	    "watch saw no state 4: $(tr '\n' ' ' <"$T_DIR/fewatch.log")"
fi
kill "$WPID" 2>/dev/null

# eth0 in the guest's namespace: the frontend's MAC and MTU, its carrier
# on once the keys are written, before the backend is Connected (Linux's
# xennet_connect turns it on before it writes Connected: the guest's
# stack may fill the TX ring before the backend connects).
if ip -n "$NS" link show eth0 >"$T_DIR/eth0" 2>&1; then
	t_pass "eth0 exists in the guest netns"
else t_fail "eth0 exists in the guest netns" "$(cat "$T_DIR/eth0")"; fi
t_ok "eth0 has the frontend mac" grep -q "link/ether $MAC " "$T_DIR/eth0"
t_ok "eth0 has mtu 1500" grep -q "mtu 1500 " "$T_DIR/eth0"
t_not "carrier on before backend Connected, as Linux" grep -q NO-CARRIER "$T_DIR/eth0"
t_not "no eth0 TAP in the host's namespace" \
    sh -c "ip -d link show eth0 2>/dev/null | grep -qw tun"

xenstore-write "$BE0/state" 4
if t_wait 5 sh -c "ip -n $NS link show eth0 | grep -q LOWER_UP"; then
	t_pass "carrier on with backend Connected"
else t_fail "carrier on with backend Connected" "$(ip -n "$NS" link show eth0)"; fi

# ---- 2. The backend closes us, then offers InitWait again: a guest
# that reloads its driver (--reload-when-closed; Linux's stays Closed,
# section 7b). ----
xenstore-write "$BE0/state" 5
if t_wait 5 st_is "$FE0" 6; then t_pass "backend Closing -> frontend Closed"
else t_fail "backend Closing -> frontend Closed" "state $(xr "$FE0/state")"; fi
if t_wait 5 sh -c "ip -n $NS link show eth0 | grep -q NO-CARRIER"; then
	t_pass "carrier off when the backend closes"
else t_fail "carrier off when the backend closes" "$(ip -n "$NS" link show eth0)"; fi
xenstore-write "$BE0/state" 6
if t_wait 5 st_is "$FE0" 1; then
	t_pass "backend Closed, online=1 -> frontend Initialising"
else t_fail "backend Closed, online=1 -> frontend Initialising" \
    "state $(xr "$FE0/state")"; fi
xenstore-write "$BE0/state" 2
if t_wait 5 st_is "$FE0" 4; then t_pass "reconnects on InitWait"
else t_fail "reconnects on InitWait" "state $(xr "$FE0/state")"; fi
TXR2=$(xr "$FE0/tx-ring-ref") RXR2=$(xr "$FE0/rx-ring-ref")
if [ -n "$TXR2" ] && [ "$TXR2" != "$TXR" ] && [ "$RXR2" != "$RXR" ]; then
	t_pass "fresh ring refs on reconnect"
else t_fail "fresh ring refs on reconnect" "before $TXR/$RXR, after $TXR2/$RXR2"; fi
xenstore-write "$BE0/state" 4
if t_wait 5 sh -c "ip -n $NS link show eth0 | grep -q LOWER_UP"; then
	t_pass "carrier back on"
else t_fail "carrier back on" "$(ip -n "$NS" link show eth0)"; fi

# ---- 3. Counters on SIGUSR1. ----
kill -USR1 "$FE0_PID"
if t_wait 3 grep -Eq "^netfront d$DOM/0: tx_frames=[0-9]+ .*tx_errors=[0-9]+ .*rx_frames=[0-9]+ .*rx_errors=[0-9]+" "$T_DIR/fe0.log"; then
	t_pass "counters line on SIGUSR1"
else t_fail "counters line on SIGUSR1" "$(tail -2 "$T_DIR/fe0.log")"; fi

# ---- 4. SIGTERM: Closing, wait for the backend, Closed, exit 0. ----
kill -TERM "$FE0_PID"
if t_wait 5 st_is "$FE0" 5; then t_pass "SIGTERM -> frontend Closing"
else t_fail "SIGTERM -> frontend Closing" "state $(xr "$FE0/state")"; fi
if gone "$FE0_PID"; then
	t_fail "waits for the backend before Closed" "exited already"
else t_pass "waits for the backend before Closed"; fi
xenstore-write "$BE0/state" 5
if t_wait 5 st_is "$FE0" 6; then t_pass "backend Closing -> frontend Closed on shutdown"
else t_fail "backend Closing -> frontend Closed on shutdown" "state $(xr "$FE0/state")"; fi
xenstore-write "$BE0/state" 6
if t_wait 5 gone "$FE0_PID"; then
	wait "$FE0_PID"
	t_eq "exits 0 once the backend is Closed" "$?" 0
else t_fail "exits 0 once the backend is Closed" "still running"; fi
t_not "eth0 deleted on exit" ip -n "$NS" link show eth0
t_ok "counters line on exit" grep -Eq "^netfront d$DOM/0: tx_frames=" "$T_DIR/fe0.log"

# ---- 5. A backend without feature-rx-copy is refused, as Linux does. ----
attach_vif "$DOM" 1 00:16:3e:4e:46:02 feature-sg=1
NS1=$T_NS-nf1
netns_add "$NS1"
fe_start fe1 "$NS1" "$DOM" 1
if t_wait 10 gone "$FE_PID"; then
	wait "$FE_PID"
	rc=$?
	if [ "$rc" != 0 ]; then t_pass "no feature-rx-copy: exits non-zero"
	else t_fail "no feature-rx-copy: exits non-zero" "exit 0"; fi
else t_fail "no feature-rx-copy: exits non-zero" "still running"; fi
t_ok "no feature-rx-copy: Linux's message" \
    grep -q "backend does not support copying receive path" "$T_DIR/fe1.log"
t_not "no feature-rx-copy: no ring keys" xenstore-read "$FE/tx-ring-ref"

# ---- 6. --no-sg --no-rx-notify, then --vanish. ----
# shellcheck disable=SC2086
attach_vif "$DOM" 2 00:16:3e:4e:46:03 $BE_STD
NS2=$T_NS-nf2
netns_add "$NS2"
fe_start fe2 "$NS2" "$DOM" 2 --no-sg --no-rx-notify --vanish
if t_wait 10 st_is "$FE" 4; then
	t_pass "--no-sg --no-rx-notify: Connected"
	t_eq "--no-sg: no feature-sg" "$(xr "$FE/feature-sg" || echo absent)" absent
	t_eq "--no-rx-notify: no feature-rx-notify" \
	    "$(xr "$FE/feature-rx-notify" || echo absent)" absent
	t_eq "--no-sg: request-rx-copy still 1" "$(xr "$FE/request-rx-copy")" 1
	R=$(xr "$FE/tx-ring-ref")
	if [[ $R =~ ^[0-9]+$ ]] && [ "$R" -ge 2048 ] && [ "$R" -lt 3072 ]; then
		t_pass "vif 2's ring refs in its partition [2048, 3072)"
	else t_fail "vif 2's ring refs in its partition [2048, 3072)" "tx-ring-ref '$R'"; fi
else
	t_fail "--no-sg --no-rx-notify: Connected" "$(tail -3 "$T_DIR/fe2.log")"
fi
xenstore-write "$BE/state" 4
kill -TERM "$FE_PID"
if t_wait 3 gone "$FE_PID"; then t_pass "--vanish: SIGTERM exits at once"
else t_fail "--vanish: SIGTERM exits at once" "still running"; fi
t_eq "--vanish: XenStore untouched" "$(xr "$FE/state")" 4

# ---- 7. The wait for InitWait is bounded. ----
# shellcheck disable=SC2086
attach_vif "$DOM" 3 00:16:3e:4e:46:04 $BE_STD
xenstore-write "$BE/state" 1	# a backend that went back and stays there
NS3=$T_NS-nf3
netns_add "$NS3"
fe_start fe3 "$NS3" "$DOM" 3 --timeout 1
if t_wait 6 gone "$FE_PID"; then
	wait "$FE_PID"
	rc=$?
	if [ "$rc" != 0 ]; then t_pass "no InitWait in --timeout: exits non-zero"
	else t_fail "no InitWait in --timeout: exits non-zero" "exit 0"; fi
else t_fail "no InitWait in --timeout: exits non-zero" "still running"; fi
t_ok "no InitWait: says so" grep -q "no InitWait" "$T_DIR/fe3.log"
t_not "no InitWait: eth0 deleted" ip -n "$NS3" link show eth0

# ---- 7b. As Linux's: closed by the backend, Closed for good. ----
# shellcheck disable=SC2086
attach_vif "$DOM" 4 00:16:3e:4e:46:05 $BE_STD
NS4=$T_NS-nf4
netns_add "$NS4"
fe_start fe4 "$NS4" "$DOM" 4
t_wait 10 st_is "$FE" 4 || t_fail "closed for good: setup" "not Connected: $(tail -3 "$T_DIR/fe4.log")"
xenstore-write "$BE/state" 4
xenstore-write "$BE/state" 5
t_ok "closed for good: backend Closing -> frontend Closed" t_wait 5 st_is "$FE" 6
t_ok "closed for good: says so" \
    t_wait 5 grep -q "closed by the backend: staying Closed until the vif is detached" "$T_DIR/fe4.log"
xenstore-write "$BE/state" 6
sleep 0.5
t_eq "closed for good: backend Closed, online=1: still Closed" "$(xr "$FE/state")" 6
xenstore-write "$BE/state" 2
sleep 0.5
t_eq "closed for good: backend InitWait: still Closed" "$(xr "$FE/state")" 6
t_eq "closed for good: said once" \
    "$(grep -c "closed by the backend: staying Closed" "$T_DIR/fe4.log")" 1
kill -TERM "$FE_PID"
xenstore-write "$BE/state" 6
if t_wait 5 gone "$FE_PID"; then
	wait "$FE_PID"
	t_eq "closed for good: SIGTERM, backend Closed: exits 0" "$?" 0
else t_fail "closed for good: SIGTERM, backend Closed: exits 0" "still running"; fi

# ---- 7c. Initialising: the probe waits out a backend still Closed; a
# backend that closes after that closes us (Linux's netback_changed). ----
# shellcheck disable=SC2086
attach_vif "$DOM" 5 00:16:3e:4e:46:06 $BE_STD
xenstore-write "$BE/state" 6	# Closed from a connection before ours
NS5=$T_NS-nf5
netns_add "$NS5"
fe_start fe5 "$NS5" "$DOM" 5
sleep 0.5
t_eq "probe: backend Closed: still Initialising" "$(xr "$FE/state")" 1
xenstore-write "$BE/state" 2
t_ok "probe: backend InitWait: Connected" t_wait 5 st_is "$FE" 4
kill -TERM "$FE_PID"; xenstore-write "$BE/state" 5; xenstore-write "$BE/state" 6
t_wait 5 gone "$FE_PID"
# shellcheck disable=SC2086
attach_vif "$DOM" 6 00:16:3e:4e:46:07 $BE_STD
xenstore-write "$BE/state" 1	# not InitWait yet
NS6=$T_NS-nf6
netns_add "$NS6"
fe_start fe6 "$NS6" "$DOM" 6
t_wait 5 grep -q "backend state Initialising" "$T_DIR/fe6.log"
xenstore-write "$BE/state" 5
t_ok "Initialising, backend Closing: closed" t_wait 5 st_is "$FE" 6
t_ok "... and says so" grep -q "backend Closing while Initialising: closed" "$T_DIR/fe6.log"
xenstore-write "$BE/state" 2
sleep 0.5
t_eq "... for good: backend InitWait: still Closed" "$(xr "$FE/state")" 6

# ---- 8. Argument errors. ----
t_not "missing --netns refused" "$SIM" netfront --dir "$SIM_DIR" "$DOM" 0
t_not "unknown misbehaviour refused" "$SIM" netfront --dir "$SIM_DIR" "$DOM" 0 \
    --netns "$NS" --misbehave nonsense
t_not "missing netns refused" "$SIM" netfront --dir "$SIM_DIR" "$DOM" 0 \
    --netns "$T_NS-nonexistent"

t_done
