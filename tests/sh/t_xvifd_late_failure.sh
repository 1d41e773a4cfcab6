#!/bin/bash
# A failure a worker recorded, and the control plane has not applied yet,
# belongs to the connection it happened on.  A frontend that resets in
# between (a driver that died and reloads: Initialising, fresh rings) must
# get its fresh connection, and the old failure must still be said; it
# once failed the fresh connection instead, with the old reason.
# xvifd-faults applies the workers' failures XVIFD_TEST_FAIL_DELAY_MS
# late, so that the reset comes first every run.  The reset may even be
# handled before the worker sees the overrun, which it then meets while
# it lets go of the queue: the same must hold.  The delay leaves room for
# the checks that must come before the failure is applied, on a slow
# machine too.
. "$(dirname "$0")/lib.sh"
sim_host_start
export XVIFD_TEST_FAIL_DELAY_MS=4000
XVIFD=$XVIFD_FAULTS xvifd_start --no-hotplug-wait
unset XVIFD_TEST_FAIL_DELAY_MS
be=/local/domain/0/backend/vif
t_ok "test build: failures applied late" grep -q "failures applied 4000 ms late" "$T_DIR/xvifd.log"

GUEST_FE_ARGS="--misbehave overrun-reinit" guest_up 1
d=${GUEST_DOM[1]}
t_ok "overrun-reinit: the worker failed the old rings" t_wait 10 grep -q \
	"xvif${d}i0: fatal error, disabling vif: tx ring: req_prod" "$T_DIR/xvifd.log"
t_ok "overrun-reinit: the frontend connected fresh rings" t_wait 15 grep -q \
	"state Connected: tx-ring-ref 10" "$T_DIR/fe1.log"
t_ok "overrun-reinit: backend Connected again" t_wait 10 state_is "$be/$d/0" 4
sleep 4.5	# past the delay: nothing fails the fresh connection late
t_ok "overrun-reinit: ... and still Connected after the delay" state_is "$be/$d/0" 4
t_ok "overrun-reinit: connected twice (old rings, fresh ones), failed once" sh -c \
	"[ \$(grep -c 'xvif${d}i0: connected' '$T_DIR/xvifd.log') = 2 ] &&
	 [ \$(grep -c 'xvif${d}i0: backend Connected -> Closing' '$T_DIR/xvifd.log') = 1 ]"
t_ok "overrun-reinit: the error node says why the old rings failed" sh -c \
	"xenstore-read $be/$d/0/error | grep -q '^tx ring: req_prod'"
t_wait 10 sh -c "ip -n ${GUEST_NS[1]} link show eth0 | grep -q LOWER_UP"
t_ok "overrun-reinit: the fresh rings carry a ping" \
	ip netns exec "${GUEST_NS[1]}" ping -c 2 -i 0.2 -W 2 -q 169.254.1.1

# The control: the same failure with no reset still fails the vif, late.
# (a guest that reloads its driver: closed before guest_up saw it up,
# as the late failure may be, a Linux one would stay down)
GUEST_FE_ARGS="--misbehave prod-overrun --reload-when-closed" guest_up 2
d2=${GUEST_DOM[2]}
t_ok "prod-overrun, late: backend Closing" t_wait 10 grep -q \
	"xvif${d2}i0: backend Connected -> Closing" "$T_DIR/xvifd.log"
t_ok "prod-overrun, late: error node says why" sh -c \
	"xenstore-read $be/$d2/0/error | grep -q '^tx ring: req_prod'"

# A guest that breaks its ring and then storms its channel, in the window
# before the control plane applies the failure: the failed queue leaves
# its channel masked (the next attach unmasks it), so the storm is not
# let in.  It was unmasked after each event, at once, with no back-off:
# every notification a read and an unmask until the queue was let go.
# Its connection ends as it starts: guest_up does not wait for a carrier
# (once there was none left when it looked, the failure applied).
GUEST_NO_CARRIER=1 GUEST_FE_ARGS="--misbehave overrun-storm" guest_up 3
d3=${GUEST_DOM[3]}
t_ok "overrun-storm: the worker failed the queue" t_wait 10 grep -q \
	"xvif${d3}i0: fatal error, disabling vif: tx ring: req_prod" "$T_DIR/xvifd.log"
t_ok "overrun-storm: the guest storms" t_wait 5 grep -q \
	"misbehave overrun-storm: .*then notifying 50 times a millisecond" "$T_DIR/fe3.log"
sleep 0.8	# well within the 4000 ms the failure waits
kill -USR1 "${GUEST_FE[3]}"
ein=$(xvifd_counter "xvif${d3}i0" events_in)
t_not "overrun-storm: ... still within the failure's wait" grep -q \
	"xvif${d3}i0: backend Connected -> Closing" "$T_DIR/xvifd.log"
t_wait 3 grep -q "storm: [0-9]* notifications sent" "$T_DIR/fe3.log"
sent=$(grep -o "storm: [0-9]*" "$T_DIR/fe3.log" | tail -1 | cut -d' ' -f2)
[ -n "$ein" ] && [ "$ein" -lt 20 ] && [ "${sent:-0}" -gt 1000 ] &&
	t_pass "overrun-storm: the failed queue lets in none of the storm ($ein events of $sent)" ||
	t_fail "overrun-storm: the failed queue lets in none of the storm" "events_in=${ein:-none}, sent ${sent:-none}"
t_ok "overrun-storm, late: backend Closing" t_wait 10 grep -q \
	"xvif${d3}i0: backend Connected -> Closing" "$T_DIR/xvifd.log"
t_ok "xvifd still runs" kill -0 "$XVIFD_PID"
t_done
