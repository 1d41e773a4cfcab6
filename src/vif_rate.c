/*
 * vif_rate.c -- the rate key parsed and the credit arithmetic of guest TX
 * rate limiting (vif_rate.h): pure functions, unit-tested in
 * tests/unit/t_vif_rate.c.  Where a queue waits and is woken is vif_tx.c.
 */
#include <errno.h>
#include <stdio.h>

#include "vif_rate.h"

/* Decimal digits up to *end (not included) into *out, at most max. */
static int
vif_rate_digits(const char *s, const char **end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;		/* more than max */
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return -EINVAL;
	*end = p;
	*out = v;
	return 0;
}

int
vif_rate_parse(const char *s, struct vif_rate *out)
{
	uint64_t bytes, usec;
	const char *p;

	if (vif_rate_digits(s, &p, UINT64_MAX, &bytes) < 0 || *p != ',' ||
	    vif_rate_digits(p + 1, &p, UINT32_MAX, &usec) < 0 || *p != '\0')
		return -EINVAL;
	out->vr_bytes = bytes;
	out->vr_usec = (uint32_t)usec;
	return 0;
}

bool
vif_rate_limited(const struct vif_rate *r)
{
	return r->vr_usec != 0;
}

bool
vif_rate_equal(const struct vif_rate *a, const struct vif_rate *b)
{
	if (!vif_rate_limited(a) || !vif_rate_limited(b))
		return vif_rate_limited(a) == vif_rate_limited(b);
	return a->vr_bytes == b->vr_bytes && a->vr_usec == b->vr_usec;
}

void
vif_rate_format(const struct vif_rate *r, char *buf, size_t len)
{
	if (!vif_rate_limited(r)) {
		snprintf(buf, len, "unlimited");
		return;
	}
	/* Bits per microsecond are megabits per second. */
	snprintf(buf, len, "%llu bytes every %lu us (%.4g Mbit/s)",
	    (unsigned long long)r->vr_bytes, (unsigned long)r->vr_usec,
	    (double)r->vr_bytes * 8.0 / (double)r->vr_usec);
}

void
vif_credit_start(struct vif_credit *c, const struct vif_rate *r,
    uint64_t now_us)
{
	c->vc_rate = *r;
	c->vc_left = r->vr_bytes;
	c->vc_next_us = now_us + r->vr_usec;
}

/* n * bytes, or UINT64_MAX if more. */
static uint64_t
vif_rate_mul(uint64_t n, uint64_t bytes)
{
	return bytes != 0 && n > UINT64_MAX / bytes ? UINT64_MAX : n * bytes;
}

/* The most credit that may pile up (VIF_RATE_BURST_MIN). */
static uint64_t
vif_credit_burst(const struct vif_rate *r)
{
	uint64_t b;

	b = vif_rate_mul(1 + VIF_RATE_LATE_US / r->vr_usec, r->vr_bytes);
	b = b > UINT64_MAX - VIF_RATE_FRAME_MAX ? UINT64_MAX :
	    b + VIF_RATE_FRAME_MAX;
	return b < VIF_RATE_BURST_MIN ? VIF_RATE_BURST_MIN : b;
}

/* The credit of the intervals begun by now, up to the burst. */
static void
vif_credit_refill(struct vif_credit *c, uint64_t now_us)
{
	const struct vif_rate *r = &c->vc_rate;
	uint64_t n, burst, add;

	if (now_us < c->vc_next_us)
		return;
	n = (now_us - c->vc_next_us) / r->vr_usec + 1;
	c->vc_next_us += n * r->vr_usec;	/* <= now + an interval */
	burst = vif_credit_burst(r);
	/* Saturating: n intervals of a huge rate must not wrap to little. */
	add = vif_rate_mul(n, r->vr_bytes);
	if (add >= burst || c->vc_left >= burst - add)
		c->vc_left = burst;
	else
		c->vc_left += add;
}

uint64_t
vif_credit_take(struct vif_credit *c, uint32_t len, uint64_t now_us)
{
	const struct vif_rate *r = &c->vc_rate;
	uint64_t missing, n, burst;

	if (!vif_rate_limited(r))
		return 0;
	vif_credit_refill(c, now_us);
	/*
	 * A cost above the most credit that can pile up (a superframe's
	 * on-wire cost, vif_tx_wire_len) is the burst: it goes once the
	 * bucket is full, as the largest frame always does; charged more,
	 * it waited for credit that never comes, and its queue with it.
	 */
	if ((burst = vif_credit_burst(r)) < len)
		len = (uint32_t)burst;
	if (len <= c->vc_left) {
		c->vc_left -= len;
		return 0;
	}
	if (r->vr_bytes == 0)
		return VIF_CREDIT_NEVER;
	/* The next interval brings one credit, each one after another. */
	missing = len - c->vc_left;
	n = missing / r->vr_bytes + (missing % r->vr_bytes != 0);
	return c->vc_next_us - now_us + (n - 1) * r->vr_usec;
}

unsigned int
vif_credit_wait_ms(uint64_t wait_us)
{
	uint64_t ms = wait_us / 1000 + (wait_us % 1000 != 0) + 1;

	return ms > 60000 ? 60000 : (unsigned int)ms;
}
