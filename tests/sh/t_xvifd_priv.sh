#!/bin/bash
# xvifd's least privilege.  Serving a guest, every thread of it has
# CAP_NET_ADMIN alone (effective, permitted, bounding), no_new_privs and
# the seccomp filter; a syscall outside the allow-list (execve, from a
# signal handler that an LD_PRELOADed library adds: nothing of the sort
# is in the product) kills it with SIGSYS, where without the filter the
# same call runs a shell; SIGTERM still exits 0 under the filter.  Then
# --user: xvifd started as root serves as a dedicated user, on a
# simulated host whose files belong to that user (they stand for the
# /dev/xen devices a udev rule gives to its group).  The other
# t_xvifd_* tests run under the filter too: that is the proof that it
# allows what xvifd needs.
. "$(dirname "$0")/lib.sh"
ulimit -c 0			# SIGSYS dumps core by default
NET_ADMIN=0000000000001000	# 1 << CAP_NET_ADMIN (12)
SIGSYS_STATUS=159		# 128 + SIGSYS (31)

# privs_ok WHAT PID: every thread's capabilities, no_new_privs, seccomp.
privs_ok() {
	local what=$1 pid=$2 s bad= n=0 f v
	for s in /proc/"$pid"/task/*/status; do
		n=$((n + 1))
		for f in CapEff:$NET_ADMIN CapPrm:$NET_ADMIN CapBnd:$NET_ADMIN \
			CapInh:0000000000000000 CapAmb:0000000000000000 NoNewPrivs:1 \
			Seccomp:${3:-2}; do
			v=$(awk -v k="${f%%:*}:" '$1 == k {print $2}' "$s")
			[ "$v" = "${f#*:}" ] || bad="$bad ${s#/proc/}: ${f%%:*} $v, want ${f#*:};"
		done
	done
	[ $n -ge 2 ] || bad="$bad only $n thread(s), want libxenstore's reader too;"
	[ -z "$bad" ] && t_pass "$what: $n threads: CapEff=CapPrm=CapBnd=CAP_NET_ADMIN, no_new_privs, seccomp ${3:-2}" ||
		t_fail "$what" "$bad"
}

# The "compromised daemon": on SIGUSR2, execve() a shell that leaves a
# file -- or, with XVIF_HOOK_RENAME="OLD NEW", rename the interface OLD
# NEW (SIOCSIFNAME on a datagram socket, as xvifd's own SIOC* requests
# go, with the CAP_NET_ADMIN it keeps).  Preloaded into xvifd; the
# product has no such hook.
# With XVIF_HOOK_IFINDEX="K NAME", if_indextoname(K) says NAME: the
# sweep's race, an interface on record renamed or replaced between its
# look by ifindex and its open by name.  With XVIF_HOOK_IFINDEX_EMFILE=K,
# it fails for K with EMFILE: neither there nor gone.
cat >"$T_DIR/hook.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
static char cmd[512];
static struct ifreq rename_to;
static void
escape(int sig)
{
	char *argv[] = { "sh", "-c", cmd, NULL }, *envp[] = { NULL };
	int s;

	(void)sig;
	if (rename_to.ifr_name[0] != '\0') {
		if ((s = socket(AF_INET, SOCK_DGRAM, 0)) >= 0 &&
		    ioctl(s, SIOCSIFNAME, &rename_to) == 0)
			_exit(98);	/* renamed: the filter let it */
		_exit(97);		/* refused, but not by the filter */
	}
	execve("/bin/sh", argv, envp);
	_exit(99);
}
__attribute__((constructor)) static void
hook_init(void)
{
	const char *out = getenv("XVIF_HOOK_OUT");
	const char *rn = getenv("XVIF_HOOK_RENAME");
	struct sigaction sa;

	if (rn != NULL && strlen(rn) < IF_NAMESIZE * 2 &&
	    strchr(rn, ' ') != NULL && strchr(rn, ' ') - rn < IF_NAMESIZE) {
		memcpy(rename_to.ifr_name, rn, strchr(rn, ' ') - rn);
		strcpy(rename_to.ifr_newname, strchr(rn, ' ') + 1);
	}
	if (out == NULL || strlen(out) > 400)
		return;
	strcpy(cmd, "echo escaped > ");
	strcat(cmd, out);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = escape;
	sigaction(SIGUSR2, &sa, NULL);
}
char *
if_indextoname(unsigned int i, char *name)
{
	static char *(*next)(unsigned int, char *);
	const char *f = getenv("XVIF_HOOK_IFINDEX");
	const char *e = getenv("XVIF_HOOK_IFINDEX_EMFILE");
	char *end;

	if (e != NULL && strtoul(e, NULL, 10) == i) {
		errno = EMFILE;
		return NULL;
	}
	if (f != NULL && strtoul(f, &end, 10) == i && *end == ' ' &&
	    strlen(end + 1) < IF_NAMESIZE)
		return strcpy(name, end + 1);
	if (next == NULL)
		next = (char *(*)(unsigned int, char *))dlsym(RTLD_NEXT,
		    "if_indextoname");
	return next(i, name);
}
EOF
${CC:-cc} -shared -fPIC -O1 -o "$T_DIR/hook.so" "$T_DIR/hook.c" || w_die "cannot build the hook"

# xvifd_hooked ARGS: xvifd_start with the hook preloaded.
xvifd_hooked() {
	local asan=${ASAN_OPTIONS:-}
	export LD_PRELOAD=$T_DIR/hook.so XVIF_HOOK_OUT=$T_DIR/escaped
	# A sanitizer runtime wants to come first; the hook does not care.
	export ASAN_OPTIONS=${asan:+$asan:}verify_asan_link_order=0
	xvifd_start "$@"
	unset LD_PRELOAD XVIF_HOOK_OUT
	if [ -n "$asan" ]; then ASAN_OPTIONS=$asan; else unset ASAN_OPTIONS; fi
}

# tap_owned WHAT UID: the guest's TAP is UID's (tun's owner), and a user
# with no CAP_NET_ADMIN (nobody) may not attach to it.  Ownerless, anyone
# who can open /dev/net/tun (0666 on Debian) could: a share of the
# guest's frames, and frames sent as the guest past anti-spoofing.
tap_owned() {
	local out
	t_eq "$1: the TAP's owner" \
		"$(ip netns exec "$DOM0_NS" cat "/sys/class/net/xvif${d}i0/owner")" "$2"
	out=$(ip netns exec "$DOM0_NS" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups /usr/bin/python3 -c '
import errno, fcntl, struct, sys
try:
    f = open("/dev/net/tun", "r+b", buffering=0)
except OSError as e:
    print("cannot open /dev/net/tun: %s" % e.strerror); sys.exit()
try:
    # TUNSETIFF: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE
    fcntl.ioctl(f, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x5102))
    print("attached")
except OSError as e:
    print("refused" if e.errno == errno.EPERM else e.strerror)
' "xvif${d}i0" 2>&1)
	t_eq "$1: a user without CAP_NET_ADMIN may not attach to it" "$out" refused
}

sim_host_start
xvifd_start --no-hotplug-wait
guest_up 2
d=${GUEST_DOM[2]} g=${GUEST_NS[2]}
be=/local/domain/0/backend/vif/$d/0

# -- Root, default: capabilities, no_new_privs, the filter. --
t_ok "log: seccomp armed" grep -Eq '^xvifd: seccomp: [0-9]+ syscalls allowed$' "$T_DIR/xvifd.log"
privs_ok "as root" "$XVIFD_PID"
tap_owned "as root" 0
t_eq "as root: uid 0 still" "$(awk '$1 == "Uid:" {print $2 $3 $4 $5}' /proc/$XVIFD_PID/status)" 0000
t_ok "ping both ways under the filter" sh -c "ip netns exec $g ping -c 3 -i 0.2 -W 2 -q 169.254.2.1 &&
	ip netns exec $DOM0_NS ping -c 3 -i 0.2 -W 2 -q 169.254.2.2"
tcp_check "4 MiB guest -> host under the filter" "$g" "$DOM0_NS" 169.254.2.1 4
kill -USR1 "$XVIFD_PID"
t_wait 5 grep -q "xvif${d}i0: xvif${d}i0 Connected" "$T_DIR/xvifd.log" &&
	t_pass "SIGUSR1 dump under the filter" ||
	t_fail "SIGUSR1 dump under the filter" "$(tail -2 "$T_DIR/xvifd.log")"
t_ok "still alive after SIGUSR1" kill -0 "$XVIFD_PID"
kill -TERM "$XVIFD_PID"
wait "$XVIFD_PID"
t_eq "SIGTERM under the filter: exit 0" "$?" 0

# -- A forbidden syscall: SIGSYS, and the shell never runs. --
xvifd_hooked --no-hotplug-wait
t_wait 10 sh -c "grep -c 're-attached' '$T_DIR/xvifd.log' | grep -q 1" &&
	t_pass "hooked xvifd re-attached" || t_fail "hooked xvifd re-attached" "$(tail -3 "$T_DIR/xvifd.log")"
t_ok "ping through the hooked xvifd" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 -q 169.254.2.1
kill -USR2 "$XVIFD_PID"
wait "$XVIFD_PID"
t_eq "execve under the filter: killed by SIGSYS (exit status $SIGSYS_STATUS)" "$?" $SIGSYS_STATUS
t_not "execve under the filter: the shell never ran" test -e "$T_DIR/escaped"
t_eq "the backend is left Connected (a crash, not a close)" "$(xenstore-read "$be/state")" 4

# Control: the same call without the filter does run the shell.
xvifd_hooked --no-hotplug-wait --no-seccomp
t_ok "--no-seccomp: logged" t_wait 10 grep -q 'seccomp: off (--no-seccomp)' "$T_DIR/xvifd.log"
privs_ok "--no-seccomp: still" "$XVIFD_PID" 0
kill -USR2 "$XVIFD_PID"
wait "$XVIFD_PID"
t_eq "--no-seccomp: the execve'd shell exits 0" "$?" 0
t_ok "--no-seccomp: the shell ran (what the filter prevents)" test -e "$T_DIR/escaped"

xvifd_start --no-hotplug-wait
t_wait 10 sh -c "grep -c 're-attached' '$T_DIR/xvifd.log' | grep -q 3" &&
	t_pass "a new xvifd re-attaches after the SIGSYS" ||
	t_fail "a new xvifd re-attaches after the SIGSYS" "$(tail -3 "$T_DIR/xvifd.log")"
t_ok "ping after the SIGSYS" ip netns exec "$g" ping -c 2 -i 0.2 -W 2 -q 169.254.2.1
kill -TERM "$XVIFD_PID"
wait "$XVIFD_PID"

# -- An ioctl xvifd never makes: SIOCSIFNAME on another interface of the
# host (with CAP_NET_ADMIN any SIOC* request would pass but for the
# filter's list of requests): SIGSYS, and the interface keeps its name.
# reattached N: the Nth re-attach since the start of this host.
reattached() { t_wait 10 sh -c "grep -c 're-attached' '$T_DIR/xvifd.log' | grep -qx $1"; }
ip -n "$DOM0_NS" link add xvhk0 type veth peer name xvhk9 || w_die "a veth pair"
export XVIF_HOOK_RENAME="xvhk0 xvhk1"
xvifd_hooked --no-hotplug-wait
reattached 4 || t_fail "hooked xvifd (rename) re-attached" "$(tail -3 "$T_DIR/xvifd.log")"
kill -USR2 "$XVIFD_PID"
wait "$XVIFD_PID"
t_eq "SIOCSIFNAME under the filter: killed by SIGSYS (exit status $SIGSYS_STATUS)" "$?" $SIGSYS_STATUS
t_ok "... the host's interface keeps its name" ip -n "$DOM0_NS" link show xvhk0
# Control: without the filter the rename is done (exit 98).
xvifd_hooked --no-hotplug-wait --no-seccomp
reattached 5 || t_fail "hooked xvifd (rename, no filter) re-attached" "$(tail -3 "$T_DIR/xvifd.log")"
kill -USR2 "$XVIFD_PID"
wait "$XVIFD_PID"
t_eq "--no-seccomp: SIOCSIFNAME renamed it (what the filter prevents)" "$?" 98
t_ok "... as ip(8) shows" ip -n "$DOM0_NS" link show xvhk1
unset XVIF_HOOK_RENAME
ip -n "$DOM0_NS" link del xvhk1 2>/dev/null
w_cleanup			# this host, its guest and namespaces

# -- As the unit starts it: no capability beyond its CapabilityBoundingSet
# (no CAP_FOWNER or CAP_DAC_OVERRIDE: root is no more than the state
# directory's owner), no_new_privs, --user, the state directory root's
# 0700 as systemd hands a RuntimeDirectory= over.  It once gave the
# directory away first and could chmod it no more: every start failed.
# (A host of root's, as /dev/xen is; no guest: the start is the test.)
chmod 711 "$T_DIR"		# mktemp's 0700: let the user reach its files
W_DIR=$T_DIR/unit
mkdir -m 711 "$W_DIR"
sim_host_start
mkdir -m 700 "$SIM_DIR/xvifd"
bset=-all
for c in $(sed -n 's/^CapabilityBoundingSet=//p' "$PWD/dist/xvifd.service"); do
	c=${c#CAP_}
	bset="$bset,+${c,,}"
done
printf '#!/bin/sh\nexec setpriv --bounding-set=%q --no-new-privs %q "$@"\n' \
	"$bset" "$XVIFD" >"$T_DIR/xvifd-unit"
chmod 755 "$T_DIR/xvifd-unit"
XVIFD=$T_DIR/xvifd-unit xvifd_start --no-hotplug-wait --user nobody
t_eq "unit's bounding set, --user: capabilities" \
	"$(awk '$1 ~ /^Cap(Eff|Bnd):$/ {printf "%s%s ", $1, $2}' /proc/$XVIFD_PID/status)" \
	"CapEff:0000000000001000 CapBnd:0000000000001000 "
t_eq "unit's bounding set, --user: its state directory, lock and socket the user's" \
	"$(stat -c '%U %a' "$SIM_DIR/xvifd" "$SIM_DIR/xvifd/xvifd.lock" "$SIM_DIR/xvifd/xvifd.sock" | tr '\n' ' ')" \
	"nobody 700 nobody 600 nobody 660 "
t_not "unit's bounding set, --user: nothing refused" grep -qi "denied\|not permitted" "$W_DIR/xvifd.log"
t_ok "unit's bounding set, --user: xvifctl reaches it" "$PWD/$BUILD/xvifctl" --sim-dir "$SIM_DIR" list
kill -TERM "$XVIFD_PID"
wait "$XVIFD_PID"
t_eq "unit's bounding set, --user: SIGTERM, exit 0" "$?" 0
w_cleanup

# -- --user: a dedicated user, on a host whose files are that user's. --
U=xvifd-t$$			# ours alone, also when tests run in parallel
useradd --system --user-group --no-create-home --home-dir /nonexistent \
	--shell /usr/sbin/nologin "$U" || w_die "useradd $U"
t_cleanup_add "userdel $U; groupdel $U"
uid=$(id -u "$U") gid=$(id -g "$U")
chmod 711 "$T_DIR"		# mktemp's 0700: let the user reach its host

W_DIR=$T_DIR/u
mkdir -p "$W_DIR/host"
chown "$U:$U" "$W_DIR/host"
# The user needs /dev/net/tun (read and write) for xvifd's TAPs and the
# netfronts' eth0.  Debian's udev makes it 0666; where it is not, a real
# setup gives it to the user's group with a udev rule.  Here, without
# touching this machine's node: a node of our own, bind-mounted over
# /dev/net/tun in a mount namespace of the process's own (with-tun).
if setpriv --reuid="$uid" --regid="$gid" --init-groups test -r /dev/net/tun -a -w /dev/net/tun; then
	printf '#!/bin/sh\nexec "$@"\n' >"$T_DIR/with-tun"
else
	mknod -m 660 "$T_DIR/tun" c $((0x$(stat -c %t /dev/net/tun))) \
		$((0x$(stat -c %T /dev/net/tun))) || w_die "mknod"
	chgrp "$gid" "$T_DIR/tun"
	cat >"$T_DIR/with-tun" <<EOF
#!/bin/sh
exec unshare -m sh -c 'mount --bind "$T_DIR/tun" /dev/net/tun && exec "\$@"' sh "\$@"
EOF
fi
# Every simulator command as the user: the host, the toolstack, the
# netfront (which makes its eth0 in the guest's namespace: ambient caps).
REAL_SIM=$SIM SIM=$T_DIR/sim-as-user REAL_XVIFD=$XVIFD XVIFD=$T_DIR/xvifd-tun
cat >"$SIM" <<EOF
#!/bin/sh
exec "$T_DIR/with-tun" setpriv --reuid=$uid --regid=$gid --init-groups \\
	--inh-caps=+net_admin,+sys_admin --ambient-caps=+net_admin,+sys_admin \\
	"$REAL_SIM" "\$@"
EOF
cat >"$XVIFD" <<EOF
#!/bin/sh
exec "$T_DIR/with-tun" "$REAL_XVIFD" "\$@"
EOF
chmod 755 "$T_DIR/with-tun" "$SIM" "$XVIFD"
W_NS=${W_NS}u DOM0_NS=
sim_host_start
t_eq "the simulated host runs as $U" "$(stat -c %U "$SIM_DIR/xenstored.sock")" "$U"
setpriv --reuid="$uid" --regid="$gid" --init-groups touch "$SIM_DIR/owners"
xvifd_start --no-hotplug-wait --user "$U"
guest_up 3
d=${GUEST_DOM[3]} g=${GUEST_NS[3]}
t_eq "--user: uid" "$(awk '$1 == "Uid:" {print $2, $3, $4, $5}' /proc/$XVIFD_PID/status)" \
	"$uid $uid $uid $uid"
t_eq "--user: gid" "$(awk '$1 == "Gid:" {print $2, $3, $4, $5}' /proc/$XVIFD_PID/status)" \
	"$gid $gid $gid $gid"
t_eq "--user: groups" "$(sed -n 's/^Groups:[[:space:]]*//p' /proc/$XVIFD_PID/status | xargs)" "$gid"
privs_ok "--user" "$XVIFD_PID"
tap_owned "--user" "$uid"
t_ok "--user: ping both ways" sh -c "ip netns exec $g ping -c 3 -i 0.2 -W 2 -q 169.254.3.1 &&
	ip netns exec $DOM0_NS ping -c 3 -i 0.2 -W 2 -q 169.254.3.2"
t_eq "--user: state directory, lock and journal are the user's" \
	"$(stat -c %U "$SIM_DIR/xvifd" "$SIM_DIR/xvifd/xvifd.lock" "$SIM_DIR/xvifd/$d.0" | sort -u)" "$U"
t_not "--user: no journal fallback" grep -q 'response journal' "$W_DIR/xvifd.log"
t_eq "--user: the interface record is the user's" "$(stat -c %U "$SIM_DIR/xvifd/$d.0.if")" "$U"
kill -TERM "$XVIFD_PID"
wait "$XVIFD_PID"
t_eq "--user: SIGTERM, exit 0" "$?" 0
# As a predecessor run as root would have left them: given to the user.
chown root:root "$SIM_DIR/xvifd/$d.0" "$SIM_DIR/xvifd/$d.0.if"
# A record of a vif gone whose interface, by the time the sweep opens it
# by name, is another one (the hook: the race): left as it was, its
# owner too (the TAP's owner is set for a vif's own TAP only, never by
# an open that may find a stranger).
ip -n "$DOM0_NS" tuntap add dev xvowned0 mode tap user 4242 multi_queue vnet_hdr ||
	w_die "tuntap add xvowned0"
echo "1999999 xvowned0 xvowned0" >"$SIM_DIR/xvifd/97.0.if"
# And one whose interface cannot be looked up (EMFILE, not "no such
# device"): kept, and looked at again.
echo "1999998 xvmfile0 xvmfile0" >"$SIM_DIR/xvifd/98.0.if"
export XVIF_HOOK_IFINDEX="1999999 xvowned0" XVIF_HOOK_IFINDEX_EMFILE=1999998
xvifd_hooked --no-hotplug-wait --user "$U"
unset XVIF_HOOK_IFINDEX XVIF_HOOK_IFINDEX_EMFILE
mfile() { [ "$(grep -c "interface 1999998 (looked at again later): Too many open files" "$W_DIR/xvifd.log")" -ge "$1" ]; }
t_ok "a record whose interface cannot be looked up: said" t_wait 10 mfile 1
t_ok "... looked at again" t_wait 12 mfile 2
t_ok "... and kept" test -e "$SIM_DIR/xvifd/98.0.if"
rm -f "$SIM_DIR/xvifd/98.0.if"
t_ok "the sweep's race: the record served" t_wait 10 test ! -e "$SIM_DIR/xvifd/97.0.if"
t_ok "the sweep's race: the stranger's TAP left" ip -n "$DOM0_NS" link show xvowned0
t_eq "the sweep's race: its owner unchanged" \
	"$(ip netns exec "$DOM0_NS" cat /sys/class/net/xvowned0/owner)" 4242
t_eq "--user: root's journal and interface record given to the user" \
	"$(stat -c %U "$SIM_DIR/xvifd/$d.0" "$SIM_DIR/xvifd/$d.0.if" | sort -u)" "$U"
t_wait 10 grep -q "xvif${d}i0: re-attached" "$W_DIR/xvifd.log" &&
	t_pass "--user: restarted, re-attached" ||
	t_fail "--user: restarted, re-attached" "$(tail -3 "$W_DIR/xvifd.log")"
tcp_check "--user: 4 MiB host -> guest" "$DOM0_NS" "$g" 169.254.3.2 4
t_not "--user: the interface record rewritten" grep -q "interface record" "$W_DIR/xvifd.log"
t_eq "--user: unknown user: exit 78" \
	"$(timeout 20 ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" --state-dir "$T_DIR/st" --user no-such-user-xv >"$T_DIR/out" 2>&1; echo $?)" 78
t_ok "--user: unknown user: one line" grep -q -- '--user no-such-user-xv: no such user' "$T_DIR/out"
mkdir -m 755 "$T_DIR/shared"
t_eq "--user: a shared state directory is not given away: exit 78" \
	"$(timeout 20 ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" --state-dir "$T_DIR/shared" --user "$U" >"$T_DIR/out" 2>&1; echo $?)" 78
t_ok "--user: a shared state directory: one line" grep -q "state directory $T_DIR/shared: shared, writable by its group, or owned by someone else and open to others" "$T_DIR/out"
t_eq "--user: a shared state directory: still root's" "$(stat -c %U "$T_DIR/shared")" root
# The user's own, but its group may write there (the control group's
# members could put a file of a journal's name in it first): refused.
mkdir -m 770 "$T_DIR/grpw"
chown "$uid:$gid" "$T_DIR/grpw"
t_eq "--user: a state directory its group may write to: exit 78" \
	"$(timeout 20 ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" --state-dir "$T_DIR/grpw" --user "$U" >"$T_DIR/out" 2>&1; echo $?)" 78
t_ok "--user: a state directory its group may write to: said" grep -q "state directory $T_DIR/grpw: shared, writable by its group" "$T_DIR/out"
t_eq "... left as it was" "$(stat -c %a "$T_DIR/grpw") $(ls -A "$T_DIR/grpw")" "770 "
# Sticky and open to all, as /tmp: refused even as root's own (it was
# taken, made 0700, and files of others' with a vif's name deleted).
mkdir -m 1777 "$T_DIR/tmpish"
setpriv --reuid="$uid" --regid="$gid" --init-groups touch "$T_DIR/tmpish/1.2"
t_eq "a /tmp-like state directory: exit 78" \
	"$(timeout 20 ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" --state-dir "$T_DIR/tmpish" >"$T_DIR/out" 2>&1; echo $?)" 78
t_ok "a /tmp-like state directory: said" grep -q "state directory $T_DIR/tmpish: shared" "$T_DIR/out"
t_eq "a /tmp-like state directory: left as it was" \
	"$(stat -c %a "$T_DIR/tmpish") $(ls "$T_DIR/tmpish")" "1777 1.2"
# A third user's (private to them): refused before anything goes in it
# (its owner could swap what root makes there for a symlink).
mkdir -m 700 "$T_DIR/theirs"
chown nobody "$T_DIR/theirs"
t_eq "another user's state directory: exit 78" \
	"$(timeout 20 ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" --state-dir "$T_DIR/theirs" >"$T_DIR/out" 2>&1; echo $?)" 78
t_ok "another user's state directory: said" grep -q "state directory $T_DIR/theirs: another user's" "$T_DIR/out"
t_eq "another user's state directory: nothing put in it" "$(ls -A "$T_DIR/theirs")" ""
t_eq "a shared state directory: nothing put in it" "$(ls -A "$T_DIR/shared")" ""
# Root's own, 0755 and holding others' files, as /run (--state-dir /run,
# an admin's slip): refused, not made 0700 nor given away.  A directory
# with only what xvifd makes (a lock, a socket, a vif's journal and
# record, left by an earlier run) is taken: below, given to the user.
mkdir -m 755 "$T_DIR/runlike" "$T_DIR/runlike/lock"
mkdir -m 700 "$T_DIR/leftover"
touch "$T_DIR/runlike/utmp" "$T_DIR/leftover/xvifd.lock" "$T_DIR/leftover/9.0" \
	"$T_DIR/leftover/9.0.if" "$T_DIR/leftover/xvifd.sock"
t_eq "a /run-like state directory (others' files): exit 78" \
	"$(timeout 20 ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" --state-dir "$T_DIR/runlike" >"$T_DIR/out" 2>&1; echo $?)" 78
t_ok "a /run-like state directory: says what it holds" \
	grep -Eq "state directory $T_DIR/runlike: holds (lock|utmp), which xvifd did not make, and is not yet its own" "$T_DIR/out"
t_eq "a /run-like state directory: left as it was" \
	"$(stat -c '%a %U' "$T_DIR/runlike") $(ls "$T_DIR/runlike" | tr '\n' ' ')" "755 root lock utmp "
# A symbolic link named as the state directory: what it points at (here
# a root 0700 directory holding nothing, as /lost+found) would be made
# the user's: refused, naming it, and the target left as it was.
mkdir -m 700 "$T_DIR/target"
ln -s "$T_DIR/target" "$T_DIR/statelink"
t_eq "a state directory that is a symbolic link: exit 78" \
	"$(timeout 20 ip netns exec "$DOM0_NS" "$XVIFD" --hv sim --sim-dir "$SIM_DIR" --state-dir "$T_DIR/statelink" --user "$U" >"$T_DIR/out" 2>&1; echo $?)" 78
t_ok "a state directory that is a symbolic link: said" \
	grep -q "state directory $T_DIR/statelink: a symbolic link" "$T_DIR/out"
t_eq "a state directory that is a symbolic link: its target left as it was" \
	"$(stat -c '%a %U' "$T_DIR/target") $(ls -A "$T_DIR/target")" "700 root "
# A hard link named as a vif's journal in the leftover directory below,
# to a file of root's elsewhere: not given to the user with the rest.
touch "$T_DIR/roots"
chmod 600 "$T_DIR/roots"
# A /dev/net/tun root may open and the user may not (not the usual 0666):
# refused at start, naming it, rather than serving and failing every vif.
# Its state directory holds what an earlier run left: taken and given to
# the user before the check of the TAP device.  (The xvifd serving this
# host stops first: with its other state directory it still holds the
# backend domain's lock, which this one would find held.)
w_stop "$XVIFD_PID"
ln "$T_DIR/roots" "$T_DIR/leftover/8.0" || w_die "hard link"
mknod -m 0600 "$T_DIR/tun" c 10 200 || w_die "mknod"
t_eq "--user: /dev/net/tun the user may not open: exit 78" \
	"$(timeout 20 unshare -m --propagation private sh -c "mount --bind '$T_DIR/tun' /dev/net/tun &&
	exec '$XVIFD' --hv sim --sim-dir '$SIM_DIR' --state-dir '$T_DIR/leftover' --user '$U'" \
	>"$T_DIR/out" 2>&1; echo $?)" 78
t_ok "--user: /dev/net/tun the user may not open: said" \
	grep -q "/dev/net/tun, as $U: Permission denied" "$T_DIR/out"
t_eq "a state directory with what an earlier run left: taken" \
	"$(stat -c '%a %U' "$T_DIR/leftover" "$T_DIR/leftover/9.0" | tr '\n' ' ')" "700 $U 644 $U "
t_eq "a state directory with what an earlier run left: a hard link to root's file not given" \
	"$(stat -c '%U' "$T_DIR/roots")" root
t_done
