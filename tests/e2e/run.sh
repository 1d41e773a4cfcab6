#!/bin/bash
# run.sh -- the real-Xen end-to-end test (`make e2e`): builds or reuses the
# images (build.sh), boots Xen 4.17 + the Debian dom0 under QEMU (software
# emulation: TCG, no NIC), timestamps the serial console into a log, and
# prints every check, a summary and the xvif/netback ratio table.  Exit 0
# only if every check passed.
#
# Env: BUILD (build dir, default build), XVIF_E2E_CACHE (/var/tmp/xvif-e2e),
#   E2E_PHASES (xs+hop+xvif+netback+rematch), E2E_REMATCH (3 pairs of rounds in
#   phase rematch), E2E_IPERF_T (5 s), E2E_CYCLES (10),
#   E2E_DOMU_VCPUS (2: the guest's netfront asks for 2 queues),
#   E2E_TIMEOUT (whole QEMU run, 1800 s), E2E_MEM (3072 MiB), E2E_SMP (2),
#   E2E_PROFILE (0; 1: perf in dom0 samples every iperf3 run of phases
#   xvif and netback and prints where dom0's CPU went: see README.md).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
CACHE=${XVIF_E2E_CACHE:-/var/tmp/xvif-e2e}
PHASES=${E2E_PHASES:-xs+hop+xvif+netback+rematch}
# Phase rematch's pairs of rounds (netback/xvif, then xvif/netback...).
REMATCH=${E2E_REMATCH:-3}
[[ $REMATCH =~ ^[1-9]$ ]] || { echo "e2e: E2E_REMATCH=$REMATCH: want 1 to 9"; echo "e2e: 0 passed, 1 failed"; exit 1; }
# The phase limits leave room for a host that is busy with something else
# (a run on a loaded machine took twice as long as on an idle one: xvif
# 453 s, netback past 180 s); the QEMU limit covers boot plus all four.
TMO=${E2E_TIMEOUT:-1800}
PROFILE=${E2E_PROFILE:-0}
[[ $PROFILE =~ ^[01]$ ]] || { echo "e2e: E2E_PROFILE=$PROFILE: want 0 or 1"; echo "e2e: 0 passed, 1 failed"; exit 1; }
t0=$EPOCHREALTIME

# dom0 gets xvifd as an admin does: the project's Debian package.
deb=$("$HERE/../../scripts/deb" "$BUILD/deb") ||
	{ echo "e2e: package build failed"; echo "e2e: 0 passed, 1 failed"; exit 1; }
img=$(XVIF_E2E_PERF=$PROFILE "$HERE/build.sh" "$deb" "$BUILD/tests/t_xs_client" "$BUILD/bench/taprelay") || { echo "e2e: image build failed"; echo "e2e: 0 passed, 1 failed"; exit 1; }
tb=$EPOCHREALTIME
mkdir -p "$CACHE/logs"
ls -1t "$CACHE"/logs/run-*.log 2>/dev/null | tail -n +10 | xargs -r rm -f
LOG=$CACHE/logs/run-$(date +%Y%m%d-%H%M%S).log

# No commas in the dom0 command line: QEMU's -initrd splits modules on ','.
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=${E2E_SMP:-2} smap=0 smep=0 loglvl=all guest_loglvl=all"
DOM0_ARGS="console=hvc0 earlyprintk=xen panic=-1 e2e_phases=$PHASES e2e_iperf_t=${E2E_IPERF_T:-5} e2e_cycles=${E2E_CYCLES:-10} e2e_domu_vcpus=${E2E_DOMU_VCPUS:-2} e2e_limit_xvif=${E2E_LIMIT_XVIF:-900} e2e_limit_netback=${E2E_LIMIT_NETBACK:-450} e2e_limit_xs=${E2E_LIMIT_XS:-120} e2e_rematch=$REMATCH e2e_limit_rematch=${E2E_LIMIT_REMATCH:-$((150 + 150 * REMATCH))} e2e_limit_hop=${E2E_LIMIT_HOP:-120} e2e_profile=$PROFILE"
# The CPU: QEMU's "max" without XSAVE (and so without AVX, which needs
# it).  With XSAVE, dom0 processes that had nothing to do with xvifd died
# at random once a guest ran traffic (xl: "malloc(): corrupted top size";
# bash, tr, dd, head, xenstore-ls: segfaults and general protection faults
# in libc), with xvifd and with the kernel's xen-netback alike, and never
# without a guest: the register state Xen saves and restores with XSAVE
# when it switches between domains did not survive QEMU 7.2's emulation.
# Without XSAVE Xen uses FXSAVE, and none died.  E2E_CPU=max brings it back.
# Nor ERMS and FSRM: with them Linux copies with "rep movsb", which QEMU
# 7.2's TCG runs one byte a pass through its translated code (a rep string
# instruction is restarted for every element), so every kernel copy took
# 8 times the passes it takes with "rep movsq", the copy Linux picks
# without them -- far beyond what a copy costs beside the other work
# on real hardware, where ERMS makes "rep movsb" the fast one.  Two runs
# of four rounds each on 2026-12-05, without and with them: bulk TCP to
# the guest rose 1.7x with both backends (netback 0.86 -> 1.43 Gbit/s,
# xvif 0.52 -> 0.91), their ratio within the rounds' spread.
CPU=${E2E_CPU:-max,-xsave,-xsaveopt,-xsavec,-xsaves,-avx,-avx2,-fma,-f16c,-vaes,-vpclmulqdq,-erms,-fsrm}
TCG=${E2E_TCG:-multi}
echo "e2e: booting Xen + dom0 under QEMU (TCG thread=$TCG, -cpu $CPU), phases $PHASES, log $LOG"
timeout --foreground -k 10 "$TMO" qemu-system-x86_64 -accel "tcg,thread=$TCG" -cpu "$CPU" \
	-m "${E2E_MEM:-3072}" -smp "${E2E_SMP:-2}" \
	-display none -monitor none -serial stdio -nic none -no-reboot \
	-kernel "$img/xen.elf" -append "$XEN_ARGS" \
	-initrd "$img/vmlinuz $DOM0_ARGS,$img/dom0-initrd.cpio" < /dev/null 2>&1 |
while IFS= read -r l; do
	n=$EPOCHREALTIME
	printf '%8.2f %s\n' "$(( (${n/./} - ${tb/./}) / 10000 ))e-2" "${l//$'\r'/}"
done > "$LOG"
qrc=${PIPESTATUS[0]}
t1=$EPOCHREALTIME
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }

grep -a -E '\(XEN\) Xen version|Hardware Dom0 crashed|Kernel panic|E2E: (dom0 init|DOM0-READY|=====|poweroff)' "$LOG" | cut -c1-160
echo
# Every check: PASS/FAIL lines; a required one that never reported fails.
required="init/xenstored init/xl_list init/xenbr0 init/dom0_no_crashes init/package"
case $PHASES in *xvif*) required="$required xvif/xvifd_start xvif/create xvif/tap_name
	xvif/log_ethernet_address xvif/carrier xvif/ping_domU_to_dom0
	xvif/ping_dom0_to_domU xvif/tcp_dom0_to_domU_sha256 xvif/tcp_domU_to_dom0_sha256
	xvif/iperf_dom0_to_domU xvif/iperf_domU_to_dom0 xvif/attach_detach_cycles
	xvif/tcp_survives_restart xvif/destroy xvif/destroy_backend_gone
	xvif/xvifctl_list xvif/xvifctl_stats
	xvif/destroy_tap_gone xvif/log_bad_mac_diagnostic xvif/log_reattached
	xvif/bridge_port xvif/bridge_learned_guest xvif/bridge_port_after_restart" ;; esac
case $PHASES in *hop*) required="$required hop/veth_loaded hop_veth1/ping hop_relay1/ping
	hop_veth2/ping hop_relay2/ping hop_relay1/relayed hop_relay2/relayed" ;; esac
case $PHASES in *netback*) required="$required netback/create netback/carrier
	netback/ping_dom0_to_domU netback/iperf_dom0_to_domU netback/iperf_domU_to_dom0
	netback/destroy netback/bridge_port netback/bridge_learned_guest" ;; esac
checks=$(grep -a -o 'E2E: CHECK .*' "$LOG" | sed 's/^E2E: CHECK //')
for r in $required; do
	echo "$checks" | grep -q "^$r " || checks="$checks"$'\n'"$r FAIL never reported"
done
# The differential check: each "dom0:" case of t_xs_client gives the same
# result against the simulator (here) as against Xen's xenstored (dom0).
case $PHASES in *xs*)
	sim=$(T_TIMEOUT=60 BUILD=$BUILD "$BUILD/tests/t_xs_client" 'dom0:' 2>&1 |
		grep -E '^(PASS|FAIL) ' | sed -E 's/^(PASS|FAIL) [^:]*: /\1 /')
	real=$(grep -a -o 'E2E: XSCASE .*' "$LOG" | sed 's/^E2E: XSCASE //')
	[ -n "$real" ] || checks="$checks"$'\n'"xs/dom0_cases FAIL no result from dom0"
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		name=${l#* }; name=${name#dom0: }; name=${name%%: *}
		slug=$(printf '%s' "$name" | tr -c 'A-Za-z0-9' _ | sed 's/__*/_/g; s/_$//' | cut -c1-40)
		r=$(echo "$real" | grep -F -- "dom0: $name" | head -1)
		if [ "${l%% *}" = PASS ] && [ "${r%% *}" = PASS ]; then v=PASS; else v=FAIL; fi
		checks="$checks"$'\n'"xs/$slug $v sim: ${l%% *}, real xenstored: ${r:-not run}"
	done <<< "$sim"
	;;
esac
# The simulated toolstack + netfront against real libxl + Linux netfront.
case $PHASES in *xvif*)
	checks="$checks"$'\n'"$(BUILD=$BUILD "$HERE/compare-sim.sh" "$LOG")" ;;
esac
checks=$(echo "$checks" | sed '/^$/d')
[ -n "$checks" ] || checks="boot FAIL no check reported (qemu rc=$qrc)"
[ "$qrc" = 0 ] || checks="$checks"$'\n'"qemu FAIL exit status $qrc (124: the ${TMO}s limit)"
grep -aq 'E2E: poweroff' "$LOG" || checks="$checks"$'\n'"dom0 FAIL never reached poweroff"
echo "$checks" | awk '{n=$1; st=$2; $1=$2=""; sub(/^ +/, ""); printf "%s %s: %s\n", st, n, $0}'
np=$(echo "$checks" | awk '$2=="PASS"' | wc -l)
nf=$(echo "$checks" | awk '$2!="PASS"' | wc -l)

# The reference table: xvif / netback for each metric both phases reported.
echo
"$HERE/ratios.sh" "$LOG"
# What dom0 saw of a phase that hung or stopped early (CI shows only this
# output, not the log).
if grep -aq 'E2E: post mortem' "$LOG"; then
	echo
	sed -n '/E2E: post mortem/,/E2E: ===== END PHASE/p' "$LOG" | cut -c1-220 | head -400
fi
echo
echo "e2e: build $(secs "$t0" "$tb")s, qemu $(secs "$tb" "$t1")s, total $(secs "$t0" "$t1")s; log $LOG"
echo "e2e: $np passed, $nf failed"
[ "$nf" = 0 ]
