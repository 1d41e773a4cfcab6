#!/bin/bash
# Restarts and reconnects: xvifd killed with SIGKILL in the middle of a
# TCP transfer and started again re-attaches, and the transfer completes
# intact; a clean SIGTERM restart too; the guest's eth0 keeps working.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait
guest_up 3
g=${GUEST_NS[3]} d=${GUEST_DOM[3]}
t_ok "ping before restart" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 -q 169.254.3.1

# SIGKILL during a transfer; TCP retransmits what was lost.  Large: with
# offloads it crosses at Gbit/s, and must still be running at the kill.
head -c $((256 * 1048576)) /dev/urandom >"$T_DIR/big"
ip netns exec "$DOM0_NS" timeout 120 socat -u TCP-LISTEN:7000,bind=169.254.3.1,reuseaddr \
	"CREATE:$T_DIR/big.out" &
srv=$!
t_wait 5 sh -c "ip netns exec $DOM0_NS ss -ltn | grep -q ':7000 '"
ip netns exec "$g" timeout 120 socat -u "FILE:$T_DIR/big" TCP:169.254.3.1:7000 &
cli=$!
t_wait 10 test -s "$T_DIR/big.out"
kill -KILL "$XVIFD_PID"; wait "$XVIFD_PID" 2>/dev/null
got=$(stat -c %s "$T_DIR/big.out")
[ "$got" -lt $((256 * 1048576)) ] && t_pass "killed mid-transfer ($got bytes in)" \
	|| t_fail "killed mid-transfer" "the transfer had already finished"
t_ok "interface survives the daemon (persistent TAP)" ip -n "$DOM0_NS" link show "xvif${d}i0"
t_eq "backend state left Connected" "$(xenstore-read /local/domain/0/backend/vif/$d/0/state)" 4
sleep 1
xvifd_start --no-hotplug-wait
t_wait 10 grep -q "xvif${d}i0: re-attached to xvif${d}i0" "$T_DIR/xvifd.log" \
	&& t_pass "restarted xvifd re-attached" || t_fail "restarted xvifd re-attached" \
	"$(tail -5 "$T_DIR/xvifd.log")"
if wait $cli; then t_pass "sender finished after the restart"; else
	t_fail "sender finished after the restart" "socat exited $?"; fi
wait $srv
t_eq "256 MiB intact across SIGKILL + restart (sha256)" \
	"$(sha256sum <"$T_DIR/big.out" | cut -d' ' -f1)" "$(sha256sum <"$T_DIR/big" | cut -d' ' -f1)"
t_eq "address kept on the interface" \
	"$(ip -n "$DOM0_NS" -o -4 addr show "xvif${d}i0" | grep -o '169.254.3.1/24')" "169.254.3.1/24"

# Clean stop and start.
kill -TERM "$XVIFD_PID"; wait "$XVIFD_PID"
t_eq "SIGTERM: exit 0" "$?" 0
xvifd_start --no-hotplug-wait
t_wait 10 sh -c "grep -c 're-attached' '$T_DIR/xvifd.log' | grep -q 2" \
	&& t_pass "re-attached after SIGTERM" || t_fail "re-attached after SIGTERM" "$(tail -3 "$T_DIR/xvifd.log")"
t_ok "ping both ways after restarts" sh -c "ip netns exec $g ping -c 2 -i 0.2 -W 2 -q 169.254.3.1 && ip netns exec $DOM0_NS ping -c 2 -i 0.2 -W 2 -q 169.254.3.2"
tcp_check "tcp host -> guest after restarts" "$DOM0_NS" "$g" 169.254.3.2 8

# Renamed by hand while no xvifd ran (its address kept): the restart
# re-attaches to it by its record, where it made a fresh TAP of the old
# name -- no address, no bridge port -- and cut the guest off.  Again at
# the next restart, when the record names it so.
w_stop "$XVIFD_PID"
ip -n "$DOM0_NS" link set "xvif${d}i0" down
ip -n "$DOM0_NS" link set "xvif${d}i0" name xvguest3
ip -n "$DOM0_NS" link set xvguest3 up
# log_has N PATTERN: at least N lines of xvifd's log match (a later start's).
log_has() { [ "$(grep -c -e "$2" "$T_DIR/xvifd.log")" -ge "$1" ]; }
for n in 1 2; do
	xvifd_start --no-hotplug-wait
	t_ok "renamed while stopped ($n): re-attached to it" t_wait 10 \
		log_has $n "xvif${d}i0: re-attached to xvguest3"
	t_not "... no new interface of the old name" ip -n "$DOM0_NS" link show "xvif${d}i0"
	t_ok "... the guest is reached through it" \
		ip netns exec "$g" ping -c 2 -i 0.2 -W 2 -q 169.254.3.1
	w_stop "$XVIFD_PID"
done
ip -n "$DOM0_NS" link set xvguest3 down
ip -n "$DOM0_NS" link set xvguest3 name "xvif${d}i0"
ip -n "$DOM0_NS" link set "xvif${d}i0" up

# A FIFO put in place of the vif's record: the record's writer blocked
# in open(2) for ever, and with it the whole control plane.
rm "$SIM_DIR/xvifd/$d.0.if"
mkfifo -m 0600 "$SIM_DIR/xvifd/$d.0.if"
chown --reference="$SIM_DIR/xvifd" "$SIM_DIR/xvifd/$d.0.if"	# xvifd's user's
n=$(grep -c "xvif${d}i0: re-attached to xvif${d}i0" "$T_DIR/xvifd.log")
xvifd_start --no-hotplug-wait
t_ok "a FIFO for a record: re-attached all the same" t_wait 10 \
	log_has $((n + 1)) "xvif${d}i0: re-attached to xvif${d}i0"
t_ok "... and said" grep -q "xvif${d}i0: interface record $SIM_DIR/xvifd/$d.0.if" \
	"$T_DIR/xvifd.log"
t_ok "... the control plane answers" "$PWD/$BUILD/xvifctl" --sim-dir "$SIM_DIR" list

# Deleted while no xvifd ran: a new interface, and the admin told that
# it has no address or bridge port (once, it said "re-attached").
w_stop "$XVIFD_PID"
ip -n "$DOM0_NS" link del "xvif${d}i0"
xvifd_start --no-hotplug-wait
t_ok "deleted while stopped: a new interface, said as such" t_wait 10 \
	grep -q "xvif${d}i0: re-attached, to a new interface xvif${d}i0: its own was gone" "$T_DIR/xvifd.log"

# Restarted while a detach is under way: libxl wrote online=0 and
# Closing and waits for Closed.  The new xvifd ends it -- Closed once the
# frontend is, the interface gone with the vif -- where it once ignored
# the vif (offline), left libxl to time out and the TAP behind for ever.
be=/local/domain/0/backend/vif
w_stop "$XVIFD_PID"
xenstore-write $be/$d/0/online 0 $be/$d/0/state 5
xvifd_start --no-hotplug-wait
t_ok "restart during a detach: said" t_wait 10 grep -q "xvif${d}i0: a detach under way" "$T_DIR/xvifd.log"
t_ok "... the backend reaches Closed" t_wait 10 sh -c \
	"[ \"\$(xenstore-read $be/$d/0/state)\" = 6 ]"
t_ok "... the interface goes with the vif" t_wait 10 sh -c \
	"! ip -n $DOM0_NS link show xvif${d}i0 2>/dev/null"
t_ok "... xvifd still runs" kill -0 "$XVIFD_PID"

# A guest destroyed while no xvifd runs: libxl gives up waiting for the
# backend and removes its directory, the only place its interface was
# named.  The next xvifd deletes the interface by the record it left in
# its state directory -- that interface only: not one renamed since, not
# one a live vif holds, not one that is no TAP, not on a torn record.
guest_up 4
guest_up 5
d4=${GUEST_DOM[4]} d5=${GUEST_DOM[5]} sd=$SIM_DIR/xvifd
t_eq "the interface is on record" "$(cut -d' ' -f2- "$sd/$d4.0.if")" "xvif${d4}i0 xvif${d4}i0"
w_stop "$XVIFD_PID"
XVIF_SIM_TIMEOUT_SCALE=0.05 "$SIM" destroy --dir "$SIM_DIR" "$d4" >>"$T_DIR/tool.log" 2>&1
t_not "destroyed with no xvifd: the backend directory is gone" xenstore-exists "$be/$d4"
t_ok "... and its interface is not" ip -n "$DOM0_NS" link show "xvif${d4}i0"
ip -n "$DOM0_NS" link add xvdecoy0 type veth peer name xvdecoy1
ip -n "$DOM0_NS" tuntap add dev xvrenamed mode tap
ip netns exec "$DOM0_NS" sh -c "echo \$(cat /sys/class/net/xvdecoy0/ifindex) xvdecoy0 xvdecoy0 >$sd/90.0.if;
	echo \$(cat /sys/class/net/xvif${d5}i0/ifindex) xvif${d5}i0 xvif${d5}i0 >$sd/91.0.if;
	echo \$(cat /sys/class/net/xvrenamed/ifindex) xvorig0 xvorig0 >$sd/92.0.if"
printf '7 xvif' >"$sd/93.0.if"
# A record written over a longer one, killed before the truncate: the old
# one's tail after the newline.
ip -n "$DOM0_NS" tuntap add dev xvtail0 mode tap
ip netns exec "$DOM0_NS" sh -c "printf '%s xvtail0 xvtail0\nlongername0\n' \$(cat /sys/class/net/xvtail0/ifindex) >$sd/96.0.if"
# A vif whose directory is there but not whole (the toolstack still
# writing it): no vif entry, yet not gone.
ip -n "$DOM0_NS" tuntap add dev xvhalf0 mode tap
ip netns exec "$DOM0_NS" sh -c "echo \$(cat /sys/class/net/xvhalf0/ifindex) xvhalf0 xvhalf0 >$sd/95.0.if"
xenstore-write "$be/95/0/online" 1
xvifd_start --no-hotplug-wait
t_ok "restarted: the interface of the destroyed guest is deleted" t_wait 10 sh -c \
	"! ip -n $DOM0_NS link show xvif${d4}i0 2>/dev/null"
t_ok "... and says so" t_wait 5 grep -q "vif $d4.0, gone while no xvifd ran: interface xvif${d4}i0 deleted" "$T_DIR/xvifd.log"
t_ok "... not an interface on record that is no TAP" ip -n "$DOM0_NS" link show xvdecoy0
t_ok "... which says why" t_wait 5 grep -q "vif 90.0, gone while no xvifd ran: interface xvdecoy0 left: " "$T_DIR/xvifd.log"
t_ok "... not a live vif's interface on record" ip -n "$DOM0_NS" link show "xvif${d5}i0"
t_ok "... which says whose it is" t_wait 5 grep -q "vif 91.0, gone while no xvifd ran: its interface xvif${d5}i0 is xvif${d5}i0's now" "$T_DIR/xvifd.log"
t_ok "... not a TAP renamed since" ip -n "$DOM0_NS" link show xvrenamed
t_ok "... one with an older record's tail is read" t_wait 5 sh -c \
	"! ip -n $DOM0_NS link show xvtail0 2>/dev/null"
t_ok "... a torn record is said" t_wait 5 grep -q "interface record $sd/93.0.if: not readable, dropped" "$T_DIR/xvifd.log"
recs() { (cd "$sd" && ls -- *.if | sort | tr '\n' ' '); }
t_wait 5 sh -c "[ \"\$(cd $sd && ls -- *.if | wc -l)\" = 2 ]"
t_eq "... the records of vifs gone are removed, the live one's and that one's kept" \
	"$(recs)" "$d5.0.if 95.0.if "
t_ok "... not the interface of a vif whose directory is there, half written" \
	ip -n "$DOM0_NS" link show xvhalf0
# That directory removed later, with no vif to destroy: the sweep's look
# again (every 5 s until nothing is put off) takes its record up.
xenstore-rm "$be/95"
t_ok "... its directory removed: the interface goes" t_wait 15 sh -c \
	"! ip -n $DOM0_NS link show xvhalf0 2>/dev/null"
t_ok "... and its record" t_wait 5 sh -c "[ \"\$(cd $sd && ls -- *.if)\" = $d5.0.if ]"
t_ok "... the live guest still carries traffic" ip netns exec "${GUEST_NS[5]}" ping -c 2 -i 0.2 -W 2 -q 169.254.5.1
t_ok "... xvifd still runs" kill -0 "$XVIFD_PID"

# Killed while it writes a record again (each start does, re-attaching):
# xvifd-faults with XVIFD_TEST_KILL_AT_IFRECORD dies with the record open
# and nothing written yet.  The record must still name the interface --
# opened with O_TRUNC it was left empty, and the interface of a guest
# destroyed before the next start stayed for ever.
w_stop "$XVIFD_PID"
ip netns exec "$DOM0_NS" env XVIFD_TEST_KILL_AT_IFRECORD="$d5" "$XVIFD_FAULTS" \
	--hv sim --sim-dir "$SIM_DIR" -vv --no-hotplug-wait >>"$T_DIR/xvifd.log" 2>&1 &
dead=$!
if t_wait 15 sh -c "! kill -0 $dead 2>/dev/null"; then
	wait "$dead" 2>/dev/null
	t_eq "killed while writing a record (SIGKILL)" "$?" 137
else
	kill -KILL "$dead"
	t_fail "killed while writing a record" "still running after 15 s"
fi
t_eq "... the record still names the interface" "$(cut -d' ' -f2- "$sd/$d5.0.if")" \
	"xvif${d5}i0 xvif${d5}i0"
XVIF_SIM_TIMEOUT_SCALE=0.05 "$SIM" destroy --dir "$SIM_DIR" "$d5" >>"$T_DIR/tool.log" 2>&1
xvifd_start --no-hotplug-wait
t_ok "... so the next xvifd deletes it once its guest is destroyed" t_wait 10 sh -c \
	"! ip -n $DOM0_NS link show xvif${d5}i0 2>/dev/null"

# A domain destroyed while no xvifd runs whose id the toolstack gives
# again before the next start (the simulated hypervisor gives the lowest
# free one), its vif named otherwise (vifname) than the new one: the
# record of that domid.handle names the earlier vif's interface, which is
# no vif's now.  It goes when the new vif's record is written.
da=$("$SIM" create --dir "$SIM_DIR" --name early)
"$SIM" attach --dir "$SIM_DIR" "$da" mac=00:16:3e:0a:00:01 vifname=xvearly0 >>"$T_DIR/tool.log" 2>&1
t_ok "a vif named by the toolstack: its interface made" t_wait 10 ip -n "$DOM0_NS" link show xvearly0
t_ok "... and on record" t_wait 5 grep -q " xvearly0\$" "$sd/$da.0.if"
w_stop "$XVIFD_PID"
XVIF_SIM_TIMEOUT_SCALE=0.05 "$SIM" destroy --dir "$SIM_DIR" "$da" >>"$T_DIR/tool.log" 2>&1
db=$("$SIM" create --dir "$SIM_DIR" --name again)
t_eq "destroyed with no xvifd, its id given again" "$db" "$da"
"$SIM" attach --dir "$SIM_DIR" "$db" mac=00:16:3e:0b:00:01 >>"$T_DIR/tool.log" 2>&1
xvifd_start --no-hotplug-wait
t_ok "... the new vif's interface made" t_wait 10 ip -n "$DOM0_NS" link show "xvif${db}i0"
t_ok "... the earlier vif's interface deleted" t_wait 10 sh -c \
	"! ip -n $DOM0_NS link show xvearly0 2>/dev/null"
t_ok "... and said" t_wait 5 grep -q "xvif${db}i0: an earlier vif $db.0: interface xvearly0 deleted" "$T_DIR/xvifd.log"
t_eq "... the record names the new one" "$(cut -d' ' -f2- "$sd/$db.0.if")" "xvif${db}i0 xvif${db}i0"
t_ok "... xvifd still runs" kill -0 "$XVIFD_PID"

# A restart in InitWait while the hotplug script renames the interface:
# the rename lands after xvifd found the interface (by its record) under
# vif<D>.<H> and before it opened that name -- xvifd-faults with
# XVIFD_TEST_PAUSE_AT_OPEN waits 2 s there.  The open made a new,
# unconfigured vif<D>.<H>, and its record then took the renamed one (the
# script's, bridged) for an earlier vif's and deleted it.  Now the new one
# is seen not to be the record's, let go of, and the renamed one opened.
printf '#!/bin/sh\nexit 0\n' >"$T_DIR/noop"
chmod +x "$T_DIR/noop"
dr=$("$SIM" create --dir "$SIM_DIR" --name renamer)
"$SIM" attach --dir "$SIM_DIR" "$dr" mac=00:16:3e:0c:00:01 script="$T_DIR/noop" \
	>>"$T_DIR/tool.log" 2>&1 || t_fail "renamed as opened: attach" "$(tail -2 "$T_DIR/tool.log")"
t_ok "renamed as opened: InitWait, as vif$dr.0" t_wait 10 sh -c \
	"[ \"\$(xenstore-read $be/$dr/0/state)\" = 2 ] && ip -n $DOM0_NS link show vif$dr.0 >/dev/null"
ifx=$(ip -n "$DOM0_NS" -o link show "vif$dr.0" | cut -d: -f1)
ip -n "$DOM0_NS" addr add 169.254.12.1/24 dev "vif$dr.0"	# the script's work
kill -KILL "$XVIFD_PID"; wait "$XVIFD_PID" 2>/dev/null
(t_wait 10 grep -q "xvif${dr}i0: interface vif$dr.0 opened 2 s late" "$T_DIR/xvifd.log" &&
	ip -n "$DOM0_NS" link set "vif$dr.0" name "xvif${dr}i0") &
renamer=$!
XVIFD_TEST_PAUSE_AT_OPEN=$dr XVIFD=$XVIFD_FAULTS xvifd_start --no-hotplug-wait
wait "$renamer" || t_fail "renamed as opened: setup" "no pause, or the rename failed: $(tail -3 "$T_DIR/xvifd.log")"
t_ok "renamed as opened: the new vif$dr.0 let go of" t_wait 10 grep -q \
	"xvif${dr}i0: interface vif$dr.0 was renamed or deleted as it was opened: looked for again" "$T_DIR/xvifd.log"
t_ok "... InitWait again" t_wait 10 grep -q "xvif${dr}i0: interface xvif${dr}i0 for domain $dr" "$T_DIR/xvifd.log"
t_not "... no vif$dr.0 left" ip -n "$DOM0_NS" link show "vif$dr.0"
t_eq "... the script's interface kept, with its address" \
	"$(ip -n "$DOM0_NS" -o -4 addr show "xvif${dr}i0" | cut -d: -f1; ip -n "$DOM0_NS" -o -4 addr show "xvif${dr}i0" | grep -o '169.254.12.1/24')" \
	"$ifx
169.254.12.1/24"
t_eq "... and on record" "$(cut -d' ' -f1 "$sd/$dr.0.if")" "$ifx"
t_ok "... xvifd still runs" kill -0 "$XVIFD_PID"
# That vif restarted again, its features not written (XenStore failing:
# XVIFD_TEST_ADVERTISE_EIO): refused, and the interface it re-attached to
# -- the script's, bridged -- left for the next restart, not deleted.
kill -KILL "$XVIFD_PID"; wait "$XVIFD_PID" 2>/dev/null
XVIFD_TEST_ADVERTISE_EIO=$dr XVIFD=$XVIFD_FAULTS xvifd_start --no-hotplug-wait
t_ok "features not written: refused" t_wait 10 sh -c \
	"xenstore-read $be/$dr/0/error 2>/dev/null | grep -q 'cannot write features'"
t_eq "... the re-attached interface kept, with its address" \
	"$(ip -n "$DOM0_NS" -o -4 addr show "xvif${dr}i0" | cut -d: -f1; ip -n "$DOM0_NS" -o -4 addr show "xvif${dr}i0" | grep -o '169.254.12.1/24')" \
	"$ifx
169.254.12.1/24"
t_eq "... and its record" "$(cut -d' ' -f1 "$sd/$dr.0.if" 2>&1)" "$ifx"
# Kept for a restart, not for ever: the vif's directory removed (xl
# network-detach) while this xvifd runs, the interface goes with it.
xenstore-rm "$be/$dr/0"
t_ok "... the vif removed: the kept interface deleted" t_wait 10 sh -c \
	"! ip -n $DOM0_NS link show xvif${dr}i0 2>/dev/null"
t_ok "... and its record" t_wait 5 sh -c "[ ! -e $sd/$dr.0.if ]"

# A vif refused because its vifname is another's interface (its directory
# stays, as libxl leaves a failed attach's), listed before that vif at a
# restart: it took the interface over (bridge, addresses, the guest's
# frames) and the rightful vif was refused.  The records say whose it is.
dy=$("$SIM" create --dir "$SIM_DIR" --name early-lister)
"$SIM" attach --dir "$SIM_DIR" "$dy" mac=00:16:3e:0e:00:01 >>"$T_DIR/tool.log" 2>&1
dz=$("$SIM" create --dir "$SIM_DIR" --name owner)
"$SIM" attach --dir "$SIM_DIR" "$dz" mac=00:16:3e:0f:00:01 vifname=xvowned0 >>"$T_DIR/tool.log" 2>&1
netns_add "$T_NS-z"
"$SIM" netfront --dir "$SIM_DIR" "$dz" 0 --netns "$T_NS-z" >"$T_DIR/fe-z.log" 2>&1 &
t_cleanup_add "w_stop $! 0"
t_ok "a name in use: its owner connected" t_wait 10 state_is "$be/$dz/0" 4
timeout 20 "$SIM" attach --dir "$SIM_DIR" "$dy" mac=00:16:3e:0e:00:02 devid=1 vifname=xvowned0 \
	>>"$T_DIR/tool.log" 2>&1
t_ok "a name in use: the second vif of that name refused" t_wait 10 sh -c \
	"xenstore-read $be/$dy/1/error | grep -q 'interface xvowned0 is in use by xvif${dz}i0'"
ifo=$(ip -n "$DOM0_NS" -o link show xvowned0 | cut -d: -f1)
w_stop "$XVIFD_PID"
from=$(($(wc -l <"$T_DIR/xvifd.log") + 1))
xvifd_start --no-hotplug-wait
since() { tail -n "+$from" "$T_DIR/xvifd.log" | grep -q "$1"; }
t_ok "... restarted: the refused one refused again, naming the owner" t_wait 10 since \
	"xvif${dy}i1: interface xvowned0 is in use by xvif${dz}i0"
t_ok "... the owner re-attached to its interface" t_wait 10 since \
	"xvif${dz}i0: re-attached to xvowned0"
t_eq "... still Connected, the same interface" \
	"$(xenstore-read "$be/$dz/0/state") $(ip -n "$DOM0_NS" -o link show xvowned0 | cut -d: -f1)" "4 $ifo"
t_done
