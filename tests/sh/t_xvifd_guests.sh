#!/bin/bash
# Four guests at once: each one's frames reach only that guest (exact
# packet counts, no background traffic); a vif with a missing or invalid
# MAC gets the man page's message and is refused while the others work.
. "$(dirname "$0")/lib.sh"
sim_host_start
DOM0_NS=$T_NS-d0
netns_add "$DOM0_NS"
netns_quiet "$DOM0_NS"
xvifd_start --no-hotplug-wait
for k in 1 2 3 4; do
	netns_add "$T_NS-g$k"	# made here so that it is quiet from the start
	netns_quiet "$T_NS-g$k"
	guest_up $k
done
for k in 1 2 3 4; do	# static neighbours: no ARP either
	ip -n "${GUEST_NS[$k]}" neigh replace 169.254.$k.1 nud permanent \
		lladdr "$(printf '00:16:3e:%02x:00:01' $((k + 1)))" dev eth0
	ip -n "$DOM0_NS" neigh replace 169.254.$k.2 nud permanent \
		lladdr "$(printf '00:16:3e:%02x:00:01' $k)" dev "${GUEST_IF[$k]}"
done
sleep 0.5
for k in 1 2 3 4; do
	declare -a before
	for j in 1 2 3 4; do before[$j]=$(link_packets "${GUEST_NS[$j]}" eth0); done
	n=$((10 * k))
	t_ok "host -> guest $k: $n pings" ip netns exec "$DOM0_NS" \
		ping -c $n -i 0.02 -W 2 -q 169.254.$k.2
	for j in 1 2 3 4; do
		set -- ${before[$j]}
		after=$(link_packets "${GUEST_NS[$j]}" eth0)
		if [ $j = $k ]; then want="$(($1 + n)) $(($2 + n))"; else want="$1 $2"; fi
		t_eq "guest $j eth0 rx/tx after pinging guest $k (${before[$j]})" "$after" "$want"
	done
done

# A toolstack that wrote a bad MAC, and one that wrote none (domain ids
# 60 and 61 are not running guests: xvifd must refuse before any guest
# is involved).
be=/local/domain/0/backend/vif
xenstore-write $be/60/0/mac "00:16:3e:zz:00:01" $be/60/0/online 1 $be/60/0/state 1 \
	$be/60/0/frontend-id 60 $be/60/0/frontend /local/domain/60/device/vif/0
xenstore-write $be/61/0/online 1 $be/61/0/state 1 \
	$be/61/0/frontend-id 61 $be/61/0/frontend /local/domain/61/device/vif/0
t_wait 5 grep -q 'xvif60i0: 00:16:3e:zz:00:01 is not a valid mac address' "$T_DIR/xvifd.log" \
	&& t_pass "diagnostic: not a valid mac address" \
	|| t_fail "diagnostic: not a valid mac address" "$(grep xvif60 "$T_DIR/xvifd.log")"
# A MAC whose backend MAC (octet 3 + 1) would be all zeros: refused too,
# not left to fail later as "cannot create the interface".
xenstore-write $be/62/0/mac "00:00:00:ff:00:00" $be/62/0/online 1 $be/62/0/state 1 \
	$be/62/0/frontend-id 62 $be/62/0/frontend /local/domain/62/device/vif/0
t_wait 5 grep -q 'xvif62i0: 00:00:00:ff:00:00 is not a valid mac address' "$T_DIR/xvifd.log" \
	&& t_pass "diagnostic: a mac whose backend mac is all zeros" \
	|| t_fail "diagnostic: a mac whose backend mac is all zeros" "$(grep xvif62 "$T_DIR/xvifd.log")"
t_not "all-zero backend mac: no interface" ip -n "$DOM0_NS" link show xvif62i0
t_wait 5 grep -q "xvif61i0: can't read $be/61/0/mac: 2" "$T_DIR/xvifd.log" \
	&& t_pass "diagnostic: can't read mac" \
	|| t_fail "diagnostic: can't read mac" "$(grep xvif61 "$T_DIR/xvifd.log")"
t_wait 5 sh -c "[ \"\$(xenstore-read $be/60/0/state)\" = 6 ]" && t_pass "bad mac: backend Closed" \
	|| t_fail "bad mac: backend Closed" "state $(xenstore-read $be/60/0/state)"
t_ok "bad mac: error node" xenstore-read $be/60/0/error
t_eq "bad mac: xvifctl show gives the name it would have had" \
	"$("$PWD/$BUILD/xvifctl" --sim-dir "$SIM_DIR" --json show xvif60i0 | python3 -c \
	'import json,sys; v = json.load(sys.stdin)["vifs"][0]; print(v["failed"], v["vifname"])')" \
	"True xvif60i0"
t_not "bad mac: no interface" ip -n "$DOM0_NS" link show xvif60i0
t_not "no mac: no interface" ip -n "$DOM0_NS" link show xvif61i0
# A mac with a NUL inside: not the address its first 17 bytes spell.
xenstore-write $be/63/0/mac '00:16:3e:00:00:63\x00junk' $be/63/0/online 1 $be/63/0/state 1 \
	$be/63/0/frontend-id 63 $be/63/0/frontend /local/domain/63/device/vif/0
t_ok "mac with a NUL inside: can't read it" t_wait 5 grep -q \
	"xvif63i0: can't read $be/63/0/mac: 22" "$T_DIR/xvifd.log"
t_not "mac with a NUL inside: no interface" ip -n "$DOM0_NS" link show xvif63i0
# An mtu that is not a number: said, and the interface keeps its 1500.
xenstore-write $be/64/0/mac 00:16:3e:00:00:64 $be/64/0/mtu 9000x $be/64/0/online 1 \
	$be/64/0/state 1 $be/64/0/frontend-id 64 $be/64/0/frontend /local/domain/64/device/vif/0
t_ok "mtu not a number: said" t_wait 5 grep -q \
	"xvif64i0: mtu: can't read $be/64/0/mtu: not a number; left as it is" "$T_DIR/xvifd.log"
t_ok "mtu not a number: the interface has 1500" sh -c \
	"ip -n $DOM0_NS -o link show xvif64i0 | grep -q 'mtu 1500 '"
# A frontend path XenStore takes for no path (a blank in it): its state
# cannot be watched, which is said (it once went unsaid).
xenstore-write $be/65/0/mac 00:16:3e:00:00:65 $be/65/0/online 1 $be/65/0/state 1 \
	$be/65/0/frontend-id 65 $be/65/0/frontend "/local/domain/65/device/vif/0 x"
t_ok "frontend path with a blank: its watch refused, said" t_wait 5 grep -q \
	"xvif65i0: watch /local/domain/65/device/vif/0 x/state (the frontend's changes are not seen): " \
	"$T_DIR/xvifd.log"
# A frontend in another domain than the directory's (a toolstack's
# mistake, or a trick to get another guest's frames): refused, said in
# the error node, and xvifctl still shows the name it would have had
# (it once showed none).
xenstore-write $be/66/0/mac 00:16:3e:00:00:66 $be/66/0/online 1 $be/66/0/state 1 \
	$be/66/0/frontend-id 67 $be/66/0/frontend /local/domain/67/device/vif/0
t_ok "frontend in another domain: refused, said in the error node" t_wait 5 sh -c \
	"xenstore-read $be/66/0/error 2>/dev/null | grep -qx 'frontend /local/domain/67/device/vif/0 (domain 67) is not in domain 66'"
t_eq "... xvifctl show gives the name it would have had" \
	"$("$PWD/$BUILD/xvifctl" --sim-dir "$SIM_DIR" --json show xvif66i0 | python3 -c \
	'import json,sys; v = json.load(sys.stdin)["vifs"][0]; print(v["failed"], v["vifname"])')" \
	"True xvif66i0"
t_not "... no interface" ip -n "$DOM0_NS" link show xvif66i0
for k in 1 2 3 4; do
	t_ok "guest $k still answers" ip netns exec "$DOM0_NS" ping -c 2 -i 0.2 -W 2 -q 169.254.$k.2
done
t_ok "xvifd still running" kill -0 "$XVIFD_PID"
t_done
