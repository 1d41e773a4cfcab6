#!/bin/bash
# Restarts and reconnects: xvifd killed with SIGKILL in the middle of a
# TCP transfer and started again re-attaches, and the transfer completes
# intact; a clean SIGTERM restart too; the guest's eth0 keeps working.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait
guest_up 3
g=${GUEST_NS[3]} d=${GUEST_DOM[3]}
t_ok "ping before restart" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 -q 169.254.3.1

# SIGKILL during a transfer; TCP retransmits what was lost.  Large: with
# offloads it crosses at Gbit/s, and must still be running at the kill.
head -c $((256 * 1048576)) /dev/urandom >"$T_DIR/big"
ip netns exec "$DOM0_NS" timeout 120 socat -u TCP-LISTEN:7000,bind=169.254.3.1,reuseaddr \
	"CREATE:$T_DIR/big.out" &
srv=$!
t_wait 5 sh -c "ip netns exec $DOM0_NS ss -ltn | grep -q ':7000 '"
ip netns exec "$g" timeout 120 socat -u "FILE:$T_DIR/big" TCP:169.254.3.1:7000 &
cli=$!
t_wait 10 test -s "$T_DIR/big.out"
kill -KILL "$XVIFD_PID"; wait "$XVIFD_PID" 2>/dev/null
got=$(stat -c %s "$T_DIR/big.out")
[ "$got" -lt $((256 * 1048576)) ] && t_pass "killed mid-transfer ($got bytes in)" \
	|| t_fail "killed mid-transfer" "the transfer had already finished"
t_ok "interface survives the daemon (persistent TAP)" ip -n "$DOM0_NS" link show "xvif${d}i0"
t_eq "backend state left Connected" "$(xenstore-read /local/domain/0/backend/vif/$d/0/state)" 4
sleep 1
xvifd_start --no-hotplug-wait
t_wait 10 grep -q "xvif${d}i0: re-attached to xvif${d}i0" "$T_DIR/xvifd.log" \
	&& t_pass "restarted xvifd re-attached" || t_fail "restarted xvifd re-attached" \
	"$(tail -5 "$T_DIR/xvifd.log")"
if wait $cli; then t_pass "sender finished after the restart"; else
	t_fail "sender finished after the restart" "socat exited $?"; fi
wait $srv
t_eq "256 MiB intact across SIGKILL + restart (sha256)" \
	"$(sha256sum <"$T_DIR/big.out" | cut -d' ' -f1)" "$(sha256sum <"$T_DIR/big" | cut -d' ' -f1)"
t_eq "address kept on the interface" \
	"$(ip -n "$DOM0_NS" -o -4 addr show "xvif${d}i0" | grep -o '169.254.3.1/24')" "169.254.3.1/24"

# Clean stop and start.
kill -TERM "$XVIFD_PID"; wait "$XVIFD_PID"
t_eq "SIGTERM: exit 0" "$?" 0
xvifd_start --no-hotplug-wait
t_wait 10 sh -c "grep -c 're-attached' '$T_DIR/xvifd.log' | grep -q 2" \
	&& t_pass "re-attached after SIGTERM" || t_fail "re-attached after SIGTERM" "$(tail -3 "$T_DIR/xvifd.log")"
t_ok "ping both ways after restarts" sh -c "ip netns exec $g ping -c 2 -i 0.2 -W 2 -q 169.254.3.1 && ip netns exec $DOM0_NS ping -c 2 -i 0.2 -W 2 -q 169.254.3.2"
tcp_check "tcp host -> guest after restarts" "$DOM0_NS" "$g" 169.254.3.2 8

# Restarted while a detach is under way: libxl wrote online=0 and
# Closing and waits for Closed.  The new xvifd ends it -- Closed once the
# frontend is, the interface gone with the vif -- where it once ignored
# the vif (offline), left libxl to time out and the TAP behind for ever.
be=/local/domain/0/backend/vif
w_stop "$XVIFD_PID"
xenstore-write $be/$d/0/online 0 $be/$d/0/state 5
xvifd_start --no-hotplug-wait
t_ok "restart during a detach: said" t_wait 10 grep -q "xvif${d}i0: a detach under way" "$T_DIR/xvifd.log"
t_ok "... the backend reaches Closed" t_wait 10 sh -c \
	"[ \"\$(xenstore-read $be/$d/0/state)\" = 6 ]"
t_ok "... the interface goes with the vif" t_wait 10 sh -c \
	"! ip -n $DOM0_NS link show xvif${d}i0 2>/dev/null"
t_ok "... xvifd still runs" kill -0 "$XVIFD_PID"
t_done
