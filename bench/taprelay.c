/*
 * taprelay -- the benchmark's userspace reference: one TAP in each of two
 * network namespaces and a single-threaded loop that copies every frame
 * from one to the other, through the same TAP port (src/hp_tap.c) xvifd
 * uses.  What xvif costs beyond it is the Xen part: rings, grant copies,
 * event channels and the netfront on the other side.
 *
 *   taprelay [--offload] NS_A IF_A NS_B IF_B    runs until SIGTERM/SIGINT
 *
 * Plain, the kernel hands the relay finished frames of at most the MTU,
 * and the relay sends them without offloads.  With --offload both TAPs
 * take checksum and TSO offloads (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
 * and each frame's virtio_net_hdr is passed on unchanged: a TCP superframe
 * of up to 64 KiB crosses in one read and one write, with its checksum
 * still to be filled, which is the most a userspace relay can do.
 *
 * Frames are read and written in batches (hp_recv_batch, hp_send_batch:
 * one io_uring_enter for many, as xvifd does), sized by hp_batch_next.
 *
 * The interfaces are deleted on exit.  Prints "relayed N frames, dropped M
 * too long" at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hp.h"

#define RELAY_BUDGET	64	/* frames one way before looking the other */
#define RELAY_BATCH	32	/* frames a read at most */
/*
 * A TSO superframe is at most 64 KiB (the TAP's gso_max_size) plus its
 * Ethernet and VLAN headers; 1 KiB more leaves room.  Anything longer is
 * dropped, never sent truncated.
 */
#define RELAY_BUFLEN	(65536 + 1024)
#define RELAY_OFFLOADS	(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)

struct relay_stats {
	unsigned long	rs_frames;	/* relayed */
	unsigned long	rs_toolong;	/* longer than RELAY_BUFLEN, dropped */
};

/* One way's batch: its buffers (swapped around by reads) and appetite. */
struct relay_way {
	struct hp		*rw_from, *rw_to;
	struct hp_rxbuf		 rw_in[RELAY_BATCH];
	struct hp_txbuf		 rw_out[RELAY_BATCH];
	unsigned int		 rw_want;
};

static volatile sig_atomic_t relay_stop;

static void
relay_on_signal(int sig)
{
	relay_stop = 1;
}

/* Open (create) the TAP called ifname inside netns ns. */
static struct hp *
relay_open(const char *ns, const char *ifname, bool offload)
{
	char path[128];
	struct hp *hp;
	int fd, rc;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "taprelay: netns %s: %s\n", ns,
		    strerror(errno));
		exit(1);
	}
	close(fd);
	if ((rc = hp_open(&hp_tap_ops, ifname, &hp)) < 0 ||
	    (offload && (rc = hp_set_offload(hp, RELAY_OFFLOADS)) < 0) ||
	    (rc = hp_set_carrier(hp, true)) < 0) {
		fprintf(stderr, "taprelay: %s in %s: %s\n", ifname, ns,
		    strerror(-rc));
		exit(1);
	}
	return hp;
}

/* A way's batch on its RELAY_BATCH buffers of RELAY_BUFLEN from base. */
static void
relay_way_init(struct relay_way *w, struct hp *from, struct hp *to,
    unsigned char *base)
{
	unsigned int i;

	w->rw_from = from;
	w->rw_to = to;
	w->rw_want = 1;
	for (i = 0; i < RELAY_BATCH; i++) {
		w->rw_in[i].rb_buf = base + (size_t)i * RELAY_BUFLEN;
		w->rw_in[i].rb_cap = RELAY_BUFLEN;
	}
}

/*
 * Up to RELAY_BUDGET frames from one TAP to the other; with offload, each
 * with the virtio_net_hdr it came with.  A frame cut at its buffer's end
 * (as long as the buffer) was too long: dropped, never sent cut.
 */
static void
relay_some(struct relay_way *w, bool offload, struct relay_stats *rs)
{
	static const struct virtio_net_hdr none;
	unsigned int i, n, done = 0;
	ssize_t got;
	bool empty;

	while (done < RELAY_BUDGET) {
		got = hp_recv_batch(w->rw_from, w->rw_in, w->rw_want);
		if (got <= 0) {
			w->rw_want = 1;
			break;
		}
		for (i = n = 0; i < (unsigned int)got; i++) {
			if (w->rw_in[i].rb_len >= RELAY_BUFLEN) {
				rs->rs_toolong++;
				continue;
			}
			w->rw_out[n].tb_vh = offload ? w->rw_in[i].rb_vh : none;
			w->rw_out[n].tb_buf = w->rw_in[i].rb_buf;
			w->rw_out[n].tb_len = w->rw_in[i].rb_len;
			n++;
		}
		hp_send_batch(w->rw_to, w->rw_out, n);	/* full: dropped */
		rs->rs_frames += n;
		done += (unsigned int)got;
		empty = (unsigned int)got < w->rw_want;
		w->rw_want = hp_batch_next(w->rw_want, (unsigned int)got,
		    RELAY_BATCH);
		if (empty)
			break;
	}
}

int
main(int argc, char **argv)
{
	static unsigned char bufs[2][RELAY_BATCH * RELAY_BUFLEN];
	static struct relay_way ab, ba;
	struct relay_stats rs = { 0, 0 };
	struct pollfd pfd[2];
	struct hp *a, *b;
	bool offload = false;

	if (argc > 1 && strcmp(argv[1], "--offload") == 0) {
		offload = true;
		argc--;
		argv++;
	}
	if (argc != 5) {
		fprintf(stderr,
		    "usage: taprelay [--offload] NS_A IF_A NS_B IF_B\n");
		return 2;
	}
	signal(SIGTERM, relay_on_signal);
	signal(SIGINT, relay_on_signal);
	a = relay_open(argv[1], argv[2], offload);
	b = relay_open(argv[3], argv[4], offload);
	relay_way_init(&ab, a, b, bufs[0]);
	relay_way_init(&ba, b, a, bufs[1]);
	pfd[0].fd = hp_fd(a);
	pfd[1].fd = hp_fd(b);
	pfd[0].events = pfd[1].events = POLLIN;
	while (!relay_stop) {
		if (poll(pfd, 2, 1000) < 0) {
			if (errno == EINTR)
				continue;
			perror("taprelay: poll");
			break;
		}
		if (pfd[0].revents & POLLIN)
			relay_some(&ab, offload, &rs);
		if (pfd[1].revents & POLLIN)
			relay_some(&ba, offload, &rs);
	}
	hp_close(a, true);
	hp_close(b, true);
	printf("taprelay: relayed %lu frames, dropped %lu too long\n",
	    rs.rs_frames, rs.rs_toolong);
	return 0;
}
