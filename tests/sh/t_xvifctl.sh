#!/bin/bash
# xvifctl against a live xvifd: each command in each format against a
# golden output (tests/golden/xvifctl/; counters, the pid and the request
# counts are masked there, and checked for what they must be here),
# counters that add up, the rate limit and anti-spoofing of a vif, the
# exit codes, bad requests straight on the
# socket (each answered, counted, logged at most every 10 s; the daemon
# serves on), slow and surplus clients, and --ctl-group: the socket's
# group may ask, nobody else may, 10 requests a second a user.
# T_GOLDEN_UPDATE=1 rewrites the golden files from this run (then review
# the diff: it is what the test will hold the next run to).
. "$(dirname "$0")/lib.sh"
GOLDEN=$(cd "$(dirname "$0")/../golden/xvifctl" && pwd)
XVIFCTL=$PWD/$BUILD/xvifctl
sim_host_start
xvifd_start --no-hotplug-wait --max-queues 4 --workers 2
guest_up 1
# Guest 2 with the toolstack's limits, which `show` reports.
GUEST_FE_ARGS="--queues 2 --split-evtchn" guest_up 2 rate=100Mb/s \
	"ip=169.254.2.2 2001:db8:0:2::5/64" antispoof=1
if1=${GUEST_IF[1]} if2=${GUEST_IF[2]}
SOCK=$SIM_DIR/xvifd/xvifd.sock
C() { "$XVIFCTL" --sim-dir "$SIM_DIR" "$@"; }

# mask: the figures that move (counters, pid, request counts) as N; a
# table's runs of blanks as one.
mask() {
	sed -E -e '/^[[:space:]]+[a-z_0-9]+( +([0-9]+|-))+$/s/ +([0-9]+|-)/ \1/g' \
		-e '/^[[:space:]]+[a-z_0-9]+( +([0-9]+|-))+$/s/ [0-9]+/ N/g' \
		-e 's/("(pid|ctl_requests|ctl_bad_requests|ctl_refused)": )[0-9]+/\1N/' \
		-e '/"counters": \{/,/\}/s/(": )[0-9]+/\1N/' \
		-e '/^xvif(_queue)?_[a-z_0-9]+_total\{/s/ [0-9]+$/ N/' \
		-e '/^xvifd_ctl_bad_requests_total /s/ [0-9]+$/ N/'
}
# golden NAME CMD...: CMD exits 0 and its output, masked, is golden/NAME.
# (pipefail: the status is CMD's, not only mask's -- sed's is always 0.)
golden() {
	local name=$1 out
	shift
	out=$(set -o pipefail; "$@" | mask) || { t_fail "golden: $name" "'$*' exited $?"; return; }
	if [ "${T_GOLDEN_UPDATE:-}" = 1 ]; then
		printf '%s\n' "$out" >"$GOLDEN/$name"
		t_pass "$name (golden file rewritten)"
		return
	fi
	if diff -u "$GOLDEN/$name" <(printf '%s\n' "$out") >"$T_DIR/diff"; then
		t_pass "golden: $name"
	else
		t_fail "golden: $name" "$(head -20 "$T_DIR/diff")"
	fi
}
# The goldens show every queue's posted RX slots: a frame the host sent a
# guest just now (one answered slot the netfront has not posted again
# yet) would make one 255.  Wait until all are posted.
all_posted() {
	"$XVIFCTL" --sim-dir "$SIM_DIR" --json stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(not all(q["rx_ring_posted"] == 256 for v in d["vifs"] for q in v["per_queue"]))'
}
t_ok "every queue has its 256 RX slots posted" t_wait 10 all_posted
golden list.txt C list
golden list.json C list --json
golden show.txt C show "$if2"
golden show.json C --json show "$if2"
golden stats.txt C stats
golden stats-if.txt C stats "$if1"
golden stats.json C stats --json
golden stats.prom C stats --prometheus

for cmd in "list" "show $if2" "stats"; do
	# shellcheck disable=SC2086 # words on purpose
	t_ok "--json $cmd is JSON" sh -c "'$XVIFCTL' --sim-dir '$SIM_DIR' --json $cmd |
		python3 -c 'import json, sys; json.load(sys.stdin)'"
done
# The exposition format: HELP and TYPE before each metric's samples,
# every sample "name{labels} number", labels quoted.
t_ok "--prometheus: well-formed" sh -c "'$XVIFCTL' --sim-dir '$SIM_DIR' stats --prometheus |
	awk '/^# HELP /{ h[\$3] = 1; next } /^# TYPE /{ if (!h[\$3] || (\$4 != \"counter\" && \$4 != \"gauge\")) exit 1; t[\$3] = 1; next }
	{ n = \$1; sub(/\\{.*/, \"\", n); if (!t[n] || \$0 !~ /^[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? [0-9]+\$/) exit 1; s++ }
	END { exit s < 20 }'"

# Counters: traffic moves them, and the queues add up to the vif (but
# for the vif's own, which no queue carries).
ip netns exec "$DOM0_NS" ping -c 5 -i 0.2 -q 169.254.2.2 >/dev/null ||
	t_fail "ping guest 2" "no answer"
C stats --json "$if2" >"$T_DIR/stats.json"
t_ok "stats: guest 2's rx_frames counted the pings, queues add up" python3 - "$T_DIR/stats.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["vifs"][0]
assert v["counters"]["rx_frames"] >= 5, v["counters"]["rx_frames"]
assert len(v["per_queue"]) == 2
own = {"key_errors", "connect_refusals", "interface_remakes"}	# the vif's own: no queue has them
for q in v["per_queue"]:
    assert set(v["counters"]) - set(q["counters"]) == own, q["counters"]
for k, total in v["counters"].items():
    if k not in own:
        assert sum(q["counters"][k] for q in v["per_queue"]) == total, k
PY
t_eq "show: ring occupancy, guest 2 queue 1 RX slots posted" \
	"$(C --json show "$if2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["vifs"][0]["per_queue"][1]["rx_ring_posted"])')" 256

# A vif not connected yet (no frontend: InitWait) has no queue, and one
# refused (its vifname is that vif's interface, xvwait0): show and stats
# still give "per_queue" (empty), and the refused one says why it failed.
d3=$("$SIM" create --dir "$SIM_DIR" --name waiting) || w_die "create domain"
"$SIM" attach --dir "$SIM_DIR" "$d3" mac=00:16:3e:12:34:61 vifname=xvwait0 \
	>>"$T_DIR/tool.log" 2>&1 || w_die "attach to $d3"
t_wait 10 ip -n "$DOM0_NS" link show xvwait0 || w_die "no xvwait0"
d4=$("$SIM" create --dir "$SIM_DIR" --name taker) || w_die "create domain"
# (The attach fails, as libxl's would, once it tires of waiting for a
# backend that went Closed: not waited for.)
"$SIM" attach --dir "$SIM_DIR" "$d4" mac=00:16:3e:12:34:62 vifname=xvwait0 \
	>>"$T_DIR/tool.log" 2>&1 &
t_cleanup_add "kill $! 2>/dev/null"
t_wait 10 state_is "/local/domain/0/backend/vif/$d3/0" 2 &&
	t_wait 10 state_is "/local/domain/0/backend/vif/$d4/0" 6 ||
	t_fail "a waiting and a refused vif: setup" "states $(xenstore-read \
		/local/domain/0/backend/vif/$d3/0/state /local/domain/0/backend/vif/$d4/0/state | tr '\n' ' ')"
for cmd in show stats; do
	t_eq "$cmd --json of a vif with no queue: per_queue []" \
		"$(C --json $cmd xvwait0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["vifs"][0]["per_queue"])')" "[]"
done
t_eq "show --json of a refused vif: why" \
	"$(C --json show "xvif${d4}i0" | python3 -c 'import json,sys; v = json.load(sys.stdin)["vifs"][0]; print(v["failed"], v["failed_why"])')" \
	"True interface xvwait0 is in use by xvif${d3}i0"
t_ok "show of a refused vif: FAILED and why" sh -c \
	"'$XVIFCTL' --sim-dir '$SIM_DIR' show xvif${d4}i0 | grep -q 'FAILED: interface xvwait0 is in use by xvif${d3}i0'"
# The refused vif asked for a live vif's name: it goes by its tag, not
# as a second vif of that name (Prometheus got duplicate series).
t_eq "a refused vif is not a second xvwait0 in list" \
	"$(C list | awk '{ print $1 }' | sort | uniq -d)" ""
t_eq "... nor in Prometheus's series" \
	"$(C stats --prometheus | grep -v '^#' | sed 's/ [0-9]*$//' | sort | uniq -d | head -3)" ""
t_eq "... show xvwait0: that vif alone" \
	"$(C --json show xvwait0 | python3 -c 'import json,sys; print([v["tag"] for v in json.load(sys.stdin)["vifs"]])')" \
	"['xvif${d3}i0']"
"$SIM" destroy --dir "$SIM_DIR" "$d3" || w_die "destroy $d3"
"$SIM" destroy --dir "$SIM_DIR" "$d4" || w_die "destroy $d4"
t_ok "... both gone with their domains" t_wait 10 sh -c \
	"[ \$('$XVIFCTL' --sim-dir '$SIM_DIR' list | grep -c xvif) = 2 ]"

# Renamed by hand: listed and shown by the name ip(8) and node_exporter
# use, and still found by the name the toolstack asked for.
# (Down first: before Linux 6.2 an interface that is up cannot be renamed.)
ip -n "$DOM0_NS" link set "$if1" down
ip -n "$DOM0_NS" link set "$if1" name xvren1 ||
	t_fail "renamed: setup" "ip link set name failed"
ip -n "$DOM0_NS" link set xvren1 up
t_ok "renamed: list says its name now" sh -c "'$XVIFCTL' --sim-dir '$SIM_DIR' list | grep -q '^xvren1 '"
t_ok "... show by that name" C show xvren1
t_eq "... show by the toolstack's name: the same vif" \
	"$(C --json show "$if1" | python3 -c 'import json,sys; v = json.load(sys.stdin)["vifs"]; print(len(v), v[0]["name"], v[0]["vifname"])')" \
	"1 xvren1 $if1"
t_ok "... Prometheus labels it so" sh -c \
	"'$XVIFCTL' --sim-dir '$SIM_DIR' stats --prometheus | grep -q 'vif=\"xvren1\"'"
# Renamed by hand to bytes outside ASCII (Linux takes any but '/', ':'
# and blanks): no request could name it, and no JSON or Prometheus reader
# would take it; it goes by the name it was made with.
odd=$(printf 'xv\303\251\033x')
ip -n "$DOM0_NS" link set xvren1 down
ip -n "$DOM0_NS" link set xvren1 name "$odd" || t_fail "renamed oddly: setup" "ip link set name failed"
t_eq "renamed to bytes outside ASCII: goes by the name it was made with" \
	"$(C --json list | python3 -c 'import json,sys; print(" ".join(sorted(v["name"] for v in json.load(sys.stdin)["vifs"])))')" \
	"$(printf '%s\n' "$if1" "${GUEST_IF[2]}" | sort | tr '\n' ' ' | sed 's/ $//')"
{ C list && C stats --prometheus && C --json stats; } >"$T_DIR/odd.out"
n_if=$(grep -c "$if1" "$T_DIR/odd.out") n_odd=$(LC_ALL=C grep -c '[^[:print:][:space:]]' "$T_DIR/odd.out")
[ "$n_if" -gt 0 ] && [ "$n_odd" -eq 0 ] &&
	t_pass "... and no byte outside ASCII in any format" ||
	t_fail "... and no byte outside ASCII in any format" "$n_if lines name $if1, $n_odd hold other bytes"
ip -n "$DOM0_NS" link set "$odd" name "$if1" || t_fail "renamed back: setup" "ip link set name failed"
ip -n "$DOM0_NS" link set "$if1" up

# Exit codes and messages.
rc() { "$@" >/dev/null 2>"$T_DIR/err"; echo $?; }
t_eq "show of no such vif: exit 1" "$(rc C show xvif99i0)" 1
t_ok "... and says so" grep -q "no vif xvif99i0" "$T_DIR/err"
t_eq "stats of no such vif: exit 1" "$(rc C stats nosuch)" 1
t_eq "no command: exit 2" "$(rc C)" 2
t_eq "unknown command: exit 2" "$(rc C frob)" 2
t_eq "show without IF: exit 2" "$(rc C show)" 2
t_eq "list with an argument: exit 2" "$(rc C list "$if1")" 2
t_eq "a name with a slash: exit 2" "$(rc C show a/b)" 2
long=$(printf 'a%.0s' $(seq 300))
t_eq "a request too long: exit 2" "$(rc C show "$long")" 2
t_eq "... and said so" "$(C show "$long" 2>&1 >/dev/null | sed 's/.*: //')" "too long"
t_eq "--prometheus with list: exit 2" "$(rc C list --prometheus)" 2
t_eq "--json and --prometheus: exit 2" "$(rc C stats --json --prometheus)" 2
t_ok "--json said twice is --json" sh -c "'$XVIFCTL' --sim-dir '$SIM_DIR' --json --json list |
	python3 -c 'import json, sys; json.load(sys.stdin)'"
t_eq "--prometheus said twice is --prometheus: exit 0" "$(rc C stats --prometheus --prometheus)" 0
t_eq "unknown option: exit 2" "$(rc C --frob list)" 2
# Said in the user's terms, not the request's (whose words a space parts).
msg() { "$XVIFCTL" --sim-dir "$SIM_DIR" "$@" 2>&1 >/dev/null; echo "rc $?"; }
t_eq "a blank in a name: said so, exit 2" "$(msg show 'a b')" \
	"$(printf 'xvifctl: "a b": a blank or a control character is in no interface name\nrc 2')"
t_eq "an empty name: said so, exit 2" "$(msg stats '')" \
	"$(printf 'xvifctl: an empty interface name\nrc 2')"
t_eq "a blank before the command: said so, exit 2" "$(msg ' list')" \
	"$(printf 'xvifctl: " list": a blank or a control character is in no command\nrc 2')"
t_eq "a word too many: names it, exit 2" "$(msg stats a b)" \
	"$(printf 'xvifctl: b: one word too many (a command and at most one interface)\nrc 2')"
t_eq "list with a name: said so, exit 2" "$(msg list "$if1")" \
	"$(printf 'xvifctl: list %s: list takes no interface\nrc 2' "$if1")"
t_eq "--state-dir with --sim-dir: exit 2" "$(rc C --state-dir "$SIM_DIR/xvifd" list)" 2
t_ok "... said" grep -q "choose one" "$T_DIR/err"
t_eq "--backend-domid without --sim-dir: exit 2" "$(rc "$XVIFCTL" --backend-domid 3 list)" 2
t_eq "--backend-domid out of range: exit 2" "$(rc C --backend-domid 32752 list)" 2
t_eq "--backend-domid 0 is the same xvifd" "$(C --backend-domid 0 list)" "$(C list)"
t_eq "--backend-domid 3: that domain's xvifd (none here), exit 3" \
	"$(rc C --backend-domid 3 list)" 3
t_ok "... at SIM-DIR/xvifd.3" grep -q "xvifd is not running ($SIM_DIR/xvifd.3/xvifd.sock: " "$T_DIR/err"
t_eq "no daemon (no socket): exit 3" "$(rc "$XVIFCTL" --state-dir "$T_DIR/none" list)" 3
t_ok "... and says so" grep -q "xvifd is not running" "$T_DIR/err"
t_eq "no daemon (a file for a state directory): exit 3" "$(rc "$XVIFCTL" --state-dir /etc/hostname list)" 3
t_ok "... and says so" grep -q "xvifd is not running (/etc/hostname/xvifd.sock: Not a directory)" "$T_DIR/err"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T_DIR/dead.sock"
t_eq "no daemon (nobody listening): exit 3" "$(rc "$XVIFCTL" --socket "$T_DIR/dead.sock" list)" 3
t_eq "socket mode 0660" "$(stat -c %a "$SOCK")" 660
t_eq "state directory 0700 without --ctl-group" "$(stat -c %a "$SIM_DIR/xvifd")" 700

# Bad requests straight on the socket: each gets an error line.
ask() { printf "$1" | timeout 10 socat -t 5 - "UNIX-CONNECT:$SOCK" 2>/dev/null; }
bad0=$(C --json list | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["ctl_bad_requests"])')
n=0
for req in 'hello\n' 'xvif/2 list\n' 'xvif/1\n' 'xvif/1 frob\n' 'xvif/1 show\n' \
	'xvif/1 list x\n' 'xvif/1 stats a b\n' 'xvif/1  list\n' 'xvif/1 list \n' \
	'xvif/1 show a/b\n' 'xvif/1 show abcdefghijklmnopq\n' 'xvif/1 li\0st\n' \
	'\n' "$(printf 'x%.0s' $(seq 300))"; do
	n=$((n + 1))
	got=$(ask "$req")
	case $got in
	"xvif/1 error bad-request "*) ;;
	*) t_fail "bad request $n (${req:0:30}) answered as such" "got '${got:0:80}'" ;;
	esac
done
t_pass "$n bad requests each answered with bad-request"
printf 'xvif/1 li' | timeout 5 socat -t 0 - "UNIX-CONNECT:$SOCK" >/dev/null 2>&1	# leaves mid-line
bad1=$(C --json list | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["ctl_bad_requests"])')
t_eq "each bad request counted (ctl_bad_requests)" "$((bad1 - bad0))" $((n + 1))
t_ok "bad requests logged, rate-limited" test "$(grep -c 'control: bad request' "$T_DIR/xvifd.log")" -le 2
t_ok "... with the reason" grep -q 'control: bad request: not a xvif/1 request' "$T_DIR/xvifd.log"

# Slow and surplus clients: 20 connect and say nothing; the daemon takes
# 16, refuses the rest as busy, answers nobody else meanwhile only after
# the silent ones are dropped (5 s), and serves on.
for i in $(seq 20); do
	timeout 15 socat -u "UNIX-CONNECT:$SOCK" - >"$T_DIR/idle$i" 2>&1 &
	t_cleanup_add "kill $! 2>/dev/null"
done
t_wait 5 sh -c "grep -l busy $T_DIR/idle* | wc -l | grep -qx 4"
t_eq "clients beyond 16 told busy" "$(grep -l 'error busy' "$T_DIR"/idle* | wc -l)" 4
# xvifctl itself meanwhile: told busy, and says so (it once died of
# SIGPIPE, or said "connection reset", when xvifd closed before reading).
t_eq "xvifctl while every place is taken: exit 4" "$(rc C list)" 4
t_ok "... saying xvifd is busy" grep -q "xvifd: too many clients" "$T_DIR/err"
t_wait 10 sh -c "'$XVIFCTL' --sim-dir '$SIM_DIR' list >/dev/null 2>&1"
t_ok "silent clients dropped after 5 s, then served again" C list
# (4, and the polls above that came while all 16 places were taken)
t_ok "xvifd counted the refused (ctl_refused)" test "$(C --json list |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["ctl_refused"])')" -ge 4
t_ok "xvifd still serving" kill -0 "$XVIFD_PID"

# A server of our own on --socket, for what xvifd cannot be made to do on
# cue.  Its listen queue full for a second (a crowd connecting faster
# than it takes them): xvifctl waits its turn instead of giving up.
python3 - "$T_DIR/slow.sock" "$T_DIR/slow.ready" <<'PY2' &
import os, socket, sys, time
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1]); srv.listen(1)
fill = []
for _ in range(64):
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try:
        c.connect(sys.argv[1])
    except BlockingIOError:
        c.close(); break
    fill.append(c)
open(sys.argv[2], "w").close()
time.sleep(1)
srv.settimeout(5)
for _ in fill:
    srv.accept()[0].close()
c, _ = srv.accept()
c.settimeout(5)
req = c.recv(256)
c.sendall(b"xvif/1 ok\nend\n" if req == b"xvif/1 list\n" else b"?\n")
c.close()
PY2
spid=$!
t_cleanup_add "kill $spid 2>/dev/null"
t_wait 5 test -e "$T_DIR/slow.ready" || t_fail "full listen queue: setup" "no server"
t_eq "a full listen queue, for a second: xvifctl waits, then is served" \
	"$(rc "$XVIFCTL" --socket "$T_DIR/slow.sock" list)" 0
wait "$spid"
# Told busy by a server that closes without reading the request (the
# kernel then resets the connection after the line): the line counts.
python3 - "$T_DIR/rst.sock" <<'PY2' &
import select, socket, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1]); srv.listen(1); srv.settimeout(10)
c, _ = srv.accept()
select.select([c], [], [], 5)
c.sendall(b"xvif/1 error busy too many clients\n")
c.close()
PY2
spid=$!
t_cleanup_add "kill $spid 2>/dev/null"
t_wait 5 test -S "$T_DIR/rst.sock"
t_eq "busy, then reset: exit 4" "$(rc "$XVIFCTL" --socket "$T_DIR/rst.sock" list)" 4
t_ok "... saying xvifd is busy" grep -q "xvifd: too many clients" "$T_DIR/err"
wait "$spid"

# Out of fds: accept(2) fails, the client stays queued and the socket
# readable.  xvifd stops listening for a while instead of spinning (and
# logging) at once again, and takes the client once it can.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
soft=$(prlimit --pid "$XVIFD_PID" --nofile --noheadings --output SOFT)
low=0
while [ -e "/proc/$XVIFD_PID/fd/$low" ]; do low=$((low + 1)); done
n0=$(grep -c 'control: accept' "$T_DIR/xvifd.log")
prlimit --pid "$XVIFD_PID" --nofile="$low:"
C list >"$T_DIR/emfile.out" 2>&1 &
cpid=$!
sleep 0.5
a=$(cpu_ticks "$XVIFD_PID")
sleep 2
b=$(cpu_ticks "$XVIFD_PID")
t_ok "no fd for a client: xvifd does not spin ($((b - a)) ticks in 2 s)" \
	test $((b - a)) -lt $((2 * $(getconf CLK_TCK) / 5))
t_ok "... it says so, once" sh -c \
	"[ \$(grep -c 'control: accept' '$T_DIR/xvifd.log') -eq $((n0 + 1)) ] &&
	 grep -q 'control: accept (not listening for 1000 ms' '$T_DIR/xvifd.log'"
prlimit --pid "$XVIFD_PID" --nofile="$soft:"
wait "$cpid"
t_eq "... and serves the waiting client once it can" "$?" 0
t_ok "... with the answer" grep -q "${GUEST_IF[1]}" "$T_DIR/emfile.out"

# --ctl-group: restart xvifd with the socket given to group nogroup.
w_stop "$XVIFD_PID"
xvifd_start --no-hotplug-wait --ctl-group nogroup
t_eq "--ctl-group: socket group" "$(stat -c %G "$SOCK")" nogroup
t_eq "--ctl-group: state directory 0710, same group" "$(stat -c '%a %G' "$SIM_DIR/xvifd")" "710 nogroup"
chmod 711 "$T_DIR"
mkdir -m 755 "$T_DIR/bin" && cp "$XVIFCTL" "$T_DIR/bin/"
t_ok "a member of the group may ask" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$T_DIR/bin/xvifctl" --socket "$SOCK" list
t_eq "anyone else may not (exit 4)" "$(rc setpriv --reuid=nobody --regid=12345 --clear-groups \
	"$T_DIR/bin/xvifctl" --socket "$SOCK" list)" 4
t_ok "... and is told why" grep -q "Permission denied" "$T_DIR/err"
# A member of the group asking in a loop: each reply is built whole on
# xvifd's control loop; 10 requests a second a user (root excepted) are
# answered, the rest told busy.  (A second first: its request above
# took one of the 10.)
sleep 1
setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c '
	t0=$(date +%s%N) ok=0
	for i in $(seq 40); do
		"$1" --socket "$2" list >/dev/null && ok=$((ok + 1))
	done
	echo "$ok $(( ($(date +%s%N) - t0) / 1000000 ))"' sh "$T_DIR/bin/xvifctl" "$SOCK" \
	>"$T_DIR/rate.out" 2>"$T_DIR/rate.err"
read -r ok ms <"$T_DIR/rate.out"
busy=$(grep -c "xvifd: too many requests from uid $(id -u nobody) (at most 10 a second)" "$T_DIR/rate.err")
[ "$ok" -ge 10 ] && [ "$ok" -le $((10 + ms / 100 + 1)) ] && [ $((ok + busy)) -eq 40 ] &&
	t_pass "one user's 40 requests in a row: $ok answered in $ms ms (10 a second), $busy told busy" ||
	t_fail "one user's 40 requests in a row: 10 a second answered, the rest told busy" \
	    "$ok answered in $ms ms, $busy busy: $(sort "$T_DIR/rate.err" | uniq -c | head -3)"
t_ok "... root is answered meanwhile" C list
sleep 1.2
t_ok "... and the user again a second later" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$T_DIR/bin/xvifctl" --socket "$SOCK" list
# Many users taking turns (a member of the group with subordinate uids,
# a user namespace, is as many users to SO_PEERCRED): each starts with a
# full bucket of its own, but all users but root share 40 a second.
sleep 1.2
t0=$(date +%s%N) ok=0
for i in $(seq 200); do
	setpriv --reuid=$((60001 + i % 17)) --regid=nogroup --clear-groups \
		"$T_DIR/bin/xvifctl" --socket "$SOCK" list >/dev/null 2>>"$T_DIR/turns.err" &&
		ok=$((ok + 1))
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
busy=$(grep -c "xvifd: too many requests from users but root (at most 40 a second together)" "$T_DIR/turns.err")
[ "$ok" -ge 40 ] && [ "$ok" -le $((40 + ms * 40 / 1000 + 1)) ] && [ $((ok + busy)) -eq 200 ] &&
	t_pass "17 users' 200 requests in turn: $ok answered in $ms ms (40 a second together), $busy told busy" ||
	t_fail "17 users' 200 requests in turn: 40 a second together answered, the rest told busy" \
	    "$ok answered in $ms ms, $busy busy: $(sort "$T_DIR/turns.err" | uniq -c | head -3)"
t_ok "... root is answered meanwhile" C list
# A member of the group holding every place with idle connections would
# shut root out, every 5 s again: one user (root excepted) gets 4.
held=()
for i in $(seq 20); do
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		timeout 15 socat -u "UNIX-CONNECT:$SOCK" - >"$T_DIR/user$i" 2>&1 &
	held+=($!)
	t_cleanup_add "kill $! 2>/dev/null"
done
t_wait 3 sh -c "[ \$(grep -l busy $T_DIR/user* | wc -l) -ge 4 ]"
t_ok "one user's 20 idle clients: root is served meanwhile" C list
t_wait 3 sh -c "grep -l busy $T_DIR/user* | wc -l | grep -qx 16"
t_eq "... and 16 of them told busy" "$(grep -l 'error busy' "$T_DIR"/user* | wc -l)" 16
# ... and four users, 4 each: they get 14 places, the last 2 are root's.
wait "${held[@]}"		# dropped after 5 s
for u in 60001 60002 60003 60004; do
	for i in 1 2 3 4; do
		setpriv --reuid=$u --regid=nogroup --clear-groups \
			timeout 15 socat -u "UNIX-CONNECT:$SOCK" - >"$T_DIR/users$u.$i" 2>&1 &
		t_cleanup_add "kill $! 2>/dev/null"
	done
done
t_wait 3 sh -c "[ \$(grep -l busy $T_DIR/users* | wc -l) -ge 2 ]"
t_ok "four users' 16 idle clients: root is served meanwhile" C list
t_eq "... and 2 of them told busy" "$(grep -l 'error busy' "$T_DIR"/users* | wc -l)" 2
t_ok "the vifs came back under the new xvifd" t_wait 10 sh -c \
	"'$XVIFCTL' --sim-dir '$SIM_DIR' list | grep -c Connected | grep -qx 2"
w_stop "$XVIFD_PID"
xvifd_start --no-hotplug-wait
t_eq "without --ctl-group again: the directory is private" "$(stat -c '%a' "$SIM_DIR/xvifd")" 700
w_stop "$XVIFD_PID"
t_not "the socket goes with xvifd" test -e "$SOCK"
t_done
