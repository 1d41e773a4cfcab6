#!/bin/bash
# The event-channel device fails a read (xvifd-faults' fault point
# XVIFD_TEST_EVT_FAULT, in the simulated port: the daemon's code is the
# product's).
#
# lost: the read drops the ports it took, left masked, and says EFBIG, as
# Linux's evtchn device does once its buffer overflowed.  xvifd runs and
# unmasks every port of the worker; it once took the error for "no port",
# so a dropped port stayed masked and its queue deaf for good.
#
# broken: every read fails from then on, the handle still readable.
# xvifd exits, saying why, for its supervisor to restart it (restarts are
# crash-safe); it once took that for "no port" too, and its worker spun.
. "$(dirname "$0")/lib.sh"
sim_host_start

# pings NS ADDR N: N pings, 20 ms apart; how many were answered.
pings() {
	ip netns exec "$1" ping -c "$3" -i 0.02 -W 1 "$2" 2>/dev/null |
		awk '/received/ { print $4 }'
}

export XVIFD_TEST_EVT_FAULT=lost:40
XVIFD=$XVIFD_FAULTS xvifd_start --no-hotplug-wait
unset XVIFD_TEST_EVT_FAULT
t_ok "test build: event-channel reads fail" grep -q \
	"test build: event-channel reads fail (lost:40)" "$T_DIR/xvifd.log"
guest_up 1
g=${GUEST_NS[1]}
# The 40th read comes in these pings, if not in the connect before them.
t_wait 10 grep -q "notifications lost" "$T_DIR/xvifd.log" || pings "$g" 169.254.1.1 60 >/dev/null
t_ok "lost: xvifd says so" t_wait 10 grep -q \
	"worker [0-9]*: event channels: notifications lost (the device's buffer overflowed): every queue run" \
	"$T_DIR/xvifd.log"
n=$(pings "$g" 169.254.1.1 20)
t_eq "lost: the guest's queue still hears its channel (pings answered)" "${n:-0}" 20
t_ok "lost: xvifd still runs" kill -0 "$XVIFD_PID"

# broken: the daemon exits with the reason, within a second or so.
kill -TERM "$XVIFD_PID"
wait "$XVIFD_PID" 2>/dev/null
export XVIFD_TEST_EVT_FAULT=broken:5
XVIFD=$XVIFD_FAULTS xvifd_start --no-hotplug-wait
unset XVIFD_TEST_EVT_FAULT
dead=$XVIFD_PID
pings "$g" 169.254.1.1 10 >/dev/null &
p=$!
if t_wait 15 sh -c "! kill -0 $dead 2>/dev/null"; then
	wait "$dead" 2>/dev/null
	rc=$?
	[ "$rc" != 0 ] && [ "$rc" -lt 128 ] &&
		t_pass "broken: xvifd exits with an error (rc $rc)" ||
		t_fail "broken: xvifd exits with an error" "rc $rc"
else
	t_fail "broken: xvifd exits with an error" "still running after 15 s"
	kill -KILL "$dead"
	wait "$dead" 2>/dev/null
fi
wait "$p" 2>/dev/null
t_ok "broken: xvifd says why" grep -q \
	"worker [0-9]*: event channels: read: Bad file descriptor" "$T_DIR/xvifd.log"

# The supervisor's restart: the guest carries on.
xvifd_start --no-hotplug-wait
t_wait 15 sh -c "ip -n $g link show eth0 | grep -q LOWER_UP"
ip -n "$DOM0_NS" link set "${GUEST_IF[1]}" up 2>/dev/null
ip -n "$DOM0_NS" addr add 169.254.1.1/24 dev "${GUEST_IF[1]}" 2>/dev/null
t_ok "restarted: the guest's pings are answered" t_wait 15 \
	ip netns exec "$g" ping -c 1 -W 1 -q 169.254.1.1
t_done
