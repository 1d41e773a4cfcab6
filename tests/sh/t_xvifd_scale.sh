#!/bin/bash
# Scale: T_SCALE_VIFS (1000) guests on one xvifd, each with its own
# netfront and network namespace, all come to Connected and answer a ping
# from dom0; xvifd's fds grow by a bounded number per vif and its RLIMIT_NOFILE
# covers them.  Memory and attach latency are make bench's (figures, not
# pass/fail); here: nothing is refused, lost or stuck at this scale.
#
# ARP and NDP entries are made permanent on both sides: the kernel's
# neighbour table is shared by every namespace of the machine and its
# garbage collector would start dropping entries near 1024 (gc_thresh3),
# which says nothing about xvif.  Permanent entries are not counted.
. "$(dirname "$0")/lib.sh"
N=${T_SCALE_VIFS:-1000}
sim_host_start
xvifd_start --no-hotplug-wait
fds0=$(ls "/proc/$XVIFD_PID/fd" | wc -l)
be=/local/domain/0/backend/vif

# Guest k (1..N): mac 00:16:3e:7e:HI:LO, /30 number k-1 of 169.254.128.0/17
# (dom0 .1, guest .2 of the four).
g_mac() { printf '00:16:3e:7e:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }
# xvif<D>i0's own: the third byte (from 0) of the guest's plus one (xvif(4)).
x_mac() { printf '00:16:3e:7f:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }
g_net() { local off=$((4 * ($1 - 1))); echo "169.254.$((128 + off / 256)).$((off % 256))"; }
declare -A DOM
t0=$SECONDS
# Domains and vifs, one at a time (the toolstack's order), then the
# netfronts, each in a namespace of its own.
for ((k = 1; k <= N; k++)); do
	d=$("$SIM" create --dir "$SIM_DIR" --name "s$k") ||
		{ t_fail "create domain $k" "$(tail -2 "$T_DIR/tool.log")"; break; }
	"$SIM" attach --dir "$SIM_DIR" "$d" "mac=$(g_mac "$k")" >>"$T_DIR/tool.log" 2>&1 ||
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
	"$SIM" netfront --dir "$SIM_DIR" "${DOM[$k]}" 0 --netns "$ns" >>"$T_DIR/fe.log" 2>&1 &
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
	d=${DOM[$k]} net=$(g_net "$k")
	printf '%s\n' "addr add ${net%.*}.$((${net##*.} + 1))/30 dev xvif${d}i0" \
		"link set xvif${d}i0 up" \
		"neigh replace ${net%.*}.$((${net##*.} + 2)) lladdr $(g_mac "$k") dev xvif${d}i0 nud permanent" \
		>>"$T_DIR/dom0.batch"
	printf '%s\n' "addr add ${net%.*}.$((${net##*.} + 2))/30 dev eth0" "link set eth0 up" \
		"neigh replace ${net%.*}.$((${net##*.} + 1)) lladdr $(x_mac "$k") dev eth0 nud permanent" |
		ip -n "$T_NS-s$k" -batch - >>"$T_DIR/ip.log" 2>&1 || bad=$((bad + 1))
done
t_eq "every guest's eth0 configured" "$bad" 0
t_ok "every xvif configured in dom0" ip -n "$DOM0_NS" -batch "$T_DIR/dom0.batch"

# One ping to each guest, 50 at a time.
t2=$SECONDS
ok=0
declare -A PING
for k in "${!DOM[@]}"; do
	net=$(g_net "$k")
	ip netns exec "$DOM0_NS" ping -c 1 -W 3 -q "${net%.*}.$((${net##*.} + 2))" \
		>/dev/null 2>&1 &
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
