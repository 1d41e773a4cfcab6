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
