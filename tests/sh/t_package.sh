#!/bin/bash
# xvif installed, and run as a service.
#  (a) make install into a scratch DESTDIR: every file where it belongs,
#      with its mode, the unit's ExecStart following PREFIX; make uninstall
#      removes those files and nothing else.
#  (b) The Debian package, built by dpkg-buildpackage from a copy of the
#      tree (scripts/deb: its outputs land beside the copy, never beside
#      the tree): its files, control data and maintainer scripts, and
#      what dpkg -x unpacks, whose xvifd serves the simulated host.
#  (c) The unit: systemd-analyze verify finds nothing to say; every
#      syscall xvifd makes (strace, a whole life on the simulated host) is
#      in its SystemCallFilter, every socket family in
#      RestrictAddressFamilies.
#  (d) sd_notify, with the seccomp filter armed, under the unit's
#      capability bounding set and no_new_privs: READY=1 once serving,
#      STOPPING=1 on SIGTERM, nothing else; with nobody listening, xvifd
#      logs it and serves on.
. "$(dirname "$0")/lib.sh"
ulimit -c 0			# a SIGSYS would dump core
SIGSYS_STATUS=159		# 128 + SIGSYS (31)
UNIT=dist/xvifd.service

# "MODE /PATH" of every file and symlink under $1, by path.
have_files() {
	(cd "$1" && find . \( -type f -o -type l \) -printf '%m /%P\n') | sort -k2
}

# What make install puts under DESTDIR with PREFIX $1, from the tree in
# $2 (default: this one), as have_files.
want_install() {
	local p=$1 t=${2:-.} m
	{
		echo "755 $p/sbin/xvifd"
		[ ! -e "$t/src/xvifctl.c" ] || echo "755 $p/bin/xvifctl"
		echo "755 $p/bin/xvif-sim"
		for m in "$t"/man/*.[1-9]; do echo "644 $p/share/man/man${m##*.}/${m##*/}"; done
		echo "644 $p/lib/systemd/system/xvifd.service"
		echo "644 $p/lib/modprobe.d/xvif.conf"
		echo "644 $p/lib/sysusers.d/xvif.conf"
	} | sort -k2
}

# The programs as built: make install must install them, not rebuild.
MAKE_OLD=(-o "$BUILD/xvifd" -o "$BUILD/xvifctl" -o "$BUILD/xvif-sim")

# install_check NAME PREFIX [MAKE-ARGS...]: (a) for one PREFIX.
install_check() {
	local name=$1 p=$2 d=$T_DIR/inst-$1 x
	shift 2
	# An older make install's xvifctl, in sbin: root's PATH finds it first.
	install -D -m 0755 /dev/null "$d$p/sbin/xvifctl"
	if ! make -s "${MAKE_OLD[@]}" install DESTDIR="$d" "$@" >"$T_DIR/make.log" 2>&1; then
		t_fail "make install ($name)" "$(tail -3 "$T_DIR/make.log" | tr '\n' ' ')"
		return
	fi
	t_eq "make install ($name): every file, its mode, nothing else (sbin/xvifctl gone)" \
		"$(have_files "$d")" "$(want_install "$p")"
	t_eq "make install ($name): the unit starts $p/sbin/xvifd" \
		"$(grep '^ExecStart=' "$d$p/lib/systemd/system/xvifd.service")" \
		"ExecStart=$p/sbin/xvifd --syslog --user xvifd \$XVIFD_OPTS"
	t_ok "make install ($name): the installed xvifd runs" "$d$p/sbin/xvifd" --help
	getent passwd xvifd >/dev/null ||
		t_ok "make install ($name): into DESTDIR, says how the unit's user is made" \
			grep -q "no user xvifd yet.*systemd-sysusers $p/lib/sysusers.d/xvif.conf makes it" \
			"$T_DIR/make.log"
	x=$d$p/bin/not-ours
	echo keep >"$x"
	if ! make -s uninstall DESTDIR="$d" "$@" >"$T_DIR/make.log" 2>&1; then
		t_fail "make uninstall ($name)" "$(tail -3 "$T_DIR/make.log" | tr '\n' ' ')"
		return
	fi
	t_eq "make uninstall ($name): no file of ours left, another kept" \
		"$(have_files "$d")" "644 ${x#"$d"}"
}

# The unit's CapabilityBoundingSet as setpriv's --bounding-set.
unit_bounding_set() {
	local c s=-all
	for c in $(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT"); do
		c=${c#CAP_}
		s="$s,+${c,,}"
	done
	echo "$s"
}

# Every syscall the unit's SystemCallFilter allows, one a line (its
# @groups expanded by systemd-analyze, recursively).
unit_syscalls() {
	local -A seen=()
	local todo x
	todo=$(sed -n 's/^SystemCallFilter=//p' "$UNIT")
	while [ -n "${todo// /}" ]; do
		set -- $todo
		x=$1
		shift
		todo="$*"
		[ -z "${seen[$x]:-}" ] || continue
		seen[$x]=1
		case $x in
		@*) todo="$todo $(systemd-analyze syscall-filter "$x" | sed -n '2,$p' |
			grep -v '^[[:space:]]*#' | tr -s ' \n' '  ')" ;;
		*) echo "$x" ;;
		esac
	done | sort -u
}

# A listener for sd_notify datagrams on $1, appending them to $2.
notify_listen() {
	rm -f "$1" "$2"
	socat -u "UNIX-RECV:$1" "OPEN:$2,creat,append" 2>>"$T_DIR/socat.log" &
	NL_PID=$!
	t_cleanup_add "w_stop $NL_PID"
	t_wait 5 test -S "$1" || w_die "socat did not listen on $1: $(tail -2 "$T_DIR/socat.log")"
	: >"$2"
}

# wrap NAME CMD...: $T_DIR/NAME, a script that runs CMD with its arguments.
wrap() {
	local f=$T_DIR/$1
	shift
	printf '#!/bin/sh\nexec' >"$f"
	printf ' %q' "$@" >>"$f"
	printf ' "$@"\n' >>"$f"
	chmod 755 "$f"
	echo "$f"
}

# line PATTERN: the number of the first line of xvifd.log that has it.
line() { grep -n -m1 -e "$1" "$T_DIR/xvifd.log" | cut -d: -f1; }

# xvifd_gone: whether xvifd ($XVIFD_PID) has exited; if so, a failure
# named $1 with its status.
xvifd_gone() {
	local rc
	kill -0 "$XVIFD_PID" 2>/dev/null && return 1
	wait "$XVIFD_PID"
	rc=$?
	t_fail "$1" "xvifd exited, status $rc ($SIGSYS_STATUS: SIGSYS, a syscall the filter does not allow): $(tail -2 "$T_DIR/xvifd.log" | tr '\n' ' ')"
}

# notify_check LABEL XVIFD: (d), with the program XVIFD, on the running
# host, whose guest 2 it re-attaches.
notify_check() {
	local label=$1 bin=$2 sock=$T_DIR/notify.sock out=$T_DIR/notify.out rc a b c
	notify_listen "$sock" "$out"
	XVIFD=$(wrap "xvifd-$label" setpriv --bounding-set="$(unit_bounding_set)" \
		--no-new-privs env NOTIFY_SOCKET="$sock" "$bin")
	: >"$T_DIR/xvifd.log"
	xvifd_start --no-hotplug-wait
	t_wait 10 sh -c "grep -q 'notify READY=1: sent' '$T_DIR/xvifd.log' || ! kill -0 $XVIFD_PID"
	if xvifd_gone "$label: alive after READY=1"; then
		w_stop "$NL_PID" 0
		return
	fi
	a=$(line 'seccomp: [0-9]* syscalls allowed') b=$(line 'serving ') c=$(line 'notify READY=1: sent')
	[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ "$a" -lt "$b" ] && [ "$b" -lt "$c" ] &&
		t_pass "$label: seccomp armed, then serving, then READY=1 sent" ||
		t_fail "$label: seccomp armed, then serving, then READY=1 sent" \
			"log lines seccomp '$a', serving '$b', notify '$c'"
	t_wait 5 grep -q READY "$out"
	t_eq "$label: the listener heard READY=1 alone" "$(cat "$out")" "READY=1"
	t_eq "$label: seccomp filter on, bounding set CAP_NET_ADMIN, no_new_privs" \
		"$(awk '$1 ~ /^(Seccomp|CapBnd|NoNewPrivs):$/ {printf "%s%s ", $1, $2}' /proc/"$XVIFD_PID"/status)" \
		"CapBnd:0000000000001000 NoNewPrivs:1 Seccomp:2 "
	t_wait 10 ip netns exec "${GUEST_NS[2]}" ping -c 1 -W 1 -q 169.254.2.1
	t_ok "$label: the guest pings its host" ip netns exec "${GUEST_NS[2]}" ping -c 2 -i 0.2 -W 2 -q 169.254.2.1
	kill -TERM "$XVIFD_PID"
	wait "$XVIFD_PID"
	rc=$?
	t_eq "$label: SIGTERM: exit 0 (not killed by the filter)" "$rc" 0
	t_wait 5 grep -q STOPPING "$out"
	t_eq "$label: the listener heard READY=1, then STOPPING=1, nothing else" \
		"$(cat "$out")" "READY=1STOPPING=1"
	w_stop "$NL_PID" 0
}

# -- (a) make install / uninstall. --
install_check default /usr/local
install_check prefix /opt/xvif PREFIX=/opt/xvif

# -- (d) sd_notify on the simulated host. --
# Guest 2, Connected through an xvifd without NOTIFY_SOCKET; each xvifd
# after it re-attaches.
sim_host_start
xvifd_start --no-hotplug-wait
guest_up 2
kill -TERM "$XVIFD_PID"
wait "$XVIFD_PID"
notify_check "notify" "$PWD/$BUILD/xvifd"

# Nobody listening: logged, and xvifd serves on.
: >"$T_DIR/xvifd.log"
XVIFD=$(wrap xvifd-nobody env NOTIFY_SOCKET="$T_DIR/nobody.sock" "$PWD/$BUILD/xvifd")
xvifd_start --no-hotplug-wait
t_ok "notify, nobody listening: logged" \
	t_wait 5 grep -q 'notify READY=1: No such file or directory' "$T_DIR/xvifd.log"
if ! xvifd_gone "notify, nobody listening: alive"; then
	t_wait 10 ip netns exec "${GUEST_NS[2]}" ping -c 1 -W 1 -q 169.254.2.1
	t_ok "notify, nobody listening: serving on" \
		ip netns exec "${GUEST_NS[2]}" ping -c 2 -i 0.2 -W 2 -q 169.254.2.1
	kill -TERM "$XVIFD_PID"
	wait "$XVIFD_PID"
	t_eq "notify, nobody listening: SIGTERM: exit 0" "$?" 0
fi

# -- (c) the unit. --
if ! command -v systemd-analyze >/dev/null; then
	t_fail "unit" "no systemd-analyze (scripts/deps package installs systemd)"
elif ! command -v strace >/dev/null; then
	t_fail "unit" "no strace (scripts/deps package installs it)"
elif grep -qa __asan_init "$PWD/$BUILD/xvifd"; then
	# Its runtime makes syscalls of its own (LeakSanitizer ptraces).
	echo "NOTE $T_NAME: unit: syscalls checked in the plain build only, not this sanitizer build"
else
	# A whole life under strace: setup, READY=1, a vif re-attached,
	# traffic, SIGUSR1, the control socket if there is one, SIGTERM,
	# STOPPING=1.
	notify_listen "$T_DIR/notify.sock" "$T_DIR/notify.out"
	: >"$T_DIR/xvifd.log"
	XVIFD=$(wrap xvifd-strace env NOTIFY_SOCKET="$T_DIR/notify.sock" \
		strace -f -qq -o "$T_DIR/strace.out" "$PWD/$BUILD/xvifd")
	xvifd_start --no-hotplug-wait
	pid=$(pgrep -P "$XVIFD_PID" -x xvifd)
	t_wait 10 grep -q "xvif${GUEST_DOM[2]}i0: re-attached" "$T_DIR/xvifd.log"
	ip netns exec "${GUEST_NS[2]}" ping -c 2 -i 0.2 -W 2 -q 169.254.2.1 >/dev/null
	kill -USR1 "$pid"
	t_wait 5 grep -q "xvif${GUEST_DOM[2]}i0: xvif${GUEST_DOM[2]}i0 Connected" "$T_DIR/xvifd.log"
	if [ -S "$SIM_DIR/xvifd/xvifd.sock" ]; then
		echo "xvif/1 list" | timeout 5 socat - "UNIX-CONNECT:$SIM_DIR/xvifd/xvifd.sock" >/dev/null
	fi
	kill -TERM "$pid"
	wait "$XVIFD_PID"
	t_eq "strace'd xvifd: exit 0" "$?" 0
	t_wait 5 grep -q STOPPING "$T_DIR/notify.out"
	t_eq "strace'd xvifd: READY=1 and STOPPING=1 sent" "$(cat "$T_DIR/notify.out")" "READY=1STOPPING=1"
	w_stop "$NL_PID" 0
	unit_syscalls >"$T_DIR/unit-syscalls"
	sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$T_DIR/strace.out" | sort -u >"$T_DIR/used"
	t_eq "every syscall xvifd made ($(wc -l <"$T_DIR/used")) is in the unit's SystemCallFilter" \
		"$(comm -23 "$T_DIR/used" "$T_DIR/unit-syscalls" | tr '\n' ' ')" ""
	# Those only the real-Xen path makes are in xvifd's own list.
	sed -n '/^static const char \*const priv_syscalls\[\] = {/,/^};/p' src/priv.c |
		grep -o '"[a-z0-9_]*"' | tr -d '"' | sort -u >"$T_DIR/allowed"
	t_eq "every syscall of xvifd's own allow-list ($(wc -l <"$T_DIR/allowed"), src/priv.c) is in the unit's SystemCallFilter" \
		"$(comm -23 "$T_DIR/allowed" "$T_DIR/unit-syscalls" | tr '\n' ' ')" ""
	fam=$(sed -n 's/^RestrictAddressFamilies=//p' "$UNIT")
	used=$(grep -oE '^[0-9]+ +socket\(AF_[A-Z0-9]+' "$T_DIR/strace.out" | sed 's/.*(//' | sort -u)
	t_eq "every socket family xvifd used ($(echo $used)) is in RestrictAddressFamilies" \
		"$(for x in $used; do [[ " $fam " == *" $x "* ]] || echo "$x"; done)" ""
fi

# -- (b) the Debian package, from a copy of the tree (scripts/deb). --
src=$T_DIR/deb/xvif
beside() { ls -d ../xvif_* ../xvif-dbgsym_* 2>/dev/null; }
before=$(beside)
t0=$SECONDS
deb=$(timeout 600 scripts/deb "$T_DIR/deb" 2>"$T_DIR/deb.err")
rc=$?
if [ "$rc" -ne 0 ] || [ ! -f "$deb" ]; then
	t_fail "dpkg-buildpackage -us -uc -b" "exit $rc: $(tail -5 "$T_DIR/deb.err" | tr '\n' ' ')"
	t_done
fi
t_pass "dpkg-buildpackage -us -uc -b from a copy of the tree: ${deb##*/} in $((SECONDS - t0)) s"
t_eq "nothing built beside the tree" "$(beside)" "$before"

# What the package holds: the files make install puts (from the copy it
# was built from), with Debian's paths, man pages compressed, and its
# documentation.
want_deb() {
	want_install /usr "$src" | sed -e 's|/usr/lib/systemd/system/|/lib/systemd/system/|' \
		-e 's|/usr/lib/modprobe.d/|/lib/modprobe.d/|' -e 's|\(/share/man/.*\)$|\1.gz|'
	printf '644 /usr/share/doc/xvif/%s\n' README.md.gz changelog.gz copyright
}
t_eq "dpkg-deb -c: the programs, man pages, unit, modprobe file, docs" \
	"$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\.||' | sort)" \
	"$(want_deb | awk '{print $2}' | sort)"
t_eq "dpkg-deb -I: package, architecture" "$(dpkg-deb -f "$deb" Package Architecture | tr '\n' ' ')" \
	"Package: xvif Architecture: $(dpkg --print-architecture) "
dep=$(dpkg-deb -f "$deb" Depends) miss=
for l in libxenstore libxengnttab libxenevtchn libsystemd0 libseccomp2 libcap2; do
	[[ "$dep" == *"$l"* ]] || miss="$miss $l"
done
t_eq "dpkg-deb -I: Depends has the Xen libraries, libsystemd0, libseccomp2, libcap2" \
	"${miss:+missing$miss in $dep}" ""
mkdir "$T_DIR/ctl"
dpkg-deb -e "$deb" "$T_DIR/ctl"
# No conffile: the blacklist is in /lib/modprobe.d and goes with the
# package (as a conffile it stayed after apt remove: no backend at all);
# 0.1's conffile is removed on upgrade.
t_eq "conffiles: none" "$(cat "$T_DIR/ctl/conffiles" 2>/dev/null)" ""
t_ok "preinst and postinst: 0.1's /etc/modprobe.d/xvif.conf removed on upgrade" sh -c \
	"grep -qF 'dpkg-maintscript-helper rm_conffile /etc/modprobe.d/xvif.conf 0.2' '$T_DIR/ctl/preinst' &&
	grep -qF 'dpkg-maintscript-helper rm_conffile /etc/modprobe.d/xvif.conf 0.2' '$T_DIR/ctl/postinst'"
t_ok "postinst: enables xvifd.service" grep -q "deb-systemd-helper enable 'xvifd.service'" "$T_DIR/ctl/postinst"
t_ok "postinst: restarts it on upgrade only (try-restart)" \
	sh -c "grep -q 'deb-systemd-invoke try-restart' '$T_DIR/ctl/postinst' &&
		! grep -q 'deb-systemd-invoke start' '$T_DIR/ctl/postinst'"
t_ok "postinst: makes the user xvifd (systemd-sysusers, else useradd), before any restart" \
	awk '/systemd-sysusers xvif.conf/ && !s {s = NR} /useradd --system/ && !u {u = NR}
		/deb-systemd-invoke/ && !r {r = NR}
		END {exit !(s && u && r && s < r && u < r)}' "$T_DIR/ctl/postinst"
# The postinst's ways to the user, each run with stand-ins for the
# commands it calls (nothing else on its PATH): what it asks of them.
# postinst_run CASE PASSWD GROUP SYSUSERS: getent says the user / group
# is there (1) or not (0); systemd-sysusers is there (1) or not (0).
postinst_run() {
	local bin=$T_DIR/pi-$1 c
	mkdir -p "$bin"
	for c in useradd systemd-sysusers deb-systemd-helper deb-systemd-invoke systemctl \
		dpkg-maintscript-helper; do
		[ "$c" = systemd-sysusers ] && [ "$4" = 0 ] && continue
		printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$c" "$bin" >"$bin/$c"
	done
	printf '#!/bin/sh\ncase "$1 $2" in\n"passwd xvifd") exit %d;;\n"group xvifd") exit %d;;\nesac\nexit 2\n' \
		$((1 - $2)) $((1 - $3)) >"$bin/getent"
	chmod +x "$bin"/*
	PATH=$bin /bin/sh "$T_DIR/ctl/postinst" configure >"$bin/out" 2>&1 ||
		echo "exit $?: $(cat "$bin/out")" >>"$bin/calls"
	grep -E '^(useradd|systemd-sysusers|exit)' "$bin/calls" 2>/dev/null
}
ua="--no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --comment xvif network backend xvifd"
t_eq "postinst: the user there: nothing made" "$(postinst_run there 1 0 1)" ""
t_eq "postinst: systemd-sysusers makes it" "$(postinst_run sysusers 0 0 1)" "systemd-sysusers xvif.conf"
t_eq "postinst: else useradd, with a group of its own" "$(postinst_run useradd 0 0 0)" \
	"useradd --system --user-group $ua"
t_eq "postinst: ... joining a group xvifd already there" "$(postinst_run joins 0 1 0)" \
	"useradd --system --gid xvifd $ua"
t_ok "prerm: stops it on remove" grep -q 'deb-systemd-invoke stop xvifd.service' "$T_DIR/ctl/prerm"
# prerm_run ARG RECORDS ACTIVE [ENV...]: the prerm ARG, in a mount
# namespace of its own whose /run is empty but for RECORDS interface
# records in /run/xvifd, xvifd.service active (ACTIVE 1) or not (0) by
# systemctl; what it asked deb-systemd-invoke, and how it ended.
prerm_run() {
	local arg=$1 n=$2 bin=$T_DIR/pr-$1-$2-$3
	mkdir -p "$bin"
	printf '#!/bin/sh\necho "deb-systemd-invoke $*" >>"%s/calls"\n' "$bin" >"$bin/deb-systemd-invoke"
	printf '#!/bin/sh\nexit 0\n' >"$bin/dpkg-maintscript-helper"	# needs dpkg around it
	printf '#!/bin/sh\n[ "$*" = "is-active --quiet xvifd.service" ] && exit %d\nexit 3\n' \
		$((1 - $3)) >"$bin/systemctl"
	chmod +x "$bin"/*
	shift 3
	unshare -m --propagation private sh -c "mount -t tmpfs tmpfs /run &&
		mkdir -p /run/xvifd /run/systemd/system && for i in \$(seq 1 $n); do : >/run/xvifd/\$i.0.if; done &&
		env $* PATH=$bin:/usr/bin:/bin sh '$T_DIR/ctl/prerm' $arg" >"$bin/out" 2>&1
	echo "exit $?"
	cat "$bin/calls" 2>/dev/null
}
stopped=$(printf 'exit 0\ndeb-systemd-invoke stop xvifd.service')
t_eq "prerm remove: no vif served: xvifd stopped" "$(prerm_run remove 0 1)" "$stopped"
t_eq "prerm remove: vifs served: refused, xvifd left running" "$(prerm_run remove 2 1)" "exit 1"
t_ok "... saying why" grep -q "xvifd runs and serves 2 vif(s)" "$T_DIR/pr-remove-2-1/out"
t_eq "prerm remove: records, xvifd not running (leftovers): removed" \
	"$(prerm_run remove 2 0)" "$stopped"
t_eq "prerm remove: vifs served, XVIF_REMOVE_WITH_GUESTS=yes: stopped" \
	"$(prerm_run remove 1 1 XVIF_REMOVE_WITH_GUESTS=yes)" "$stopped"
t_eq "prerm upgrade: vifs served: nothing asked, not refused" "$(prerm_run upgrade 2 1)" "exit 0"
t_not "no stop before an upgrade" grep -qs 'deb-systemd-invoke stop' "$T_DIR/ctl/preinst"

root=$T_DIR/root
dpkg -x "$deb" "$root"
t_eq "dpkg -x: every file, its mode" "$(have_files "$root")" "$(want_deb | sort -k2)"
t_eq "dpkg -x: the unit starts /usr/sbin/xvifd" \
	"$(grep '^ExecStart=' "$root/lib/systemd/system/xvifd.service")" \
	"ExecStart=/usr/sbin/xvifd --syslog --user xvifd \$XVIFD_OPTS"
# The user the unit names, as systemd-sysusers makes it from the file.
mkdir -p "$T_DIR/sysroot/etc"
if systemd-sysusers --root="$T_DIR/sysroot" "$root/usr/lib/sysusers.d/xvif.conf" \
	>"$T_DIR/sysusers.log" 2>&1; then
	t_eq "sysusers.d/xvif.conf: a system user xvifd, its own group, no home, no shell" \
		"$(awk -F: '$1 == "xvifd" {print $1, ($3 < 1000), ($3 == $4), $6, $7}' "$T_DIR/sysroot/etc/passwd")" \
		"xvifd 1 1 /nonexistent /usr/sbin/nologin"
else
	t_fail "systemd-sysusers --root with the packaged xvif.conf" "$(tail -2 "$T_DIR/sysusers.log")"
fi
t_eq "dpkg -x: the modprobe file keeps xen-netback away" \
	"$(grep -v '^#' "$root/lib/modprobe.d/xvif.conf")" \
	"$(printf 'blacklist xen-netback\ninstall xen-netback /bin/false')"
for m in "$src"/man/*.[1-9]; do
	t_ok "dpkg -x: ${m#"$src"/} as in the tree" cmp -s "$m" \
		<(zcat "$root/usr/share/man/man${m##*.}/${m##*/}.gz")
done

if command -v systemd-analyze >/dev/null; then
	# ExecStart must name a program that is there: the unpacked one.
	mkdir "$T_DIR/unit"
	sed "s|^ExecStart=/usr/sbin/xvifd|ExecStart=$root/usr/sbin/xvifd|" \
		"$root/lib/systemd/system/xvifd.service" >"$T_DIR/unit/xvifd.service"
	out=$(systemd-analyze verify --man=no "$T_DIR/unit/xvifd.service" 2>&1)
	t_eq "systemd-analyze verify: the packaged unit: exit 0, nothing to say" "$?:$out" "0:"
fi

# The unit restarts xvifd after every failure but those a restart cannot
# mend, without a start limit (every guest is cut off while it is down):
# the statuses it exempts are the packaged xvifd's own for those cases.
prevent=$(sed -n 's/^RestartPreventExitStatus=//p' "$root/lib/systemd/system/xvifd.service")
t_eq "the unit: no start limit, no restart after a refusal" \
	"$(grep -c '^StartLimitIntervalSec=0$' "$root/lib/systemd/system/xvifd.service") $prevent" "1 2 78"
status_of() { "$root/usr/sbin/xvifd" "$@" >/dev/null 2>&1; echo $?; }
t_eq "packaged xvifd: a bad option: exit 2 (not restarted)" "$(status_of --frobnicate)" 2
t_eq "packaged xvifd: an unknown --user: exit 78 (not restarted)" \
	"$(status_of --hv sim --sim-dir "$T_DIR/none" --user no-such-user-xv)" 78
t_eq "packaged xvifd: no host to serve (yet): exit 1 (restarted)" \
	"$(status_of --hv sim --sim-dir "$T_DIR/none")" 1

# The packaged xvifd itself, on the simulated host (as root: the host's
# files are root's here; --user, which the unit adds, is t_xvifd_priv's
# and make e2e's, where the package's user serves real Xen).
notify_check "packaged xvifd" "$root/usr/sbin/xvifd"
t_done
