#!/bin/bash
# xvifd in a driver domain (--backend-domid B): it serves the vifs under
# /local/domain/B/backend/vif, and XenStore will not tell it whether
# another domain is alive (XS_IS_DOMAIN_INTRODUCED is dom0's only).  Any
# domain's death fires @releaseDomain -- xenstored fires it once at the
# watch, too -- and xvifd once took every vif it serves for gone then:
# Closed, interface deleted, at its own start.
. "$(dirname "$0")/lib.sh"
sim_host_start
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
ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" --backend-domid "$B" \
	--no-hotplug-wait -vv >"$T_DIR/xvifd.log" 2>&1 &
XVIFD_PID=$!
t_cleanup_add "w_stop $XVIFD_PID"
t_ok "driver domain $B: serving" t_wait 10 grep -q serving "$T_DIR/xvifd.log"
t_ok "driver domain: the guest's vif goes InitWait" t_wait 10 state_is $bb 2
t_ok "driver domain: its interface is there" ip -n "$DOM0_NS" link show "xvif${F}i0"
# Another domain dies: @releaseDomain for everyone.
X=$("$SIM" create --dir "$SIM_DIR" --name other) || w_die "create domain"
"$SIM" destroy --dir "$SIM_DIR" "$X" || w_die "destroy domain"
sleep 1
t_not "driver domain: the live guest is not taken for gone" grep -q "domain $F is gone" "$T_DIR/xvifd.log"
t_ok "driver domain: the vif is still InitWait" state_is $bb 2
t_ok "driver domain: its interface is still there" ip -n "$DOM0_NS" link show "xvif${F}i0"
t_ok "driver domain: xvifd still runs" kill -0 "$XVIFD_PID"
t_done
