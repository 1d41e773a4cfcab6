#!/bin/bash
# xvifd end to end on the simulated host: one guest, its netfront in its
# own netns, xvifd's TAP in a "dom0" netns; ping both ways, the man
# page's Ethernet address line, the MAC rule on the interface.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait
guest_up 7 mac=00:16:3e:12:34:56
d=${GUEST_DOM[7]} g=${GUEST_NS[7]}

t_ok "ping guest -> host" ip netns exec "$g" ping -c 3 -i 0.2 -W 2 169.254.7.1
t_ok "ping host -> guest" ip netns exec "$DOM0_NS" ping -c 3 -i 0.2 -W 2 169.254.7.2
t_eq "interface MAC is the frontend's with octet 3 + 1" \
	"$(ip -n "$DOM0_NS" -o link show "xvif${d}i0" | grep -o 'link/ether [0-9a-f:]*')" \
	"link/ether 00:16:3e:13:34:56"
t_ok "log: Ethernet address line" grep -q "xvif${d}i0: Ethernet address 00:16:3e:13:34:56" "$T_DIR/xvifd.log"
t_eq "backend state Connected" "$(xenstore-read /local/domain/0/backend/vif/$d/0/state)" 4
t_eq "vifname written back" "$(xenstore-read /local/domain/0/backend/vif/$d/0/vifname)" "xvif${d}i0"
t_eq "feature-rx-copy" "$(xenstore-read /local/domain/0/backend/vif/$d/0/feature-rx-copy)" 1
# A one-queue frontend, as Linux's: multi-queue-num-queues 1 (written
# because we offer a maximum) and its ring keys flat, taken as one queue.
t_eq "one queue: the frontend wrote multi-queue-num-queues 1" \
	"$(xenstore-read /local/domain/$d/device/vif/0/multi-queue-num-queues)" 1
t_ok "one queue: ... with flat ring keys, connected as one queue" sh -c \
	"xenstore-read /local/domain/$d/device/vif/0/tx-ring-ref >/dev/null &&
	 grep -q 'xvif${d}i0: connected (tx ring' '$T_DIR/xvifd.log'"
# Nothing is offered that is not implemented: no ctrl ring (the XSA-270
# hash-mapping parser does not exist here), no multicast control.
for k in feature-ctrl-ring feature-multicast-control feature-dynamic-multicast-control; do
	t_not "not offered: $k" xenstore-read /local/domain/0/backend/vif/$d/0/$k
done

# SIGHUP, which many daemons take as "reload": nothing to reload here,
# and stopping would leave every guest without its network.
kill -HUP "$XVIFD_PID"
t_ok "SIGHUP: said, nothing to reload" t_wait 5 grep -q "SIGHUP: nothing to reload" "$T_DIR/xvifd.log"
t_ok "SIGHUP: xvifd still runs" kill -0 "$XVIFD_PID"
t_ok "SIGHUP: the guest still answers" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 169.254.7.1

# A toolstack that names a second vif after the first one's interface:
# opening that TAP again would make the second guest a queue of the
# first's interface.  Refused, saying whose it is; the first is unharmed.
d2=$("$SIM" create --dir "$SIM_DIR" --name taker) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d2" mac=00:16:3e:12:34:58 "vifname=xvif${d}i0" \
	>"$T_DIR/attach2.log" 2>&1
t_ok "vifname of a live vif's interface: refused" t_wait 10 sh -c \
	"[ \"\$(xenstore-read /local/domain/0/backend/vif/$d2/0/state)\" = 6 ]"
t_eq "... the error node says whose it is" \
	"$(xenstore-read /local/domain/0/backend/vif/$d2/0/error)" \
	"interface xvif${d}i0 is in use by xvif${d}i0"
t_ok "... the live interface still has one queue" sh -c \
	"ip -d -n $DOM0_NS link show xvif${d}i0 | grep -q 'numqueues 1 '"
t_ok "... and carries traffic" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 169.254.7.1
t_done
