#!/bin/bash
# build.sh -- build (or reuse) the images of the real-Xen end-to-end test.
#
#   tests/e2e/build.sh XVIF_DEB T_XS_CLIENT   # prints the image directory
#
# Installs what it needs from Debian packages (apt-get), then, under
# $XVIF_E2E_CACHE (default /var/tmp/xvif-e2e):
#   base-<key>/   the Xen 4.17 hypervisor (unpacked from its .deb, gunzipped:
#                 QEMU's multiboot loader wants the ELF), the Debian kernel,
#                 and a debootstrapped minbase dom0 tree with xl, xenstored,
#                 the stock hotplug scripts (xen-utils-common), iperf3,
#                 upgraded from this machine's apt sources (as an admin
#                 keeps a dom0: security updates in).  <key> hashes the
#                 package list, the mirror and those sources.
#   img-<key>/    dom0-initrd.cpio (the whole dom0 root as an initramfs, with
#                 the xvif package installed by dpkg, as an admin would
#                 (xvifd, xvifctl, the unit, the modprobe blacklist), the
#                 test driver, t_xs_client (the differential
#                 XenStore check), the bridge module, and the domU's
#                 kernel and initramfs) and the files QEMU boots.  <key>
#                 hashes everything that goes in, the package included.
# Each is rebuilt only when its key changes; older ones are removed.
# Progress goes to stderr.
set -euo pipefail
USAGE="usage: build.sh path/to/xvif.deb path/to/t_xs_client path/to/taprelay"
DEB=${1:?$USAGE}
# The XenStore client test of the differential check, from the same build.
TXS=${2:?$USAGE}
# The benchmark's TAP relay: phase-hop's userspace hop.
RELAY=${3:?$USAGE}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${XVIF_E2E_CACHE:-/var/tmp/xvif-e2e}
SUITE=bookworm
XENV=4.17
say() { echo "e2e-build: $*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root (debootstrap, QEMU images)"; exit 1; }
[ -f "$DEB" ] && [ -x "$TXS" ] && [ -x "$RELAY" ] ||
	{ say "$DEB, $TXS or $RELAY: not built (make all; scripts/deb)"; exit 1; }

# --- host packages --------------------------------------------------------
need="qemu-system-x86 busybox-static debootstrap linux-image-amd64 cpio kmod"
# E2E_PROFILE=1 (run.sh): perf in dom0, the host's own (Debian's
# linux-perf; the dom0 kernel is the host's Debian kernel too).
PERF=${XVIF_E2E_PERF:-0}
[ "$PERF" = 1 ] && need="$need linux-perf"
missing=
for p in $need; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	timeout 300 apt-get update -qq || say "apt-get update failed; trying the cached lists"
	timeout 900 apt-get install -y -qq --no-install-recommends $missing >&2
fi
KVER=$(ls /lib/modules | grep -- '-amd64$' | sort -V | tail -1)
[ -n "$KVER" ] && [ -f "/boot/vmlinuz-$KVER" ] || { say "no Debian amd64 kernel in /boot"; exit 1; }

# The machine's configured Debian mirror (deb822 or one-line format).
MIRROR=${XVIF_E2E_MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)}
[ -n "$MIRROR" ] || MIRROR=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 1800 9 || { say "cache $CACHE is locked by another build"; exit 1; }

# --- base: hypervisor, kernel, dom0 tree ----------------------------------
DOM0_PKGS="xen-utils-$XENV,xenstore-utils,iproute2,iperf3,kmod,procps,iputils-ping,ethtool,netcat-openbsd,libseccomp2,libcap2,liburing2"
# The host's apt sources: dom0 gets the same updates (security included)
# as this machine, so the package built here installs there as on any
# up-to-date dom0 (dpkg-shlibdeps asks for the libxen* versions built
# against), and dom0's Xen tools match the hypervisor taken from here.
HOST_SOURCES=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
bkey=$(printf '%s\n' "v2" "$SUITE" "$MIRROR" "$DOM0_PKGS" "$KVER" "$HOST_SOURCES" |
	sha256sum | cut -c1-16)
BASE=$CACHE/base-$bkey
if [ ! -f "$BASE/.done" ]; then
	say "building base $BASE (debootstrap from $MIRROR; a minute or two)"
	rm -rf "$BASE"; mkdir -p "$BASE"
	(
		cd "$BASE"
		timeout 300 apt-get download "xen-hypervisor-$XENV-amd64" >&2
		dpkg -x xen-hypervisor-"$XENV"-amd64_*.deb xenhv
		zcat "xenhv/boot/xen-$XENV-amd64.gz" > xen.elf
		rm -rf xenhv xen-hypervisor-*.deb
		cp "/boot/vmlinuz-$KVER" vmlinuz
		timeout 1500 debootstrap --variant=minbase --include="$DOM0_PKGS" \
		    "$SUITE" dom0root "$MIRROR" >&2
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		    /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] && cp "$f" "dom0root$f"
		done
		timeout 600 chroot dom0root apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive timeout 900 chroot dom0root \
		    apt-get -y -qq upgrade >&2
		rm -rf dom0root/usr/share/{doc,man,locale,info} \
		    dom0root/var/cache/apt/* dom0root/var/lib/apt/lists/*
	)
	touch "$BASE/.done"
fi
for d in "$CACHE"/base-*; do [ "$d" = "$BASE" ] || rm -rf "$d"; done

# --- images ---------------------------------------------------------------
ikey=$( { echo "$bkey perf=$PERF"; cat "$HERE"/build.sh "$HERE"/dom0-init "$HERE"/domU-init \
	"$HERE"/phase-*.sh "$HERE"/lib.sh "$HERE"/trace-states "$HERE"/prof-summary "$DEB" "$TXS" "$RELAY" /bin/busybox \
	"/boot/vmlinuz-$KVER"; } | sha256sum | cut -c1-16)
IMG=$CACHE/img-$ikey
if [ ! -f "$IMG/.done" ]; then
	say "building images $IMG"
	rm -rf "$IMG"; mkdir -p "$IMG"
	T=$(mktemp -d "$CACHE/stage.XXXXXX")
	trap 'rm -rf "$T"' EXIT
	# domU: busybox + xen-netfront + 8021q + iperf3 and its libraries.
	U=$T/domU
	mkdir -p $U/{bin,sbin,proc,sys,dev,etc,tmp,run,www,lib/modules}
	cp /bin/busybox $U/bin/busybox
	for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox $U/bin/$a; done
	# Its modules, in the order they load (/modules.load; 8021q for
	# the trunk check of phase-xvif).
	for m in xen-netfront 8021q; do
		modprobe -S "$KVER" --show-depends $m | awk '/^insmod/{print $2}'
	done | awk '!seen[$0]++' > $U/modules.load
	for f in $(cat $U/modules.load); do
		mkdir -p "$U$(dirname "$f")"; cp "$f" "$U$f"; done
	libs=$(chroot "$BASE/dom0root" ldd /usr/bin/iperf3 | awk '/=>/{print $3} /ld-linux/{print $1}')
	for f in /usr/bin/iperf3 $libs; do mkdir -p "$U$(dirname "$f")"; cp -L "$BASE/dom0root$f" "$U$f"; done
	install -m 755 "$HERE/domU-init" $U/init
	S=$T/dom0
	cp -a "$BASE/dom0root" "$S"
	if [ "$PERF" = 1 ]; then	# perf and the libraries it needs
		for f in /usr/bin/perf $(ldd /usr/bin/perf | awk '/=>/{print $3} /ld-linux/{print $1}'); do
			mkdir -p "$S$(dirname "$f")"; cp -nL "$f" "$S$f"; done
	fi
	(cd $U && find . | cpio -o -H newc --quiet | gzip -1) > "$T/domU-initrd.gz"
	mkdir -p "$S/boot"
	cp "$BASE/vmlinuz" "$S/boot/domU-vmlinuz"
	cp "$T/domU-initrd.gz" "$S/boot/domU-initrd.gz"
	# dom0: its modules (netback included, for the reference phase; veth
	# for phase-hop's kernel-only path).
	for m in xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-netback tun bridge veth 8021q; do
		for f in $(modprobe -S "$KVER" --show-depends $m | awk '/^insmod/{print $2}'); do
			mkdir -p "$S$(dirname "$f")"; cp "$f" "$S$f"; done
	done
	cp /lib/modules/"$KVER"/modules.{order,builtin,builtin.modinfo} "$S/lib/modules/$KVER/"
	depmod -b "$S" "$KVER"
	cp /bin/busybox "$S/bin/busybox"
	# The package, with its maintainer scripts: no systemd runs in the
	# chroot, so the unit is enabled and not started, as on a dom0
	# installed before its first boot.
	cp "$DEB" "$S/tmp/xvif.deb"
	chroot "$S" dpkg -i /tmp/xvif.deb >&2
	rm -f "$S/tmp/xvif.deb"
	mkdir -p "$S/e2e/bin"
	install -m 755 "$TXS" "$S/e2e/bin/t_xs_client"
	install -m 755 "$RELAY" "$S/e2e/bin/taprelay"
	install -m 755 "$HERE"/lib.sh "$HERE"/phase-*.sh "$HERE"/trace-states \
	    "$HERE"/prof-summary "$S/e2e/"
	install -m 755 "$HERE/dom0-init" "$S/init"
	(cd "$S" && find . | cpio -o -H newc --quiet) > "$IMG/dom0-initrd.cpio"
	ln "$BASE/xen.elf" "$IMG/xen.elf" 2>/dev/null || cp "$BASE/xen.elf" "$IMG/xen.elf"
	ln "$BASE/vmlinuz" "$IMG/vmlinuz" 2>/dev/null || cp "$BASE/vmlinuz" "$IMG/vmlinuz"
	touch "$IMG/.done"
fi
for d in "$CACHE"/img-*; do [ "$d" = "$IMG" ] || rm -rf "$d"; done
say "images: $IMG"
echo "$IMG"
