#!/bin/bash
# t_runner_leaks.sh -- tests/run.sh catches what a test leaves behind.
# Runs tests/run.sh on fixture tests made here (T_SH_DIR, a filter no real
# test matches), each under a name of its own:
#   leaky   plain bash: leaves two namespaces named as the tests name them
#           (xvt<pid>-d0, xvt<pid>-r1), a daemon (setsid), a scratch
#           directory with the run's token, a persistent TAP in this
#           namespace; reports a pass
#   hung    ignores SIGTERM, so it times out and needs SIGKILL; leaves a
#           namespace and a directory, which run.sh must then remove
#   lib     a tests/sh/lib.sh test killed by the timeout in the middle of
#           a foreground timeout(1) (its own process group), with a
#           process that ignores SIGTERM: it must clean up by itself
#   libleak a lib.sh test that forgets a process and a namespace: lib.sh
#           reports them at exit and removes them
# and checks run.sh's FAIL lines, its summary and exit status, and that
# nothing of the fixtures is left.  Only names made here are touched.
. "$(dirname "$0")/lib.sh"
FIX=$T_DIR/fix
OUT=$T_DIR/out
mkdir "$FIX" "$OUT"
export T_FIX_OUT=$OUT

cat >"$FIX/t_zfix_leaky.sh" <<'EOF'
echo $$ >"$T_FIX_OUT/leaky.pid"
ip netns add xvt$$-d0 && ip netns add xvt$$-r1 || echo "FAIL t_zfix_leaky: ip netns add"
echo "/tmp/xvif-sh.$XVIF_T_TOKEN.leaky" >"$T_FIX_OUT/leaky.dir"
mkdir "/tmp/xvif-sh.$XVIF_T_TOKEN.leaky"
setsid -f sleep 300
ip tuntap add dev xvt$$l0 mode tap || echo "FAIL t_zfix_leaky: ip tuntap add"
echo "PASS t_zfix_leaky: ran"
EOF
cat >"$FIX/t_zfix_hung.sh" <<'EOF'
trap '' TERM
echo $$ >"$T_FIX_OUT/hung.pid"
ip netns add xvt$$-d0
echo "/tmp/xvif-sh.$XVIF_T_TOKEN.hung" >"$T_FIX_OUT/hung.dir"
mkdir "/tmp/xvif-sh.$XVIF_T_TOKEN.hung"
echo "PASS t_zfix_hung: started"
sleep 60
EOF
cat >"$FIX/t_zfix_lib.sh" <<EOF
. "$PWD/tests/sh/lib.sh"
echo \$\$ >"\$T_FIX_OUT/lib.pid"
echo "\$T_DIR" >"\$T_FIX_OUT/lib.dir"
netns_add "\$T_NS-g1"
bash -c 'trap "" TERM; sleep 60' &
t_cleanup_add "w_stop \$!"
t_pass "started"
timeout 60 sleep 60
EOF
cat >"$FIX/t_zfix_libleak.sh" <<EOF
. "$PWD/tests/sh/lib.sh"
echo \$\$ >"\$T_FIX_OUT/libleak.pid"
ip netns add "\$T_NS-x"
sleep 300 &
t_pass "ran"
t_done
EOF

T_SH_DIR=$FIX T_PROG_TIMEOUT=4 T_KILL_AFTER=2 tests/run.sh t_zfix_ >"$T_DIR/run.out" 2>&1
rc=$?
sed 's/^/  | /' "$T_DIR/run.out"
p_leaky=$(cat "$OUT/leaky.pid" 2>/dev/null) p_hung=$(cat "$OUT/hung.pid" 2>/dev/null)
p_lib=$(cat "$OUT/lib.pid" 2>/dev/null) p_libleak=$(cat "$OUT/libleak.pid" 2>/dev/null)
# What the fixtures may have left: removed here whatever run.sh says.
for p in $p_leaky $p_hung $p_lib $p_libleak; do
	t_cleanup_add "for n in \$(ip netns list | awk '{print \$1}' | grep -E '^xvt$p-'); do ip netns del \$n; done"
done
[ -z "$p_leaky" ] || t_cleanup_add "ip link del dev xvt${p_leaky}l0"
dirs=$(cat "$OUT"/*.dir 2>/dev/null | grep '^/tmp/xvif-' | tr '\n' ' ')
t_cleanup_add "rm -rf $dirs"
fix_procs() { env -u T_FIX_OUT grep -lszxF "T_FIX_OUT=$OUT" /proc/[0-9]*/environ; }
has() { grep -qxF -- "$1" "$T_DIR/run.out"; }
hasre() { grep -qE -- "$1" "$T_DIR/run.out"; }

t_not "run.sh exits non-zero" test "$rc" = 0
t_ok "summary line" has "4 passed, 11 failed"
t_ok "leaky: netns -d0 reported" has "FAIL t_zfix_leaky: left behind: netns xvt$p_leaky-d0"
t_ok "leaky: netns -r1 reported" has "FAIL t_zfix_leaky: left behind: netns xvt$p_leaky-r1"
t_ok "leaky: daemon reported" hasre "^FAIL t_zfix_leaky: left behind: process [0-9]+ \(sleep 300\)$"
t_ok "leaky: TAP reported" has "FAIL t_zfix_leaky: left behind: link xvt${p_leaky}l0"
t_ok "leaky: directory reported" hasre "^FAIL t_zfix_leaky: left behind: dir /tmp/xvif-sh\.[0-9_]+\.leaky$"
t_ok "hung: timed out" has "FAIL t_zfix_hung: timed out after 4s"
t_ok "hung: netns reported" has "FAIL t_zfix_hung: left behind: netns xvt$p_hung-d0"
t_ok "hung: directory reported" hasre "^FAIL t_zfix_hung: left behind: dir /tmp/xvif-sh\.[0-9_]+\.hung$"
t_ok "lib: timed out" has "FAIL t_zfix_lib: timed out after 4s"
t_not "lib: cleaned up by itself on SIGTERM" hasre "^FAIL t_zfix_lib: (left behind|cleanup)"
t_ok "libleak: lib.sh reports the process" hasre "^FAIL t_zfix_libleak: cleanup: left behind: process [0-9]+ \(sleep 300\)$"
t_ok "libleak: lib.sh reports the netns" has "FAIL t_zfix_libleak: cleanup: left behind: netns xvt$p_libleak-x"
t_not "libleak: nothing left for run.sh" hasre "^FAIL t_zfix_libleak: left behind"

t_not "no fixture netns left" sh -c "ip netns list | grep -E '^xvt($p_leaky|$p_hung|$p_lib|$p_libleak)-'"
t_not "no fixture TAP left" ip link show dev "xvt${p_leaky}l0"
t_not "no fixture directory left" sh -c "ls -d $dirs 2>/dev/null | grep ."
t_not "no fixture process left" fix_procs
t_done
