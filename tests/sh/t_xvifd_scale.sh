#!/bin/bash
# Scale: T_SCALE_VIFS (1000) guests on one xvifd, each with its own
# netfront and network namespace, all come to Connected and answer a ping
# from dom0; xvifd's fds grow by a bounded number per vif and its RLIMIT_NOFILE
# covers them.  Memory and attach latency are make bench's (figures, not
# pass/fail); here: nothing is refused, lost or stuck at this scale.
#
# Addresses, MACs and permanent neighbours: scale_* (scripts/world.sh).
. "$(dirname "$0")/lib.sh"
N=${T_SCALE_VIFS:-1000}
sim_host_start
xvifd_start --no-hotplug-wait
fds0=$(ls "/proc/$XVIFD_PID/fd" | wc -l)
be=/local/domain/0/backend/vif

declare -A DOM
t0=$SECONDS
# Domains and vifs, one at a time (the toolstack's order), then the
# netfronts, each in a namespace of its own.
for ((k = 1; k <= N; k++)); do
	d=$("$SIM" create --dir "$SIM_DIR" --name "s$k") ||
		{ t_fail "create domain $k" "$(tail -2 "$T_DIR/tool.log")"; break; }
	"$SIM" attach --dir "$SIM_DIR" "$d" "mac=$(scale_mac "$k")" >>"$T_DIR/tool.log" 2>&1 ||
		{ t_fail "attach vif of domain $d" "$(tail -2 "$T_DIR/tool.log")"; break; }
	DOM[$k]=$d
done
t_eq "$N domains with a vif each" "${#DOM[@]}" "$N"
echo "# scale: $N domains and vifs in $((SECONDS - t0)) s"
t1=$SECONDS
FE=()
# At exit: every netfront is told at once, then each is waited for.
fe_stop() {
	local p
	((${#FE[@]})) && kill -TERM "${FE[@]}" 2>/dev/null
	for p in "${FE[@]}"; do w_stop "$p" 2; done
}
t_cleanup_add fe_stop
for k in "${!DOM[@]}"; do
	ns=$T_NS-s$k
	netns_add "$ns"
	# Split event channels, as a Linux netfront asks: 1000 vifs take
	# 2000 of dom0's ports (the simulated hypervisor has 4096 a domain).
	"$SIM" netfront --dir "$SIM_DIR" "${DOM[$k]}" 0 --netns "$ns" \
		>>"$T_DIR/fe.log" 2>&1 &
	FE+=($!)
done
echo "# scale: $N netfronts started in $((SECONDS - t1)) s"
connected() {
	local k n=0
	for k in "${!DOM[@]}"; do
		[ "$(xenstore-read "$be/${DOM[$k]}/0/state" 2>/dev/null)" = 4 ] && n=$((n + 1))
	done
	echo "$n"
}
t_wait 300 sh -c "[ \$(grep -c ': connected' '$T_DIR/xvifd.log') -ge $N ]"
t_eq "all $N vifs Connected in XenStore" "$(connected)" "$N"
echo "# scale: all connected $((SECONDS - t1)) s after the netfronts started"

# Addresses and permanent neighbours: dom0's side in one batch, each
# guest's in one.
: >"$T_DIR/dom0.batch"
bad=0
for k in "${!DOM[@]}"; do
	scale_dom0_lines "$k" "${DOM[$k]}" >>"$T_DIR/dom0.batch"
	scale_guest_lines "$k" | ip -n "$T_NS-s$k" -batch - >>"$T_DIR/ip.log" 2>&1 ||
		bad=$((bad + 1))
done
t_eq "every guest's eth0 configured" "$bad" 0
t_ok "every xvif configured in dom0" ip -n "$DOM0_NS" -batch "$T_DIR/dom0.batch"

# One ping to each guest, 50 at a time.
t2=$SECONDS
ok=0
declare -A PING
for k in "${!DOM[@]}"; do
	ip netns exec "$DOM0_NS" ping -c 1 -W 3 -q "$(scale_addr "$k" 2)" >/dev/null 2>&1 &
	PING[$!]=$k
	if ((${#PING[@]} >= 50)); then
		for p in "${!PING[@]}"; do wait "$p" && ok=$((ok + 1)); done
		PING=()
	fi
done
for p in "${!PING[@]}"; do wait "$p" && ok=$((ok + 1)); done
t_eq "each of the $N guests answers a ping through its vif" "$ok" "$N"
echo "# scale: $N pings in $((SECONDS - t2)) s"

# Descriptors: a bounded number per vif (one TAP, one journal, the
# simulated host's own), all below xvifd's raised limit.
fds=$(ls "/proc/$XVIFD_PID/fd" | wc -l)
limit=$(awk '/Max open files/ { print $4 }' "/proc/$XVIFD_PID/limits")
echo "# scale: xvifd fds $fds0 idle, $fds with $N vifs; limit $limit"
t_ok "xvifd: at most 8 fds per vif" test $((fds - fds0)) -le $((8 * N))
t_ok "xvifd's RLIMIT_NOFILE covers its fds with room" test "$limit" -gt $((fds + 64))
t_not "xvifd logged no error" grep -E 'error|fail|EMFILE|Too many' "$T_DIR/xvifd.log"
t_ok "xvifd still serving" kill -0 "$XVIFD_PID"
exit $T_FAILED
