#!/bin/bash
# compare-sim.sh LOG -- the simulator against real Xen: the keys, values
# and permissions of a vif that real libxl attached (xl network-attach)
# and the real Linux netfront connected to xvifd, as dom0 dumped them in
# LOG, against the same vif attached by `xvif-sim attach` and connected by
# `xvif-sim netfront` to xvifd on the simulated host, here.  Values that
# differ by nature (domain ids, handles, MACs, ring refs, ports, paths of
# the script, the queues offered: one per CPU of each dom0) are masked.
# The simulated netfront splits its event channels, as Linux netfront
# does when the backend offers it, and asks for as many queues as the
# real guest had vCPUs (e2e_domu_vcpus in the log's command line).  Prints check lines "<name> PASS|FAIL <detail>".
set -u
LOG=$1
cd "$(dirname "$0")/../.." || exit 2
: "${BUILD:=build}"

# xenstore-ls -fp lines -> "BE/key = value (perms)", domain ids as D.
norm() {
	tr -d '\r' |
	    sed -E 's#/local/domain/0/backend/vif/[0-9]+/[0-9]+#BE#g;
		s#/local/domain/[0-9]+/device/vif/[0-9]+#FE#g;
		s/\(([nrwb])0,([nrwb])[0-9]+\)/(\10,\2D)/;
		s/\(([nrwb])[1-9][0-9]*,([nrwb])0\)/(\1D,\20)/;
		s/^(BE|FE)\/(frontend-id|handle|mac|script|vifname|(queue-[0-9]+\/)?(tx-ring-ref|rx-ring-ref|event-channel|event-channel-tx|event-channel-rx)|multi-queue-max-queues) = "[^"]*"/\1\/\2 = "*"/;
		s/  +/ /g; s/ +$//' | grep -E '^(BE|FE)/' | sort
}

real=$(grep -a 'xs-attach| ' "$LOG" | sed 's/.*xs-attach| //' | norm)
if [ -z "$real" ]; then
	echo "sim_vs_real/vif_keys FAIL dom0 dumped no attached vif"
	exit 0
fi

W_DIR=$(mktemp -d /tmp/xvif-cmp.XXXXXX)
W_NS=xvcmp$$
w_die() { echo "sim_vs_real/vif_keys FAIL simulator setup: $*"; exit 0; }
. scripts/world.sh
trap 'w_cleanup; rm -rf "$W_DIR"' EXIT
NQ=$(grep -a -m1 -o 'e2e_domu_vcpus=[0-9]*' "$LOG" | cut -d= -f2)
NQ=${NQ:-1}
sim_host_start
xvifd_start --max-queues "$NQ"
# What vif-common.sh does: rename $vif to vifname; then say connected.
cat >"$W_DIR/vif-hotplug" <<EOS
#!/bin/sh
[ "\$1" = online ] || exit 0
ip -n $DOM0_NS link set "\$vif" name "\$(xenstore-read "\$XENBUS_PATH/vifname")" || exit 1
xenstore-write "\$XENBUS_PATH/hotplug-status" connected
EOS
chmod +x "$W_DIR/vif-hotplug"
d=$("$SIM" create --dir "$SIM_DIR" --name cmp) || w_die "create"
BE=/local/domain/0/backend/vif/$d/0 FE=/local/domain/$d/device/vif/0
# The same watch-driven trace as dom0's (tests/e2e/trace-states).
tests/e2e/trace-states $BE $FE 30 >"$W_DIR/trace" 2>/dev/null &
TR=$!
w_cleanup_add "kill $TR"
w_wait 5 test -s "$W_DIR/trace" || w_die "trace-states set no watch"
"$SIM" attach --dir "$SIM_DIR" "$d" mac=00:16:3e:12:34:61 script="$W_DIR/vif-hotplug" \
	>"$W_DIR/attach.log" 2>&1 || w_die "attach: $(tail -1 "$W_DIR/attach.log")"
netns_add "$W_NS-g"
"$SIM" netfront --dir "$SIM_DIR" "$d" 0 --netns "$W_NS-g" --split-evtchn --queues "$NQ" \
	>"$W_DIR/fe.log" 2>&1 &
w_cleanup_add "kill $!; wait $!"
w_wait 20 sh -c "[ \"\$(xenstore-read /local/domain/0/backend/vif/$d/0/state)\" = 4 ]" ||
	w_die "the simulated vif never connected"
sim=$( (xenstore-ls -fp /local/domain/0/backend/vif/$d/0; xenstore-ls -fp /local/domain/$d/device/vif/0) | norm)
if [ "$sim" = "$real" ]; then
	echo "sim_vs_real/vif_keys PASS $(echo "$real" | wc -l) keys, values and permissions identical"
else
	echo "sim_vs_real/vif_keys FAIL $(diff <(echo "$real") <(echo "$sim") | grep '^[<>]' | sed 's/^</real:/; s/^>/sim:/' | tr '\n' ';')"
fi

# State sequence of an attach and a detach.  Both traces read the states
# on watch events, so a state that lasts less than two reads can be
# missed; only the milestones are compared: the backend's InitWait, then
# Connected with the frontend Connected, then Closed.  The simulated guest
# starts its netfront after the attach (a real guest's runs already), and
# on the simulated host the toolstack removes the directories within
# milliseconds of Closed; if the trace missed Closed there, the
# toolstack's own success stands for it (it fails when the backend never
# gets there).
"$SIM" detach --dir "$SIM_DIR" "$d" 0 >>"$W_DIR/attach.log" 2>&1
drc=$?
w_wait 10 sh -c "! kill -0 $TR 2>/dev/null"
milestones() {
	tr -d '\r' | grep -oE 'be=[0-9-]+ fe=[0-9-]+' |
	    awk '{b=$1; sub("be=","",b); f=$2; sub("fe=","",f)}
		b=="2" && last!="2" {printf "InitWait "}
		b=="4" && last!="4" {printf "Connected(fe=%s) ", f}
		b=="6" && last!="6" {printf "Closed "}
		b=="2"||b=="4"||b=="6" {last=b}'
}
rt=$(grep -a 'trace| ' "$LOG" | sed 's/.*trace| //' | milestones)
st=$(milestones <"$W_DIR/trace")
[ $drc = 0 ] && case $st in *Closed*) ;; *) st="${st}Closed " ;; esac
if [ -z "$rt" ]; then
	echo "sim_vs_real/attach_detach_states FAIL dom0 traced no state"
elif [ "$rt" = "$st" ] && [ "$rt" = "InitWait Connected(fe=4) Closed " ]; then
	echo "sim_vs_real/attach_detach_states PASS $rt"
else
	echo "sim_vs_real/attach_detach_states FAIL real: $rt; sim: $st(detach rc $drc)"
fi
