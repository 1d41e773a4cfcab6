# world.sh -- sourced by scripts/demo and tests/sh/lib.sh: a whole
# simulated world on this machine.  An xvif-sim host in $W_DIR/host, xvifd
# inside a "dom0" network namespace, guests each with a netfront and an
# eth0 in a namespace of their own.  Every namespace is created here and
# deleted at exit; addresses are link-local (169.254.K.0/24 for guest K).
#
# The includer sets W_DIR (a scratch directory), BUILD, and may define
# w_die (how to report a setup failure; default: message and exit 1).
#	w_cleanup_add 'CMD'   run CMD (eval) at exit, last added first
#	w_wait SECS CMD...    poll CMD until it succeeds, at most SECS
#	sim_host_start | xvifd_start [ARGS] | guest_up K [ATTACH-ARGS]
set -u
: "${BUILD:=build}"
SIM=$PWD/$BUILD/xvif-sim
XVIFD=$PWD/$BUILD/xvifd
W_NS=${W_NS:-xv$$}
_w_cleanups=()
declare -A GUEST_DOM GUEST_NS GUEST_IF GUEST_FE

type w_die >/dev/null 2>&1 || w_die() { echo "setup failed: $*" >&2; exit 1; }
w_cleanup_add() { _w_cleanups=("$1" "${_w_cleanups[@]}"); }
w_cleanup() {
	local c
	for c in "${_w_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
	_w_cleanups=()
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
	w_cleanup_add "kill $SIM_PID; wait $SIM_PID"
	w_wait 5 test -S "$SIM_DIR/xenstored.sock" ||
		w_die "xvif-sim host did not start: $(tail -3 "$W_DIR/host.log")"
	export XENSTORED_PATH=$SIM_DIR/xenstored.sock
}

# xvifd inside netns $DOM0_NS; its log is $W_DIR/xvifd.log.
xvifd_start() {
	DOM0_NS=${DOM0_NS:-$W_NS-d0}
	netns_add "$DOM0_NS"
	ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" -vv "$@" \
		>>"$W_DIR/xvifd.log" 2>&1 &
	XVIFD_PID=$!
	w_cleanup_add "kill $XVIFD_PID; wait $XVIFD_PID"
	w_wait 10 grep -q 'serving' "$W_DIR/xvifd.log" ||
		w_die "xvifd did not start: $(tail -3 "$W_DIR/xvifd.log")"
}

# Guest K: a domain, vif 0 (mac 00:16:3e:K:00:01), its netfront in netns
# $W_NS-gK with eth0 169.254.K.2/24; xvif<D>i0 gets 169.254.K.1/24.
guest_up() {
	local k=$1 d ns mac
	shift
	mac=$(printf '00:16:3e:%02x:00:01' "$k")
	d=$("$SIM" create --dir "$SIM_DIR" --name "g$k") || w_die "create domain"
	"$SIM" attach --dir "$SIM_DIR" "$d" "mac=$mac" "$@" >>"$W_DIR/tool.log" 2>&1 ||
		w_die "attach to domain $d: $(tail -2 "$W_DIR/tool.log")"
	ns=$W_NS-g$k
	netns_add "$ns"
	"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$ns" >>"$W_DIR/fe$k.log" 2>&1 &
	GUEST_FE[$k]=$!
	w_cleanup_add "kill ${GUEST_FE[$k]}; wait ${GUEST_FE[$k]}"
	GUEST_DOM[$k]=$d GUEST_NS[$k]=$ns GUEST_IF[$k]=xvif${d}i0
	w_wait 15 ip -n "$DOM0_NS" link show "xvif${d}i0" ||
		w_die "no xvif${d}i0: $(tail -3 "$W_DIR/xvifd.log")"
	w_wait 15 ip -n "$ns" link show eth0 ||
		w_die "no eth0 in guest $k: $(tail -3 "$W_DIR/fe$k.log")"
	ip -n "$DOM0_NS" addr add "169.254.$k.1/24" dev "xvif${d}i0"
	ip -n "$DOM0_NS" link set "xvif${d}i0" up
	ip -n "$ns" addr add "169.254.$k.2/24" dev eth0
	ip -n "$ns" link set eth0 up
	w_wait 15 sh -c "ip -n $ns link show eth0 | grep -q LOWER_UP" ||
		w_die "guest $k eth0 has no carrier"
}

# Packet counters of DEV in netns NS: "rx_packets tx_packets".
link_packets() {
	ip -n "$1" -s link show "$2" |
		awk '/RX:/{getline; rx=$2} /TX:/{getline; tx=$2} END{print rx, tx}'
}

# tcp_send FROM_NS TO_NS TO_ADDR FILE OUT: FILE over TCP into OUT.
tcp_send() {
	local from=$1 to=$2 addr=$3 in=$4 out=$5 port=$((20000 + RANDOM % 20000)) srv
	rm -f "$out"
	ip netns exec "$to" timeout 120 socat -u \
		"TCP-LISTEN:$port,bind=$addr,reuseaddr" "CREATE:$out" &
	srv=$!
	w_wait 5 sh -c "ip netns exec $to ss -ltn | grep -q ':$port '"
	if ! ip netns exec "$from" timeout 120 socat -u "FILE:$in" \
		"TCP:$addr:$port,connect-timeout=5"; then
		kill $srv 2>/dev/null; wait $srv 2>/dev/null
		return 1
	fi
	wait $srv
}
