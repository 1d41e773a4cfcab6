# lib.sh -- sourced by tests/sh/t_*.sh.  Gives each test a scratch
# directory, PASS/FAIL reporting in tests/run.sh's format, and a simulated
# Xen host that is always stopped on exit, also on failure.
#
#	t_pass NAME | t_fail NAME WHY | t_ok NAME CMD... | t_not NAME CMD...
#	sim_host_start            starts build/xvif-sim host in $T_DIR/host
#	t_cleanup_add 'CMD'       runs CMD (eval) at exit, last added first
set -u
: "${BUILD:=build}"
T_NAME=$(basename "$0" .sh)
T_DIR=$(mktemp -d /tmp/xvif-sh.XXXXXX)
T_FAILED=0
SIM=$PWD/$BUILD/xvif-sim
_t_cleanups=()

t_cleanup_add() { _t_cleanups=("$1" "${_t_cleanups[@]}"); }
_t_exit() {
	local c
	for c in "${_t_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
	rm -rf "$T_DIR"
}
trap _t_exit EXIT
trap 'exit 130' INT TERM

t_pass() { echo "PASS $T_NAME: $1"; }
t_fail() { echo "FAIL $T_NAME: $1: $2"; T_FAILED=1; }
# t_ok NAME CMD...: passes if CMD exits 0; shows its output if not.
t_ok() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then t_pass "$name"; else
		t_fail "$name" "'$*' exited $?: $(echo "$out" | tail -3 | tr '\n' ' ')"
	fi
}
# t_not NAME CMD...: passes if CMD fails.
t_not() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		t_fail "$name" "'$*' succeeded but should fail: $out"
	else t_pass "$name"; fi
}
# t_eq NAME GOT WANT
t_eq() {
	if [ "$2" = "$3" ]; then t_pass "$1"; else
		t_fail "$1" "got '$2', want '$3'"
	fi
}

# Start a simulated host in $T_DIR/host; exports XENSTORED_PATH for dom0.
sim_host_start() {
	SIM_DIR=$T_DIR/host
	mkdir -p "$SIM_DIR"
	"$SIM" host --dir "$SIM_DIR" >"$T_DIR/host.log" 2>&1 &
	SIM_PID=$!
	t_cleanup_add "kill $SIM_PID; wait $SIM_PID"
	local i
	for i in $(seq 1 100); do
		[ -S "$SIM_DIR/xenstored.sock" ] && break
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -S "$SIM_DIR/xenstored.sock" ]; then
		echo "FAIL $T_NAME: setup: xvif-sim host did not start: $(tail -3 "$T_DIR/host.log")"
		exit 1
	fi
	export XENSTORED_PATH=$SIM_DIR/xenstored.sock
}

# As domain N: run a command with XENSTORED_PATH at that domain's socket.
as_dom() {
	local d=$1
	shift
	XENSTORED_PATH=$SIM_DIR/xs-dom$d.sock "$@"
}

t_done() { exit "$T_FAILED"; }

# --- A whole simulated world: host, xvifd in a "dom0" netns, guests. ---
# Every namespace is created here and deleted at exit; traffic stays on
# 169.254.0.0/16 inside them.
XVIFD=$PWD/$BUILD/xvifd
T_NS=xvt$$

# netns_add NAME: a fresh namespace with lo up, deleted at exit.
netns_add() {
	[ -e "/run/netns/$1" ] && return 0
	ip netns add "$1" || { echo "FAIL $T_NAME: setup: ip netns add $1"; exit 1; }
	t_cleanup_add "ip netns del $1"
	ip -n "$1" link set lo up
}

# Wait up to $2 seconds (default 10) for command $3... to succeed.
t_wait() {
	local secs=$1 i
	shift
	for i in $(seq 1 $((secs * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# xvifd_start [ARGS]: xvifd on the host, inside netns $DOM0_NS.
xvifd_start() {
	DOM0_NS=${DOM0_NS:-$T_NS-d0}
	ip netns list | grep -qw "$DOM0_NS" || netns_add "$DOM0_NS"
	ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" -vv "$@" \
		>>"$T_DIR/xvifd.log" 2>&1 &
	XVIFD_PID=$!
	t_cleanup_add "kill $XVIFD_PID; wait $XVIFD_PID"
	t_wait 10 grep -q 'serving' "$T_DIR/xvifd.log" || {
		echo "FAIL $T_NAME: setup: xvifd did not start: $(tail -3 "$T_DIR/xvifd.log")"
		exit 1
	}
}

# guest_up K [ATTACH-ARGS...]: domain + vif 0 + netfront in netns $T_NS-gK,
# eth0 169.254.K.2/24; the host side xvif<D>i0 gets 169.254.K.1/24.
# Sets GUEST_DOM[K], GUEST_NS[K], GUEST_IF[K].
declare -A GUEST_DOM GUEST_NS GUEST_IF GUEST_FE
guest_up() {
	local k=$1 d ns mac
	shift
	mac=$(printf '00:16:3e:%02x:00:01' "$k")
	d=$("$SIM" create --dir "$SIM_DIR" --name "g$k") || {
		echo "FAIL $T_NAME: setup: create domain"; exit 1; }
	"$SIM" attach --dir "$SIM_DIR" "$d" "mac=$mac" "$@" >>"$T_DIR/tool.log" 2>&1 || {
		echo "FAIL $T_NAME: setup: attach to domain $d: $(tail -2 "$T_DIR/tool.log")"; exit 1; }
	ns=$T_NS-g$k
	netns_add "$ns"
	"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$ns" \
		>>"$T_DIR/fe$k.log" 2>&1 &
	GUEST_FE[$k]=$!
	t_cleanup_add "kill ${GUEST_FE[$k]}; wait ${GUEST_FE[$k]}"
	GUEST_DOM[$k]=$d GUEST_NS[$k]=$ns GUEST_IF[$k]=xvif${d}i0
	t_wait 15 ip -n "$DOM0_NS" link show "xvif${d}i0" || {
		echo "FAIL $T_NAME: setup: no xvif${d}i0: $(tail -3 "$T_DIR/xvifd.log")"; exit 1; }
	t_wait 15 ip -n "$ns" link show eth0 || {
		echo "FAIL $T_NAME: setup: no eth0 in guest $k: $(tail -3 "$T_DIR/fe$k.log")"; exit 1; }
	ip -n "$DOM0_NS" addr add "169.254.$k.1/24" dev "xvif${d}i0"
	ip -n "$DOM0_NS" link set "xvif${d}i0" up
	ip -n "$ns" addr add "169.254.$k.2/24" dev eth0
	ip -n "$ns" link set eth0 up
	t_wait 15 sh -c "ip -n $ns link show eth0 | grep -q LOWER_UP" || {
		echo "FAIL $T_NAME: setup: guest $k eth0 has no carrier"; exit 1; }
}

# tcp_check NAME FROM_NS TO_NS TO_ADDR MIB: MIB MiB of random data over TCP,
# SHA-256 compared at both ends.
tcp_check() {
	local name=$1 from=$2 to=$3 addr=$4 mib=$5 port=$((20000 + RANDOM % 20000))
	head -c $((mib * 1048576)) /dev/urandom >"$T_DIR/tcp.in"
	rm -f "$T_DIR/tcp.out"
	ip netns exec "$to" timeout 120 socat -u \
		"TCP-LISTEN:$port,bind=$addr,reuseaddr" "CREATE:$T_DIR/tcp.out" &
	local srv=$!
	t_wait 5 sh -c "ip netns exec $to ss -ltn | grep -q ':$port '"
	if ! ip netns exec "$from" timeout 120 socat -u "FILE:$T_DIR/tcp.in" \
		"TCP:$addr:$port,connect-timeout=5"; then
		t_fail "$name" "sender failed"
		kill $srv 2>/dev/null; wait $srv 2>/dev/null
		return
	fi
	wait $srv
	t_eq "$name" "$(sha256sum <"$T_DIR/tcp.out" | cut -d' ' -f1)" \
		"$(sha256sum <"$T_DIR/tcp.in" | cut -d' ' -f1)"
}

# Packet counters of DEV in netns NS: "rx_packets tx_packets".
link_packets() {
	ip -n "$1" -s link show "$2" | awk '/RX:/{getline; rx=$2} /TX:/{getline; tx=$2} END{print rx, tx}'
}

# Quiet namespace: no IPv6 (no router/neighbour solicitations), so that
# packet counters count only the test's own frames.  Call before guest_up.
netns_quiet() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}
