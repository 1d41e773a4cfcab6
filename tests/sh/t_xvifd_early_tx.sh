#!/bin/bash
# t_xvifd_early_tx.sh -- a guest that sends before the backend has
# connected, as a Linux guest may: its netfront turns the carrier on and
# tells its channels before it writes Connected, and its stack fills the
# TX ring at once.  xvifd, stopped meanwhile (busy, say), finds the
# requests in the ring when it connects and delivers every frame.
# Traffic stays on 169.254.0.0/16 inside namespaces created here.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait
be=/local/domain/0/backend/vif
d=$("$SIM" create --dir "$SIM_DIR" --name early) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:61:00:01 >>"$T_DIR/tool.log" 2>&1 ||
	w_die "attach: $(tail -2 "$T_DIR/tool.log")"
t_wait 10 state_is "$be/$d/0" 2 || w_die "no InitWait"
if=xvif${d}i0 ns=$W_NS-early
ip -n "$DOM0_NS" addr add 169.254.61.1/24 dev "$if"
ip -n "$DOM0_NS" link set "$if" up
ip netns exec "$DOM0_NS" sysctl -qw "net.ipv6.conf.$if.disable_ipv6=1"
ip netns exec "$DOM0_NS" timeout 30 socat -u UDP-RECV:9061,bind=169.254.61.1 \
	OPEN:"$T_DIR/got",creat,append &
w_cleanup_add "kill $! 2>/dev/null"
kill -STOP "$XVIFD_PID"
netns_add "$ns"
"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$ns" >"$T_DIR/fe.log" 2>&1 &
w_cleanup_add "w_stop $!"
t_ok "the frontend Connected, the backend not (xvifd stopped)" t_wait 10 sh -c \
	"[ \"\$(xenstore-read /local/domain/$d/device/vif/0/state)\" = 4 ] &&
	 [ \"\$(xenstore-read $be/$d/0/state)\" = 2 ]"
t_ok "its carrier on already" t_wait 5 sh -c "ip -n $ns link show eth0 | grep -q LOWER_UP"
ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
ip -n "$ns" addr add 169.254.61.2/24 dev eth0
ip -n "$ns" link set eth0 up
dmac=$(ip -n "$DOM0_NS" -o link show "$if" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ip -n "$ns" neigh replace 169.254.61.1 lladdr "$dmac" dev eth0 nud permanent
for i in 1 2 3 4 5; do
	echo "early $i" | ip netns exec "$ns" socat -u - UDP-SENDTO:169.254.61.1:9061
done
sleep 0.5
t_eq "... nothing through yet" "$(cat "$T_DIR/got" 2>/dev/null | wc -l)" 0
kill -CONT "$XVIFD_PID"
t_ok "xvifd connects" t_wait 10 state_is "$be/$d/0" 4
t_ok "every frame sent before it connected delivered, in order" t_wait 5 sh -c \
	"[ \"\$(tr '\n' ' ' <'$T_DIR/got')\" = 'early 1 early 2 early 3 early 4 early 5 ' ]"
t_done
