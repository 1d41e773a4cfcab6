#!/bin/bash
# 50 attach/detach cycles, then 5 with a connected netfront passing
# traffic: no interface, file descriptor or memory left behind.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait
d=$("$SIM" create --dir "$SIM_DIR" --name cyc) || { t_fail setup "create"; t_done; }
nfd() { ls /proc/$XVIFD_PID/fd | wc -l; }
rss() { awk '/VmRSS/{print $2}' /proc/$XVIFD_PID/status; }
cycle() {	# attach, optionally run a netfront and ping, detach
	local dev
	dev=$("$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:0a:0b:0c) || return 1
	if [ "${1:-}" = traffic ]; then
		"$SIM" netfront --dir "$SIM_DIR" "$d" "$dev" --netns "$T_NS-g" \
			>>"$T_DIR/fe.log" 2>&1 &
		local fe=$!
		t_cleanup_add "w_stop $fe"
		t_wait 10 ip -n "$DOM0_NS" link show "xvif${d}i$dev" || return 2
		ip -n "$DOM0_NS" addr add 169.254.9.1/24 dev "xvif${d}i$dev"
		ip -n "$DOM0_NS" link set "xvif${d}i$dev" up
		t_wait 10 ip -n "$T_NS-g" link show eth0 || return 3
		ip -n "$T_NS-g" addr add 169.254.9.2/24 dev eth0 2>/dev/null
		ip -n "$T_NS-g" link set eth0 up
		t_wait 10 ip netns exec "$T_NS-g" ping -c 1 -W 1 169.254.9.1 || return 4
		xvifd_holds_dom "$d" || return 7	# its rings map guest memory
	fi
	"$SIM" detach --dir "$SIM_DIR" "$d" "$dev" || return 5
	if [ "${1:-}" = traffic ]; then
		kill $fe; wait $fe
		t_wait 5 sh -c "! ip -n $T_NS-g link show eth0" || return 6
	fi
	return 0
}
cycle || { t_fail "first cycle" "rc $?"; t_done; }
fd0=$(nfd) rss0=$(rss)
fails=0
for i in $(seq 2 50); do cycle || { fails=$((fails + 1)); echo "  cycle $i failed: rc $?"; }; done
t_eq "50 attach/detach cycles" "$fails" 0
t_eq "xvifd made and removed 50 interfaces" \
	"$(grep -c "xvif${d}i0: interface xvif${d}i0 for domain" "$T_DIR/xvifd.log")/$(grep -c "xvif${d}i0: removed by the toolstack" "$T_DIR/xvifd.log")" "50/50"
t_eq "no interface left" "$(ip -n "$DOM0_NS" -o link show | grep -c xvif)" 0
n=$(nfd)
[ "$n" -le "$fd0" ] && t_pass "no fd left ($n open after cycle 50, $fd0 after cycle 1)" ||
	t_fail "no fd left" "$n open after cycle 50, $fd0 after cycle 1"
# Under AddressSanitizer RSS includes its quarantine of freed memory, so
# there LeakSanitizer, at the daemon's exit below, is the memory check.
if ! nm "$XVIFD" 2>/dev/null | grep -q __asan_init; then
	grow=$(( $(rss) - rss0 ))
	[ "$grow" -lt 1024 ] && t_pass "memory: RSS grew ${grow} KiB over 49 cycles" ||
		t_fail "memory" "RSS grew ${grow} KiB over 49 cycles"
fi
netns_add "$T_NS-g"
fails=0
# The baseline is taken after the first traffic cycle (the workers' TAP
# rings are made then).  The simulated host's view of the guest's memory
# (an fd and a mapping of all of it) is held only while a vif uses it:
# kept after the detach, a guest's memory would outlive the guest.
cycle traffic || { fails=$((fails + 1)); echo "  traffic cycle 1 failed: rc $?"; }
fdt=$(nfd)
t_not "detached: xvifd holds no view of the guest's memory" xvifd_holds_dom "$d"
for i in 2 3 4 5; do cycle traffic || { fails=$((fails + 1)); echo "  traffic cycle $i failed: rc $?"; }; done
t_eq "5 cycles with a connected netfront and traffic" "$fails" 0
t_eq "no interface left after traffic cycles" "$(ip -n "$DOM0_NS" -o link show | grep -c xvif)" 0
n=$(nfd)
[ "$n" -le "$fdt" ] && [ "$fdt" -le $((fd0 + 1)) ] &&
	t_pass "no fd left after traffic cycles ($n open; $fdt after the first, $fd0 before)" ||
	t_fail "no fd left after traffic cycles" "$n open, $fdt after the first traffic cycle, $fd0 after cycle 1"
t_eq "no backend directory left" "$(xenstore-ls /local/domain/0/backend/vif 2>/dev/null | grep -c .)" 0
t_ok "xvifd alive" kill -0 "$XVIFD_PID"
kill -TERM "$XVIFD_PID"
wait "$XVIFD_PID"
t_eq "xvifd exits 0 on SIGTERM" "$?" 0
t_not "no leak or error reported by the sanitizers at exit" \
	grep -E 'LeakSanitizer|AddressSanitizer|runtime error' "$T_DIR/xvifd.log"
t_done
