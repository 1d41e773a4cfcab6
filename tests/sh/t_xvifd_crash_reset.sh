#!/bin/bash
# A crash in the first push of a connection, then a frontend reset while
# no xvifd runs (a driver reloaded): the new rings get the same ring refs
# and event channel back (the simulated host, as Xen, gives the lowest
# free), and a new ring starts at rsp_prod 0, as the journal the killed
# daemon left.  The restarted xvifd must see these are not the rings its
# journal is for -- the mark it wrote in the old rings' reserved bytes is
# not in the new -- and replay nothing: RX responses for data never
# copied would reach the guest as frames nobody sent.
. "$(dirname "$0")/lib.sh"
sim_host_start
DOM0_NS=$T_NS-d0
netns_add "$DOM0_NS"
be=/local/domain/0/backend/vif
printf '#!/bin/sh\nexit 0\n' >"$T_DIR/silent"	# never says connected
chmod +x "$T_DIR/silent"
d=$("$SIM" create --dir "$SIM_DIR" --name rs) || w_die "create domain"
export XVIFD_TEST_KILL_AT_PUSH=rx:1@$d
XVIFD=$XVIFD_FAULTS xvifd_start
unset XVIFD_TEST_KILL_AT_PUSH
dead=$XVIFD_PID
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:08:00:01 script="$T_DIR/silent" \
    >>"$T_DIR/tool.log" 2>&1 || w_die "attach: $(tail -2 "$T_DIR/tool.log")"
ns=$T_NS-rs
netns_add "$ns"
"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$ns" >>"$T_DIR/fe.log" 2>&1 &
fe=$!
t_cleanup_add "w_stop $fe"
t_wait 15 state_is "/local/domain/$d/device/vif/0" 4 ||
	w_die "frontend not Connected: $(tail -3 "$T_DIR/fe.log")"
t_wait 10 ip -n "$ns" link show eth0 || w_die "no eth0"
ifn=vif$d.0	# libxl's name: the script never renamed it
rings1=$(grep -m1 "xvif${d}i0: connected" "$T_DIR/xvifd.log" | grep -o '(tx ring [0-9]*, rx ring [0-9]*, event channels* [0-9/]*')
mac=$(ip -n "$ns" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ip -n "$DOM0_NS" addr add 169.254.8.1/24 dev "$ifn"
ip -n "$DOM0_NS" link set "$ifn" up
ip -n "$DOM0_NS" neigh replace 169.254.8.2 lladdr "$mac" dev "$ifn" nud permanent
# The first frame to the guest is the first RX push: it kills the daemon.
ip netns exec "$DOM0_NS" ping -c 3 -i 0.2 -W 1 -q 169.254.8.2 >/dev/null 2>&1
if t_wait 10 sh -c "! kill -0 $dead 2>/dev/null"; then
	wait "$dead" 2>/dev/null
	t_eq "xvifd killed itself in the first rx push (SIGKILL)" "$?" 137
else
	t_fail "xvifd killed itself in the first rx push" "still running"
fi
# The driver reloaded: closed, and a new one connects new rings to the
# backend, still InitWait.
kill -TERM "$fe"; wait "$fe" 2>/dev/null
"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$ns" >>"$T_DIR/fe.log" 2>&1 &
fe=$!
t_cleanup_add "w_stop $fe"
t_wait 15 sh -c "grep -c 'state Connected: tx-ring-ref' '$T_DIR/fe.log' | grep -qx 2" ||
	w_die "the new frontend did not connect: $(tail -3 "$T_DIR/fe.log")"
xvifd_start
t_wait 10 sh -c "grep -c 'xvif${d}i0: connected' '$T_DIR/xvifd.log' | grep -qx 2" ||
	w_die "not connected again: $(grep "xvif${d}i0" "$T_DIR/xvifd.log" | tail -3)"
rings2=$(grep "xvif${d}i0: connected" "$T_DIR/xvifd.log" | tail -1 | grep -o '(tx ring [0-9]*, rx ring [0-9]*, event channels* [0-9/]*')
[ -n "$rings1" ] && [ "$rings1" = "$rings2" ] ||
	w_die "the new rings did not get the old refs and channel back ($rings1 / $rings2): nothing tested"
t_pass "the new rings have the old refs and channel: $rings2"
t_not "nothing of the old journal replayed into the new rings" \
	grep -q "xvif${d}i0: pushed [0-9]* tx and [0-9]* rx responses" "$T_DIR/xvifd.log"
ip -n "$ns" addr add 169.254.8.2/24 dev eth0
ip -n "$ns" link set eth0 up
xenstore-write "$be/$d/0/hotplug-status" connected
t_wait 10 state_is "$be/$d/0" 4
t_wait 10 sh -c "ip -n $ns link show eth0 | grep -q LOWER_UP"
t_ok "the new rings carry traffic both ways" \
	ip netns exec "$DOM0_NS" ping -c 3 -i 0.2 -W 2 -q 169.254.8.2
t_ok "xvifd runs" kill -0 "$XVIFD_PID"
t_done
