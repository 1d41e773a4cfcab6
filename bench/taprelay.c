/*
 * taprelay -- the benchmark's userspace reference: one TAP in each of two
 * network namespaces and a loop that copies every frame from one to the
 * other, through the same TAP port (src/hp_tap.c) xvifd uses.  What xvif
 * costs beyond it is the Xen part: rings, grant copies, event channels
 * and the netfront on the other side.
 *
 *   taprelay [--offload] [--queues N] NS_A IF_A NS_B IF_B
 *                                              runs until SIGTERM/SIGINT
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
 * With --queues N each TAP has N queues (IFF_MULTI_QUEUE) and N threads
 * relay queue i of one to queue i of the other: tun picks a flow's queue
 * by its hash and answers it on the queue it came in by, so each flow
 * stays on one thread both ways.  It is the baseline of a guest whose
 * netfront uses N queues, which xvifd serves on as many workers; one
 * thread for all would be a weaker one.
 *
 * The interfaces are deleted on exit.  Prints "relayed N frames, dropped M
 * too long" at exit, and each queue's frames with --queues.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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
#define RELAY_QUEUES_MAX 8

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

/* One queue pair, A's queue i and B's, and the thread that relays it. */
struct relay_queue {
	struct hp		*rq_a, *rq_b;
	struct relay_way	 rq_ab, rq_ba;
	struct relay_stats	 rq_stats;
	bool			 rq_offload;
	pthread_t		 rq_thread;
};

static volatile sig_atomic_t relay_stop;

static void
relay_on_signal(int sig)
{
	relay_stop = 1;
}

/*
 * Open (create) the TAP called ifname inside netns ns, with nq queues:
 * hp[0..nq-1].  The others are opened here, while we are in ns: tun finds
 * a queue's device by name in the namespace of the one that opens it.
 */
static void
relay_open(const char *ns, const char *ifname, bool offload, unsigned int nq,
    struct hp **hp)
{
	char path[128];
	unsigned int i;
	int fd, rc;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "taprelay: netns %s: %s\n", ns,
		    strerror(errno));
		exit(1);
	}
	close(fd);
	if ((rc = hp_open(&hp_tap_ops, ifname, &hp[0])) < 0 ||
	    (offload && (rc = hp_set_offload(hp[0], RELAY_OFFLOADS)) < 0) ||
	    (rc = hp_set_carrier(hp[0], true)) < 0) {
		fprintf(stderr, "taprelay: %s in %s: %s\n", ifname, ns,
		    strerror(-rc));
		exit(1);
	}
	for (i = 1; i < nq; i++) {
		if ((rc = hp_open_queue(hp[0], &hp[i])) < 0) {
			fprintf(stderr, "taprelay: %s in %s, queue %u: %s\n",
			    ifname, ns, i, strerror(-rc));
			exit(1);
		}
	}
}

/* A way's batch on RELAY_BATCH buffers of RELAY_BUFLEN of its own. */
static void
relay_way_init(struct relay_way *w, struct hp *from, struct hp *to)
{
	unsigned char *base;
	unsigned int i;

	if ((base = malloc((size_t)RELAY_BATCH * RELAY_BUFLEN)) == NULL) {
		perror("taprelay: buffers");
		exit(1);
	}

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

/* One queue pair's loop, until SIGTERM or SIGINT (seen within 1 s). */
static void *
relay_queue_run(void *arg)
{
	struct relay_queue *q = arg;
	struct pollfd pfd[2];

	pfd[0].fd = hp_fd(q->rq_a);
	pfd[1].fd = hp_fd(q->rq_b);
	pfd[0].events = pfd[1].events = POLLIN;
	while (!relay_stop) {
		if (poll(pfd, 2, 1000) < 0) {
			if (errno == EINTR)
				continue;
			perror("taprelay: poll");
			break;
		}
		if (pfd[0].revents & POLLIN)
			relay_some(&q->rq_ab, q->rq_offload, &q->rq_stats);
		if (pfd[1].revents & POLLIN)
			relay_some(&q->rq_ba, q->rq_offload, &q->rq_stats);
	}
	return NULL;
}

static void
relay_usage(void)
{
	fprintf(stderr, "usage: taprelay [--offload] [--queues N] "
	    "NS_A IF_A NS_B IF_B\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct relay_queue rq[RELAY_QUEUES_MAX];
	struct hp *a[RELAY_QUEUES_MAX], *b[RELAY_QUEUES_MAX];
	struct relay_stats rs = { 0, 0 };
	unsigned int i, nq = 1;
	bool offload = false;
	char *end;
	int rc;

	for (argc--, argv++; argc > 0 && strncmp(argv[0], "--", 2) == 0;
	    argc--, argv++) {
		if (strcmp(argv[0], "--offload") == 0)
			offload = true;
		else if (strcmp(argv[0], "--queues") == 0 && argc > 1) {
			errno = 0;
			nq = (unsigned int)strtoul(argv[1], &end, 10);
			if (errno != 0 || *end != '\0' || nq < 1 ||
			    nq > RELAY_QUEUES_MAX) {
				fprintf(stderr, "taprelay: --queues %s: want "
				    "1 to %d\n", argv[1], RELAY_QUEUES_MAX);
				return 2;
			}
			argc--, argv++;
		} else
			relay_usage();
	}
	if (argc != 4)
		relay_usage();
	signal(SIGTERM, relay_on_signal);
	signal(SIGINT, relay_on_signal);
	relay_open(argv[0], argv[1], offload, nq, a);
	relay_open(argv[2], argv[3], offload, nq, b);
	for (i = 0; i < nq; i++) {
		rq[i].rq_a = a[i];
		rq[i].rq_b = b[i];
		rq[i].rq_offload = offload;
		relay_way_init(&rq[i].rq_ab, a[i], b[i]);
		relay_way_init(&rq[i].rq_ba, b[i], a[i]);
	}
	for (i = 1; i < nq; i++) {
		if ((rc = pthread_create(&rq[i].rq_thread, NULL,
		    relay_queue_run, &rq[i])) != 0) {
			fprintf(stderr, "taprelay: thread: %s\n",
			    strerror(rc));
			return 1;
		}
	}
	relay_queue_run(&rq[0]);
	relay_stop = 1;		/* a poll error in queue 0: all stop */
	for (i = 1; i < nq; i++)
		(void)pthread_join(rq[i].rq_thread, NULL);
	for (i = nq; i-- > 0; ) {
		rs.rs_frames += rq[i].rq_stats.rs_frames;
		rs.rs_toolong += rq[i].rq_stats.rs_toolong;
		hp_close(a[i], i == 0);
		hp_close(b[i], i == 0);
	}
	printf("taprelay: relayed %lu frames, dropped %lu too long\n",
	    rs.rs_frames, rs.rs_toolong);
	if (nq > 1) {
		printf("taprelay: frames a queue:");
		for (i = 0; i < nq; i++)
			printf(" %lu", rq[i].rq_stats.rs_frames);
		printf("\n");
	}
	return 0;
}
