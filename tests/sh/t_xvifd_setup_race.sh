#!/bin/bash
# A backend directory the toolstack removes while xvifd sets its vif up
# (xl create rolling back a failed domain, an attach undone at once):
# xvifd must not write any of it back, nor keep the interface it made.
# xvifd-faults writes a new vif's features XVIFD_TEST_ADVERTISE_DELAY_MS
# late, its loop stopped meanwhile, so that the removal comes in between
# on every run.
. "$(dirname "$0")/lib.sh"
sim_host_start
export XVIFD_TEST_ADVERTISE_DELAY_MS=3000
XVIFD=$XVIFD_FAULTS xvifd_start --no-hotplug-wait
unset XVIFD_TEST_ADVERTISE_DELAY_MS
be=/local/domain/0/backend/vif
d=$("$SIM" create --dir "$SIM_DIR" --name g1) || w_die "create domain"
# The directory as libxl writes it (the simulated toolstack's attach
# would wait for InitWait; the removal must come before).
xenstore-write "$be/$d/0/frontend" "/local/domain/$d/device/vif/0" \
	"$be/$d/0/frontend-id" "$d" "$be/$d/0/online" 1 "$be/$d/0/state" 1 \
	"$be/$d/0/handle" 0 "$be/$d/0/mac" 00:16:3e:01:00:01
t_ok "a new vif: its features held back" t_wait 5 grep -q \
	"test build: features written 3000 ms late" "$T_DIR/xvifd.log"
xenstore-rm "$be/$d"
t_ok "removed meanwhile: said" t_wait 5 grep -q \
	"xvif${d}i0: backend directory removed while it was set up" "$T_DIR/xvifd.log"
t_not "... the directory is not written back" xenstore-exists "$be/$d"
t_ok "... the interface made for it is gone" t_wait 5 sh -c \
	"! ip -n $DOM0_NS link show xvif${d}i0 2>/dev/null"
# The daemon serves on: a whole guest, the delay and all.
guest_up 2
t_ok "a guest after it: ping" ip netns exec "${GUEST_NS[2]}" ping -c 2 -i 0.2 -W 2 -q 169.254.2.1
t_ok "xvifd still runs" kill -0 "$XVIFD_PID"
t_done
