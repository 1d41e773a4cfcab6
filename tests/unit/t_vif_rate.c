/*
 * t_vif_rate.c -- guest TX rate limiting's pure part (src/vif_rate.c): the
 * rate key as libxl writes it and Linux netback reads it, and the credit
 * arithmetic, on a clock the test moves.
 */
#include <stdint.h>

#include "t.h"
#include "vif_rate.h"

/* xl's rate=10Mb/s: 1250000 bytes a second, 62500 every 50 ms. */
static const struct vif_rate r10 = { 62500, 50000 };

static void
t_parse(struct t_ctx *t)
{
	static const char *const bad[] = { "", ",", "1,", ",1", "1,2,3",
	    "a,1", "1,a", "1 ,2", " 1,2", "1, 2", "+1,2", "-1,2", "1,-2",
	    "1,2 ", "1;2", "1,2\n", "0x10,2", "12",
	    "18446744073709551616,1", "1,4294967296",
	    "99999999999999999999999,1" };
	struct vif_rate r = { 7, 7 };
	size_t i;

	T_EQ(t, vif_rate_parse("62500,50000", &r), 0);
	T_EQ(t, r.vr_bytes, 62500);
	T_EQ(t, r.vr_usec, 50000);
	T_TRUE(t, vif_rate_limited(&r));
	T_EQ(t, vif_rate_parse("062500,050000", &r), 0);	/* as Linux */
	T_EQ(t, r.vr_bytes, 62500);
	T_EQ(t, r.vr_usec, 50000);
	T_EQ(t, vif_rate_parse("18446744073709551615,4294967295", &r), 0);
	T_TRUE(t, r.vr_bytes == UINT64_MAX);
	T_TRUE(t, r.vr_usec == UINT32_MAX);
	T_EQ(t, vif_rate_parse("0,0", &r), 0);
	T_TRUE(t, !vif_rate_limited(&r));
	T_EQ(t, vif_rate_parse("5000,0", &r), 0);	/* no interval: none */
	T_TRUE(t, !vif_rate_limited(&r));
	T_EQ(t, vif_rate_parse("0,50000", &r), 0);	/* a rate of nothing */
	T_TRUE(t, vif_rate_limited(&r));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.vr_bytes = r.vr_usec = 7;
		if (!T_TRUE(t, vif_rate_parse(bad[i], &r) < 0))
			t_check(t, false, __FILE__, __LINE__, "accepted \"%s\"",
			    bad[i]);
		T_TRUE(t, r.vr_bytes == 7 && r.vr_usec == 7);	/* untouched */
	}
}

static void
t_format_equal(struct t_ctx *t)
{
	struct vif_rate none = { 0, 0 }, none2 = { 5, 0 }, r = { 62500, 40000 };
	char s[96];

	vif_rate_format(&r10, s, sizeof(s));
	T_STREQ(t, s, "62500 bytes every 50000 us (10 Mbit/s)");
	vif_rate_format(&none, s, sizeof(s));
	T_STREQ(t, s, "unlimited");
	T_TRUE(t, vif_rate_equal(&none, &none2));	/* both unlimited */
	T_TRUE(t, vif_rate_equal(&r10, &r10));
	T_TRUE(t, !vif_rate_equal(&r10, &r));
	T_TRUE(t, !vif_rate_equal(&r10, &none));
}

static void
t_spend(struct t_ctx *t)
{
	struct vif_credit c;
	uint64_t now = 1000000;
	int i;

	vif_credit_start(&c, &r10, now);
	T_EQ(t, c.vc_left, 62500);		/* one interval's at once */
	for (i = 0; i < 41; i++)
		T_EQ(t, vif_credit_take(&c, 1500, now), 0);
	T_EQ(t, c.vc_left, 1000);
	/* Too big for what is left: wait for the next interval, spend none. */
	T_EQ(t, vif_credit_take(&c, 1500, now), 50000);
	T_EQ(t, vif_credit_take(&c, 1500, now + 20000), 30000);
	T_EQ(t, c.vc_left, 1000);
	T_EQ(t, vif_credit_take(&c, 1000, now), 0);	/* exactly what is left */
	T_EQ(t, c.vc_left, 0);
	/* The interval begins: its credit. */
	T_EQ(t, vif_credit_take(&c, 1500, now + 50000), 0);
	T_EQ(t, c.vc_left, 61000);
	/* A frame larger than an interval's credit waits for several. */
	vif_credit_start(&c, &(struct vif_rate){ 1000, 1000 }, now);
	T_EQ(t, vif_credit_take(&c, 65535, now), 1000 + 64 * 1000);
	T_EQ(t, vif_credit_take(&c, 65535, now + 64999), 1);
	T_EQ(t, vif_credit_take(&c, 65535, now + 65000), 0);
	T_EQ(t, c.vc_left, 66000 - 65535);
}

/* Idle time piles credit up to the burst, no more; a late caller loses none. */
static void
t_burst(struct t_ctx *t)
{
	struct vif_credit c;
	struct vif_rate big = { 200000, 50000 }, huge = { UINT64_MAX, 1 };
	uint64_t now = 5000;

	vif_credit_start(&c, &r10, now);
	T_EQ(t, vif_credit_take(&c, 0, now + 10000000), 0);	/* 10 s idle */
	T_EQ(t, c.vc_left, VIF_RATE_BURST_MIN);
	T_EQ(t, vif_credit_take(&c, 65535, now + 10000000), 0);
	T_EQ(t, vif_credit_take(&c, 65535, now + 10000000), 0);
	T_TRUE(t, vif_credit_take(&c, 65535, now + 10000000) > 0);
	/* The largest frame fits the burst of any rate. */
	_Static_assert(VIF_RATE_BURST_MIN >= VIF_RATE_FRAME_MAX,
	    "a frame fits the burst");
	/* Above: an interval's credit and a frame. */
	vif_credit_start(&c, &big, now);
	T_EQ(t, vif_credit_take(&c, 0, now + 10000000), 0);
	T_EQ(t, c.vc_left, 200000 + 65535);
	/* A frame that waits loses nothing of what was left to the burst. */
	vif_credit_start(&c, &(struct vif_rate){ 125000, 50000 }, now);
	T_EQ(t, vif_credit_take(&c, 65535, now), 0);
	T_EQ(t, vif_credit_take(&c, 65535, now), 50000);
	T_EQ(t, vif_credit_take(&c, 65535, now + 50000), 0);
	T_EQ(t, c.vc_left, 125000 - 65535 + 125000 - 65535);
	/* 3.5 intervals late: the 4 begun meanwhile. */
	vif_credit_start(&c, &(struct vif_rate){ 1000, 1000 }, now);
	c.vc_left = 0;
	T_EQ(t, vif_credit_take(&c, 0, now + 1000 + 3500), 0);
	T_EQ(t, c.vc_left, 4000);
	T_EQ(t, c.vc_next_us, now + 5000);
	/* A rate so large that the credit would wrap: it saturates. */
	vif_credit_start(&c, &huge, now);
	T_EQ(t, vif_credit_take(&c, 65535, now + 1000000), 0);
	T_TRUE(t, c.vc_left == UINT64_MAX - 65535);
	T_EQ(t, vif_credit_take(&c, 65535, now + 3000000), 0);
	/* A cost above the burst (a superframe of tiny segments) goes once
	 * the bucket is full, charged the burst: it once waited for ever. */
	vif_credit_start(&c, &r10, now);
	T_TRUE(t, vif_credit_take(&c, 4000000, now) > 0);
	T_EQ(t, vif_credit_take(&c, 4000000, now + 10000000), 0);
	T_EQ(t, c.vc_left, 0);
}

static void
t_none_and_nothing(struct t_ctx *t)
{
	struct vif_credit c;
	struct vif_rate none = { 0, 0 }, zero = { 0, 50000 };
	int i;

	vif_credit_start(&c, &none, 0);
	for (i = 0; i < 1000; i++)
		T_EQ(t, vif_credit_take(&c, 65535, 0), 0);
	vif_credit_start(&c, &zero, 0);
	T_TRUE(t, vif_credit_take(&c, 60, 0) == VIF_CREDIT_NEVER);
	T_TRUE(t, vif_credit_take(&c, 60, 3600000000ull) == VIF_CREDIT_NEVER);
	T_EQ(t, c.vc_left, 0);
}

static void
t_wait_ms(struct t_ctx *t)
{
	T_EQ(t, vif_credit_wait_ms(1), 2);
	T_EQ(t, vif_credit_wait_ms(999), 2);
	T_EQ(t, vif_credit_wait_ms(1000), 2);
	T_EQ(t, vif_credit_wait_ms(1001), 3);
	T_EQ(t, vif_credit_wait_ms(50000), 51);
	T_EQ(t, vif_credit_wait_ms(59999000), 60000);
	T_EQ(t, vif_credit_wait_ms(VIF_CREDIT_NEVER - 1), 60000);
}

/*
 * A sender that always has a frame, and waits as vif_tx.c does (whole
 * milliseconds, one more for the loop's clock, vif_credit_wait_ms):
 * what it sends over 5 s is the rate's.
 */
static void
t_long_run(struct t_ctx *t)
{
	static const struct vif_rate rates[] = { { 62500, 50000 },
	    { 125000, 50000 }, { 1250, 1000 }, { 6250, 100 } };
	static const uint32_t frames[] = { 1514, 65535, 60 };
	struct vif_credit c;
	uint64_t start = 123456, now, sent, want, w;
	size_t i, j;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		for (j = 0; j < sizeof(frames) / sizeof(frames[0]); j++) {
			vif_credit_start(&c, &rates[i], start);
			for (now = start, sent = 0; now < start + 5000000;) {
				if ((w = vif_credit_take(&c, frames[j], now)) == 0)
					sent += frames[j];
				else
					now += vif_credit_wait_ms(w) * 1000ull;
			}
			/* Within half a percent, a frame and an interval. */
			want = rates[i].vr_bytes * 5000000 / rates[i].vr_usec;
			if (!T_TRUE(t, sent + want / 200 + frames[j] +
			    rates[i].vr_bytes >= want &&
			    sent <= want + VIF_RATE_BURST_MIN + frames[j]))
				t_check(t, false, __FILE__, __LINE__,
				    "rate %llu/%lu frame %lu: sent %llu, want %llu",
				    (unsigned long long)rates[i].vr_bytes,
				    (unsigned long)rates[i].vr_usec,
				    (unsigned long)frames[j],
				    (unsigned long long)sent,
				    (unsigned long long)want);
		}
}

const struct t_case t_cases[] = {
	{ "rate key parsing", t_parse },
	{ "rate formatting and comparison", t_format_equal },
	{ "credit spent, waited for", t_spend },
	{ "credit piles up to the burst, saturating", t_burst },
	{ "no limit, and a rate of nothing", t_none_and_nothing },
	{ "waits in whole milliseconds", t_wait_ms },
	{ "long-run rate as the worker waits", t_long_run },
	{ NULL, NULL }
};
