/*
 * vif_rate.h -- the toolstack's limit on a guest's TX rate and the credit
 * that enforces it, as pure functions: the backend's `rate` key, which
 * libxl writes as "<bytes>,<usecs>" (xl's rate=10Mb/s is "62500,50000":
 * 62500 bytes every 50 ms), parsed; and the credit a queue spends on the
 * frames it sends, given back every interval, as Linux netback's credit
 * scheduler does (tx_credit_exceeded, tx_add_credit).  No clock of its
 * own (callers pass the time, in microseconds), no I/O, no logging.
 * What waits and what wakes it is vif_tx.c's.
 */
#ifndef XVIF_VIF_RATE_H
#define XVIF_VIF_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * vr_bytes of credit every vr_usec microseconds.  vr_usec 0 is no limit:
 * no key, "0,0", and Linux's own default (~0UL bytes, 0 usecs).  vr_bytes
 * 0 with an interval is a rate of nothing: the guest sends nothing until
 * the key changes (Linux stops it too).
 */
struct vif_rate {
	uint64_t	vr_bytes;
	uint32_t	vr_usec;
};

/*
 * The most credit that may pile up (while the guest sends nothing, say):
 * at least 128 KiB, Linux's max_burst, so that the largest frame always
 * gets through in the end, whatever the rate; and at least a frame and
 * the credit of an interval and of VIF_RATE_LATE_US more.  Linux caps at
 * an interval's credit, and a frame that must wait for the next interval
 * then loses what was left of this one to the cap (with 64 KiB
 * superframes, a fifth of the rate at 20 Mbit/s); here neither a frame
 * that waits nor a timer a few milliseconds late loses any.
 */
#define VIF_RATE_BURST_MIN	131072u
#define VIF_RATE_LATE_US	3000u	/* vif_credit_wait_ms's slack, and 1 */
#define VIF_RATE_FRAME_MAX	65535u	/* XVIF_FRAME_MAX */

/* A queue's credit: the worker's alone. */
struct vif_credit {
	struct vif_rate	vc_rate;
	uint64_t	vc_left;	/* bytes it may send now */
	uint64_t	vc_next_us;	/* when the next interval begins */
};

/* vif_credit_take: the frame will not fit until the rate changes. */
#define VIF_CREDIT_NEVER	UINT64_MAX

/*
 * The rate key's value, "<bytes>,<usecs>" in decimal (leading zeros
 * allowed, as Linux's simple_strtoul takes them), bytes < 2^64, usecs
 * < 2^32 (libxl's types).  0, or -EINVAL with *out untouched.
 */
int	vif_rate_parse(const char *s, struct vif_rate *out);
bool	vif_rate_limited(const struct vif_rate *);
bool	vif_rate_equal(const struct vif_rate *, const struct vif_rate *);
/* "62500 bytes every 50000 us (10 Mbit/s)", or "unlimited". */
void	vif_rate_format(const struct vif_rate *, char *buf, size_t len);

/*
 * Start spending at rate r at time now: one interval's credit at once,
 * the next at now + the interval (Linux's connect does the same).
 */
void	vif_credit_start(struct vif_credit *, const struct vif_rate *r,
	    uint64_t now_us);
/*
 * A frame of len bytes (its cost: more than XVIF_FRAME_MAX for a
 * superframe's segments, and then at most the burst is charged) at time
 * now: 0 if it may go (and its credit is spent); otherwise nothing is
 * spent and the answer is how many microseconds until it fits, or
 * VIF_CREDIT_NEVER.
 * Every interval begun since the last call adds its credit (one per
 * interval, up to the burst), so a late caller loses none.
 */
uint64_t vif_credit_take(struct vif_credit *, uint32_t len, uint64_t now_us);
/*
 * A wait of vif_credit_take's, as a timer of the event loop takes it:
 * whole milliseconds, rounded up, and one more, since the loop's clock
 * counts whole milliseconds (a timer never fires before the credit is
 * there); at most a minute (it is looked at again then).
 */
unsigned int vif_credit_wait_ms(uint64_t wait_us);

#endif
