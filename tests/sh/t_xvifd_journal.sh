#!/bin/bash
# --syslog where journald listens: each line goes in journald's native
# protocol with SYSLOG_IDENTIFIER, PRIORITY and, for a line about a vif,
# XVIF_VIF (and XVIF_QUEUE for one about a queue), so that an admin can
# `journalctl XVIF_VIF=xvif1i0`.  The journal here is a stand-in: in a
# private mount namespace a tmpfs over /run/systemd holds journal/socket,
# a datagram socket a python3 listener reads, with seccomp armed in xvifd
# as always.  Nothing of the machine's own /run/systemd is touched.
. "$(dirname "$0")/lib.sh"
sim_host_start
DOM0_NS=$T_NS-d0
netns_add "$DOM0_NS"
J=$T_DIR/journal
cat >"$T_DIR/journal.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[3], "w").close()
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        # One entry a line, its fields joined by "|" (none has one here).
        out.write(s.recv(65536).rstrip(b"\n").replace(b"\n", b"|") + b"\n")
PY
unshare -m --propagation private sh -c "
	mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/journal || exit 1
	python3 '$T_DIR/journal.py' /run/systemd/journal/socket '$J' '$T_DIR/ready' &
	echo \$! >'$T_DIR/journal.pid'
	for i in \$(seq 50); do [ -e '$T_DIR/ready' ] && break; sleep 0.1; done
	exec ip netns exec '$DOM0_NS' '$XVIFD' --hv sim --sim-dir '$SIM_DIR' --syslog -vv \
		--no-hotplug-wait --max-queues 2
" >"$T_DIR/xvifd.log" 2>&1 &
XVIFD_PID=$!
t_cleanup_add "w_stop $XVIFD_PID"
t_cleanup_add 'kill $(cat "$T_DIR/journal.pid" 2>/dev/null) 2>/dev/null'
t_ok "xvifd serving, said so to the journal" t_wait 10 grep -q 'MESSAGE=serving' "$J"
guest_up 1
GUEST_FE_ARGS="--queues 2" guest_up 2
t_wait 5 grep -q 'MESSAGE=xvif2i0: connected' "$J"
entry() { grep -F "MESSAGE=$1" "$J" | head -1; }
e=$(entry "xvif1i0: Ethernet address 00:16:3e:02:00:01")
t_ok "xvif(4)'s line is in the journal" test -n "$e"
t_ok "... with XVIF_VIF=xvif1i0" grep -q '|XVIF_VIF=xvif1i0\(|\|$\)' <<<"$e"
t_ok "... PRIORITY=6 (info)" grep -q '|PRIORITY=6|' <<<"$e"
t_ok "... SYSLOG_IDENTIFIER=xvifd" grep -q '|SYSLOG_IDENTIFIER=xvifd' <<<"$e"
t_not "... and no XVIF_QUEUE" grep -q 'XVIF_QUEUE=' <<<"$e"
e=$(grep -F 'MESSAGE=xvif2i0 queue 1: ' "$J" | head -1)
t_ok "a line about guest 2's queue 1: XVIF_VIF and XVIF_QUEUE" sh -c \
	"echo '$e' | grep -q '|XVIF_VIF=xvif2i0|XVIF_QUEUE=1\(|\|$\)'"
t_not "a line about no vif has no XVIF_VIF" sh -c "grep -F 'MESSAGE=serving' '$J' | grep -q XVIF_VIF"
t_ok "debug lines are there at -vv (PRIORITY=7)" grep -q '|PRIORITY=7|' "$J"
t_not "nothing went to stderr" grep -q 'xvif1i0' "$T_DIR/xvifd.log"
# A warning: a toolstack that wrote a bad MAC for a domain 60 (no guest
# needed: xvifd refuses before) gets xvif(4)'s diagnostic.
be=/local/domain/0/backend/vif
xenstore-write $be/60/0/mac "00:16:3e:zz:00:01" $be/60/0/online 1 $be/60/0/state 1 \
	$be/60/0/frontend-id 60 $be/60/0/frontend /local/domain/60/device/vif/0
t_ok "xvif(4)'s 'not a valid mac address' at PRIORITY=4, XVIF_VIF=xvif60i0" t_wait 10 sh -c \
	"grep -F 'MESSAGE=xvif60i0: 00:16:3e:zz:00:01 is not a valid mac address' '$J' |
	grep -q '|PRIORITY=4|.*|XVIF_VIF=xvif60i0'"
t_ok "xvifd still serving" kill -0 "$XVIFD_PID"
t_done
