#!/bin/bash
# A crash between writing ring responses and pushing them while the
# backend is still in InitWait: the frontend has connected its rings and
# frames flow, but the hotplug script has not said "connected" yet.  The
# response journal must cover this state too: the restarted xvifd's first
# connect re-attaches to the rings a predecessor served and pushes what it
# wrote, instead of reading those response slots back as requests (an RX
# response over a request makes a grant ref of flags and status).
. "$(dirname "$0")/lib.sh"
sim_host_start
DOM0_NS=$T_NS-d0
netns_add "$DOM0_NS"
be=/local/domain/0/backend/vif
# counter NAME: the vif's counter NAME, from a fresh dump (SIGUSR1).
counter() { xvifd_counter "xvif${d}i0" "$1"; }

printf '#!/bin/sh\nexit 0\n' >"$T_DIR/silent"	# never says connected
chmod +x "$T_DIR/silent"
export XVIFD_TEST_KILL_AT_PUSH=rx:50
XVIFD=$XVIFD_FAULTS xvifd_start
unset XVIFD_TEST_KILL_AT_PUSH
dead=$XVIFD_PID
d=$("$SIM" create --dir "$SIM_DIR" --name iw) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:07:00:01 script="$T_DIR/silent" \
    >>"$T_DIR/tool.log" 2>&1 || w_die "attach: $(tail -2 "$T_DIR/tool.log")"
ns=$T_NS-iw
netns_add "$ns"
"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$ns" >>"$T_DIR/fe.log" 2>&1 &
t_cleanup_add "w_stop $!"
t_wait 15 state_is "/local/domain/$d/device/vif/0" 4 ||
	w_die "frontend not Connected: $(tail -3 "$T_DIR/fe.log")"
t_ok "backend in InitWait, waiting for the script" state_is "$be/$d/0" 2
t_wait 10 ip -n "$ns" link show eth0 || w_die "no eth0"
ifn=vif$d.0	# libxl's name: the script never renamed it
mac=$(ip -n "$ns" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ip -n "$DOM0_NS" addr add 169.254.7.1/24 dev "$ifn"
ip -n "$DOM0_NS" link set "$ifn" up
ip -n "$DOM0_NS" neigh replace 169.254.7.2 lladdr "$mac" dev "$ifn" nud permanent
ip -n "$ns" addr add 169.254.7.2/24 dev eth0
ip -n "$ns" link set eth0 up
# Frames to the guest (its answers cannot come back before Connected):
# every one is an RX push; the 50th kills the daemon mid-push.
ip netns exec "$DOM0_NS" timeout 20 ping -c 400 -i 0.01 -W 1 -q 169.254.7.2 >/dev/null 2>&1 &
pinger=$!
if t_wait 20 sh -c "! kill -0 $dead 2>/dev/null"; then
	wait "$dead" 2>/dev/null
	t_eq "xvifd killed itself at rx push 50 (SIGKILL) in InitWait" "$?" 137
else
	t_fail "xvifd killed itself at rx push 50" "still running after 20 s"
fi
kill "$pinger" 2>/dev/null; wait "$pinger" 2>/dev/null
t_ok "backend still InitWait after the crash" state_is "$be/$d/0" 2
xvifd_start
t_wait 10 grep -qE "xvif${d}i0: pushed 0 tx and [1-9][0-9]* rx responses" "$T_DIR/xvifd.log" &&
	t_pass "restart in InitWait: the journal's rx responses pushed" ||
	t_fail "restart in InitWait: the journal's rx responses pushed" \
	    "$(grep "xvif${d}i0" "$T_DIR/xvifd.log" | tail -3)"
ip netns exec "$DOM0_NS" ping -c 50 -i 0.01 -W 1 -q 169.254.7.2 >/dev/null 2>&1
for c in rx_bad_requests rx_grant_errors; do
	t_eq_val "after the restart: $c" "$(counter $c)" 0
done
t_ok "after the restart: frames reach the guest" test "$(counter rx_frames)" -gt 0
t_ok "the dump names the interface as ip(8) does now ($ifn, not renamed)" \
	grep -q "xvif${d}i0: $ifn InitWait " "$T_DIR/xvifd.log"
# The script's word: Connected, and traffic both ways.
xenstore-write "$be/$d/0/hotplug-status" connected
t_wait 10 state_is "$be/$d/0" 4 && t_pass "hotplug-status=connected: Connected" ||
	t_fail "hotplug-status=connected: Connected" "state $(xenstore-read $be/$d/0/state)"
t_wait 10 sh -c "ip -n $ns link show eth0 | grep -q LOWER_UP"
t_ok "ping both ways" sh -c "ip netns exec $ns ping -c 2 -i 0.2 -W 2 -q 169.254.7.1 && ip netns exec $DOM0_NS ping -c 2 -i 0.2 -W 2 -q 169.254.7.2"
t_done
