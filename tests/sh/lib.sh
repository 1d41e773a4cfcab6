# lib.sh -- sourced by tests/sh/t_*.sh.  Gives each test a scratch
# directory, PASS/FAIL reporting in tests/run.sh's format, and a simulated
# Xen host that is always stopped on exit, also on failure.
#
#	t_pass NAME | t_fail NAME WHY | t_ok NAME CMD... | t_not NAME CMD...
#	t_cleanup_add 'CMD'       runs CMD (eval) at exit, last added first
#	t_wait SECS CMD...        polls CMD until it succeeds, at most SECS
#	t_pids PATTERN            this test's processes whose command line
#	                          matches PATTERN (pgrep -f), never another's
# and the simulated world of scripts/world.sh (sim_host_start, xvifd_start,
# guest_up, ...), cleaned up at exit.
#
# Nothing outlives the test, on any path (failure, exit, SIGTERM or SIGINT
# included): at exit the cleanups run, then whatever is left of the test's
# processes is killed and its namespaces ($T_NS, $T_NS-*) and scratch
# directory are deleted.  On a normal exit, something the cleanups missed
# is a failure: "FAIL <test>: cleanup: left behind: ...".  On SIGTERM
# (tests/run.sh's timeout) nothing is waited for: processes get SIGKILL.
# A SIGKILLed test cannot clean up: tests/run.sh does it then.
set -u
: "${BUILD:=build}"
T_NAME=$(basename "$0" .sh)
# XVIF_T_TOKEN (set by tests/run.sh) names the run in the directory's name.
T_DIR=$(mktemp -d "/tmp/xvif-sh.${XVIF_T_TOKEN:+$XVIF_T_TOKEN.}XXXXXX")
T_FAILED=0
W_DIR=$T_DIR
W_NS=xvt$$
T_NS=$W_NS
w_die() { echo "FAIL $T_NAME: setup: $*"; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/world.sh"
t_cleanup_add() { w_cleanup_add "$1"; }
t_wait() { w_wait "$@"; }
# xvifd_holds_dom D: xvifd has the simulated host's view of domain D's
# memory open (its file, deleted or not); xvifd_lets_go D: it has not.
xvifd_holds_dom() { ls -l "/proc/$XVIFD_PID/fd" 2>/dev/null | grep -q "/dom$1\.mem\( (deleted)\)\?$"; }
xvifd_lets_go() { ! xvifd_holds_dom "$1"; }
t_pids() {
	local p
	for p in $(pgrep -f -- "$1"); do
		[ -r "/proc/$p/environ" ] && grep -qzxF "$W_MARK=1" "/proc/$p/environ" 2>/dev/null &&
			echo "$p"
	done
}
# _t_files_with RE: the test's files with a line matching RE (not the
# programs it copied: a runtime or the simulator linked in holds words).
_t_files_with() {
	find "$T_DIR" -type f ! -perm -u+x -exec grep -laE "$1" {} + 2>/dev/null
}
# Under the sanitizers (make asan), a report in any file of the test --
# a leak found as a daemon exits at the cleanup, where no check looks --
# fails it.
_t_sanitized() {
	local f bad=0
	[ -n "${ASAN_OPTIONS:-}${UBSAN_OPTIONS:-}" ] || return 0
	while IFS= read -r f; do
		echo "FAIL $T_NAME: sanitizer report in ${f#"$T_DIR"/}: $(grep -aE -m 3 "$_T_SAN_RE" "$f" | tr '\n' ' ')"
		grep -aE -A 12 "$_T_SAN_RE" "$f" | head -40 | sed 's/^/  /'
		bad=1
	done < <(_t_files_with "$_T_SAN_RE")
	return $((bad == 0 ? 0 : 1))
}
# (Bracketed letters: this file, copied by a test, does not match itself.)
_T_SAN_RE='ERROR: (Leak|Address)Sanitize[r]|runtime erro[r]: |SUMMARY: UndefinedBehaviorSanitize[r]'
# A simulated netfront that met a backend breaking the ring protocol (a
# response for a request not in flight, rsp_prod past the requests: a
# Linux netfront stops carrying anything then) says so and goes on; in
# any file of the test it fails it, whatever the test checked.
_T_VIOLATION_RE='the backend broke the protoco[l]'
_t_violations() {
	local f bad=0
	while IFS= read -r f; do
		echo "FAIL $T_NAME: a netfront saw xvifd break the protocol, in ${f#"$T_DIR"/}: $(grep -a -m 3 "$_T_VIOLATION_RE" "$f" | tr '\n' ' ')"
		bad=1
	done < <(_t_files_with "$_T_VIOLATION_RE")
	return $((bad == 0 ? 0 : 1))
}
_t_exit() {
	local rc=$? x
	trap '' INT TERM	# a second signal must not cut the cleanup short
	w_cleanup
	_t_sanitized || rc=1
	_t_violations || rc=1
	rm -rf "$T_DIR"
	if [ -z "$W_HURRY" ]; then
		for x in "${W_LEFT[@]}"; do
			echo "FAIL $T_NAME: cleanup: left behind: $x"
			[ "$rc" -ne 0 ] || rc=1
		done
	fi
	exit "$rc"
}
trap _t_exit EXIT
trap 'W_HURRY=1; exit 130' INT
trap 'W_HURRY=1; exit 143' TERM

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
# t_eq_val NAME GOT WANT: t_eq, but an empty GOT or WANT fails: a value
# that was never read (xvifd_counter with no fresh dump, say) must not
# match another that was not either.
t_eq_val() {
	if [ -z "$2" ] || [ -z "$3" ]; then
		t_fail "$1" "no value: got '$2', want '$3'"
	else t_eq "$@"; fi
}

# As domain N: run a command with XENSTORED_PATH at that domain's socket.
as_dom() {
	local d=$1
	shift
	XENSTORED_PATH=$SIM_DIR/xs-dom$d.sock "$@"
}

t_done() { exit "$T_FAILED"; }

# xvifd_dumped LINE NAME: the value of NAME on the newest line holding
# LINE of a fresh SIGUSR1 dump of xvifd's (waited for); nothing, and a
# line on stderr, if no fresh dump came (an older line would say what
# was, not what is).
xvifd_dumped() {
	local n
	n=$(grep -c "$1" "$T_DIR/xvifd.log")
	kill -USR1 "$XVIFD_PID"
	t_wait 5 sh -c "[ \$(grep -c '$1' '$T_DIR/xvifd.log') -gt $n ]" || {
		echo "$T_NAME: no fresh SIGUSR1 dump line matching '$1' in 5 s" >&2
		return 0
	}
	grep "$1" "$T_DIR/xvifd.log" | tail -1 | grep -o " $2=[0-9]*" | cut -d= -f2
}
# xvifd_counter TAG NAME: counter NAME of the vif TAG (xvif5i0), whose
# dump line is "TAG: INTERFACE STATE counter=N ...", INTERFACE its
# interface's name now (vif5.0 until a hotplug script renames it).
xvifd_counter() { xvifd_dumped "$1: [^ ]* [A-Z][A-Za-z]* [a-z_]*=" "$2"; }
# state_is DIR N: DIR/state in XenStore is N (a backend's, a frontend's).
state_is() { [ "$(xenstore-read "$1/state" 2>/dev/null)" = "$2" ]; }
# fe_restart K [CMD...]: guest K's netfront stopped, CMD run while it is
# away, and a new one started, as a guest reloading its driver.  Returns 0
# only if xvifd handled both: the backend reached Closed (6) after the old
# netfront went, and xvifd logged one more "connected" line for the vif
# (and the backend is Connected, 4) within 10 s of the new one's start.
# State 4 alone proves nothing: the old connection had it, and a backend
# that never saw the close keeps it.  Else a FAIL saying which, and 1.
# (xvifd logs 10 connects of a vif per 10 s, no more: restart a vif fewer
# times than that in 10 s.)
fe_restart() {
	local k=$1 be=/local/domain/0/backend/vif/${GUEST_DOM[$1]}/0 vif=${GUEST_IF[$1]} n
	shift
	n=$(grep -cF "$vif: connected" "$T_DIR/xvifd.log")
	kill -TERM "${GUEST_FE[$k]}"
	wait "${GUEST_FE[$k]}" 2>/dev/null
	if ! t_wait 10 state_is "$be" 6; then
		t_fail "fe_restart $k" "$be/state is '$(xenstore-read "$be/state" 2>&1)', not Closed (6), 10 s after its netfront went"
		return 1
	fi
	[ $# -eq 0 ] || "$@"
	"$SIM" netfront --dir "$SIM_DIR" "${GUEST_DOM[$k]}" 0 --netns "${GUEST_NS[$k]}" \
		>>"$T_DIR/fe$k.log" 2>&1 &
	GUEST_FE[$k]=$!
	t_cleanup_add "w_stop ${GUEST_FE[$k]}"
	if ! t_wait 10 sh -c "[ \$(grep -cF '$vif: connected' '$T_DIR/xvifd.log') -gt $n ]"; then
		t_fail "fe_restart $k" "no new '$vif: connected' in xvifd's log 10 s after a new netfront started: $(tail -2 "$T_DIR/xvifd.log" | tr '\n' ' ')"
		return 1
	fi
	if ! t_wait 10 state_is "$be" 4; then
		t_fail "fe_restart $k" "$be/state is '$(xenstore-read "$be/state" 2>&1)', not Connected (4), though xvifd logged a connect"
		return 1
	fi
}

# ping_intact CMD...: CMD, an iputils ping, exits 0 and no reply it got
# was corrupt.  ping compares every payload byte of a reply with what it
# sent and checks its checksum, but only prints what differs ("wrong data
# byte #N ...", "(BAD CHECKSUM!)") and still exits 0 if any reply came;
# t_ok alone would not see it.  Prints ping's output, the reason last.
ping_intact() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" -eq 0 ] || return "$rc"
	if grep -qE 'wrong data byte|BAD CHECKSUM' <<<"$out"; then
		echo "corrupt replies: $(grep -cE 'wrong data byte|BAD CHECKSUM' <<<"$out"), first: $(grep -m 1 -E 'wrong data byte|BAD CHECKSUM' <<<"$out")"
		return 1
	fi
}

# tcp_check NAME FROM_NS TO_NS TO_ADDR MIB [VIA]: MIB MiB of random data
# over TCP, SHA-256 compared at both ends (VIA: see tcp_send).
tcp_check() {
	local name=$1
	head -c $(($5 * 1048576)) /dev/urandom >"$T_DIR/tcp.in"
	if ! tcp_send "$2" "$3" "$4" "$T_DIR/tcp.in" "$T_DIR/tcp.out" ${6:+"$6"}; then
		t_fail "$name" "sender failed"
		return
	fi
	t_eq "$name" "$(sha256sum <"$T_DIR/tcp.out" | cut -d' ' -f1)" \
		"$(sha256sum <"$T_DIR/tcp.in" | cut -d' ' -f1)"
}
