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
# (A name of its own, vifname=xvtaken0: xvif<D>i<H> is refused sooner.)
be=/local/domain/0/backend/vif
d2=$("$SIM" create --dir "$SIM_DIR" --name owner) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d2" mac=00:16:3e:12:34:57 vifname=xvtaken0 \
	>"$T_DIR/attach2.log" 2>&1 || w_die "attach: $(tail -2 "$T_DIR/attach2.log")"
t_wait 10 ip -n "$DOM0_NS" link show xvtaken0 || w_die "no xvtaken0"
d3=$("$SIM" create --dir "$SIM_DIR" --name taker) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d3" mac=00:16:3e:12:34:58 vifname=xvtaken0 \
	>"$T_DIR/attach3.log" 2>&1
t_ok "vifname of a live vif's interface: refused" t_wait 10 state_is "$be/$d3/0" 6
t_eq "... the error node says whose it is" "$(xenstore-read "$be/$d3/0/error")" \
	"interface xvtaken0 is in use by xvif${d2}i0"
t_ok "... the live interface still has one queue" sh -c \
	"ip -d -n $DOM0_NS link show xvtaken0 | grep -q 'numqueues 1 '"
# xvif<D>i<H> is vif D/H's own name (xvif(4)): asked for by another vif,
# it is refused even while D has no vif, which would otherwise be refused
# when it comes (and go by a name that is the other's interface).
d4=$("$SIM" create --dir "$SIM_DIR" --name impostor) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d4" mac=00:16:3e:12:34:59 "vifname=xvif${d}i0" \
	>"$T_DIR/attach4.log" 2>&1
t_ok "vifname of another vif's own name: refused" t_wait 10 state_is "$be/$d4/0" 6
t_eq "... the error node says whose name it is" "$(xenstore-read "$be/$d4/0/error")" \
	"vifname xvif${d}i0 is the name of domain $d's vif 0"
t_ok "... logged" grep -q "xvif${d4}i0: vifname xvif${d}i0 is the name of domain $d's vif 0" "$T_DIR/xvifd.log"
d5=$("$SIM" create --dir "$SIM_DIR" --name notyet) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d5" mac=00:16:3e:12:34:5a "vifname=xvif$((d5 + 1))i0" \
	>"$T_DIR/attach5.log" 2>&1
t_wait 10 state_is "$be/$d5/0" 6
t_eq "... also that of a domain not (yet) there" "$(xenstore-read "$be/$d5/0/error")" \
	"vifname xvif$((d5 + 1))i0 is the name of domain $((d5 + 1))'s vif 0"
# ... and libxl's vif<D>.<H>, D/H's name until its hotplug script renames it.
d6=$("$SIM" create --dir "$SIM_DIR" --name libxlname) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d6" mac=00:16:3e:12:34:5b "vifname=vif$d.0" \
	>"$T_DIR/attach6.log" 2>&1
t_wait 10 state_is "$be/$d6/0" 6
t_eq "... and libxl's name for another's (vif<D>.<H>)" "$(xenstore-read "$be/$d6/0/error")" \
	"vifname vif$d.0 is the name of domain $d's vif 0"
t_ok "... the live interface still has one queue" sh -c \
	"ip -d -n $DOM0_NS link show xvif${d}i0 | grep -q 'numqueues 1 '"
t_ok "... and carries traffic" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 169.254.7.1
t_done
