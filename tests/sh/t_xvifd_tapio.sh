#!/bin/bash
# How frames go to and from the TAPs: in batches through io_uring (a
# system call for many frames: where a call is dear, a PV dom0, one a
# frame was most of a small frame's cost), or, with --no-io-uring (and
# where io_uring cannot be had), one read or write a frame.  Each way
# must carry every frame intact; the log says which one runs; with
# batches, the host -> guest frames took fewer reads than frames.
. "$(dirname "$0")/lib.sh"
sim_host_start

# run MODE: a guest, frames of several sizes and TCP each way.
run() {
	local g i s
	guest_up "$1"
	g=${GUEST_NS[$1]} i=${GUEST_IF[$1]}
	for s in 18 1000 1472; do
		t_ok "$2: guest -> host, frame $((s + 42)) bytes" \
			ping_intact ip netns exec "$g" ping -M do -c 2 -i 0.2 -W 2 -s $s -p a5 "169.254.$1.1"
		t_ok "$2: host -> guest, frame $((s + 42)) bytes" \
			ping_intact ip netns exec "$DOM0_NS" ping -M do -c 2 -i 0.2 -W 2 -s $s -p 5a "169.254.$1.2"
	done
	tcp_check "$2: tcp 16 MiB guest -> host, sha256" "$g" "$DOM0_NS" "169.254.$1.1" 16
	tcp_check "$2: tcp 16 MiB host -> guest, sha256" "$DOM0_NS" "$g" "169.254.$1.2" 16
	frames=$(xvifd_counter "$i" rx_frames)
	reads=$(xvifd_counter "$i" rx_tap_reads)
}

xvifd_start --no-hotplug-wait
t_ok "default: the log says frames go in batches" \
	grep -q 'TAP I/O: frames in batches (io_uring)' "$T_DIR/xvifd.log"
run 1 io_uring
if [ -n "$frames" ] && [ -n "$reads" ] && [ "$reads" -gt 0 ] && [ "$reads" -lt "$frames" ]; then
	t_pass "io_uring: host -> guest in batches ($frames frames, $reads reads)"
else t_fail "io_uring: host -> guest in batches" "rx_frames=$frames rx_tap_reads=$reads"; fi
w_stop "$XVIFD_PID"

xvifd_start --no-hotplug-wait --no-io-uring
t_ok "--no-io-uring: the log says a system call a frame" \
	grep -q 'TAP I/O: a system call a frame (--no-io-uring)' "$T_DIR/xvifd.log"
run 2 readv
t_done
