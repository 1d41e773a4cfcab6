#!/bin/bash
# xvifd in a driver domain (--backend-domid B): it serves the vifs under
# /local/domain/B/backend/vif, and XenStore will not tell it whether
# another domain is alive (XS_IS_DOMAIN_INTRODUCED is dom0's only).  Any
# domain's death fires @releaseDomain -- xenstored fires it once at the
# watch, too -- and xvifd once took every vif it serves for gone then:
# Closed, interface deleted, at its own start.
. "$(dirname "$0")/lib.sh"
sim_host_start
XVIFCTL=$PWD/$BUILD/xvifctl
DOM0_NS=$T_NS-d0
netns_add "$DOM0_NS"
B=$("$SIM" create --dir "$SIM_DIR" --name driver) || w_die "create driver domain"
F=$("$SIM" create --dir "$SIM_DIR" --name guest) || w_die "create guest"
bb=/local/domain/$B/backend/vif/$F/0 ff=/local/domain/$F/device/vif/0
# The toolstack's keys for a vif of F served by B (as libxl writes them).
xenstore-write $ff/backend $bb $ff/backend-id $B $ff/state 1 $ff/handle 0 \
	$ff/mac 00:16:3e:47:00:01
xenstore-chmod -r $ff n$F r$B
xenstore-write $bb/frontend $ff $bb/frontend-id $F $bb/online 1 $bb/state 1 \
	$bb/mac 00:16:3e:47:00:01 $bb/handle 0 $bb/type vif
xenstore-chmod -r $bb n$B r$F
# A second guest whose backend directory B may not read (the toolstack
# set it so, or not yet right): a listing that fails for another reason
# than absence.  xvifd serves what it can, drops nothing it cannot see,
# and puts off the sweep of interfaces on record (it cannot tell whether
# their vifs are there) -- looked at again every 5 s.
G=$("$SIM" create --dir "$SIM_DIR" --name guest2) || w_die "create guest2"
gd=/local/domain/$B/backend/vif/$G gb=/local/domain/$B/backend/vif/$G/0
gf=/local/domain/$G/device/vif/0
xenstore-write $gf/backend $gb $gf/backend-id $B $gf/state 1 $gf/handle 0 \
	$gf/mac 00:16:3e:47:00:02
xenstore-chmod -r $gf n$G r$B
xenstore-write $gb/frontend $gf $gb/frontend-id $G $gb/online 1 $gb/state 1 \
	$gb/mac 00:16:3e:47:00:02 $gb/handle 0 $gb/type vif
xenstore-chmod -r $gd n0
# An interface on record of a vif gone while no xvifd ran.
sd=$SIM_DIR/xvifd.$B
mkdir -p "$sd"
ip -n "$DOM0_NS" tuntap add dev xvstale0 mode tap || w_die "tuntap add"
t_cleanup_add "ip -n $DOM0_NS link del xvstale0 2>/dev/null"
ip netns exec "$DOM0_NS" sh -c "echo \$(cat /sys/class/net/xvstale0/ifindex) xvstale0 xvstale0 >$sd/77.0.if"
listed() { grep -c "list $gd (its vifs are kept as they are): Permission denied" "$T_DIR/xvifd.log"; }
listed_not() { [ "$(listed)" -ge "$1" ]; }
ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" --backend-domid "$B" \
	--no-hotplug-wait -vv >"$T_DIR/xvifd.log" 2>&1 &
XVIFD_PID=$!
t_cleanup_add "w_stop $XVIFD_PID"
t_ok "driver domain $B: serving" t_wait 10 grep -q serving "$T_DIR/xvifd.log"
t_ok "driver domain: the guest's vif goes InitWait" t_wait 10 state_is $bb 2
t_ok "driver domain: its interface is there" ip -n "$DOM0_NS" link show "xvif${F}i0"
t_ok "driver domain: a domain it may not list is said so" t_wait 10 listed_not 1
t_not "... no interface for the vif it could not see" \
	ip -n "$DOM0_NS" link show "xvif${G}i0"
# A request to the control socket, answered in a later turn of the loop
# than the look that was said: the sweep was put off (or made) by then.
t_ok "... xvifd answers its control socket" "$XVIFCTL" --state-dir "$sd" list
t_ok "... the sweep put off: the interface on record stays" \
	ip -n "$DOM0_NS" link show xvstale0
xenstore-chmod -r $gd n$B r$G
t_ok "readable again: its vif goes InitWait" t_wait 10 state_is $gb 2
t_ok "... and has its interface" ip -n "$DOM0_NS" link show "xvif${G}i0"
t_ok "... the sweep looked at again: the interface on record goes" \
	t_wait 15 sh -c "! ip -n $DOM0_NS link show xvstale0 2>/dev/null"
# Unreadable again while its vif is served, and a whole look (an event at
# the top of the backend directory): the vif is kept, not taken for gone.
xenstore-chmod -r $gd n0
n=$(listed)
xenstore-write /local/domain/$B/backend/vif/nudge 1
t_ok "a served vif's domain unreadable at a whole look: said" t_wait 10 listed_not $((n + 1))
t_not "... its vif is not dropped" grep -q "xvif${G}i0: backend directory removed" "$T_DIR/xvifd.log"
t_ok "... still InitWait" state_is $gb 2
t_ok "... its interface stays" ip -n "$DOM0_NS" link show "xvif${G}i0"
xenstore-chmod -r $gd n$B r$G
xenstore-rm /local/domain/$B/backend/vif/nudge
# Another domain dies.  @releaseDomain is fired to the connections its
# permissions let read, n0 unless set (Xen 4.17's xenstored and the
# simulated one): dom0 only, never a driver domain.  An admin running a
# backend in one gives it read, as here; without it the death would not
# reach xvifd and the checks below could not fail for the reason they say.
# That it reached xvifd is seen on its XenStore connection, under strace
# (xvifd logs nothing for a release it has nothing to do with).
command -v strace >/dev/null || w_die "strace missing (scripts/deps check)"
xenstore-chmod @releaseDomain n0 "r$B" || w_die "xenstore-chmod @releaseDomain"
strace -f -qq -s 256 -e trace=read,readv,recvfrom,recvmsg -o "$T_DIR/xvifd.strace" \
	-p "$XVIFD_PID" 2>"$T_DIR/strace.log" &
st=$!
t_cleanup_add "w_stop $st"
# Once every thread of xvifd's is traced (libxenstore may read in its own).
traced() { ! grep -qx 'TracerPid:[[:space:]]*0' /proc/"$XVIFD_PID"/task/*/status; }
t_wait 5 traced || w_die "strace -p $XVIFD_PID: $(cat "$T_DIR/strace.log")"
X=$("$SIM" create --dir "$SIM_DIR" --name other) || w_die "create domain"
"$SIM" destroy --dir "$SIM_DIR" "$X" || w_die "destroy domain"
# A marker after @releaseDomain on xvifd's XenStore connection: the
# second guest's backend directory removed (its watch event comes after
# the release's); once its vif is dropped, the release was read and
# handled (events are handled in the order they come).
xenstore-rm $gb
t_ok "driver domain: a later event handled (marker)" \
	t_wait 10 grep -q "xvif${G}i0: backend directory removed" "$T_DIR/xvifd.log"
kill -INT "$st"
wait "$st"
t_ok "driver domain: @releaseDomain reached xvifd (read on its XenStore connection)" \
	grep -qF '@releaseDomain\0' "$T_DIR/xvifd.strace"
t_not "driver domain: the live guest is not taken for gone" grep -q "domain $F is gone" "$T_DIR/xvifd.log"
t_ok "driver domain: the vif is still InitWait" state_is $bb 2
t_ok "driver domain: its interface is still there" ip -n "$DOM0_NS" link show "xvif${F}i0"
t_ok "driver domain: xvifd still runs" kill -0 "$XVIFD_PID"

# Its backend directory one it may not read (the toolstack's permissions
# wrong, or a driver domain left at the default --backend-domid 0): it
# served nothing and said nothing.  Now it says why, once.
w_stop "$XVIFD_PID"
xenstore-chmod /local/domain/$B/backend/vif n0
ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" --backend-domid "$B" \
	--no-hotplug-wait -vv >"$T_DIR/xvifd2.log" 2>&1 &
XVIFD_PID=$!
t_cleanup_add "w_stop $XVIFD_PID"
t_ok "its backend directory not readable: said why" t_wait 10 grep -q \
	"list /local/domain/$B/backend/vif: no new vif is served while it cannot be read: Permission denied" \
	"$T_DIR/xvifd2.log"
t_ok "... and still runs" kill -0 "$XVIFD_PID"
t_done
