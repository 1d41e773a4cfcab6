#!/bin/bash
# t_xvifd_log_limits.sh -- what a guest makes xvifd log stays limited:
#  - a guest of 8 queues that posts no RX buffer: every queue that holds
#    a frame stalls (carrier off, counted), and when the guest posts,
#    every one is ready again; but a vif's stall and ready lines are at
#    most 10 per 10 s, as its other lifecycle lines (8 queues, one slot a
#    queue between stalls, would write 16 lines a stall period);
#  - a frontend that makes one bad request and reconnects, over and
#    over: its guest-error lines stay one per queue per 10 s (each
#    connection had a limiter of its own, and the line came every time);
#  - a control byte in a line (a key's value): escaped, no forged line.
# Traffic stays on 169.254.0.0/16 inside namespaces created here.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait --max-queues 8 --workers 2

d=$("$SIM" create --dir "$SIM_DIR" --name s1) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:51:00:01 >>"$T_DIR/tool.log" 2>&1 ||
	w_die "attach: $(tail -2 "$T_DIR/tool.log")"
fns=$W_NS-s1 if=xvif${d}i0 flog=$T_DIR/fe-s1.log
netns_add "$fns"
"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$fns" --queues 8 \
    --misbehave no-rx-slots >"$flog" 2>&1 &
fpid=$!
w_cleanup_add "w_stop $fpid"
t_wait 15 grep -q "$if: connected (8 queues" "$T_DIR/xvifd.log" ||
	w_die "no 8-queue connect: $(tail -3 "$T_DIR/xvifd.log")"
t_wait 15 ip -n "$fns" link show eth0 || w_die "no eth0 in the guest: $(tail -3 "$flog")"
# No IPv6: its router solicitations and reports are not needed here.
ip netns exec "$DOM0_NS" sysctl -qw "net.ipv6.conf.$if.disable_ipv6=1"
ip -n "$DOM0_NS" addr add 169.254.51.1/24 dev "$if"
ip -n "$DOM0_NS" link set "$if" up
ip -n "$DOM0_NS" neigh replace 169.254.51.2 lladdr 00:16:3e:51:00:01 \
    dev "$if" nud permanent

# 200 datagrams, each from a port of its own: tun's hash spreads them
# over the queues, and each queue holds its first for slots never posted.
ip netns exec "$DOM0_NS" bash -c \
    "for p in \$(seq 30001 30200); do echo x >/dev/udp/169.254.51.2/\$p; done" 2>/dev/null
stalls() { xvifd_counter "$if" rx_stalls; }
t_wait 25 sh -c "[ \$(grep -c '$if queue [0-7]: guest rx stalled' '$T_DIR/xvifd.log') -ge 6 ] ||
    [ \$(grep -c 'more stalls or readies not logged' '$T_DIR/xvifd.log') -gt 0 ]" ||
	t_fail "stalled queues: setup" "fewer than 6 queues stalled: $(grep "$if" "$T_DIR/xvifd.log" | tail -3)"
sleep 1		# the stragglers
s=$(stalls)
kill -USR2 "$fpid"
t_wait 10 grep -q "posting rx buffers from now on" "$flog" ||
	t_fail "stalled queues: setup" "the guest did not post: $(tail -2 "$flog")"
t_ok "stalled queues: the carrier back once every queue is ready" t_wait 10 sh -c \
    "ip -n $DOM0_NS link show $if | grep -q LOWER_UP"
sleep 1
lines=$(grep -Ec "$if queue [0-7]: guest rx (stalled|ready)" "$T_DIR/xvifd.log")
if [ "${s:-0}" -ge 6 ]; then
	t_eq "stalled queues: $s stalls and readies, 10 lines of them" "$lines" 10
else
	t_fail "stalled queues: counted" "rx_stalls ${s:-none}, fewer than 6"
fi
# A key's value in a line, with a newline in it: escaped, not a line of
# its own saying what the toolstack (or whoever wrote the key) likes.
xenstore-write "/local/domain/0/backend/vif/$d/0/rate" "$(printf '1,1\nFORGED: root logged in')"
t_ok "a newline in a key: escaped in the line" t_wait 5 grep -qF \
	"$if: rate \"1,1\\x0aFORGED: root logged in\" is not" "$T_DIR/xvifd.log"
t_not "a newline in a key: no line of its own" grep -q "^FORGED" "$T_DIR/xvifd.log"
kill -TERM "$fpid"; wait "$fpid" 2>/dev/null

# A frontend whose first TX request names a grant it never gave, ten
# netfronts in turn on one vif, each stopped once it made it.
d=$("$SIM" create --dir "$SIM_DIR" --name s2) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:52:00:01 >>"$T_DIR/tool.log" 2>&1 ||
	w_die "attach: $(tail -2 "$T_DIR/tool.log")"
fns=$W_NS-s2 if=xvif${d}i0 flog=$T_DIR/fe-s2.log be=/local/domain/0/backend/vif/$d/0
netns_add "$fns"
bad() { grep -c "$if: tx id [0-9]*: grant copy" "$T_DIR/xvifd.log"; }
t0=$SECONDS
for i in $(seq 1 10); do
	"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$fns" --misbehave ungranted \
	    >>"$flog" 2>&1 &
	fpid=$!
	w_cleanup_add "w_stop $fpid"
	t_wait 10 sh -c "[ \$(grep -c 'misbehave ungranted' $flog) -ge $i ]" &&
		t_wait 5 state_is "$be" 4 || break
	sleep 0.2	# its request answered
	kill -TERM "$fpid"; wait "$fpid" 2>/dev/null
	t_wait 10 state_is "$be" 6 || break
done
el=$((SECONDS - t0))
t_eq "bad request, reconnect: 10 netfronts" "$i" 10
if [ "$el" -lt 10 ]; then
	t_eq "bad request, reconnect: 10 in ${el} s, one line" "$(bad)" 1
else
	t_fail "bad request, reconnect: the loop" "10 netfronts took ${el} s: not within the 10 s window"
fi
t_ok "xvifd alive" kill -0 "$XVIFD_PID"
t_done
