#!/bin/bash
# t_toolstack.sh -- the simulated toolstack (xvif-sim create / attach /
# detach / destroy) against libxl 4.17's behaviour as recorded in
# xen-testbed/notes/: XenStore keys and permissions, the backend-state
# waits and their timeouts, the hotplug script's arguments and environment,
# forced removal, domain teardown, argument errors.  The backend is
# tests/sh/fakebackend.sh.  Timeouts are scaled by XVIF_SIM_TIMEOUT_SCALE
# (tool.h) except in one run of the real 10 s.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
export XVIF_SIM_TIMEOUT_SCALE=0.1	# libxl's 10 s -> 1 s, 40 s -> 4 s

sim_host_start

# -- helpers --

# t_rc NAME WANT_RC CMD...: exit status WANT_RC and one "xvif-sim: " line
# on stderr (for argument errors).
t_rc() {
	local name=$1 want=$2 rc err
	shift 2
	"$@" >"$T_DIR/rc.out" 2>"$T_DIR/rc.err"
	rc=$?
	err=$(cat "$T_DIR/rc.err")
	if [ "$rc" != "$want" ]; then
		t_fail "$name" "'$*' exited $rc, want $want: $err"
	elif [ "$(wc -l <"$T_DIR/rc.err")" != 1 ] ||
	    [ "${err#xvif-sim: }" = "$err" ]; then
		t_fail "$name" "want one 'xvif-sim: ' line on stderr, got: $err"
	else
		t_pass "$name"
	fi
}

# ls_perms PATH: sorted "path = "value" (perms)" lines for every node below
# PATH: perms from the stock xenstore-ls -fp (4.17 has no -w: values may be
# cut there, perms never are), values from xenstore-read.
ls_perms() {
	local line path perms
	xenstore-ls -fp "$1" 2>/dev/null | while IFS= read -r line; do
		path=${line%% = *}
		path=${path%%:*}
		perms=${line##*(}
		perms=${perms%)}
		printf '%s = "%s" (%s)\n' "$path" "$(xenstore-read "$path")" "$perms"
	done | sort
}
# perms_of PATH: the perms of PATH itself, from its parent's listing.
perms_of() {
	local line
	line=$(xenstore-ls -fp "${1%/*}" 2>/dev/null | grep -F "$1 = " | head -1)
	line=${line##*(}
	echo "${line%)}"
}

# wait_until SECONDS CMD...: bounded wait for CMD to succeed.
wait_until() {
	local n=$(($1 * 20))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

FB_PID=
fb_start() {	# fakebackend.sh options...
	rm -f "$T_DIR/fb.ready"
	bash "$HERE/fakebackend.sh" --ready "$T_DIR/fb.ready" "$@" \
	    >>"$T_DIR/fb.log" 2>&1 &
	FB_PID=$!
	t_cleanup_add "w_stop $FB_PID"
	if ! wait_until 5 test -e "$T_DIR/fb.ready"; then
		echo "FAIL $T_NAME: setup: fakebackend did not arm its watch: $(tail -3 "$T_DIR/fb.log")"
		exit 1
	fi
}
# A fakebackend that has not gone 5 s after SIGTERM (a CI run once hung
# here, or right after, for the runner's 900 s) fails the test with what
# it and its children were doing, instead of waiting without end; then
# they go.
fb_stuck() {
	local p
	for p in $1 $(pgrep -P "$1"); do
		echo "  fakebackend $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" \
		    "wchan $(cat "/proc/$p/wchan" 2>/dev/null)"
	done
	t_fail "setup: fakebackend stops on SIGTERM" "still there after 5 s: $(tail -2 "$T_DIR/fb.log")"
	pkill -KILL -P "$1"
}
fb_stop() {
	[ -n "$FB_PID" ] || return 0
	w_stop "$FB_PID" 5 fb_stuck
	FB_PID=
}

# The hotplug script: logs its arguments, environment and stdin, and
# writes hotplug-status=connected on online (as vif-bridge's success()).
HP=$T_DIR/hotplug.sh
HPLOG=$T_DIR/hotplug.log
cat >"$HP" <<HPEOF
#!/bin/sh
{
	echo "args: \$*"
	env | grep -E '^(script|XENBUS_[A-Z_]*|netdev|vif|INTERFACE)=' | sort
	echo "stdin: \$(readlink /proc/\$\$/fd/0)"
} >>"$HPLOG"
[ "\$1" = online ] && xenstore-write "\$XENBUS_PATH/hotplug-status" connected
exit 0
HPEOF
chmod +x "$HP"
HPBAD=$T_DIR/hotplug-bad.sh
printf '#!/bin/sh\nxenstore-write "$XENBUS_PATH/hotplug-error" "no bridge here"\nexit 3\n' >"$HPBAD"
chmod +x "$HPBAD"

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }
between() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x < hi) }'; }

# -- argument errors: one line, exit 2 --
t_rc "create: bad --pages" 2 "$SIM" create --dir "$SIM_DIR" --pages lots
t_rc "create: unknown option" 2 "$SIM" create --dir "$SIM_DIR" --colour red
t_rc "attach: bad domid" 2 "$SIM" attach --dir "$SIM_DIR" abc
t_rc "attach: domid 0 is no guest" 2 "$SIM" attach --dir "$SIM_DIR" 0
t_rc "attach: unknown domain" 2 "$SIM" attach --dir "$SIM_DIR" 999
t_rc "detach: unknown domain" 2 "$SIM" detach --dir "$SIM_DIR" 999 0
t_rc "destroy: unknown domain" 2 "$SIM" destroy --dir "$SIM_DIR" 999
t_rc "destroy: no domid" 2 "$SIM" destroy --dir "$SIM_DIR"

# -- create --
D=$("$SIM" create --dir "$SIM_DIR" --name tsguest --pages 256 2>"$T_DIR/err")
rc=$?
if [ "$rc" != 0 ] || ! [ "$D" -ge 1 ] 2>/dev/null; then
	t_fail "create" "exit $rc, stdout '$D': $(cat "$T_DIR/err")"
	t_done
fi
t_pass "create prints the domid"
t_rc "create: name taken" 2 "$SIM" create --dir "$SIM_DIR" --name tsguest
t_rc "attach: bad mac" 2 "$SIM" attach --dir "$SIM_DIR" "$D" mac=00:16:3e:zz:00:01
t_rc "attach: unknown key" 2 "$SIM" attach --dir "$SIM_DIR" "$D" colour=red
t_rc "detach: unknown device" 2 "$SIM" detach --dir "$SIM_DIR" "$D" 7
t_rc "detach: bad devid" 2 "$SIM" detach --dir "$SIM_DIR" "$D" x

VM=$(xenstore-read "/local/domain/$D/vm")
UUID=${VM#/vm/}
# libxl__domain_make + libxl__build_post (PV, one vcpu), perms as libxl
# sets them: roperm (n0,rD), rwperm (nD), the rest inherited.
RO="(n0,r$D)" RW="(n$D)" L=/local/domain/$D
cat >"$T_DIR/want" <<W
$L/attr = "" $RW
$L/control = "" $RO
$L/control/feature-poweroff = "" $RW
$L/control/feature-reboot = "" $RW
$L/control/feature-suspend = "" $RW
$L/control/platform-feature-multiprocessor-suspend = "1" $RO
$L/control/platform-feature-xs_reset_watches = "1" $RO
$L/control/shutdown = "" $RW
$L/control/sysrq = "" $RW
$L/cpu = "" $RO
$L/cpu/0 = "" $RO
$L/cpu/0/availability = "online" $RO
$L/data = "" $RW
$L/device = "" $RO
$L/device/suspend = "" $RO
$L/device/suspend/event-channel = "" $RW
$L/domid = "$D" $RO
$L/drivers = "" $RW
$L/error = "" $RW
$L/feature = "" $RW
$L/memory = "" $RO
$L/memory/static-max = "1024" $RO
$L/memory/target = "1024" $RO
$L/memory/videoram = "0" $RO
$L/name = "tsguest" $RO
$L/store = "" $RO
$L/store/port = "1" $RO
$L/store/ring-ref = "255" $RO
$L/vm = "$VM" $RO
W
sort -o "$T_DIR/want" "$T_DIR/want"
ls_perms "$L" >"$T_DIR/got"
if diff -u "$T_DIR/want" "$T_DIR/got" >"$T_DIR/diff"; then
	t_pass "create: /local/domain/$D keys and perms as libxl"
else
	t_fail "create: /local/domain/$D keys and perms as libxl" "$(tr '\n' ' ' <"$T_DIR/diff")"
fi
t_eq "create: /local/domain/$D itself (n0,r$D)" "$(perms_of "$L")" "n0,r$D"
ls_perms "$VM" | sed -E 's/(start_time = )"[0-9]+\.[0-9]{2}"/\1"T"/' >"$T_DIR/got"
printf '%s\n' "$VM/image = \"\" $RO" "$VM/image/ostype = \"linux\" $RO" \
    "$VM/name = \"tsguest\" $RO" "$VM/start_time = \"T\" $RO" \
    "$VM/uuid = \"$UUID\" $RO" | sort >"$T_DIR/want"
if diff -u "$T_DIR/want" "$T_DIR/got" >"$T_DIR/diff"; then
	t_pass "create: /vm/<uuid> keys and perms as libxl"
else
	t_fail "create: /vm/<uuid> keys and perms as libxl" "$(tr '\n' ' ' <"$T_DIR/diff")"
fi
printf '%s\n' "/libxl/$D/device = \"\" (n0)" "/libxl/$D/dm-version = \"qemu_xen\" (n0)" \
    "/libxl/$D/type = \"pv\" (n0)" >"$T_DIR/want"
t_eq "create: /libxl/$D as libxl" "$(ls_perms "/libxl/$D")" "$(cat "$T_DIR/want")"
t_ok "create: the guest reads its name" as_dom "$D" xenstore-read "$L/name"
t_ok "create: the guest writes its data/" as_dom "$D" xenstore-write "$L/data/x" 1
t_not "create: the guest cannot rename itself" as_dom "$D" xenstore-write "$L/name" evil
t_not "create: the guest cannot read /libxl" as_dom "$D" xenstore-read "/libxl/$D/type"

# -- attach, with a backend and a hotplug script --
fb_start
MAC=00:16:3e:00:00:02
t0=$(now)
DEV=$("$SIM" attach --dir "$SIM_DIR" "$D" mac=$MAC script="$HP" 2>"$T_DIR/err")
rc=$?
t_eq "attach: exit 0, prints devid 0" "$rc:$DEV" "0:0"
[ "$rc" = 0 ] || echo "  stderr: $(cat "$T_DIR/err")"
BE=/local/domain/0/backend/vif/$D/0 FE=$L/device/vif/0 LX=/libxl/$D/device/vif/0
BR="(n0,r$D)" FR="(n$D,r0)"
cat >"$T_DIR/want" <<W
/local/domain/0/backend/vif/$D = "" (n0)
$BE = "" $BR
$BE/bridge = "xenbr0" $BR
$BE/frontend = "$FE" $BR
$BE/frontend-id = "$D" $BR
$BE/handle = "0" $BR
$BE/hotplug-status = "connected" $BR
$BE/mac = "$MAC" $BR
$BE/online = "1" $BR
$BE/script = "$HP" $BR
$BE/state = "2" $BR
$BE/type = "vif" $BR
W
sort -o "$T_DIR/want" "$T_DIR/want"
ls_perms "/local/domain/0/backend/vif/$D" >"$T_DIR/got.be"
# xenstore-ls does not list the directory itself: add it.
{ echo "/local/domain/0/backend/vif/$D = \"\" ($(perms_of /local/domain/0/backend/vif/$D))"
    cat "$T_DIR/got.be"; } | sort >"$T_DIR/got"
if diff -u "$T_DIR/want" "$T_DIR/got" >"$T_DIR/diff"; then
	t_pass "attach: backend keys and perms as libxl (n0,r$D)"
else
	t_fail "attach: backend keys and perms as libxl (n0,r$D)" "$(tr '\n' ' ' <"$T_DIR/diff")"
fi
cat >"$T_DIR/want" <<W
$L/device/vif = "" (n0,r$D)
$FE = "" $FR
$FE/backend = "$BE" $FR
$FE/backend-id = "0" $FR
$FE/handle = "0" $FR
$FE/mac = "$MAC" $FR
$FE/mtu = "1500" (n0,r$D)
$FE/state = "1" $FR
$FE/trusted = "1" $FR
W
sort -o "$T_DIR/want" "$T_DIR/want"
ls_perms "$L/device" | grep -v suspend >"$T_DIR/got"
if diff -u "$T_DIR/want" "$T_DIR/got" >"$T_DIR/diff"; then
	t_pass "attach: frontend keys and perms as libxl (n$D,r0; mtu n0,r$D)"
else
	t_fail "attach: frontend keys and perms as libxl" "$(tr '\n' ' ' <"$T_DIR/diff")"
fi
cat >"$T_DIR/want" <<W
/libxl/$D/device/vif = "" (n0)
$LX = "" (n0)
$LX/backend = "$BE" (n0)
$LX/bridge = "xenbr0" (n0)
$LX/frontend = "$FE" (n0)
$LX/frontend-id = "$D" (n0)
$LX/handle = "0" (n0)
$LX/hotplug-status = "" (n0)
$LX/mac = "$MAC" (n0)
$LX/online = "1" (n0)
$LX/script = "$HP" (n0)
$LX/state = "1" (n0)
$LX/type = "vif" (n0)
W
sort -o "$T_DIR/want" "$T_DIR/want"
ls_perms "/libxl/$D/device" >"$T_DIR/got"
if diff -u "$T_DIR/want" "$T_DIR/got" >"$T_DIR/diff"; then
	t_pass "attach: libxl's copy as libxl"
else
	t_fail "attach: libxl's copy as libxl" "$(tr '\n' ' ' <"$T_DIR/diff")"
fi
cat >"$T_DIR/want" <<W
args: online type_if=vif
XENBUS_BASE_PATH=backend
XENBUS_PATH=backend/vif/$D/0
XENBUS_TYPE=vif
netdev=
script=$HP
vif=vif$D.0
stdin: /dev/null
W
t_eq "attach: hotplug script called once with libxl's args and env" \
    "$(cat "$HPLOG" 2>/dev/null)" "$(cat "$T_DIR/want")"
t_ok "attach: guest reads its frontend dir" as_dom "$D" xenstore-read "$FE/mac"
t_ok "attach: guest reads the backend dir" as_dom "$D" xenstore-read "$BE/mac"
t_ok "attach: guest writes its frontend state" as_dom "$D" xenstore-write "$FE/state" 1
t_not "attach: guest cannot write the backend dir" as_dom "$D" xenstore-write "$BE/state" 4
t_not "attach: guest cannot write its frontend mtu" as_dom "$D" xenstore-write "$FE/mtu" 9000
t_not "attach: guest cannot read libxl's copy" as_dom "$D" xenstore-read "$LX/mac"

# A second one: the next devid, libxl's random MAC, optional keys.
DEV=$("$SIM" attach --dir "$SIM_DIR" "$D" vifname=xvif${D}i1 ip=169.254.3.4 mtu=9000 bridge=br7 2>"$T_DIR/err")
t_eq "attach: next devid is 1" "$DEV" 1
B1=/local/domain/0/backend/vif/$D/1
t_ok "attach: random mac is 00:16:3e with bit 7 of octet 3 clear" \
    sh -c "xenstore-read $B1/mac | grep -Eq '^00:16:3e:[0-7][0-9a-f](:[0-9a-f]{2}){2}\$'"
t_eq "attach: optional keys" \
    "$(for k in vifname ip mtu bridge; do xenstore-read $B1/$k; done | tr '\n' ' ')" \
    "xvif${D}i1 169.254.3.4 9000 br7 "
t_eq "attach: frontend mtu" "$(xenstore-read $L/device/vif/1/mtu)" 9000
t_not "attach: no script key without script=" xenstore-read "$B1/script"
"$SIM" attach --dir "$SIM_DIR" "$D" devid=1 >/dev/null 2>"$T_DIR/err"
t_eq "attach: existing devid fails" "$?" 1
t_ok "attach: existing devid reported" grep -q "device already exists in xenstore" "$T_DIR/err"
: >"$HPLOG"

# -- detach --
t_ok "detach: exit 0" "$SIM" detach --dir "$SIM_DIR" "$D" 0
t_ok "detach: backend went 5->6" grep -q "$BE state 5->6" "$T_DIR/fb.log"
t_eq "detach: hotplug script offline" "$(head -1 "$HPLOG")" "args: offline type_if=vif"
t_eq "detach: offline env" "$(grep -c "XENBUS_PATH=backend/vif/$D/0" "$HPLOG")" 1
t_not "detach: backend dir gone" xenstore-read "$BE"
t_not "detach: frontend dir gone" xenstore-read "$FE"
t_not "detach: libxl copy gone" xenstore-read "$LX"
t_ok "detach: other vif stays" xenstore-read "$B1/state"
t_ok "detach: without a script" "$SIM" detach --dir "$SIM_DIR" "$D" 1
t_not "detach: empty parents cleaned (libxl__xs_path_cleanup)" \
    xenstore-read "/local/domain/0/backend/vif/$D"
t_not "detach: empty libxl device dir cleaned" xenstore-read "/libxl/$D/device"
t_ok "detach: frontend device/ kept (suspend)" xenstore-read "$L/device/suspend/event-channel"

# -- a failing hotplug script --
"$SIM" attach --dir "$SIM_DIR" "$D" devid=4 script="$HPBAD" >/dev/null 2>"$T_DIR/err"
rc=$?
t_eq "attach: failing script fails the attach" "$rc" 1
t_ok "attach: failing script reported with its status" \
    grep -q "$HPBAD online \[[0-9]*\] exited with error status 3" "$T_DIR/err"
t_ok "attach: failing script's hotplug-error reported" \
    grep -q "script: no bridge here" "$T_DIR/err"
: >"$HPLOG"

# -- no backend: libxl's InitWait timeout --
fb_stop
t0=$(now)
"$SIM" attach --dir "$SIM_DIR" "$D" devid=2 >/dev/null 2>"$T_DIR/err"
rc=$? el=$(elapsed "$t0")
t_eq "no backend: attach fails" "$rc" 1
t_ok "no backend: libxl's message" grep -q \
    "^xvif-sim: backend /local/domain/0/backend/vif/$D/2/state wanted state 2 still waiting state 1 after 1 s: unable to add device with path /local/domain/0/backend/vif/$D/2\$" \
    "$T_DIR/err"
t_ok "no backend: after the scaled 1 s ($el s)" between "$el" 1 3
t0=$(now)
XVIF_SIM_TIMEOUT_SCALE= "$SIM" attach --dir "$SIM_DIR" "$D" devid=3 >/dev/null 2>"$T_DIR/err"
rc=$? el=$(elapsed "$t0")
t_eq "no backend, real timeout: attach fails" "$rc" 1
t_ok "no backend, real timeout: message says 10 s" grep -q \
    "backend /local/domain/0/backend/vif/$D/3/state wanted state 2 still waiting state 1 after 10 s: unable to add device" \
    "$T_DIR/err"
t_ok "no backend, real timeout: after libxl's 10 s ($el s)" between "$el" 10 13
t_ok "no backend: the device stays in XenStore, as with libxl" \
    xenstore-read "/local/domain/0/backend/vif/$D/3/state"

# -- detach from a backend that never reaches Closed --
fb_start --never-closed
wait_until 5 sh -c "[ \$(xenstore-read /local/domain/0/backend/vif/$D/2/state) = 2 ]"
t0=$(now)
"$SIM" detach --dir "$SIM_DIR" "$D" 2 >/dev/null 2>"$T_DIR/err"
rc=$? el=$(elapsed "$t0")
t_eq "stuck backend: detach fails" "$rc" 1
t_ok "stuck backend: forced remove after the first timeout" \
    grep -q "wanted state 6 still waiting state 5 after 1 s: initiating forced remove" "$T_DIR/err"
t_ok "stuck backend: reported after the second" \
    grep -q "unable to remove device with path /local/domain/0/backend/vif/$D/2" "$T_DIR/err"
t_ok "stuck backend: two 1 s waits ($el s)" between "$el" 2 4
t_not "stuck backend: forced removal removed the backend" \
    xenstore-read "/local/domain/0/backend/vif/$D/2"
t_not "stuck backend: and the frontend" xenstore-read "$L/device/vif/2"
t_not "stuck backend: and libxl's copy" xenstore-read "/libxl/$D/device/vif/2"
fb_stop

# -- destroy --
fb_start
DEV=$("$SIM" attach --dir "$SIM_DIR" "$D" devid=5 script="$HP" 2>"$T_DIR/err")
t_eq "destroy: setup attach" "$DEV" 5
[ "$DEV" = 5 ] || echo "  stderr: $(cat "$T_DIR/err")"
: >"$HPLOG"
xenstore-watch -n 2 @releaseDomain >"$T_DIR/release.log" 2>&1 &
W_PID=$!
t_cleanup_add "w_stop $W_PID"
wait_until 5 test -s "$T_DIR/release.log"	# the registration event
"$SIM" destroy --dir "$SIM_DIR" "$D" 2>"$T_DIR/err"
rc=$?
t_eq "destroy: exit 0" "$rc" 0
[ "$rc" = 0 ] || echo "  stderr: $(cat "$T_DIR/err")"
t_ok "destroy: @releaseDomain fired" wait_until 5 sh -c "[ \$(wc -l <'$T_DIR/release.log') -ge 2 ]"
t_ok "destroy: vifs closed by the backend" grep -q "/local/domain/0/backend/vif/$D/$DEV state 5->6" "$T_DIR/fb.log"
t_ok "destroy: hotplug offline run" grep -q "args: offline type_if=vif" "$HPLOG"
t_not "destroy: /local/domain/$D gone" xenstore-read "$L"
t_not "destroy: /libxl/$D gone" xenstore-read "/libxl/$D"
t_not "destroy: $VM gone" xenstore-read "$VM"
t_not "destroy: backend dirs gone" xenstore-read "/local/domain/0/backend/vif/$D"
t_rc "destroy: the domain no longer exists" 2 "$SIM" attach --dir "$SIM_DIR" "$D"
t_rc "destroy: twice" 2 "$SIM" destroy --dir "$SIM_DIR" "$D"

# destroy with a dead backend: one (forced) timeout, then gone anyway.
D2=$("$SIM" create --dir "$SIM_DIR" 2>"$T_DIR/err")
t_ok "destroy, dead backend: create" test -n "$D2"
t_eq "create: default name" "$(xenstore-read /local/domain/$D2/name)" "guest$D2"
"$SIM" attach --dir "$SIM_DIR" "$D2" >/dev/null 2>&1
fb_stop
t0=$(now)
"$SIM" destroy --dir "$SIM_DIR" "$D2" 2>"$T_DIR/err"
rc=$? el=$(elapsed "$t0")
t_eq "destroy, dead backend: exit 0 as xl destroy" "$rc" 0
t_ok "destroy, dead backend: reports the device" \
    grep -q "unable to remove device with path /local/domain/0/backend/vif/$D2/0" "$T_DIR/err"
t_ok "destroy, dead backend: one 1 s wait, forced ($el s)" between "$el" 1 2.5
t_not "destroy, dead backend: /local/domain/$D2 gone" xenstore-read "/local/domain/$D2"
t_not "destroy, dead backend: backend gone" xenstore-read "/local/domain/0/backend/vif/$D2"
t_rc "destroy, dead backend: domain gone" 2 "$SIM" destroy --dir "$SIM_DIR" "$D2"

t_done
