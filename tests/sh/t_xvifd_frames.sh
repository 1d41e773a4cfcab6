#!/bin/bash
# Frames of every size, both ways, intact: ICMP with DF set from the
# smallest Ethernet frame (60 bytes) up to the MTU, for MTU 1500 and 9000
# (ping checks every payload byte of the reply); then TCP with SHA-256.
. "$(dirname "$0")/lib.sh"
sim_host_start
xvifd_start --no-hotplug-wait
guest_up 1
guest_up 2 mtu=9000
g1=${GUEST_NS[1]} g2=${GUEST_NS[2]}
t_eq "mtu key applied to the host interface" \
	"$(cat /proc/net/dev >/dev/null; ip -n "$DOM0_NS" -o link show "${GUEST_IF[2]}" | grep -o 'mtu [0-9]*')" "mtu 9000"

# ICMP payload s gives a frame of 14 + 20 + 8 + s bytes.
for s in 18 19 100 1000 1458 1472; do
	t_ok "guest 1 -> host, frame $((s + 42)) bytes" \
		ping_intact ip netns exec "$g1" ping -M do -c 2 -i 0.2 -W 2 -s $s -p a5c3 169.254.1.1
	t_ok "host -> guest 1, frame $((s + 42)) bytes" \
		ping_intact ip netns exec "$DOM0_NS" ping -M do -c 2 -i 0.2 -W 2 -s $s -p 5a3c 169.254.1.2
done
t_not "frame past MTU 1500 is refused by the stack, not sent" \
	ip netns exec "$g1" ping -M do -c 1 -W 1 -s 1473 169.254.1.1
for s in 18 1472 4054 4055 4096 8000 8972; do
	t_ok "guest 2 -> host, frame $((s + 42)) bytes (mtu 9000)" \
		ping_intact ip netns exec "$g2" ping -M do -c 2 -i 0.2 -W 2 -s $s -p 0f 169.254.2.1
	t_ok "host -> guest 2, frame $((s + 42)) bytes (mtu 9000)" \
		ping_intact ip netns exec "$DOM0_NS" ping -M do -c 2 -i 0.2 -W 2 -s $s -p f0 169.254.2.2
done
tcp_check "tcp 16 MiB guest 1 -> host, sha256" "$g1" "$DOM0_NS" 169.254.1.1 16
tcp_check "tcp 16 MiB host -> guest 1, sha256" "$DOM0_NS" "$g1" 169.254.1.2 16
tcp_check "tcp 16 MiB guest 2 -> host (mtu 9000), sha256" "$g2" "$DOM0_NS" 169.254.2.1 16
tcp_check "tcp 16 MiB host -> guest 2 (mtu 9000), sha256" "$DOM0_NS" "$g2" 169.254.2.2 16
t_done
