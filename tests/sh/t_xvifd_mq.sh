#!/bin/bash
# Multi-queue and split event channels: frontends with 1, 2 and 4 queues
# (shared and split channels) connect, spread their flows over every
# queue both ways and move data intact; one asking for more than offered
# gets what is offered (as Linux netfront), one insisting on more is
# refused; a broken queue fails its vif while the other vifs carry on; a
# reconnect and an xvifd restart (SIGKILL) keep the queues; a TAP made
# single-queue by someone else is taken over with one queue.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait --max-queues 4 --workers 2
be=/local/domain/0/backend/vif

GUEST_FE_ARGS="--queues 2 --shared-evtchn" guest_up 1
# (guest 2 reloads its driver when closed: the end of this test closes it)
GUEST_FE_ARGS="--queues 4 --split-evtchn --reload-when-closed" guest_up 2
GUEST_FE_ARGS="--queues 8" guest_up 3
if1=${GUEST_IF[1]} if2=${GUEST_IF[2]} if3=${GUEST_IF[3]}
d1=${GUEST_DOM[1]} d2=${GUEST_DOM[2]}

conn() { grep "$1: connected" "$T_DIR/xvifd.log" | tail -1; }
t_eq "offered: multi-queue-max-queues" "$(xenstore-read "$be/$d1/0/multi-queue-max-queues")" 4
t_eq "offered: feature-split-event-channels" \
	"$(xenstore-read "$be/$d1/0/feature-split-event-channels")" 1
t_ok "guest 1: 2 queues, one channel each" sh -c \
	"echo '$(conn "$if1")' | grep -q '(2 queues, queue 0: .*event channel [0-9]'"
t_ok "guest 2: 4 queues, split channels" sh -c \
	"echo '$(conn "$if2")' | grep -q '(4 queues, queue 0: .*event channels [0-9]*/[0-9]'"
t_eq "guest 2 wrote queue-3/event-channel-rx" \
	"$(xenstore-read "/local/domain/$d2/device/vif/0/queue-3/event-channel-rx" >/dev/null 2>&1 && echo yes)" yes
t_ok "guest 3 asked 8, got the 4 offered" sh -c \
	"echo '$(conn "$if3")' | grep -q '(4 queues'"
# Two worker threads, each serving some of guest 2's queues.
for w in 0 1; do
	t_ok "guest 2: a queue on worker $w" grep -q "$if2 queue [0-3]: on worker $w" "$T_DIR/xvifd.log"
done
t_ok "xvifd runs the 2 workers as threads" test "$(ls /proc/$XVIFD_PID/task | wc -l)" -ge 3

# xvifd_qcounter IF Q NAME: counter NAME of queue Q of IF (the queue
# lines of the dump follow the vif's).
xvifd_qcounter() { xvifd_dumped "$1 queue $2: " "$3"; }

# flows FROM_NS ADDR: 200 UDP datagrams, each from a socket of its own to
# a port of its own, so that hashing spreads them over every queue.
flows() {
	ip netns exec "$1" bash -c \
		"for p in \$(seq 30001 30200); do echo x >/dev/udp/$2/\$p; done" 2>/dev/null
}

for k in 1 2; do
	g=${GUEST_NS[$k]} i=${GUEST_IF[$k]}
	nq=$((k == 1 ? 2 : 4))
	flows "$DOM0_NS" "169.254.$k.2"
	flows "$g" "169.254.$k.1"
	for ((q = 0; q < nq; q++)); do
		t_ok "guest $k queue $q: frames from the guest" \
			test "$(xvifd_qcounter "$i" $q tx_frames)" -gt 0
		t_ok "guest $k queue $q: frames to the guest" \
			test "$(xvifd_qcounter "$i" $q rx_frames)" -gt 0
	done
	tcp_check "guest $k: tcp 8 MiB guest -> host, sha256" "$g" "$DOM0_NS" "169.254.$k.1" 8
	tcp_check "guest $k: tcp 8 MiB host -> guest, sha256" "$DOM0_NS" "$g" "169.254.$k.2" 8
done
t_ok "guest 3: ping" ip netns exec "${GUEST_NS[3]}" ping -c 2 -W 2 169.254.3.1

# fe_start K ARGS...: a guest whose netfront may be refused (no waiting
# for its carrier); sets FD (its domain).
fe_start() {
	local k=$1
	shift
	FD=$("$SIM" create --dir "$SIM_DIR" --name "g$k") || w_die "create domain"
	"$SIM" attach --dir "$SIM_DIR" "$FD" "mac=00:16:3e:0$k:00:01" >>"$T_DIR/tool.log" 2>&1 ||
		w_die "attach: $(tail -2 "$T_DIR/tool.log")"
	netns_add "$W_NS-g$k"
	"$SIM" netfront --dir "$SIM_DIR" "$FD" 0 --netns "$W_NS-g$k" "$@" \
		>>"$T_DIR/fe$k.log" 2>&1 &
	w_cleanup_add "w_stop $!"
}

# A frontend insisting on more queues than offered: refused, said why.
fe_start 4 --queues 2 --misbehave queues-over-max
t_ok "queues-over-max: backend Closing" t_wait 10 grep -q \
	"xvif${FD}i0: backend [A-Za-z]* -> Closing" "$T_DIR/xvifd.log"
t_ok "queues-over-max: error node says why" sh -c \
	"xenstore-read $be/$FD/0/error | grep -q 'guest requested 5 queues, exceeding the maximum of 4'"

# A broken queue 1: its vif fails (naming the queue), the others go on.
fe_start 5 --queues 2 --misbehave queue-prod-overrun
t_ok "queue-prod-overrun: fatal error names queue 1" t_wait 10 grep -q \
	"xvif${FD}i0: fatal error, disabling vif: queue 1: tx ring: req_prod" "$T_DIR/xvifd.log"
# (the simulated netfront then resets and connects again: look at the log)
t_ok "queue-prod-overrun: backend Closing" t_wait 10 grep -q \
	"xvif${FD}i0: backend Connected -> Closing" "$T_DIR/xvifd.log"
t_ok "queue-prod-overrun: error node names queue 1" sh -c \
	"xenstore-read $be/$FD/0/error | grep -q '^queue 1: tx ring'"
tcp_check "after it: guest 1 still moves data intact" "${GUEST_NS[1]}" "$DOM0_NS" 169.254.1.1 4
tcp_check "after it: guest 2 still moves data intact" "$DOM0_NS" "${GUEST_NS[2]}" 169.254.2.2 4

# Queue 0 of 2 on a TX ring ref never granted: the connect fails before
# queue 1 is set up, and letting go of the half-made connection must not
# touch what was never made (it took the daemon down once).
fe_start 8 --queues 2 --misbehave queue-ring-ungranted
t_ok "queue-ring-ungranted: queue 0's ring refused" t_wait 10 grep -q \
	"xvif${FD}i0: queue 0: map tx ring ref" "$T_DIR/xvifd.log"
t_ok "queue-ring-ungranted: backend Closing" t_wait 10 grep -q \
	"xvif${FD}i0: backend [A-Za-z]* -> Closing" "$T_DIR/xvifd.log"
t_ok "queue-ring-ungranted: xvifd still runs" kill -0 "$XVIFD_PID"
t_ok "queue-ring-ungranted: error node says why" sh -c \
	"xenstore-read $be/$FD/0/error | grep -q '^queue 0: map tx ring ref [0-9]*: '"
t_ok "after it: guest 3 still answers" ip netns exec "${GUEST_NS[3]}" ping -c 2 -W 2 169.254.3.1

# Reconnect with fresh rings: the queues come back.
GUEST_FE_ARGS="--queues 2 --misbehave reconnect" guest_up 6
if6=${GUEST_IF[6]}
t_ok "reconnect: connected twice with 2 queues" t_wait 10 sh -c \
	"[ \$(grep -Ec '$if6: connected( again)? \(2 queues' '$T_DIR/xvifd.log') -ge 2 ]"
t_wait 10 sh -c "ip -n ${GUEST_NS[6]} link show eth0 | grep -q LOWER_UP"
tcp_check "reconnect: tcp 4 MiB guest -> host, sha256" "${GUEST_NS[6]}" "$DOM0_NS" 169.254.6.1 4

# SIGKILL and restart: re-attached with its 4 split-channel queues.
kill -KILL "$XVIFD_PID"
wait "$XVIFD_PID" 2>/dev/null
xvifd_start --no-hotplug-wait --max-queues 4
t_ok "restart: guest 2 re-attached" t_wait 10 grep -q "$if2: connected again (4 queues" "$T_DIR/xvifd.log"
tcp_check "restart: guest 2 tcp 8 MiB host -> guest, sha256" "$DOM0_NS" "${GUEST_NS[2]}" 169.254.2.2 8
tcp_check "restart: guest 2 tcp 8 MiB guest -> host, sha256" "${GUEST_NS[2]}" "$DOM0_NS" 169.254.2.1 8

# A TAP someone made single-queue: taken over, one queue offered.
d7=$("$SIM" create --dir "$SIM_DIR" --name g7) || w_die "create domain"
ip -n "$DOM0_NS" tuntap add dev "xvif${d7}i0" mode tap || w_die "ip tuntap add"
w_cleanup_add "ip -n $DOM0_NS link del xvif${d7}i0 2>/dev/null"
"$SIM" attach --dir "$SIM_DIR" "$d7" mac=00:16:3e:07:00:01 >>"$T_DIR/tool.log" 2>&1 ||
	w_die "attach: $(tail -2 "$T_DIR/tool.log")"
t_ok "single-queue TAP: multi-queue-max-queues 1" t_wait 10 sh -c \
	"[ \"\$(xenstore-read $be/$d7/0/multi-queue-max-queues)\" = 1 ]"
netns_add "$W_NS-g7"
"$SIM" netfront --dir "$SIM_DIR" "$d7" 0 --netns "$W_NS-g7" --queues 2 >>"$T_DIR/fe7.log" 2>&1 &
w_cleanup_add "w_stop $!"
t_ok "single-queue TAP: connected with one queue" t_wait 10 grep -q \
	"xvif${d7}i0: connected.* (tx ring" "$T_DIR/xvifd.log"

# Restarted with fewer queues to offer, a 4-queue vif keeps its 4 (the
# frontend chose from what was offered); its TAP lost after that, it is
# made again under the connected guest, which keeps its 4 queues: the
# new TAP's offer was this xvifd's 1 while XenStore said 4, and every
# reset was refused.
kill -KILL "$XVIFD_PID"
wait "$XVIFD_PID" 2>/dev/null
xvifd_start --no-hotplug-wait --max-queues 1
t_ok "fewer offered: guest 2 re-attached with its 4 queues" t_wait 10 sh -c \
	"[ \$(grep -c '$if2: connected again (4 queues' '$T_DIR/xvifd.log') -ge 2 ]"
ip -n "$DOM0_NS" link del "$if2"
t_ok "fewer offered: its TAP lost, made again" t_wait 10 grep -q \
	"$if2: interface $if2 made again" "$T_DIR/xvifd.log"
t_ok "fewer offered: ... and connected again with 4 queues" t_wait 10 sh -c \
	"grep -A1000 '$if2: interface $if2 made again' '$T_DIR/xvifd.log' | grep -Eq '$if2: connected( again)? \(4 queues'"
t_eq "fewer offered: still offered 4" "$(xenstore-read "$be/$d2/0/multi-queue-max-queues")" 4
# Lost again, and a single-queue TAP of its name made by hand before xvifd
# looks (stopped meanwhile): the vif fails (lost again so soon, or its 4
# queues refused by that TAP), the guest reloads; the reset's interface
# is that one, one queue, and the offer follows it -- left at 4, the
# reset's 4 were refused.
n=$(grep -c "$if2: interface $if2 made again" "$T_DIR/xvifd.log")
kill -STOP "$XVIFD_PID"
ip -n "$DOM0_NS" link del "$if2"
ip -n "$DOM0_NS" tuntap add dev "$if2" mode tap || w_die "ip tuntap add"
kill -CONT "$XVIFD_PID"
t_ok "a single-queue TAP instead: taken, the offer 1" t_wait 10 sh -c \
	"[ \$(grep -c '$if2: interface $if2 made again' '$T_DIR/xvifd.log') -gt $n ] &&
	 [ \"\$(xenstore-read $be/$d2/0/multi-queue-max-queues)\" = 1 ]"
t_ok "... and the reset connected with one queue" t_wait 10 sh -c \
	"grep -A1000 '$if2: interface $if2 made again' '$T_DIR/xvifd.log' | grep -q '$if2: connected (tx ring'"
t_done
