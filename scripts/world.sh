# world.sh -- sourced by scripts/demo and tests/sh/lib.sh: a whole
# simulated world on this machine.  An xvif-sim host in $W_DIR/host, xvifd
# inside a "dom0" network namespace, guests each with a netfront and an
# eth0 in a namespace of their own.  Every namespace is created here and
# deleted at exit; addresses are link-local (169.254.K.0/24 for guest K).
#
# The includer sets W_DIR (a scratch directory), BUILD, and may define
# w_die (how to report a setup failure; default: message and exit 1).
#	w_cleanup_add 'CMD'   run CMD (eval) at exit, last added first
#	w_cleanup             run them; then kill what is left of this world's
#	                      processes and delete its namespaces ($W_NS,
#	                      $W_NS-*); what that sweep had to remove is listed
#	                      in W_LEFT.  Set W_HURRY=1 first (on SIGTERM) to
#	                      SIGKILL at once instead of waiting for processes.
#	w_stop PID [SECS [STUCK]]  SIGTERM, at most SECS (5) for it to go,
#	                      then (if given) STUCK PID to say what it was
#	                      doing, SIGKILL
#	w_wait SECS CMD...    poll CMD until it succeeds, at most SECS
#	sim_host_start | xvifd_start [ARGS] | guest_up K [ATTACH-ARGS]
# The world's processes are this shell's descendants and whatever carries
# W_MARK (an environment variable exported here) -- daemons and the
# children of timeout(1), which leave the process tree or group, too.
set -u
: "${BUILD:=build}"
SIM=$PWD/$BUILD/xvif-sim
XVIFD=$PWD/$BUILD/xvifd
XVIFD_FAULTS=$PWD/$BUILD/xvifd-faults	# with the tests' fault points
W_NS=${W_NS:-xv$$}
W_MARK=XVIF_W_$$_$RANDOM
export "$W_MARK=1"
W_LEFT=()
W_HURRY=
_w_cleanups=()
declare -A GUEST_DOM GUEST_NS GUEST_IF GUEST_FE

type w_die >/dev/null 2>&1 || w_die() { echo "setup failed: $*" >&2; exit 1; }
w_cleanup_add() { _w_cleanups=("$1" "${_w_cleanups[@]}"); }
w_cleanup() {
	local c p ns procs i
	for c in "${_w_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
	_w_cleanups=()
	# What is left: a second for those on their way out, then SIGKILL.
	for ((i = 0; i < 10 && !W_HURRY; i++)); do
		[ -n "$(w_procs)" ] || break
		sleep 0.1
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		procs=$(w_procs)
		[ -n "$procs" ] || break
		[ "$i" = 1 ] && for p in $procs; do
			c=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-100)
			W_LEFT+=("process $p (${c% })")
		done
		# shellcheck disable=SC2086
		kill -KILL $procs 2>/dev/null
		for p in $procs; do wait "$p" 2>/dev/null; done
		sleep 0.1
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $ns in "$W_NS" | "$W_NS"-*) ;; *) continue ;; esac
		ip netns del "$ns" 2>/dev/null
		W_LEFT+=("netns $ns")
	done
}

# The live processes of this world but this shell: its descendants, and
# those whose environment has W_MARK (/proc/PID/environ is the one a
# process was started with: this shell's own never has it).
w_procs() {
	(
		w_scan=$BASHPID
		{
			env -u "$W_MARK" grep -lszxF "$W_MARK=1" /proc/[0-9]*/environ
			echo --
			ps -e -o pid=,ppid=,stat=
		} 2>/dev/null | awk -v top=$$ -v scan="$w_scan" '
			$0 == "--" { ps = 1; next }
			!ps { split($0, f, "/"); marked[f[3]] = 1; next }
			{ parent[$1] = $2; if ($3 ~ /^Z/) zombie[$1] = 1 }
			function under(p, root,  n) {
				for (n = 0; p + 0 > 1 && n < 1000; n++) {
					if (p + 0 == root + 0) return 1
					p = parent[p]
				}
				return 0
			}
			END {
				for (p = scan; p + 0 > 1; p = parent[p]) skip[p] = 1
				for (p in parent) {
					if (p + 0 == top + 0 || skip[p] || zombie[p] || under(p, scan)) continue
					if (marked[p] || under(p, top)) print p
				}
			}'
	)
}

# w_stop PID [SECS [STUCK]]: stop one process of ours, bounded (SECS 0:
# SIGKILL right after SIGTERM); STUCK PID runs first if it outlived
# SIGTERM.  A PID that is no longer ours is left alone.
w_stop() {
	local pid=$1 secs=${2:-5} stuck=${3:-} i
	if ! grep -qzxF "$W_MARK=1" "/proc/$pid/environ" 2>/dev/null &&
	    ! grep -qx "PPid:[[:space:]]*$$" "/proc/$pid/status" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		return 0
	fi
	if [ -z "$W_HURRY" ] && kill -TERM "$pid" 2>/dev/null; then
		for ((i = 0; i < secs * 10; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		[ -n "$stuck" ] && kill -0 "$pid" 2>/dev/null && "$stuck" "$pid"
	fi
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

w_wait() {
	local secs=$1 i
	shift
	for i in $(seq 1 $((secs * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# A fresh namespace with lo up, deleted at exit.
netns_add() {
	[ -e "/run/netns/$1" ] && return 0
	ip netns add "$1" || w_die "ip netns add $1"
	w_cleanup_add "ip netns del $1"
	ip -n "$1" link set lo up
}

# No IPv6 (no router/neighbour solicitations): counters count only ours.
netns_quiet() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

# The host; exports XENSTORED_PATH (dom0's XenStore) and SIM_DIR.
sim_host_start() {
	SIM_DIR=$W_DIR/host
	mkdir -p "$SIM_DIR"
	"$SIM" host --dir "$SIM_DIR" >"$W_DIR/host.log" 2>&1 &
	SIM_PID=$!
	w_cleanup_add "w_stop $SIM_PID"
	w_wait 5 test -S "$SIM_DIR/xenstored.sock" ||
		w_die "xvif-sim host did not start: $(tail -3 "$W_DIR/host.log")"
	export XENSTORED_PATH=$SIM_DIR/xenstored.sock
}

# Guest K (1..8192) of a many-guest run (t_xvifd_scale, make bench's
# scale): MAC 00:16:3e:7e:HI:LO, its vif's by xvif(4)'s rule (fourth
# byte plus one), and a /30 each in 169.254.128.0/17: dom0 .1, guest .2.
scale_mac() { printf '00:16:3e:7e:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }
scale_xmac() { printf '00:16:3e:7f:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }
scale_addr() {	# K END: END 1 is dom0's, 2 the guest's
	local off=$((4 * ($1 - 1) + $2))
	echo "169.254.$((128 + off / 256)).$((off % 256))"
}
# `ip -batch` lines for guest K's link: dom0's end (scale_dom0_lines K D,
# on xvif<D>i0) and the guest's (on eth0), each with the other end as a
# permanent neighbour: the kernel's neighbour table is shared by every
# namespace and its garbage collector would start dropping entries near
# 1024 (gc_thresh3), which says nothing about xvif; permanent entries are
# not counted against that threshold.
scale_dom0_lines() {
	printf '%s\n' "addr add $(scale_addr "$1" 1)/30 dev xvif${2}i0" \
		"link set xvif${2}i0 up" \
		"neigh replace $(scale_addr "$1" 2) lladdr $(scale_mac "$1") dev xvif${2}i0 nud permanent"
}
scale_guest_lines() {
	printf '%s\n' "addr add $(scale_addr "$1" 2)/30 dev eth0" "link set eth0 up" \
		"neigh replace $(scale_addr "$1" 1) lladdr $(scale_xmac "$1") dev eth0 nud permanent"
}

# xvifd inside netns $DOM0_NS; its log is $W_DIR/xvifd.log.
xvifd_start() {
	local n
	DOM0_NS=${DOM0_NS:-$W_NS-d0}
	netns_add "$DOM0_NS"
	# A restart appends to the same log: wait for one more "serving".
	n=$(grep -c 'serving' "$W_DIR/xvifd.log" 2>/dev/null)
	ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" -vv "$@" \
		>>"$W_DIR/xvifd.log" 2>&1 &
	XVIFD_PID=$!
	w_cleanup_add "w_stop $XVIFD_PID"
	w_wait 10 sh -c "[ \$(grep -c serving '$W_DIR/xvifd.log') -gt ${n:-0} ]" ||
		w_die "xvifd did not start: $(tail -3 "$W_DIR/xvifd.log")"
}

# Guest K: a domain, vif 0 (mac 00:16:3e:K:00:01), its netfront in netns
# $W_NS-gK with eth0 169.254.K.2/24; xvif<D>i0 gets 169.254.K.1/24.
# The netfront gets the words of $GUEST_FE_ARGS as options (--no-sg...).
# GUEST_NO_CARRIER=1: the interfaces made and up, but neither the carrier
# nor Connected waited for: a guest whose misbehaviour ends its
# connection as it starts may have neither by the time we look.
guest_up() {
	local k=$1 d ns mac
	shift
	mac=$(printf '00:16:3e:%02x:00:01' "$k")
	d=$("$SIM" create --dir "$SIM_DIR" --name "g$k") || w_die "create domain"
	"$SIM" attach --dir "$SIM_DIR" "$d" "mac=$mac" "$@" >>"$W_DIR/tool.log" 2>&1 ||
		w_die "attach to domain $d: $(tail -2 "$W_DIR/tool.log")"
	ns=$W_NS-g$k
	netns_add "$ns"
	# shellcheck disable=SC2086 # words on purpose
	"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$ns" ${GUEST_FE_ARGS:-} \
		>>"$W_DIR/fe$k.log" 2>&1 &
	GUEST_FE[$k]=$!
	w_cleanup_add "w_stop ${GUEST_FE[$k]}"
	GUEST_DOM[$k]=$d GUEST_NS[$k]=$ns GUEST_IF[$k]=xvif${d}i0
	w_wait 15 ip -n "$DOM0_NS" link show "xvif${d}i0" ||
		w_die "no xvif${d}i0: $(tail -3 "$W_DIR/xvifd.log")"
	w_wait 15 ip -n "$ns" link show eth0 ||
		w_die "no eth0 in guest $k: $(tail -3 "$W_DIR/fe$k.log")"
	ip -n "$DOM0_NS" addr add "169.254.$k.1/24" dev "xvif${d}i0"
	ip -n "$DOM0_NS" link set "xvif${d}i0" up
	ip -n "$ns" addr add "169.254.$k.2/24" dev eth0
	ip -n "$ns" link set eth0 up
	[ "${GUEST_NO_CARRIER:-0}" = 1 ] && return 0
	w_wait 15 sh -c "ip -n $ns link show eth0 | grep -q LOWER_UP" ||
		w_die "guest $k eth0 has no carrier"
	# The netfront's carrier comes on before the backend is Connected
	# (as Linux's): up means both.
	w_wait 15 sh -c "[ \"\$(xenstore-read /local/domain/0/backend/vif/$d/0/state)\" = 4 ]" ||
		w_die "guest $k: backend not Connected: $(tail -3 "$W_DIR/xvifd.log" 2>/dev/null)"
}

# Packet counters of DEV in netns NS: "rx_packets tx_packets".
link_packets() {
	ip -n "$1" -s link show "$2" |
		awk '/RX:/{getline; rx=$2} /TX:/{getline; tx=$2} END{print rx, tx}'
}

# tcp_send FROM_NS TO_NS TO_ADDR FILE OUT [VIA]: FILE over TCP into OUT.
# TO_ADDR is IPv4, or IPv6 in brackets ("[fe80::1%eth0]"); the sender
# connects to VIA if given (a link-local address scoped to its own side).
tcp_send() {
	local from=$1 to=$2 addr=$3 in=$4 out=$5 via=${6:-$3} port=$((20000 + RANDOM % 20000)) srv v=
	[ "${addr#[}" != "$addr" ] && v=6
	rm -f "$out"
	ip netns exec "$to" timeout 120 socat -u \
		"TCP$v-LISTEN:$port,bind=$addr,reuseaddr" "CREATE:$out" &
	srv=$!
	w_wait 5 sh -c "ip netns exec $to ss -ltn | grep -q ':$port '"
	if ! ip netns exec "$from" timeout 120 socat -u "FILE:$in" \
		"TCP$v:$via:$port,connect-timeout=5"; then
		kill $srv 2>/dev/null; wait $srv 2>/dev/null
		return 1
	fi
	wait $srv
}
