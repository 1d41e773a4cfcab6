#!/bin/bash
# xvifd's startup errors: one clear line naming the cause, nothing left
# behind, and an exit status that tells a supervisor whether a restart
# may help: 1 it may (no host yet), 2 the command line, 78 the host
# refuses this xvifd (xvifd.service's RestartPreventExitStatus=).
. "$(dirname "$0")/lib.sh"
run() { "$XVIFD" "$@" >"$T_DIR/out" 2>&1; echo $?; }
one_line() { [ "$(wc -l <"$T_DIR/out")" -eq 1 ] && grep -Eq -e "$1" "$T_DIR/out"; }

t_eq "bad option: exit 2" "$(run --frobnicate)" 2
t_eq "stray argument: exit 2 (the command line)" "$(run --hv sim --sim-dir /tmp extra)" 2
t_ok "stray argument: one line" one_line "unexpected argument 'extra'"
t_eq "--hv sim without --sim-dir: exit 2 (the command line)" "$(run --hv sim)" 2
t_ok "--hv sim without --sim-dir: one line" one_line "needs --sim-dir"
t_eq "--hv xen with --sim-dir: exit 2 (the command line)" "$(run --hv xen --sim-dir /tmp)" 2
t_ok "--hv xen with --sim-dir: one line" one_line "--sim-dir is for --hv sim, not --hv xen"
t_eq "unknown hypervisor: exit 2 (the command line)" "$(run --hv kvm)" 2
t_ok "unknown hypervisor: one line" one_line "--hv kvm: unknown hypervisor"
t_eq "bad backend domid: exit 2 (the command line)" "$(run --backend-domid 70000)" 2
t_ok "bad backend domid: one line" one_line "not a domain id"
for v in 0 9 x; do
	t_eq "--max-queues $v: exit 2 (the command line)" "$(run --max-queues $v)" 2
	t_ok "--max-queues $v: one line" one_line "--max-queues $v: not a number of queues \(1\.\.8\)"
done
for v in 0 65 -1; do
	t_eq "--workers $v: exit 2 (the command line)" "$(run --workers $v)" 2
	t_ok "--workers $v: one line" one_line "--workers $v: not a number of threads \(1\.\.64\)"
done
t_eq "no simulated host there: exit 1" "$(run --hv sim --sim-dir "$T_DIR/none")" 1
t_ok "no simulated host there: one line naming the fix" one_line "is .xvif-sim host --dir .*none. running"
if [ ! -e /dev/xen/gntdev ]; then
	t_eq "no Xen here: exit 1" "$(XENSTORED_PATH=$T_DIR/none run --hv xen)" 1
	t_ok "no Xen here: one line naming the cause" one_line "cannot open Xen"
fi
sim_host_start
t_eq "state directory is a file: exit 78 (refused)" "$(run --hv sim --sim-dir "$SIM_DIR" --state-dir /etc/hostname)" 78
t_ok "state directory is a file: one line" one_line "state directory /etc/hostname: not a directory"
t_eq "state directory cannot be made: exit 1 (a parent may come)" "$(run --hv sim --sim-dir "$SIM_DIR" --state-dir "$T_DIR/no/such")" 1
t_ok "state directory cannot be made: one line" one_line "state directory .*/no/such: No such file"
t_eq "state directory path too long: exit 2 (the command line)" "$(run --hv sim --sim-dir "$SIM_DIR" --state-dir "/$(printf 'a%.0s' $(seq 300))")" 2
t_ok "state directory path too long: one line" one_line "--state-dir: path longer than"
sock_long="$T_DIR/$(printf 'b%.0s' $(seq 100))"
t_eq "state directory too long for its socket: exit 2 (the command line)" \
	"$(run --hv sim --sim-dir "$SIM_DIR" --state-dir "$sock_long")" 2
t_ok "state directory too long for its socket: one line" \
	one_line "state directory $sock_long: too long a path for its control socket \(9[0-9] bytes at most\)"
t_not "... nothing made" test -e "$sock_long"
# --daemon leaves the directory it started in: relative paths still count
# from there, and the daemon serves.
t_cleanup_add 'for p in $(t_pids "st.rel --daemon"); do w_stop $p; done'
(cd "$W_DIR" && "$XVIFD" --hv sim --sim-dir host --state-dir st.rel --daemon --no-hotplug-wait)
t_eq "--daemon: the starting process exits 0" "$?" 0
t_wait 5 test -d "$W_DIR/st.rel" && t_pass "--daemon: relative --state-dir made where it started" ||
	t_fail "--daemon: relative --state-dir made where it started" "no $W_DIR/st.rel"
dpid=$(t_pids "--sim-dir host --state-dir st.rel --daemon")
t_ok "--daemon: the daemon runs (relative --sim-dir found)" kill -0 "${dpid:-none}"
[ -n "$dpid" ] && { kill "$dpid"; t_wait 5 sh -c "! kill -0 $dpid 2>/dev/null"; }
t_ok "--help: usage on stdout, exit 0" sh -c "'$XVIFD' --help | grep -q -- '--backend-domid'"
t_done
