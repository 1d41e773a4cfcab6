#!/bin/bash
# One xvifd per backend domain.  A second xvifd on the same host (same
# state directory) exits at once, with status 78, and one line naming the lock
# file and the pid holding it (with another state directory, or the lock
# file removed, naming the backend domain's lock), and touches no vif: the first one's guest
# keeps its Connected backend, its interface and its traffic, and the
# first xvifd sees nothing happen.  The same with --daemon (the starter
# exits with the failure).  The lock goes with its holder.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait
guest_up 4
d=${GUEST_DOM[4]} g=${GUEST_NS[4]}
be=/local/domain/0/backend/vif/$d/0
lock=$SIM_DIR/xvifd/xvifd.lock

t_ok "ping before" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 -q 169.254.4.1
t_eq "the lock file names its holder" "$(tr -d '\n' <"$lock")" "$XVIFD_PID"

# second [ARGS]: a second xvifd for the same host; its exit status and
# seconds taken in $rc and $took, its output in $T_DIR/second.out.
second() {
	local t0=$SECONDS
	timeout 20 ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" \
		-vv --no-hotplug-wait "$@" >"$T_DIR/second.out" 2>&1
	rc=$? took=$((SECONDS - t0))
}
one_line() {
	[ "$(wc -l <"$T_DIR/second.out")" -eq 1 ] && grep -Eq -e "$1" "$T_DIR/second.out"
}
untouched() {	# WHAT: the first xvifd's vif is as it was
	local what=$1
	sleep 1		# what a second xvifd did to the vif would show by now
	t_eq "$what: backend still Connected" "$(xenstore-read "$be/state")" 4
	t_not "$what: no error node on the backend" xenstore-read "$be/error"
	t_ok "$what: interface still there" ip -n "$DOM0_NS" link show "xvif${d}i0"
	t_ok "$what: ping still works" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 -q 169.254.4.1
	t_eq "$what: first xvifd logged nothing new" \
		"$(tail -n +$((n_log + 1)) "$T_DIR/xvifd.log")" ""
	t_eq "$what: the guest saw no backend state change" \
		"$(tail -n +$((n_fe + 1)) "$T_DIR/fe4.log" | grep 'backend state')" ""
	t_ok "$what: first xvifd still runs" kill -0 "$XVIFD_PID"
}

n_log=$(wc -l <"$T_DIR/xvifd.log") n_fe=$(wc -l <"$T_DIR/fe4.log")
second
t_eq "second xvifd: exit 78 (refused: no restart mends it)" "$rc" 78
[ "$took" -le 5 ] && t_pass "second xvifd: exits at once (${took}s)" ||
	t_fail "second xvifd: exits at once" "took ${took}s"
t_ok "second xvifd: one line naming the lock file and the holder's pid" \
	one_line "xvifd: $lock is held by pid $XVIFD_PID: another xvifd serves this backend domain"
untouched "second xvifd"

n_log=$(wc -l <"$T_DIR/xvifd.log") n_fe=$(wc -l <"$T_DIR/fe4.log")
second --daemon
t_eq "second xvifd --daemon: the starter exits 78" "$rc" 78
t_ok "second xvifd --daemon: the message reaches the starter's stderr" \
	one_line "xvifd: $lock is held by pid $XVIFD_PID"
untouched "second xvifd --daemon"
t_eq "no xvifd left for this host but the first" \
	"$(pgrep -f -- "xvifd --hv sim --sim-dir $SIM_DIR " | tr '\n' ' ')" "$XVIFD_PID "

# Nor does another state directory, or the lock file removed by hand (a
# "stale pid file" habit): the backend domain's own lock, an abstract
# socket, refuses the second daemon before it binds anything.
dom_msg="another xvifd serves backend domain 0: it holds the lock on $SIM_DIR/xvifd-backend-0.lock"
n_log=$(wc -l <"$T_DIR/xvifd.log") n_fe=$(wc -l <"$T_DIR/fe4.log")
second --state-dir "$T_DIR/other"
t_eq "second xvifd, another --state-dir: exit 78" "$rc" 78
t_ok "second xvifd, another --state-dir: one line naming the domain's lock" \
	one_line "xvifd: $dom_msg"
untouched "second xvifd, another --state-dir"

n_log=$(wc -l <"$T_DIR/xvifd.log") n_fe=$(wc -l <"$T_DIR/fe4.log")
rm "$lock"
second
t_eq "second xvifd, the lock file removed: exit 78" "$rc" 78
t_ok "second xvifd, the lock file removed: one line naming the domain's lock" \
	one_line "xvifd: $dom_msg.*lock file $lock was removed"
untouched "second xvifd, the lock file removed"

# The lock goes with its holder: a successor takes it, and re-attaches.
old=$XVIFD_PID
kill -TERM "$XVIFD_PID"
wait "$XVIFD_PID"
t_eq "first xvifd: SIGTERM, exit 0" "$?" 0
xvifd_start --no-hotplug-wait
t_wait 10 sh -c "grep -c 're-attached' '$T_DIR/xvifd.log' | grep -q 1" &&
	t_pass "a successor starts and re-attaches" ||
	t_fail "a successor starts and re-attaches" "$(tail -3 "$T_DIR/xvifd.log")"
t_eq "the lock file names the successor" "$(tr -d '\n' <"$lock")" "$XVIFD_PID"
[ "$XVIFD_PID" != "$old" ] || t_fail "successor" "same pid?"
t_ok "ping through the successor" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 -q 169.254.4.1
t_done
