# lib.sh -- sourced by tests/sh/t_*.sh.  Gives each test a scratch
# directory, PASS/FAIL reporting in tests/run.sh's format, and a simulated
# Xen host that is always stopped on exit, also on failure.
#
#	t_pass NAME | t_fail NAME WHY | t_ok NAME CMD... | t_not NAME CMD...
#	t_cleanup_add 'CMD'       runs CMD (eval) at exit, last added first
#	t_wait SECS CMD...        polls CMD until it succeeds, at most SECS
# and the simulated world of scripts/world.sh (sim_host_start, xvifd_start,
# guest_up, ...), cleaned up at exit.
set -u
: "${BUILD:=build}"
T_NAME=$(basename "$0" .sh)
T_DIR=$(mktemp -d /tmp/xvif-sh.XXXXXX)
T_FAILED=0
W_DIR=$T_DIR
W_NS=xvt$$
T_NS=$W_NS
w_die() { echo "FAIL $T_NAME: setup: $*"; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/world.sh"
t_cleanup_add() { w_cleanup_add "$1"; }
t_wait() { w_wait "$@"; }
_t_exit() {
	w_cleanup
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

# As domain N: run a command with XENSTORED_PATH at that domain's socket.
as_dom() {
	local d=$1
	shift
	XENSTORED_PATH=$SIM_DIR/xs-dom$d.sock "$@"
}

t_done() { exit "$T_FAILED"; }

# tcp_check NAME FROM_NS TO_NS TO_ADDR MIB: MIB MiB of random data over TCP,
# SHA-256 compared at both ends.
tcp_check() {
	local name=$1
	head -c $(($5 * 1048576)) /dev/urandom >"$T_DIR/tcp.in"
	if ! tcp_send "$2" "$3" "$4" "$T_DIR/tcp.in" "$T_DIR/tcp.out"; then
		t_fail "$name" "sender failed"
		return
	fi
	t_eq "$name" "$(sha256sum <"$T_DIR/tcp.out" | cut -d' ' -f1)" \
		"$(sha256sum <"$T_DIR/tcp.in" | cut -d' ' -f1)"
}
