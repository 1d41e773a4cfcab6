#!/bin/bash
# XenStore refusing our state writes for a while (XVIFD_TEST_STATE_EIO,
# the test build's: the first three of a domain's fail).  Each refusal is
# said, the vif is looked at again after a back-off (1 s, 2 s, 4 s) with
# no key of it changing meanwhile, and it reaches InitWait, then
# Connected, and carries frames; another guest carries on meanwhile.
# Before, the vif stayed in its old state until some key of it changed:
# libxl would have timed out waiting.
. "$(dirname "$0")/lib.sh"
sim_host_start
be=/local/domain/0/backend/vif
d=$("$SIM" create --dir "$SIM_DIR" --name refused-writes)
XVIFD_TEST_STATE_EIO=$d XVIFD=$XVIFD_FAULTS xvifd_start --no-hotplug-wait
# Another guest, up before and serving throughout.
guest_up 2
# No frontend yet, no other domain coming: nothing of the vif changes,
# its timer alone looks again.
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:21:00:01 >>"$T_DIR/tool.log" 2>&1
t_ok "refused: said, and tried again in 1 s" t_wait 10 grep -q \
	"xvif${d}i0: write state InitWait (tried again in 1 s): Input/output error" "$T_DIR/xvifd.log"
t_ok "InitWait once XenStore takes the write, by the timer alone" t_wait 15 state_is "$be/$d/0" 2
t_ok "the other guest carried frames throughout" ip netns exec "${GUEST_NS[2]}" ping -c 2 -i 0.2 -W 2 -q 169.254.2.1
netns_add "$T_NS-r"
"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$T_NS-r" >"$T_DIR/fe-r.log" 2>&1 &
t_cleanup_add "w_stop $!"
t_ok "... then Connected to its frontend" t_wait 15 state_is "$be/$d/0" 4
t_eq "... after three refusals, each wait twice the one before" \
	"$(grep -o "xvif${d}i0: write state [A-Za-z]* (tried again in [0-9]* s): Input/output error" "$T_DIR/xvifd.log" | sed 's/.*again in //; s/).*//')" \
	"1 s
2 s
4 s"
t_eq "... its walk has no jump" \
	"$(grep "xvif${d}i0: backend" "$T_DIR/xvifd.log" | sed 's/.*backend //; s/, after [0-9]* ms$//' | tr '\n' ' ')" \
	"Initialising -> InitWait InitWait -> Connected "
ip -n "$DOM0_NS" addr add 169.254.33.1/24 dev "xvif${d}i0"
ip -n "$DOM0_NS" link set "xvif${d}i0" up
ip -n "$T_NS-r" addr add 169.254.33.2/24 dev eth0
ip -n "$T_NS-r" link set eth0 up
t_ok "... and carries frames" ip netns exec "$T_NS-r" ping -c 2 -i 0.2 -W 2 -q 169.254.33.1
t_ok "xvifd still runs" kill -0 "$XVIFD_PID"
t_done
