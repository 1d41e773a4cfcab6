#!/bin/bash
# t_xvifd_fdlimit.sh -- xvifd out of file descriptors: a new vif is
# refused, saying why, and nothing else is harmed.  glibc's
# if_nametoindex(), out of fds for its AF_UNIX and AF_INET sockets, tries
# AF_INET6, which the seccomp filter does not allow: that killed the
# daemon (SIGSYS), and every guest's network with it.
# Traffic stays on 169.254.0.0/16 inside namespaces created here.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait
guest_up 1
t_ok "a guest before" ip netns exec "${GUEST_NS[1]}" ping -c 2 -i 0.2 -W 2 -q 169.254.1.1

# The soft limit at the lowest free fd: the next open fails with EMFILE.
low=0
while [ -e "/proc/$XVIFD_PID/fd/$low" ]; do low=$((low + 1)); done
hard=$(awk '/^Max open files/ {print $5}' "/proc/$XVIFD_PID/limits")
soft=$(awk '/^Max open files/ {print $4}' "/proc/$XVIFD_PID/limits")
prlimit --pid "$XVIFD_PID" --nofile="$low:$hard" || w_die "prlimit"
d=$("$SIM" create --dir "$SIM_DIR" --name g2) || w_die "create domain"
timeout 30 "$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:02:00:01 >>"$T_DIR/tool.log" 2>&1
t_ok "out of fds: the new vif refused, saying why" t_wait 10 grep -q \
	"xvif${d}i0: create interface xvif${d}i0: Too many open files" "$T_DIR/xvifd.log"
t_ok "out of fds: xvifd alive" kill -0 "$XVIFD_PID"
t_eq "out of fds: its backend Closed" "$(xenstore-read "/local/domain/0/backend/vif/$d/0/state")" 6
t_ok "out of fds: the guest before unharmed" \
	ip netns exec "${GUEST_NS[1]}" ping -c 2 -i 0.2 -W 2 -q 169.254.1.1
prlimit --pid "$XVIFD_PID" --nofile="$soft:$hard" || w_die "prlimit"
guest_up 3
t_ok "fds again: a new guest connects" \
	ip netns exec "${GUEST_NS[3]}" ping -c 2 -i 0.2 -W 2 -q 169.254.3.1
t_done
