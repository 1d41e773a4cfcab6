#!/bin/bash
# A crash between writing ring responses and pushing them.  A response
# slot is the request slot it answers, so a restarted xvifd that read
# those slots as requests would act on garbage (on TX: a grant ref that is
# the request id).  xvifd is made to SIGKILL itself in exactly that window
# (XVIFD_TEST_KILL_AT_PUSH, a fault point of the test build
# xvifd-faults only) on a TX push, then on
# an RX push, each in the middle of a TCP transfer.  The restarted xvifd
# must push those responses from its journal: its log says how many, no
# request is refused and no grant copy fails afterwards, no corrupt
# segment reaches either stack, and the transfer completes intact.
#
# Guest 5's netfront takes no offloads, so that both stacks check every
# segment's checksum (a partial one is taken as good); guest 6's takes
# them all, so that superframes and GSO extras are in flight when xvifd
# dies (fewer, so the fault point is earlier).
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait
GUEST_FE_ARGS=--no-offload guest_up 5
guest_up 6
g=${GUEST_NS[5]} d=${GUEST_DOM[5]} who="guest 5"
t_ok "ping before the crashes" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 -q 169.254.5.1

csum_errors() { ip netns exec "$1" nstat -asz TcpInCsumErrors | awk '/TcpInCsumErrors/{print $2}'; }

# crash RING N FROM_NS TO_NS TO_ADDR: restart xvifd with the fault point
# at its Nth push of RING responses, move 16 MiB FROM -> TO over guest
# $g (domain $d), checks named after $who.
crash() {
	local ring=$1 n=$2 from=$3 to=$4 addr=$5 tx rc
	kill -TERM "$XVIFD_PID"; wait "$XVIFD_PID"
	export XVIFD_TEST_KILL_AT_PUSH=$ring:$n@$d
	XVIFD=$XVIFD_FAULTS xvifd_start --no-hotplug-wait
	unset XVIFD_TEST_KILL_AT_PUSH
	local dead=$XVIFD_PID
	head -c $((16 * 1048576)) /dev/urandom >"$T_DIR/c.in"
	tcp_send "$from" "$to" "$addr" "$T_DIR/c.in" "$T_DIR/c.out" &
	tx=$!
	if t_wait 30 sh -c "! kill -0 $dead 2>/dev/null"; then
		wait "$dead" 2>/dev/null; rc=$?
		t_eq "$who $ring: xvifd killed itself at push $n (SIGKILL)" "$rc" 137
	else
		t_fail "$who $ring: xvifd killed itself at push $n" "still running after 30 s"
	fi
	local n0
	n0=$(grep -cE "xvif${d}i0: pushed [0-9]+ tx and [0-9]+ rx responses" "$T_DIR/xvifd.log")
	xvifd_start --no-hotplug-wait
	if t_wait 10 sh -c "[ \$(grep -cE 'xvif${d}i0: pushed [0-9]+ tx and [0-9]+ rx responses' '$T_DIR/xvifd.log') -gt $n0 ]"; then
		local l
		l=$(grep -oE "xvif${d}i0: pushed [0-9]+ tx and [0-9]+ rx" "$T_DIR/xvifd.log" | tail -1)
		l=${l#*: }
		case "$ring:$l" in
		tx:"pushed 0 "*|rx:*" and 0 rx") t_fail "$who $ring: unpushed responses pushed on restart" "$l" ;;
		*) t_pass "$who $ring: unpushed responses pushed on restart ($l)" ;;
		esac
	else
		t_fail "$who $ring: unpushed responses pushed on restart" "$(tail -3 "$T_DIR/xvifd.log")"
	fi
	if wait $tx; then
		t_eq "$who $ring: 16 MiB intact across the crash (sha256)" \
			"$(sha256sum <"$T_DIR/c.out" | cut -d' ' -f1)" "$(sha256sum <"$T_DIR/c.in" | cut -d' ' -f1)"
	else
		t_fail "$who $ring: 16 MiB intact across the crash" "the transfer failed"
	fi
	# This vif's counters, from a dump of the restarted xvifd's (the log
	# holds every earlier round's and the other guest's); none read fails.
	for c in tx_bad_requests tx_grant_errors rx_bad_requests rx_grant_errors; do
		t_eq_val "$who $ring: $c after the restart" "$(xvifd_counter "xvif${d}i0" $c)" 0
	done
	t_eq "$who $ring: no corrupt TCP segment reached dom0" "$(csum_errors "$DOM0_NS")" 0
	t_eq "$who $ring: no corrupt TCP segment reached the guest" "$(csum_errors "$g")" 0
}

# The product has no fault point: armed for guest 5's first push, xvifd
# (not the test build) serves guest 5 on.
kill -TERM "$XVIFD_PID"; wait "$XVIFD_PID"
export XVIFD_TEST_KILL_AT_PUSH=tx:1@$d
xvifd_start --no-hotplug-wait
t_ok "the product ignores the fault point: guest 5 served, xvifd alive" sh -c \
	"ip netns exec $g ping -c 3 -i 0.2 -W 2 -q 169.254.5.1 && kill -0 $XVIFD_PID"
unset XVIFD_TEST_KILL_AT_PUSH
# The fault point counts the pushes of the domain it names only (guest
# 6's own traffic must not move it off guest 5): armed for a domain with
# no vif, it leaves xvifd serving guest 5.
kill -TERM "$XVIFD_PID"; wait "$XVIFD_PID"
export XVIFD_TEST_KILL_AT_PUSH=tx:1@999
XVIFD=$XVIFD_FAULTS xvifd_start --no-hotplug-wait
unset XVIFD_TEST_KILL_AT_PUSH
t_ok "fault point of another domain: guest 5 served, xvifd alive" sh -c \
	"ip netns exec $g ping -c 3 -i 0.2 -W 2 -q 169.254.5.1 && kill -0 $XVIFD_PID"
# A value the test build cannot read stops it before it serves anything.
for v in tx:0 tx:x rx:5@ up:3 tx:5@70000 rx:+ rx:5++; do
	out=$(XVIFD_TEST_KILL_AT_PUSH=$v timeout 10 "$XVIFD_FAULTS" --hv sim --sim-dir "$SIM_DIR" 2>&1)
	t_eq "test build refuses XVIFD_TEST_KILL_AT_PUSH=$v" "$? $out" \
		"1 xvifd: XVIFD_TEST_KILL_AT_PUSH=$v: want tx:N or rx:N (N from 1), optionally + and @DOMID"
done
crash tx 200 "$g" "$DOM0_NS" 169.254.5.1
crash rx 200 "$DOM0_NS" "$g" 169.254.5.2
g=${GUEST_NS[6]} d=${GUEST_DOM[6]} who="guest 6"
crash tx 20 "$g" "$DOM0_NS" 169.254.6.1
crash rx 20 "$DOM0_NS" "$g" 169.254.6.2
g=${GUEST_NS[5]} d=${GUEST_DOM[5]}
t_ok "ping both ways after the crashes" sh -c "ip netns exec $g ping -c 2 -i 0.2 -W 2 -q 169.254.5.1 && ip netns exec $DOM0_NS ping -c 2 -i 0.2 -W 2 -q 169.254.5.2"

# Killed after an RX push and before its notification (rx:N+), with
# split channels: the restarted xvifd notifies each channel of the rings
# it re-attaches to -- else the guest, which reads its RX ring on that
# ring's channel only, never reads it again (no later push notifies: its
# rsp_event lies behind what it was never told of).
GUEST_FE_ARGS=--split-evtchn guest_up 7
g7=${GUEST_NS[7]} d7=${GUEST_DOM[7]}
t_ok "split channels: guest 7 answers" ip netns exec "$DOM0_NS" ping -c 2 -i 0.2 -W 2 -q 169.254.7.2
kill -TERM "$XVIFD_PID"; wait "$XVIFD_PID"
export XVIFD_TEST_KILL_AT_PUSH=rx:3+@$d7
XVIFD=$XVIFD_FAULTS xvifd_start --no-hotplug-wait
unset XVIFD_TEST_KILL_AT_PUSH
dead=$XVIFD_PID
ip netns exec "$DOM0_NS" ping -c 20 -i 0.2 -W 1 -q 169.254.7.2 >/dev/null 2>&1 &
if t_wait 15 sh -c "! kill -0 $dead 2>/dev/null"; then
	wait "$dead" 2>/dev/null
	t_eq "killed before an rx notification (SIGKILL)" "$?" 137
else
	t_fail "killed before an rx notification" "still running after 15 s"
fi
xvifd_start --no-hotplug-wait
t_ok "... restarted: the guest is told, reads its ring and answers" \
	t_wait 10 ip netns exec "$DOM0_NS" ping -c 1 -W 1 -q 169.254.7.2

# A journal of a vif that went while no xvifd ran is removed after the
# first scan; the live vif's stays, and files not named like ours too.
kill -TERM "$XVIFD_PID"; wait "$XVIFD_PID"
: >"$SIM_DIR/xvifd/999.7"
: >"$SIM_DIR/xvifd/notes.txt"
: >"$SIM_DIR/xvifd/01.2"
mkdir "$SIM_DIR/xvifd/998.1" "$SIM_DIR/xvifd/998.2.if"
mkfifo "$SIM_DIR/xvifd/996.1.if"
: >"$SIM_DIR/xvifd/01.2.if"
: >"$SIM_DIR/xvifd/997.1.iface"
xvifd_start --no-hotplug-wait
t_wait 10 sh -c "! test -e $SIM_DIR/xvifd/999.7" && t_pass "stale journal removed at startup" ||
	t_fail "stale journal removed at startup" "$(ls "$SIM_DIR/xvifd" | tr '\n' ' ')"
t_ok "stale journal removal logged" grep -q "removed the journal of vif 999.7" "$T_DIR/xvifd.log"
t_ok "the live vif's journal kept" test -f "$SIM_DIR/xvifd/$d.0"
t_ok "files not named like a journal kept" test -f "$SIM_DIR/xvifd/notes.txt" -a -f "$SIM_DIR/xvifd/01.2"
t_ok "... nor like an interface record" test -f "$SIM_DIR/xvifd/01.2.if" -a -f "$SIM_DIR/xvifd/997.1.iface"
t_ok "a FIFO for an interface record: not waited on, said, removed" t_wait 5 sh -c \
	"grep -q 'interface record $SIM_DIR/xvifd/996.1.if: not readable, dropped' '$T_DIR/xvifd.log' &&
	 ! test -e '$SIM_DIR/xvifd/996.1.if'"
t_ok "an interface record that cannot be read nor go: logged" t_wait 5 sh -c \
	"grep -q 'interface record $SIM_DIR/xvifd/998.2.if: not readable, dropped' '$T_DIR/xvifd.log' &&
	 grep -q 'remove stale interface record $SIM_DIR/xvifd/998.2.if: Is a directory' '$T_DIR/xvifd.log'"
t_ok "a journal name that cannot go: logged, xvifd serves on" t_wait 5 sh -c \
	"grep -q 'remove stale journal $SIM_DIR/xvifd/998.1: Is a directory' '$T_DIR/xvifd.log' && kill -0 $XVIFD_PID"

# The journals live in the state directory, one per vif, and go with it.
t_ok "journal file of the vif" test -f "$SIM_DIR/xvifd/$d.0"
"$SIM" detach --dir "$SIM_DIR" "$d" 0 >>"$T_DIR/tool.log" 2>&1
t_wait 10 sh -c "! test -e $SIM_DIR/xvifd/$d.0" && t_pass "journal removed with the vif" ||
	t_fail "journal removed with the vif" "$(ls -l "$SIM_DIR/xvifd")"

# A journal that cannot be had (its path is taken by a directory): the vif
# is served all the same, on memory of its own, and the log says so.
d2=$("$SIM" create --dir "$SIM_DIR" --name j2) || w_die "create domain"
mkdir -p "$SIM_DIR/xvifd/$d2.0"
"$SIM" attach --dir "$SIM_DIR" "$d2" mac=00:16:3e:06:00:01 >>"$T_DIR/tool.log" 2>&1 ||
	w_die "attach: $(tail -2 "$T_DIR/tool.log")"
netns_add "$W_NS-j2"
"$SIM" netfront --dir "$SIM_DIR" "$d2" 0 --netns "$W_NS-j2" >>"$T_DIR/fej2.log" 2>&1 &
t_cleanup_add "w_stop $!"
t_wait 15 sh -c "[ \"\$(xenstore-read /local/domain/0/backend/vif/$d2/0/state)\" = 4 ]"
t_ok "no journal file: logged" grep -q "xvif${d2}i0: response journal $SIM_DIR/xvifd/$d2.0 (restarts may lose responses): Is a directory" "$T_DIR/xvifd.log"
ip -n "$DOM0_NS" addr add 169.254.16.1/24 dev "xvif${d2}i0"
ip -n "$DOM0_NS" link set "xvif${d2}i0" up
ip -n "$W_NS-j2" addr add 169.254.16.2/24 dev eth0
ip -n "$W_NS-j2" link set eth0 up
t_wait 15 sh -c "ip -n $W_NS-j2 link show eth0 | grep -q LOWER_UP"
t_ok "no journal file: the vif is served" ip netns exec "$W_NS-j2" ping -c 3 -i 0.2 -W 2 -q 169.254.16.1
t_done
