# lib.sh -- helpers of the e2e phases, sourced in dom0 (bash).
# Results are lines on the console that the runner on the host parses:
#   E2E: CHECK <phase>/<name> PASS|FAIL <detail>
#   E2E: METRIC <phase> <name> <value> round=<round>
export PATH=/usr/lib/xen-4.17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PHASE=${PHASE:-?}
DOM0_IP=169.254.77.1
DOMU_IP=169.254.77.2
CONS=/var/log/xen/console
IPERF_T=${e2e_iperf_t:-5}

t() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$(t)" -v b="$1" 'BEGIN{printf "%.2f", a-b}'; }
mark() { echo "E2E: $* [uptime=$(t)]"; }
pass() { local n=$1; shift; echo "E2E: CHECK $PHASE/$n PASS $*"; }
fail() { local n=$1; shift; echo "E2E: CHECK $PHASE/$n FAIL $*"; }
# check NAME CONDITION-RC DETAIL
check() { if [ "$2" = 0 ]; then pass "$1" "${@:3}"; else fail "$1" "${@:3}"; fi; }
# A metric is the backend's: the phase's name, or BACKEND (phase rematch);
# ROUND numbers a backend's rounds (1: phases xvif and netback), by which
# ratios.sh pairs the figures of the two.
metric() { echo "E2E: METRIC ${BACKEND:-$PHASE} $1 $2 round=${ROUND:-1}"; }
indent() { sed "s/^/    $1| /"; }

# domcfg NAME MAC: a PV guest with one vif on the bridge xenbr0, as an
# admin writes it: xl's default hotplug script, the stock vif-bridge, puts
# the backend's interface in it.  Its vCPUs (2) make the stock netfront
# ask for as many queues.
domcfg() {
	cat > /tmp/$1.cfg <<EOC
name = "$1"
type = "pv"
kernel = "/boot/domU-vmlinuz"
ramdisk = "/boot/domU-initrd.gz"
extra = "console=hvc0 panic=-1 quiet"
memory = 192
vcpus = ${e2e_domu_vcpus:-2}
on_crash = "destroy"
vif = [ 'mac=$2,bridge=xenbr0' ]
EOC
}

# on_bridge IF: IF is an up port of xenbr0 with vif-bridge's MAC
# (fe:ff:ff:ff:ff:ff, so that the bridge never takes a guest port's).
on_bridge() {
	ip -o link show "$1" 2>/dev/null | grep -qE '<([^>]*,)?UP[,>].* master xenbr0 ' &&
		[ "$(cat /sys/class/net/$1/address 2>/dev/null)" = fe:ff:ff:ff:ff:ff ]
}
# bridge_checks IF MAC: after the workload, IF is on the bridge and the
# bridge learned the guest's MAC on it: the traffic crossed xenbr0.
bridge_checks() {
	on_bridge "$1"; check bridge_port $? "$(ip -o link show "$1" 2>&1 | cut -c1-150)"
	bridge fdb show br xenbr0 | grep -q "^$2 dev $1 "
	check bridge_learned_guest $? "$(bridge fdb show br xenbr0 | grep -v permanent | tr '\n' ';')"
}

# console NAME: the guest's console so far, printable ASCII only (a byte
# that is not is counted by console_junk).
console() { tr -cd '\11\12\40-\176' < $CONS/guest-$1.log 2>/dev/null; }
console_junk() { tr -d '\11\12\15\40-\176' < $CONS/guest-$1.log 2>/dev/null | wc -c; }
# wait_console NAME REGEX SECONDS: print the first matching line; 1 on timeout.
wait_console() {
	local i=0 l
	while [ $i -lt $(($3 * 10)) ]; do
		l=$(console "$1" | grep -a -m1 -E "$2") && { echo "$l"; return 0; }
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
	local n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
# xvifd_start LOG: the package's xvifd (--user xvifd, as its unit starts
# it; --hv xen -vv) appending to LOG,
# its pid in /run/xvifd.pid; 0 once it has logged "serving" since this
# start (a line of an earlier start in LOG does not count), 1 after 10 s.
xvifd_start() {
	local log=$1 from
	: >> "$log"
	from=$(($(wc -l < "$log") + 1))
	echo "===== xvifd start [uptime=$(t)]" >> "$log"
	xvifd --user xvifd --hv xen -vv >> "$log" 2>&1 &
	echo $! > /run/xvifd.pid
	wait_for 10 eval 'tail -n +$from "$log" | grep -q serving'
}
xvifd_alive() { [ -f /run/xvifd.pid ] && kill -0 "$(cat /run/xvifd.pid)" 2>/dev/null; }
xs_absent() { ! xenstore-exists "$1" 2>/dev/null; }
xs_is() { [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]; }
no_if() { [ ! -e /sys/class/net/$1 ]; }

# create_guest NAME MAC: xl create; sets D (domid).
create_guest() {
	local s rc el
	domcfg "$1" "$2"
	s=$(t)
	timeout -k 5 120 xl create /tmp/$1.cfg > /tmp/$1-create.log 2>&1; rc=$?
	el=$(since $s)
	check create $rc "xl create rc=$rc in ${el}s"
	[ $rc = 0 ] || indent "xl create" < /tmp/$1-create.log
	metric create_s "$el"
	D=$(xl domid "$1" 2>/dev/null)
	mark "guest $1 is domain $D"
	[ $rc = 0 ] && [ -n "$D" ]
}

# workload NAME: ping, TCP payloads and iperf3 with the guest; the
# guest side is domU-init.  Sends /srv/up.bin.
workload() {
	local g=$1 l rc h n0
	l=$(wait_console $g 'DOMU: CARRIER' 90); rc=$?
	[ $rc = 0 ] && [[ $l == *"CARRIER 1"* ]]; check carrier $? "${l:-no CARRIER line from the guest in 90 s}"
	l=$(wait_console $g 'DOMU: PING-DOM0-' 30)
	[[ $l == *PING-DOM0-OK* ]]; check ping_domU_to_dom0 $? "${l:-no ping result from the guest}"
	ping_metric
	# dom0 -> domU payload: to the guest's :5001, which prints its hash.
	l=$(wait_console $g 'DOMU: SERVE-SHA' 30)
	h=$(sha256sum /srv/up.bin | cut -d' ' -f1)
	send_guest /srv/up.bin 60; rc=$?
	l=$(wait_got $n0 30)
	[ $rc = 0 ] && [[ $l == *"GOT-SHA $h"* ]]
	check tcp_dom0_to_domU_sha256 $? "nc rc=$rc, guest: ${l:-no GOT-SHA line} (want $h)"
	# domU -> dom0 payload: from the guest's :5002.
	h=$(console $g | grep -a -m1 'DOMU: SERVE-SHA' | awk '{print $3}')
	rm -f /tmp/down.bin
	timeout -k 5 60 nc -d $DOMU_IP 5002 > /tmp/down.bin; rc=$?
	l=$(sha256sum /tmp/down.bin 2>/dev/null | cut -d' ' -f1)
	[ $rc = 0 ] && [ -n "$h" ] && [ "$l" = "$h" ]
	check tcp_domU_to_dom0_sha256 $? "nc rc=$rc got $(stat -c %s /tmp/down.bin 2>/dev/null) bytes ${l:-nothing}, want ${h:-?}"
	throughput
	attach_metric $g
}

# ping_rtt NAME ADDR [NETNS]: 3 pings to warm up (ARP, the bridge's
# learning, caches), then 20 a tenth of a second apart, from NETNS if given;
# check NAME, metric ping_rtt_ms: the median.  The median, not ping's
# mean: under emulation one round trip in twenty may take 30x the rest.
ping_rtt() {
	local rc m pre=()
	[ -n "${3:-}" ] && pre=(ip netns exec "$3")
	"${pre[@]}" ping -c 3 -i 0.2 -W 2 "$2" > /dev/null 2>&1
	"${pre[@]}" ping -c 20 -i 0.1 -W 2 "$2" > /tmp/ping.out 2>&1; rc=$?
	m=$(grep -o 'time=[0-9.]*' /tmp/ping.out | cut -d= -f2 | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	[ $rc = 0 ] && [ -n "$m" ]
	check "$1" $? "$(grep -E 'transmitted|rtt' /tmp/ping.out | tr '\n' ' ')median ${m:-?} ms"
	[ $rc = 0 ] && [ -n "$m" ] && metric ping_rtt_ms "$m"
}
# ping_metric: dom0 -> guest.
ping_metric() { ping_rtt ping_dom0_to_domU $DOMU_IP; }

# throughput: iperf3 TCP and 64-byte frames, each way; with a guest of
# more than one vCPU (whose netfront asks for a queue each), TCP in 4
# flows too: one flow is one queue, on either backend (the flow hash
# picks it), and 4 leave both of 2 queues idle 1 time in 8.
throughput() {
	local ifn q0
	iperf dom0_to_domU
	iperf domU_to_dom0 -R
	udp64 dom0_to_domU
	udp64 domU_to_dom0 -R
	if [ "${e2e_domu_vcpus:-2}" -gt 1 ]; then
		ifn=$(guest_ifname); q0=$(tc_queue_pkts "$ifn")
		iperf dom0_to_domU_4flows -P 4
		mark "queues (tc's classes of ${ifn:-no interface}, dom0 -> guest, 4 flows):$(tc_queue_shares "$q0" "$(tc_queue_pkts "$ifn")")"
		iperf domU_to_dom0_4flows -R -P 4
	fi
}
# attach_metric NAME: a second vif (handle 1) hot-plugged into guest NAME
# with xl network-attach, as an admin does, then detached; the states of
# both ends traced on watches (trace-states).  Metrics: attach_s, xl's
# wall time (it waits for the backend's InitWait, then runs vif-bridge);
# attach_initwait_ms, from xl's start to the backend's InitWait (xl's own
# start-up, the same for both, and the backend's share of a create
# before any script); attach_connected_ms, to both ends Connected.
# A create's extra half second with xvif was never broken down: these
# say whose it is.  The first round prints the trace.
attach_metric() {
	local b=/local/domain/0/backend/vif/$D/1 f=/local/domain/$D/device/vif/1 s rc el tp m
	/e2e/trace-states $b $f 60 > /tmp/attach-trace.log & tp=$!
	wait_for 5 test -s /tmp/attach-trace.log
	s=$(t)
	timeout -k 5 60 xl network-attach "$1" mac=00:16:3e:12:34:71 bridge=xenbr0 \
		> /tmp/attach-m.log 2>&1; rc=$?
	el=$(since $s)
	if [ $rc = 134 ]; then
		# xl's heap corruption under emulation (phase-xvif's xl_attach):
		# not the backend's doing, and no time to take.
		mark "xl network-attach aborted ($(grep -a -m1 -iE 'malloc|corrupt|abort' /tmp/attach-m.log)): attach not timed"
	else
		[ $rc = 0 ] && { wait_for 20 eval 'xs_is $b/state 4 && xs_is $f/state 4'; rc=$?; }
		check attach_timed $rc "xl network-attach in ${el}s, backend $(xenstore-read $b/state 2>&1), frontend $(xenstore-read $f/state 2>&1)"
		[ $rc = 0 ] || indent "xl network-attach" < /tmp/attach-m.log
	fi
	timeout -k 5 60 xl network-detach "$1" 1 > /tmp/detach-m.log 2>&1 ||
		xenstore-rm $b $f /libxl/$D/device/vif/1 2>/dev/null
	wait_for 20 xs_absent $b
	check attach_timed_detached $? "$b $(xenstore-read $b/state 2>&1)"
	wait $tp 2>/dev/null
	if [ "${ROUND:-1}" = 1 ]; then
		indent "attach-states" < /tmp/attach-trace.log
		# xvifd's own account (-vv): its steps to InitWait, the queues'
		# connect, how long each state it wrote lasted.
		xvifd_alive && [ -n "${LOG:-}" ] && grep -a -E \
			"xvif${D}i1: (InitWait [0-9]+ us|queues connected|backend .* after)" \
			"$LOG" | indent "xvifd attach"
		tap_yardstick
	fi
	[ $rc = 0 ] || return 0
	metric attach_s "$el"
	# "<uptime> be=B fe=F" lines, timed from xl's start (the trace may
	# see the directories late, or one before the other).
	m=$(awk -v t0="$s" 't2 == "" && $2 ~ /^be=[234]$/ { t2 = $1 }
		t4 == "" && $2 == "be=4" && $3 == "fe=4" { t4 = $1 }
		END { if (t2 != "" && t4 != "")
			printf "%.0f %.0f\n", (t2 - t0) * 1000, (t4 - t0) * 1000 }' /tmp/attach-trace.log)
	[ -n "$m" ] || { mark "attach trace without InitWait or Connected: $(tr '\n' ' ' < /tmp/attach-trace.log)"; return 0; }
	metric attach_initwait_ms "${m% *}"
	metric attach_connected_ms "${m#* }"
}
# tap_yardstick: what the kernel alone takes for the interface step of an
# attach (xvifd's "interface" time: a multi-queue TAP made, its address
# and mtu set): the same by ip(8), each step's end since the start (each
# includes an ip process's start-up).
tap_yardstick() {
	local s a b c
	s=$(t)
	ip tuntap add dev xvyard0 mode tap multi_queue || { mark "yardstick: ip tuntap add failed"; return 0; }
	a=$(since $s)
	ip link set dev xvyard0 address 00:16:3e:7f:00:01; b=$(since $s)
	ip link set dev xvyard0 mtu 1500; c=$(since $s)
	ip link del xvyard0
	mark "yardstick: a multi-queue TAP made by ip tuntap in ${a} s, its address set by ${b} s, its mtu by ${c} s"
}
# guest_ifname: the backend's interface of domain D's vif 0, either
# backend's (netback's vif<D>.0, xvif's xvif<D>i0).
guest_ifname() {
	local i
	for i in vif$D.0 xvif${D}i0; do [ -e /sys/class/net/$i ] && { echo $i; return; }; done
}
# tc_queue_pkts IF: the frames each transmit queue of IF took (the
# classes of its mq qdisc, dom0 -> guest), "class=frames ...": the same
# measure of the spread over the guest's queues for both backends.
tc_queue_pkts() {
	[ -n "$1" ] && tc -s class show dev "$1" 2>/dev/null |
		awk '$1 == "class" && $2 == "mq" { q = $3 } $1 == "Sent" && q != "" { printf "%s=%s ", q, $4; q = "" }'
}
# tc_queue_shares BEFORE AFTER: each class's share of the frames between
# (the classes that took any).
tc_queue_shares() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = split(b, y, " "); split(a, x, " ")
		for (i = 1; i <= n; i++) { split(y[i], p, "="); split(x[i], o, "="); d[i] = p[2] - o[2]; c[i] = p[1]; t += d[i] }
		if (!t) { printf " none measured"; exit }
		for (i = 1; i <= n; i++) if (d[i] > 0) printf " %s %.0f%%", c[i], 100 * d[i] / t }'
}

# prof_start / prof_stop NAME: with e2e_profile=1 (run.sh's E2E_PROFILE),
# in phases xvif and netback, perf samples every CPU of dom0 (cpu-clock,
# with call chains) over the middle of a measurement, and prof-summary
# prints where the time went (check profile_NAME: perf worked).  Perf's
# own cost skews the figures of a profiled run: compare profiles, not them.
prof_start() {
	PROF_PID=
	[ "${e2e_profile:-0}" = 1 ] && [[ $PHASE =~ ^(xvif|netback)$ ]] || return 0
	( sleep 1; exec perf record -q -g -e cpu-clock -a -o /tmp/prof.data \
		-- sleep $((IPERF_T > 3 ? IPERF_T - 2 : 1)) ) > /tmp/prof.err 2>&1 &
	PROF_PID=$!
}
prof_stop() {
	local rc
	[ -n "${PROF_PID:-}" ] || return 0
	wait "$PROF_PID"; rc=$?
	{ perf script -i /tmp/prof.data -F comm,tid,ip,sym 2>/dev/null |
		awk -f /e2e/prof-summary > /tmp/prof.out; } && [ $rc = 0 ]
	check profile_$1 $? "perf rc=$rc $(head -1 /tmp/prof.out) $(head -2 /tmp/prof.err | tr '\n' ' ')"
	indent "profile $1" < /tmp/prof.out
	rm -f /tmp/prof.data
}

# guest_cpu: the "cpu" line of the guest's /proc/stat (domU-init serves
# the file on :5003), or nothing.
guest_cpu() { timeout 10 nc -d $DOMU_IP 5003 2>/dev/null | awk '$1 == "cpu"'; }
# steal_metric NAME BEFORE AFTER: metric NAME_guest_steal_pct from two
# guest_cpu lines: the share of the guest's vCPU time (user to steal)
# that it was ready to run while Xen ran another vCPU on the two emulated
# CPUs -- dom0's, where the backend works: what the backend costs dom0
# is taken from the guest too (udp64's sent/stack figures say where the
# frames went).
steal_metric() {
	local v
	v=$(printf '%s\n%s\n' "$2" "$3" | awk 'NF >= 9 { n++; for (i = 2; i <= 9; i++) c[n, i] = $i }
		END { if (n != 2) exit; for (i = 2; i <= 9; i++) t += c[2, i] - c[1, i]
		if (t > 0) printf "%.1f\n", 100 * (c[2, 9] - c[1, 9]) / t }')
	if [ -n "$v" ]; then metric "${1}_guest_steal_pct" "$v"
	else mark "no guest CPU times for $1 (before: '$2', after: '$3')"; fi
}

# guest_irqs: the interrupts the guest's netfront took so far, all its
# channels and CPUs (the lines of its queues, vif0-q<N>[-tx|-rx], in its
# /proc/interrupts, which domU-init serves on :5005), or nothing.
guest_irqs() {
	timeout 10 nc -d $DOMU_IP 5005 2>/dev/null | awk '$NF ~ /^vif0-q[0-9]+/ { n++
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { if (n) print s + 0 }'
}
# irqs_metric NAME BEFORE AFTER: metric NAME_guest_irqs: interrupts a
# second the guest's netfront took -- one a notification of the backend
# that found its channel unmasked: what they cost the guest.
irqs_metric() {
	if [ -n "$2" ] && [ -n "$3" ]; then
		metric "${1}_guest_irqs" "$(awk -v a=$2 -v b=$3 -v t=$IPERF_T 'BEGIN { printf "%.0f\n", (b - a) / t }')"
	else mark "no guest interrupt counts for $1 (before: '$2', after: '$3')"; fi
}

# observe_start / observe_stop NAME: what every measurement records
# besides its figure: the guest's steal time and netfront interrupts,
# and a profile if asked.
observe_start() { OBS_CPU=$(guest_cpu); OBS_IRQ=$(guest_irqs); prof_start; }
observe_stop() {
	prof_stop "$1"
	steal_metric "$1" "$OBS_CPU" "$(guest_cpu)"
	irqs_metric "$1" "$OBS_IRQ" "$(guest_irqs)"
}

# iperf NAME [-R] [-P N]: one iperf3 run; metric iperf_NAME_mbps (the
# receiver's; with -P, its SUM line, the last).
iperf() {
	local n=$1 rc v; shift
	observe_start
	timeout -k 5 $((IPERF_T + 30)) iperf3 -c $DOMU_IP -t $IPERF_T -f m "$@" > /tmp/iperf.out 2>&1; rc=$?
	observe_stop iperf_$n
	v=$(awk '/receiver/{for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i-1)}' /tmp/iperf.out | tail -1)
	[ $rc = 0 ] && [ -n "$v" ]; check iperf_$n $? "rc=$rc ${v:-?} Mbit/s"
	[ $rc = 0 ] || indent iperf3 < /tmp/iperf.out
	[ -n "$v" ] && metric iperf_${n}_mbps "$v"
}

# udp_in: of the /proc/net/snmp on stdin, the datagrams that reached the
# UDP layer: delivered to a socket (InDatagrams) or dropped there
# (InErrors: a full receive buffer, a bad checksum).
udp_in() { awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $2 + $4 }'; }
# rx_udp_in [-R]: udp_in of the receiving side: the guest (domU-init
# serves its /proc/net/snmp on :5004), or dom0 with -R.
rx_udp_in() {
	if [ "$1" = -R ]; then udp_in < /proc/net/snmp
	else timeout 10 nc -d $DOMU_IP 5004 2>/dev/null | udp_in; fi
}
# kpps_of SIDE: of iperf3's "lost/total" on its SIDE (sender|receiver)
# line in /tmp/udp.out, thousand frames a second: sent (the total) for
# the sender, received (total - lost) for the receiver.
kpps_of() {
	awk -v t=$IPERF_T -v side=$1 '$NF == side { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) {
		split($i, a, "/"); printf "%.1f\n", (side == "sender" ? a[2] : a[2] - a[1]) / t / 1000 }}' /tmp/udp.out | tail -1
}

# udp64 NAME [-R]: 60-byte Ethernet frames (18 bytes of UDP payload) as
# fast as iperf3 sends them; metric udp64_NAME_kpps: thousand frames a
# second received.  Where the others went: udp64_NAME_sent_kpps, what
# the sender got out; udp64_NAME_stack_kpps, what reached the receiving
# side's UDP layer (sent - stack: lost in dom0 or the rings; stack -
# received: dropped at the receiving socket).
udp64() {
	local n=$1 rc v in0 in1; shift
	in0=$(rx_udp_in "$@")
	observe_start
	timeout -k 5 $((IPERF_T + 30)) iperf3 -c $DOMU_IP -u -b 0 -l 18 -t $IPERF_T "$@" \
		> /tmp/udp.out 2>&1; rc=$?
	observe_stop udp64_$n
	in1=$(rx_udp_in "$@")
	grep -E 'sender|receiver' /tmp/udp.out | indent "udp64 $n"
	v=$(kpps_of receiver)
	[ $rc = 0 ] && [ -n "$v" ]; check udp64_$n $? "rc=$rc ${v:-?} thousand frames/s"
	[ $rc = 0 ] || indent iperf3 < /tmp/udp.out
	[ -n "$v" ] && metric udp64_${n}_kpps "$v"
	v=$(kpps_of sender)
	[ -n "$v" ] && metric udp64_${n}_sent_kpps "$v"
	if [ -n "$in0" ] && [ -n "$in1" ]; then
		metric udp64_${n}_stack_kpps "$(awk -v a=$in0 -v b=$in1 -v t=$IPERF_T 'BEGIN { printf "%.1f\n", (b - a) / t / 1000 }')"
	else mark "no UDP counters of the receiving side for udp64 $n (before: '$in0', after: '$in1')"; fi
}

# destroy_guest NAME: xl destroy, timed; then the backend must be gone.
destroy_guest() {
	local s rc el
	s=$(t)
	timeout -k 5 60 xl -v destroy "$1" > /tmp/$1-destroy.log 2>&1; rc=$?
	el=$(since $s)
	! grep -qiE 'timed out|timeout|error' /tmp/$1-destroy.log && [ $rc = 0 ]
	check destroy $? "xl destroy rc=$rc in ${el}s"
	grep -iE 'timed out|timeout|error' /tmp/$1-destroy.log | indent "xl destroy"
	metric destroy_s "$el"
	wait_for 10 xs_absent /local/domain/0/backend/vif/$D
	check destroy_backend_gone $? "/local/domain/0/backend/vif/$D $(xenstore-ls -f /local/domain/0/backend/vif/$D 2>/dev/null | head -5 | tr '\n' ' ')"
}

# send_guest FILE SECONDS [IP]: FILE over one TCP connection to the
# guest's :5001 (at IP, DOMU_IP unless given); n0 is set to the number of
# GOT-SHA lines before.
send_guest() {
	n0=$(console $g | grep -a -c 'DOMU: GOT-SHA')
	timeout -k 5 $2 nc -N ${3:-$DOMU_IP} 5001 < "$1"
}
# wait_got N SECONDS: the first GOT-SHA line after the first N.
wait_got() {
	local i=0
	while [ $i -lt $(($2 * 10)) ]; do
		[ "$(console $g | grep -a -c 'DOMU: GOT-SHA')" -gt "$1" ] &&
			{ console $g | grep -a 'DOMU: GOT-SHA' | sed -n "$(($1 + 1))p"; return 0; }
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

dump_console() { echo "----- console of $1 -----"; console "$1" | indent "$1"; }
