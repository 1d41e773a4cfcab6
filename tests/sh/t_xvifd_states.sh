#!/bin/bash
# The xenbus state machine against frontend quirks (reference/netback.md
# 0.6): straight to Closed, Closed then Initialising again (reconnect),
# Closing from InitWait; the hotplug wait; and a guest destroyed in the
# middle of a transfer, with another guest unaffected.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start
be=/local/domain/0/backend/vif

# Hotplug: a script that does what Xen 4.17's vif-common.sh does -- it
# renames $vif (vif<D>.<H>) to the vifname key and fails if that name is
# taken -- then says connected after a delay, as vif-bridge would.
# Connected waits for it; the renamed interface keeps working.
DOM0_NS=$T_NS-d0
cat >"$T_DIR/hotplug" <<EOS
#!/bin/sh
[ "\$1" = online ] || exit 0
name=\$(xenstore-read "\$XENBUS_PATH/vifname") || exit 1
echo "\$vif -> \$name" >>"$T_DIR/hotplug.log"
ip -n $DOM0_NS link show "\$name" >/dev/null 2>&1 && exit 1
ip -n $DOM0_NS link set "\$vif" name "\$name" || exit 1
(sleep 1; xenstore-write "\$XENBUS_PATH/hotplug-status" connected) &
exit 0
EOS
chmod +x "$T_DIR/hotplug"
guest_up 1 "script=$T_DIR/hotplug"
d1=${GUEST_DOM[1]}
t_eq "hotplug: the script renamed libxl's name to vifname" "$(cat "$T_DIR/hotplug.log")" "vif$d1.0 -> xvif${d1}i0"
t_ok "hotplug: Connected once the script said so" state_is $be/$d1/0 4
t_ok "hotplug: log shows the wait ended after the script" grep -q "xvif${d1}i0: backend InitWait -> Connected" "$T_DIR/xvifd.log"
t_ok "hotplug: renamed interface carries traffic" ip netns exec "${GUEST_NS[1]}" ping -c 2 -i 0.2 -W 2 -q 169.254.1.1

# Frontend Connected -> Initialising (a driver reload): the backend walks
# Closing, Closed, InitWait (Linux's set_backend_state), never jumps, and
# connects the fresh rings.
dr=$("$SIM" create --dir "$SIM_DIR" --name reinit)
"$SIM" attach --dir "$SIM_DIR" "$dr" mac=00:16:3e:66:00:01 >/dev/null
netns_add "$T_NS-ri"
"$SIM" netfront --dir "$SIM_DIR" "$dr" 0 --netns "$T_NS-ri" --misbehave reinit \
    >"$T_DIR/feri.log" 2>&1 &
t_cleanup_add "w_stop $!"
t_wait 15 grep -q "state Connected: tx-ring-ref 10" "$T_DIR/feri.log" &&
	t_pass "connected -> initialising: the frontend connected fresh rings" ||
	t_fail "connected -> initialising: fresh rings" "$(tail -3 "$T_DIR/feri.log")"
t_eq "connected -> initialising: backend walks Closing, Closed, InitWait" \
    "$(grep "xvif${dr}i0: backend" "$T_DIR/xvifd.log" | sed 's/.*backend //; s/, after [0-9]* ms$//' | tr '\n' ' ')" \
    "Initialising -> InitWait InitWait -> Connected Connected -> Closing Closing -> Closed Closed -> InitWait InitWait -> Connected "
t_wait 10 state_is $be/$dr/0 4 && t_pass "connected -> initialising: connected again" ||
	t_fail "connected -> initialising: connected again" "state $(xenstore-read $be/$dr/0/state)"

# A script that never reports: the frontend connects, the backend waits.
printf '#!/bin/sh\nexit 0\n' >"$T_DIR/silent"
chmod +x "$T_DIR/silent"
dh=$("$SIM" create --dir "$SIM_DIR" --name hp)
"$SIM" attach --dir "$SIM_DIR" "$dh" mac=00:16:3e:55:00:01 script="$T_DIR/silent" >/dev/null
netns_add "$T_NS-hp"
"$SIM" netfront --dir "$SIM_DIR" "$dh" 0 --netns "$T_NS-hp" >>"$T_DIR/fehp.log" 2>&1 &
t_cleanup_add "w_stop $!"
t_wait 10 state_is /local/domain/$dh/device/vif/0 4 && t_pass "silent script: frontend Connected" ||
	t_fail "silent script: frontend Connected" "$(tail -2 "$T_DIR/fehp.log")"
sleep 1
t_ok "silent script: backend still InitWait" state_is $be/$dh/0 2
xenstore-write $be/$dh/0/hotplug-status connected
t_wait 5 state_is $be/$dh/0 4 && t_pass "hotplug-status=connected: backend Connected" ||
	t_fail "hotplug-status=connected" "state $(xenstore-read $be/$dh/0/state)"

# A second guest without netfront: we play its frontend with xenstore-write.
d=$("$SIM" create --dir "$SIM_DIR" --name quirks)
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:44:00:01 script="$T_DIR/hotplug" >/dev/null
fe=/local/domain/$d/device/vif/0
t_ok "InitWait after attach" state_is $be/$d/0 2
as_dom "$d" xenstore-write $fe/state 6
t_wait 5 state_is $be/$d/0 6 && t_pass "frontend straight to Closed: backend Closed" ||
	t_fail "frontend straight to Closed" "state $(xenstore-read $be/$d/0/state)"
as_dom "$d" xenstore-write $fe/state 1
t_wait 5 state_is $be/$d/0 2 && t_pass "frontend Initialising again: backend InitWait (reconnect)" ||
	t_fail "reconnect" "state $(xenstore-read $be/$d/0/state)"
as_dom "$d" xenstore-write $fe/state 5
t_wait 5 state_is $be/$d/0 5 && t_pass "frontend Closing from InitWait: backend Closing" ||
	t_fail "Closing from InitWait" "state $(xenstore-read $be/$d/0/state)"
as_dom "$d" xenstore-write $fe/state 6
t_wait 5 state_is $be/$d/0 6 && t_pass "then Closed" || t_fail "then Closed" "state $(xenstore-read $be/$d/0/state)"
# Backend Closed, frontend Closing again: Closing (Linux's Closed -> Closing).
as_dom "$d" xenstore-write $fe/state 5
t_wait 5 state_is $be/$d/0 5 && t_pass "backend Closed, frontend Closing: backend Closing" ||
	t_fail "backend Closed, frontend Closing" "state $(xenstore-read $be/$d/0/state)"
as_dom "$d" xenstore-write $fe/state 6
t_wait 5 state_is $be/$d/0 6
as_dom "$d" xenstore-write $fe/state 3
# Initialised before its keys: waited for (InitWait), as Linux netback
# waits for Connected; Connected without them fails the vif.
t_wait 5 state_is $be/$d/0 2 && t_pass "Initialised without rings while Closed: InitWait, waiting for them" ||
	t_fail "Initialised without rings while Closed" "state $(xenstore-read $be/$d/0/state)"
sleep 0.5
t_ok "Initialised without rings: still InitWait" state_is $be/$d/0 2
t_not "Initialised without rings: no error node" xenstore-read $be/$d/0/error
as_dom "$d" xenstore-write $fe/state 4
t_wait 5 state_is $be/$d/0 5 && t_pass "then Connected without rings: refused (Closing), no crash" ||
	t_fail "then Connected without rings" "state $(xenstore-read $be/$d/0/state)"
as_dom "$d" xenstore-write $fe/state 1
t_wait 5 state_is $be/$d/0 2 && t_pass "reconnect again" || t_fail "reconnect again" "state $(xenstore-read $be/$d/0/state)"
# Garbage in the frontend's state: read as Unknown, handled as Closed.
as_dom "$d" xenstore-write $fe/state "4; rm -rf /"
t_wait 5 state_is $be/$d/0 6 && t_pass "garbage frontend state: Closed" ||
	t_fail "garbage frontend state" "state $(xenstore-read $be/$d/0/state)"
# Connected without request-rx-copy: refused with NetBSD's message.
as_dom "$d" xenstore-write $fe/state 1
t_wait 5 state_is $be/$d/0 2
as_dom "$d" xenstore-write $fe/tx-ring-ref 8 $fe/rx-ring-ref 9 $fe/event-channel 3 $fe/state 4
t_wait 5 sh -c "xenstore-read $be/$d/0/error | grep -q 'request-rx-copy not supported by frontend'" &&
	t_pass "no request-rx-copy: error node" || t_fail "no request-rx-copy" "$(xenstore-read $be/$d/0/error)"
t_wait 5 state_is $be/$d/0 5 && t_pass "no request-rx-copy: backend Closing" ||
	t_fail "no request-rx-copy: Closing" "state $(xenstore-read $be/$d/0/state)"
# A guest that goes on resetting into the same refusal: the error node
# each time, xvifd's log once per 10 s (a guest must not flood dom0's log).
rxc_lines() { grep -c "xvif${d}i0: .*request-rx-copy not supported by frontend" "$T_DIR/xvifd.log"; }
n0=$(rxc_lines)
for i in 1 2 3 4 5; do
	as_dom "$d" xenstore-write $fe/state 6
	t_wait 5 state_is $be/$d/0 6
	as_dom "$d" xenstore-write $fe/state 1
	t_wait 5 state_is $be/$d/0 2
	xenstore-rm $be/$d/0/error 2>/dev/null
	as_dom "$d" xenstore-write $fe/state 4
	t_wait 5 state_is $be/$d/0 5 || break
done
t_eq "refused 5 more times: backend Closing each time" "$i $(xenstore-read $be/$d/0/state)" "5 5"
t_eq "... with its error node each time" "$(xenstore-read $be/$d/0/error 2>&1)" \
	"$fe/request-rx-copy not supported by frontend"
n1=$(rxc_lines)
t_ok "... and at most one more log line for the five ($((n1 - n0)))" test $((n1 - n0)) -le 1
# Ring refs it never granted: the map fails, the vif closes, nothing else.
as_dom "$d" xenstore-write $fe/state 6
t_wait 5 state_is $be/$d/0 6
as_dom "$d" xenstore-write $fe/state 1
t_wait 5 state_is $be/$d/0 2
as_dom "$d" xenstore-write $fe/request-rx-copy 1 $fe/state 4
t_wait 5 state_is $be/$d/0 5 && t_pass "ungranted ring refs: backend Closing" ||
	t_fail "ungranted ring refs" "state $(xenstore-read $be/$d/0/state)"
t_ok "ungranted ring refs: logged" grep -q "xvif${d}i0: map tx ring ref 8" "$T_DIR/xvifd.log"
t_ok "ungranted ring refs: error node says why" sh -c \
	"xenstore-read $be/$d/0/error | grep -q '^map tx ring ref 8: '"
# ... and a frontend resetting into that failure again and again: each
# time refused and said in the error node, but the log takes a line of
# each kind per 10 s, not one a reset.
n0=$(grep -c "xvif${d}i0: map tx ring ref 8" "$T_DIR/xvifd.log")
c0=$(grep -c "xvif${d}i0: frontend .*: the failure is cleared" "$T_DIR/xvifd.log")
for i in 1 2 3 4 5; do
	as_dom "$d" xenstore-write $fe/state 6
	t_wait 5 state_is $be/$d/0 6
	as_dom "$d" xenstore-write $fe/state 1
	t_wait 5 state_is $be/$d/0 2
	as_dom "$d" xenstore-write $fe/state 4
	t_wait 5 state_is $be/$d/0 5 || break
done
t_eq "resets into the same failure: refused each time" "$i $(xenstore-read $be/$d/0/state)" "5 5"
t_ok "... at most one more line of it in the log" test \
	"$(grep -c "xvif${d}i0: map tx ring ref 8" "$T_DIR/xvifd.log")" -le $((n0 + 1))
t_ok "... at most one more 'failure is cleared'" test \
	"$(grep -c "xvif${d}i0: frontend .*: the failure is cleared" "$T_DIR/xvifd.log")" -le $((c0 + 1))
# A reset, then Initialised over the keys the failed connection read
# (frontends overwrite their keys, never remove them): the last
# connection's, not this one's -- waited for, not connected to again;
# Connected reads them whatever they are, as Linux netback does.
as_dom "$d" xenstore-write $fe/state 6
t_wait 5 state_is $be/$d/0 6
as_dom "$d" xenstore-write $fe/state 1
t_wait 5 state_is $be/$d/0 2
as_dom "$d" xenstore-write $fe/state 3
sleep 1
t_ok "Initialised over the last connection's keys: waits in InitWait" state_is $be/$d/0 2
as_dom "$d" xenstore-write $fe/state 4
t_ok "... Connected: they are read (ungranted: Closing)" t_wait 5 state_is $be/$d/0 5
# xvifd restarted while the vif is failed: it stays failed (Closing, its
# error node) until its frontend resets, as it would have with the old
# daemon -- not rewound through Closed to InitWait, which a real netfront
# still Connected answers by closing for good, or connected again to the
# rings it failed on.
w_stop "$XVIFD_PID"
# What the predecessor offered, as if it had allowed more queues.
xenstore-write $be/$d/0/multi-queue-max-queues 7
l0=$(wc -l <"$T_DIR/xvifd.log")
xvifd_start
t_ok "restarted with the vif failed: said" t_wait 5 grep -q \
	"xvif${d}i0: failed before this xvifd started (or closing): stays Closing" "$T_DIR/xvifd.log"
sleep 0.5
t_eq "... the backend stays Closing" "$(xenstore-read $be/$d/0/state)" 5
t_not "... never left Closing" sh -c "tail -n +$((l0 + 1)) '$T_DIR/xvifd.log' | grep 'xvif${d}i0: backend Closing ->'"
t_not "... nor connected to the rings again" sh -c "tail -n +$((l0 + 1)) '$T_DIR/xvifd.log' | grep 'xvif${d}i0: map tx ring ref'"
t_ok "... its error node kept" sh -c "xenstore-read $be/$d/0/error | grep -q '^map tx ring ref 8: '"
t_eq "... what this xvifd offers written again (what the reset reads)" \
	"$(xenstore-read $be/$d/0/multi-queue-max-queues)" \
	"$(xenstore-read $be/${GUEST_DOM[1]}/0/multi-queue-max-queues)"
as_dom "$d" xenstore-write $fe/state 6
t_wait 5 state_is $be/$d/0 6
as_dom "$d" xenstore-write $fe/state 1
t_ok "... until its frontend resets" t_wait 5 state_is $be/$d/0 2
# A queue count that cannot be read (40 digits: too long for any reader
# of it, E2BIG) is not one
# queue: Initialised with it is refused and said, not waited for in
# InitWait for ever, as a frontend whose flat keys are yet to come.
dl=$("$SIM" create --dir "$SIM_DIR" --name longcount)
"$SIM" attach --dir "$SIM_DIR" "$dl" mac=00:16:3e:45:00:01 script="$T_DIR/hotplug" >/dev/null
fel=/local/domain/$dl/device/vif/0
t_wait 5 state_is $be/$dl/0 2
as_dom "$dl" xenstore-write $fel/request-rx-copy 1 \
	$fel/multi-queue-num-queues 1234567890123456789012345678901234567890 $fel/state 3
t_ok "a queue count too long to read, Initialised: refused (Closing)" \
	t_wait 5 state_is $be/$dl/0 5
t_ok "... the error node says why" sh -c \
	"xenstore-read $be/$dl/0/error | grep -q '^reading $fel/multi-queue-num-queues: '"
t_eq "... and xvifctl" "$("$BUILD/xvifctl" --sim-dir "$SIM_DIR" --json show "xvif${dl}i0" |
	python3 -c 'import json,sys; v = json.load(sys.stdin)["vifs"][0]; print(v["failed"], v["failed_why"])')" \
	"True reading $fel/multi-queue-num-queues: Argument list too long"
t_eq "... counted (connect_refusals)" "$(xvifd_counter "xvif${dl}i0" connect_refusals)" 1
# The backend directory removed and made again under the same domid and
# handle (a forced detach, then an attach of the same devid) while xvifd
# looks away (stopped here): a new vif -- our features written, InitWait,
# a netfront connects through it -- not the old one carried on, whose
# state and keys were the old directory's (it wrote none to the new one,
# and the attach waited for an InitWait that never came).
# anew D MAC: domain D's vif 0 detached and attached again (with MAC)
# while xvifd is stopped; the attach's exit status and the state it left.
anew() {
	kill -STOP "$XVIFD_PID"
	xenstore-rm $be/$1/0
	xenstore-rm /local/domain/$1/device/vif/0
	xenstore-rm /libxl/$1/device/vif/0
	"$SIM" attach --dir "$SIM_DIR" "$1" mac=$2 script="$T_DIR/hotplug" \
		>"$T_DIR/anew-$1.out" 2>&1 &
	local ap=$! rc
	t_wait 5 xenstore-read $be/$1/0/mac >/dev/null
	kill -CONT "$XVIFD_PID"
	wait $ap
	rc=$?
	echo "$rc $(xenstore-read $be/$1/0/state)"
}
da=$("$SIM" create --dir "$SIM_DIR" --name anew)
"$SIM" attach --dir "$SIM_DIR" "$da" mac=00:16:3e:46:00:01 script="$T_DIR/hotplug" >/dev/null
t_wait 5 state_is $be/$da/0 2
t_eq "directory made anew while xvifd looked away: the attach sees InitWait" \
	"$(anew "$da" 00:16:3e:46:00:02)" "0 2"
t_ok "... our features written to it" xenstore-read $be/$da/0/feature-rx-copy
t_ok "... said" grep -q "xvif${da}i0: backend directory made anew" "$T_DIR/xvifd.log"
netns_add "$T_NS-an"
"$SIM" netfront --dir "$SIM_DIR" "$da" 0 --netns "$T_NS-an" >"$T_DIR/fean.log" 2>&1 &
t_cleanup_add "w_stop $!"
t_ok "... and a netfront connects through it" t_wait 10 state_is $be/$da/0 4
# The same for a vif refused before it wrote anything (its vifname is
# guest 1's interface): the admin detaches it and attaches it again,
# fixed, while xvifd looks away.  The refused vif held on, and the new
# directory was never served (the attach timed out in Initialising).
dn=$("$SIM" create --dir "$SIM_DIR" --name anew-refused)
timeout 20 "$SIM" attach --dir "$SIM_DIR" "$dn" mac=00:16:3e:47:00:01 vifname="${GUEST_IF[1]}" \
	>>"$T_DIR/tool.log" 2>&1
t_ok "a refused vif's directory made anew: refused first" t_wait 5 sh -c \
	"xenstore-read $be/$dn/0/error | grep -q 'is the name of domain ${GUEST_DOM[1]}'"
t_eq "... the attach sees InitWait" "$(anew "$dn" 00:16:3e:47:00:02)" "0 2"
t_ok "... said" grep -q "xvif${dn}i0: backend directory made anew" "$T_DIR/xvifd.log"
t_ok "guest 1 unaffected by all that" ip netns exec "${GUEST_NS[1]}" ping -c 2 -i 0.2 -W 2 -q 169.254.1.1

# Guest 2 destroyed in the middle of a transfer from the host.
guest_up 2
d2=${GUEST_DOM[2]}
head -c $((64 * 1048576)) /dev/urandom >"$T_DIR/big"
ip netns exec "${GUEST_NS[2]}" timeout 60 socat -u TCP-LISTEN:7100,bind=169.254.2.2 OPEN:/dev/null &
srv=$!
t_wait 5 sh -c "ip netns exec ${GUEST_NS[2]} ss -ltn | grep -q ':7100 '"
ip netns exec "$DOM0_NS" timeout 60 socat -u "FILE:$T_DIR/big" TCP:169.254.2.2:7100 2>/dev/null &
cli=$!
sleep 0.3
t_ok "guest 2 connected: xvifd maps its memory" xvifd_holds_dom "$d2"
t_ok "xl destroy equivalent mid-transfer" timeout 30 "$SIM" destroy --dir "$SIM_DIR" "$d2"
t_wait 5 sh -c "! ip -n $DOM0_NS link show xvif${d2}i0" && t_pass "destroyed guest: interface gone" ||
	t_fail "destroyed guest: interface gone" "still there"
t_not "destroyed guest: backend directory gone" xenstore-read $be/$d2/0/state
t_wait 5 xvifd_lets_go "$d2" &&
	t_pass "destroyed guest: xvifd let go of its memory" ||
	t_fail "destroyed guest: xvifd let go of its memory" "$(ls -l /proc/$XVIFD_PID/fd | grep "dom$d2.mem")"
kill $cli $srv 2>/dev/null; wait $cli $srv 2>/dev/null
t_ok "xvifd alive" kill -0 "$XVIFD_PID"

# Guest 3 dies with no toolstack to remove its vif (xl killed, say): only
# @releaseDomain tells.  Its vif goes Closed, its interface goes, the
# directory stays for whoever cleans up; removing it later is quiet.
guest_up 3
d3=${GUEST_DOM[3]}
ip netns exec "$DOM0_NS" ping -c 1000 -i 0.01 -q 169.254.3.2 >/dev/null 2>&1 &
pinger=$!
sleep 0.3
t_ok "domain dies, devices left in XenStore" timeout 30 "$SIM" destroy --dir "$SIM_DIR" --keep-devices "$d3"
kill $pinger 2>/dev/null; wait $pinger 2>/dev/null
t_wait 5 grep -q "xvif${d3}i0: domain $d3 is gone" "$T_DIR/xvifd.log" &&
	t_pass "@releaseDomain: logged" || t_fail "@releaseDomain: logged" "$(tail -3 "$T_DIR/xvifd.log")"
t_wait 5 state_is $be/$d3/0 6 && t_pass "@releaseDomain: backend Closed" ||
	t_fail "@releaseDomain: backend Closed" "state $(xenstore-read $be/$d3/0/state 2>&1)"
t_wait 5 sh -c "! ip -n $DOM0_NS link show xvif${d3}i0 2>/dev/null" &&
	t_pass "@releaseDomain: interface gone" || t_fail "@releaseDomain: interface gone" "still there"
t_not "@releaseDomain: xvifd holds no view of its memory" xvifd_holds_dom "$d3"
t_ok "@releaseDomain: xvifctl shows it failed, and why" sh -c \
	"'$PWD/$BUILD/xvifctl' --sim-dir '$SIM_DIR' show xvif${d3}i0 | grep -q 'FAILED: domain $d3 is gone'"
xenstore-write $be/$d3/0/online 1
sleep 0.3
t_ok "@releaseDomain: a write to the dead vif's directory is ignored" state_is $be/$d3/0 6
xenstore-rm $be/$d3
xenstore-rm /local/domain/$d3
t_wait 5 grep -q "xvif${d3}i0: .*backend directory removed" "$T_DIR/xvifd.log" &&
	t_pass "@releaseDomain: later cleanup forgets the vif" ||
	t_fail "@releaseDomain: later cleanup forgets the vif" "$(tail -3 "$T_DIR/xvifd.log")"
t_ok "xvifd alive after @releaseDomain" kill -0 "$XVIFD_PID"

# A domain dies, the toolstack never removes its vif (xl killed), and a
# new domain gets its id (the simulated hypervisor gives the lowest free
# one): the toolstack writes the new vif over the dead one's directory.
# It is served, as Linux netback serves it, where the dead vif's refusal
# once made the toolstack time out.
guest_up 6
d6=${GUEST_DOM[6]}
t_ok "guest 6 dies, devices left in XenStore" timeout 30 "$SIM" destroy --dir "$SIM_DIR" --keep-devices "$d6"
t_wait 5 grep -q "xvif${d6}i0: domain $d6 is gone" "$T_DIR/xvifd.log"
w_stop "${GUEST_FE[6]}"
dn=$("$SIM" create --dir "$SIM_DIR" --name g6again)
t_eq "a new domain gets the dead one's id" "$dn" "$d6"
t_ok "... the toolstack's attach of its vif succeeds" timeout 30 "$SIM" attach --dir "$SIM_DIR" "$dn" mac=00:16:3e:06:00:02
t_ok "... said" grep -q "xvif${dn}i0: a new domain has the id of the dead one: its vif is taken anew" "$T_DIR/xvifd.log"
"$SIM" netfront --dir "$SIM_DIR" "$dn" 0 --netns "${GUEST_NS[6]}" >>"$T_DIR/fe6.log" 2>&1 &
t_cleanup_add "w_stop $!"
t_ok "... its frontend connects" t_wait 10 state_is $be/$dn/0 4
t_wait 10 ip -n "${GUEST_NS[6]}" link show eth0
ip -n "$DOM0_NS" addr add 169.254.6.1/24 dev "xvif${dn}i0"
ip -n "$DOM0_NS" link set "xvif${dn}i0" up
ip -n "${GUEST_NS[6]}" addr add 169.254.6.2/24 dev eth0
ip -n "${GUEST_NS[6]}" link set eth0 up
t_ok "... and carries a ping" t_wait 10 ip netns exec "${GUEST_NS[6]}" ping -c 1 -W 1 -q 169.254.6.1
# The same with a vif refused before its domain died (named after guest
# 1's interface): the new domain's vif is served all the same.
dr=$("$SIM" create --dir "$SIM_DIR" --name g7)
timeout 30 "$SIM" attach --dir "$SIM_DIR" "$dr" mac=00:16:3e:07:00:01 \
	"vifname=${GUEST_IF[1]}" >>"$T_DIR/tool.log" 2>&1
t_ok "a refused vif (another's interface name)" t_wait 5 sh -c \
	"xenstore-read $be/$dr/0/error | grep -q 'is the name of domain ${GUEST_DOM[1]}'"
t_ok "... its domain dies, devices left" timeout 30 "$SIM" destroy --dir "$SIM_DIR" --keep-devices "$dr"
t_eq "... a new domain gets its id" "$("$SIM" create --dir "$SIM_DIR" --name g7again)" "$dr"
t_ok "... whose vif is served" timeout 30 "$SIM" attach --dir "$SIM_DIR" "$dr" mac=00:16:3e:07:00:02
tcp_check "guest 1 still moves data intact" "${GUEST_NS[1]}" "$DOM0_NS" 169.254.1.1 8
t_done
