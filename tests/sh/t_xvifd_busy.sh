#!/bin/bash
# --busy-poll USEC: after a frame, a worker polls instead of sleeping for
# USEC.  Frames flow both ways as without it; the control socket reports
# the setting and the polls that found nothing (so the window ran); once
# the traffic stops, the workers sleep again (xvifd's CPU time stays
# flat, the zero-wakeups-when-idle rule); without the option, no polls.
. "$(dirname "$0")/lib.sh"
XVIFCTL=$PWD/$BUILD/xvifctl
C() { "$XVIFCTL" --sim-dir "$SIM_DIR" "$@"; }
daemon_key() { C list --json | tr -d ' \n' | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
# xvifd's CPU time (utime + stime, clock ticks), all threads.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$XVIFD_PID/stat"; }

sim_host_start
xvifd_start --no-hotplug-wait --busy-poll 2000 --workers 1
guest_up 5
g=${GUEST_NS[5]}
t_ok "serving line says busy polling" grep -q "serving .*, busy polling)" "$T_DIR/xvifd.log"
t_eq "control socket: busy_poll_us" "$(daemon_key busy_poll_us)" 2000
t_ok "ping guest -> dom0" ip netns exec "$g" ping -c 20 -i 0.01 -W 2 -q 169.254.5.1
t_ok "ping dom0 -> guest" ip netns exec "$DOM0_NS" ping -c 20 -i 0.01 -W 2 -q 169.254.5.2
tcp_check "8 MiB guest -> dom0 intact" "$g" "$DOM0_NS" 169.254.5.1 8
tcp_check "8 MiB dom0 -> guest intact" "$DOM0_NS" "$g" 169.254.5.2 8
n=$(daemon_key busy_polls_empty)
t_ok "the worker polled after frames ($n empty polls)" test "${n:-0}" -gt 0
# Idle: 2 s without traffic cost xvifd at most 0.1 s of CPU (a worker
# that kept polling would take ~2 s).  The guest's own IPv6 chatter may
# open a window or two: 2 ms each.
sleep 0.5
c0=$(cpu_ticks)
sleep 2
c1=$(cpu_ticks)
hz=$(getconf CLK_TCK)
t_ok "idle: the worker sleeps again ($((c1 - c0)) ticks of $((2 * hz)) in 2 s)" \
	test $((c1 - c0)) -le $((hz / 10))

# Without the option: no window, no polls.
kill -TERM "$XVIFD_PID"; wait "$XVIFD_PID"
xvifd_start --no-hotplug-wait --workers 1
t_ok "without --busy-poll: ping" ip netns exec "$g" ping -c 10 -i 0.01 -W 2 -q 169.254.5.1
t_eq "without --busy-poll: busy_poll_us" "$(daemon_key busy_poll_us)" 0
t_eq "without --busy-poll: no polls" "$(daemon_key busy_polls_empty)" 0
t_done
