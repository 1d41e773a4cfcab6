/*
 * t_hvsim_grant.c -- the simulated hypervisor's grant tables: the
 * grant-copy permission matrix (exact GNTST_* and whether data moved),
 * pins against revocation, maps shared between processes, and the same
 * through hv_sim_ops on a running `xvif-sim host`.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hv.h"
#include "hvsim.h"
#include "t.h"
#include "t_proc.h"
#include "t_sim.h"

#define GPAGES	8u

/* A host directory with dom0 and one guest, both opened. */
struct tg {
	const char		*tg_dir;
	domid_t			 tg_gid;
	struct hvsim_dom	*tg_be;		/* dom0: the backend */
	struct hvsim_dom	*tg_fe;		/* the guest */
};

static bool
tg_setup(struct t_ctx *t, struct tg *tg)
{
	memset(tg, 0, sizeof(*tg));
	tg->tg_dir = t_tmpdir(t);
	if (!T_EQ(t, hvsim_host_init(tg->tg_dir), 0))
		return false;
	if (!T_EQ(t, hvsim_domain_create(tg->tg_dir, GPAGES, &tg->tg_gid), 0))
		return false;
	if (!T_EQ(t, hvsim_open(tg->tg_dir, 0, &tg->tg_be), 0))
		return false;
	return T_EQ(t, hvsim_open(tg->tg_dir, tg->tg_gid, &tg->tg_fe), 0);
}

static void
tg_teardown(struct tg *tg)
{
	hvsim_close(tg->tg_fe);
	hvsim_close(tg->tg_be);
}

static void
fill(void *p, int c, size_t n)
{
	memset(p, c, n);
}

static bool
all(const void *p, int c, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != (unsigned char)c)
			return false;
	return true;
}

/* One-segment copy; returns the segment's status. */
static int
copy1(struct tg *tg, enum hv_dir dir, grant_ref_t ref, uint16_t off,
    uint16_t len, void *buf, int *rc)
{
	struct hv_gcopy gc = { .gc_ref = ref, .gc_off = off, .gc_len = len,
	    .gc_buf = buf, .gc_status = 99 };

	*rc = hvsim_gnt_copy(tg->tg_be, tg->tg_gid, dir, &gc, 1);
	return gc.gc_status;
}

static void
t_copy_ok_both(struct t_ctx *t)
{
	struct tg tg;
	uint8_t buf[4096], *pg;
	int rc;

	if (!tg_setup(t, &tg))
		goto out;
	pg = hvsim_page(tg.tg_fe, 3);
	T_REQUIRE(t, pg != NULL);
	fill(pg, 0x11, 4096);
	T_EQ(t, hvsim_grant(tg.tg_fe, 5, 0, 3, false), 0);
	fill(buf, 0, sizeof(buf));
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 5, 100, 200, buf, &rc), GNTST_okay);
	T_EQ(t, rc, 0);
	T_TRUE(t, all(buf, 0x11, 200) && all(buf + 200, 0, 100));
	fill(buf, 0x22, 50);
	T_EQ(t, copy1(&tg, HV_TO_GUEST, 5, 1000, 50, buf, &rc), GNTST_okay);
	T_TRUE(t, all(pg + 1000, 0x22, 50));
	T_TRUE(t, all(pg + 999, 0x11, 1) && all(pg + 1050, 0x11, 1));
	/* A whole page, and the pins are gone after the copies. */
	fill(buf, 0x33, 4096);
	T_EQ(t, copy1(&tg, HV_TO_GUEST, 5, 0, 4096, buf, &rc), GNTST_okay);
	T_TRUE(t, all(pg, 0x33, 4096));
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 5), 0);
out:
	tg_teardown(&tg);
}

static void
t_copy_not_granted(struct t_ctx *t)
{
	struct tg tg;
	uint8_t buf[64], *pg;
	int rc;

	if (!tg_setup(t, &tg))
		goto out;
	pg = hvsim_page(tg.tg_fe, 1);
	fill(pg, 0x44, 4096);
	fill(buf, 0xaa, sizeof(buf));
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 6, 0, 64, buf, &rc),
	    GNTST_general_error);
	T_TRUE(t, all(buf, 0xaa, 64));
	T_EQ(t, copy1(&tg, HV_TO_GUEST, 6, 0, 64, buf, &rc),
	    GNTST_general_error);
	T_TRUE(t, all(pg, 0x44, 4096));
out:
	tg_teardown(&tg);
}

static void
t_copy_other_domain(struct t_ctx *t)
{
	struct tg tg;
	uint8_t buf[64], *pg;
	int rc;

	if (!tg_setup(t, &tg))
		goto out;
	pg = hvsim_page(tg.tg_fe, 2);
	fill(pg, 0x55, 4096);
	T_EQ(t, hvsim_grant(tg.tg_fe, 7, 7, 2, false), 0);	/* to dom7 */
	fill(buf, 0xaa, sizeof(buf));
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 7, 0, 64, buf, &rc),
	    GNTST_general_error);
	T_TRUE(t, all(buf, 0xaa, 64));
	T_EQ(t, copy1(&tg, HV_TO_GUEST, 7, 0, 64, buf, &rc),
	    GNTST_general_error);
	T_TRUE(t, all(pg, 0x55, 4096));
out:
	tg_teardown(&tg);
}

static void
t_copy_revoked(struct t_ctx *t)
{
	struct tg tg;
	uint8_t buf[64], *pg;
	int rc;

	if (!tg_setup(t, &tg))
		goto out;
	pg = hvsim_page(tg.tg_fe, 2);
	fill(pg, 0x66, 4096);
	T_EQ(t, hvsim_grant(tg.tg_fe, 9, 0, 2, false), 0);
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 9, 0, 64, buf, &rc), GNTST_okay);
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 9), 0);
	fill(buf, 0xaa, sizeof(buf));
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 9, 0, 64, buf, &rc),
	    GNTST_general_error);
	T_TRUE(t, all(buf, 0xaa, 64));
	T_EQ(t, copy1(&tg, HV_TO_GUEST, 9, 0, 64, buf, &rc),
	    GNTST_general_error);
	T_TRUE(t, all(pg, 0x66, 4096));
out:
	tg_teardown(&tg);
}

static void
t_copy_readonly(struct t_ctx *t)
{
	struct tg tg;
	uint8_t buf[64], *pg;
	int rc;

	if (!tg_setup(t, &tg))
		goto out;
	pg = hvsim_page(tg.tg_fe, 4);
	fill(pg, 0x77, 4096);
	T_EQ(t, hvsim_grant(tg.tg_fe, 10, 0, 4, true), 0);
	fill(buf, 0xaa, sizeof(buf));
	T_EQ(t, copy1(&tg, HV_TO_GUEST, 10, 0, 64, buf, &rc),
	    GNTST_general_error);
	T_TRUE(t, all(pg, 0x77, 4096));
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 10, 8, 64, buf, &rc), GNTST_okay);
	T_TRUE(t, all(buf, 0x77, 64));
	/* A failed write pin leaves no flag behind. */
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 10), 0);
out:
	tg_teardown(&tg);
}

static void
t_copy_bad_ref(struct t_ctx *t)
{
	struct tg tg;
	uint8_t buf[64];
	int rc;

	if (!tg_setup(t, &tg))
		goto out;
	fill(buf, 0xaa, sizeof(buf));
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, hvsim_nr_grants(tg.tg_fe), 0, 64,
	    buf, &rc), GNTST_bad_gntref);
	T_EQ(t, copy1(&tg, HV_TO_GUEST, 0xffffffffu, 0, 64, buf, &rc),
	    GNTST_bad_gntref);
	T_TRUE(t, all(buf, 0xaa, 64));
	T_EQ(t, hvsim_grant(tg.tg_fe, hvsim_nr_grants(tg.tg_fe), 0, 0, false),
	    -EINVAL);
out:
	tg_teardown(&tg);
}

static void
t_copy_past_page(struct t_ctx *t)
{
	struct tg tg;
	uint8_t buf[4096], *pg;
	int rc;

	if (!tg_setup(t, &tg))
		goto out;
	pg = hvsim_page(tg.tg_fe, 0);
	fill(pg, 0x12, 4096);
	T_EQ(t, hvsim_grant(tg.tg_fe, 11, 0, 0, false), 0);
	fill(buf, 0xaa, sizeof(buf));
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 11, 4000, 200, buf, &rc),
	    GNTST_bad_copy_arg);
	T_TRUE(t, all(buf, 0xaa, 200));
	T_EQ(t, copy1(&tg, HV_TO_GUEST, 11, 1, 4096, buf, &rc),
	    GNTST_bad_copy_arg);
	T_TRUE(t, all(pg, 0x12, 4096));
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 11, 4000, 96, buf, &rc), GNTST_okay);
	T_TRUE(t, all(buf, 0x12, 96));
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 11), 0);
out:
	tg_teardown(&tg);
}

static void
t_copy_bad_frame(struct t_ctx *t)
{
	struct tg tg;
	uint8_t buf[64];
	int rc;

	if (!tg_setup(t, &tg))
		goto out;
	T_EQ(t, hvsim_npages(tg.tg_fe), GPAGES);
	T_TRUE(t, hvsim_page(tg.tg_fe, GPAGES) == NULL);
	T_EQ(t, hvsim_grant(tg.tg_fe, 12, 0, GPAGES, false), 0);
	T_EQ(t, hvsim_grant(tg.tg_fe, 13, 0, 0xfffffff0u, true), 0);
	fill(buf, 0xaa, sizeof(buf));
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 12, 0, 64, buf, &rc),
	    GNTST_bad_page);
	T_EQ(t, copy1(&tg, HV_TO_GUEST, 12, 0, 64, buf, &rc), GNTST_bad_page);
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 13, 0, 64, buf, &rc),
	    GNTST_bad_page);
	T_TRUE(t, all(buf, 0xaa, 64));
	/* The flags set while checking were cleared again. */
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 12), 0);
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 13), 0);
out:
	tg_teardown(&tg);
}

static void
t_copy_dead_domain(struct t_ctx *t)
{
	struct tg tg;
	struct hv_gcopy gc;
	uint8_t buf[64];
	int rc;

	if (!tg_setup(t, &tg))
		goto out;
	T_EQ(t, hvsim_grant(tg.tg_fe, 1, 0, 1, false), 0);
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 1, 0, 64, buf, &rc), GNTST_okay);
	/* Destroyed while we still hold a view of it from the copy above. */
	T_EQ(t, hvsim_domain_destroy(tg.tg_dir, tg.tg_gid), 0);
	fill(buf, 0xaa, sizeof(buf));
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 1, 0, 64, buf, &rc),
	    GNTST_bad_domain);
	T_EQ(t, rc, 0);
	T_TRUE(t, all(buf, 0xaa, 64));
	/* Never existed. */
	gc = (struct hv_gcopy){ .gc_ref = 1, .gc_len = 64, .gc_buf = buf };
	T_EQ(t, hvsim_gnt_copy(tg.tg_be, 999, HV_TO_GUEST, &gc, 1), 0);
	T_EQ(t, gc.gc_status, GNTST_bad_domain);
	T_EQ(t, hvsim_gnt_map(tg.tg_be, tg.tg_gid, 1, &(void *){ NULL }),
	    -ESRCH);
out:
	tg_teardown(&tg);
}

static void
t_copy_batch_mixed(struct t_ctx *t)
{
	struct tg tg;
	uint8_t b[6][128], *p0, *p1;
	struct hv_gcopy gc[6];
	int i;

	if (!tg_setup(t, &tg))
		goto out;
	p0 = hvsim_page(tg.tg_fe, 5);
	p1 = hvsim_page(tg.tg_fe, 6);
	fill(p0, 0x50, 4096);
	fill(p1, 0x60, 4096);
	T_EQ(t, hvsim_grant(tg.tg_fe, 20, 0, 5, false), 0);
	T_EQ(t, hvsim_grant(tg.tg_fe, 21, 0, 6, false), 0);
	T_EQ(t, hvsim_grant(tg.tg_fe, 22, 0, 6, true), 0);
	for (i = 0; i < 6; i++)
		fill(b[i], 0xa0 + i, 128);
	gc[0] = (struct hv_gcopy){ 20, 0, 128, b[0], 99 };	/* good */
	gc[1] = (struct hv_gcopy){ 99999, 0, 128, b[1], 99 };	/* bad ref */
	gc[2] = (struct hv_gcopy){ 21, 128, 128, b[2], 99 };	/* good */
	gc[3] = (struct hv_gcopy){ 23, 0, 128, b[3], 99 };	/* not granted */
	gc[4] = (struct hv_gcopy){ 20, 4000, 128, b[4], 99 };	/* past page */
	gc[5] = (struct hv_gcopy){ 22, 256, 0, b[5], 99 };	/* empty: ok */
	T_EQ(t, hvsim_gnt_copy(tg.tg_be, tg.tg_gid, HV_FROM_GUEST, gc, 6), 0);
	T_EQ(t, gc[0].gc_status, GNTST_okay);
	T_EQ(t, gc[1].gc_status, GNTST_bad_gntref);
	T_EQ(t, gc[2].gc_status, GNTST_okay);
	T_EQ(t, gc[3].gc_status, GNTST_general_error);
	T_EQ(t, gc[4].gc_status, GNTST_bad_copy_arg);
	T_EQ(t, gc[5].gc_status, GNTST_okay);
	T_TRUE(t, all(b[0], 0x50, 128));
	T_TRUE(t, all(b[1], 0xa1, 128));
	T_TRUE(t, all(b[2], 0x60, 128));
	T_TRUE(t, all(b[3], 0xa3, 128));
	T_TRUE(t, all(b[4], 0xa4, 128));
	/* The other direction: the read-only one fails, the rest lands. */
	for (i = 0; i < 6; i++)
		fill(b[i], 0xb0 + i, 128);
	gc[0] = (struct hv_gcopy){ 20, 64, 128, b[0], 99 };
	gc[1] = (struct hv_gcopy){ 22, 0, 128, b[1], 99 };	/* r/o */
	gc[2] = (struct hv_gcopy){ 21, 512, 128, b[2], 99 };
	T_EQ(t, hvsim_gnt_copy(tg.tg_be, tg.tg_gid, HV_TO_GUEST, gc, 3), 0);
	T_EQ(t, gc[0].gc_status, GNTST_okay);
	T_EQ(t, gc[1].gc_status, GNTST_general_error);
	T_EQ(t, gc[2].gc_status, GNTST_okay);
	T_TRUE(t, all(p0 + 64, 0xb0, 128) && all(p0, 0x50, 64));
	T_TRUE(t, all(p1, 0x60, 512) && all(p1 + 512, 0xb2, 128));
out:
	tg_teardown(&tg);
}

static void
t_map_pins(struct t_ctx *t)
{
	struct tg tg;
	void *m = NULL, *m2 = NULL;
	uint8_t *pg, buf[16];
	int rc;

	if (!tg_setup(t, &tg))
		goto out;
	pg = hvsim_page(tg.tg_fe, 7);
	T_EQ(t, hvsim_grant(tg.tg_fe, 30, 0, 7, false), 0);
	T_REQUIRE(t, hvsim_gnt_map(tg.tg_be, tg.tg_gid, 30, &m) == 0);
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 30), -EBUSY);
	/* Two maps of one grant: two pins. */
	T_EQ(t, hvsim_gnt_map(tg.tg_be, tg.tg_gid, 30, &m2), 0);
	strcpy((char *)pg, "guest wrote");
	T_STREQ(t, (char *)m, "guest wrote");
	strcpy((char *)m2 + 100, "backend wrote");
	T_STREQ(t, (char *)pg + 100, "backend wrote");
	/* A copy while mapped works and leaves the map's pin. */
	T_EQ(t, copy1(&tg, HV_FROM_GUEST, 30, 0, 5, buf, &rc), GNTST_okay);
	T_EQ(t, hvsim_gnt_unmap(tg.tg_be, m), 0);
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 30), -EBUSY);
	T_EQ(t, hvsim_gnt_unmap(tg.tg_be, m2), 0);
	T_EQ(t, hvsim_gnt_unmap(tg.tg_be, m2), -EINVAL);
	T_EQ(t, hvsim_gnt_unmap(tg.tg_be, buf), -EINVAL);
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 30), 0);
	/* No map of what is not granted, read-only, or out of range. */
	T_EQ(t, hvsim_gnt_map(tg.tg_be, tg.tg_gid, 30, &m), -EPERM);
	T_EQ(t, hvsim_grant(tg.tg_fe, 31, 0, 7, true), 0);
	T_EQ(t, hvsim_gnt_map(tg.tg_be, tg.tg_gid, 31, &m), -EPERM);
	T_EQ(t, hvsim_gnt_map(tg.tg_be, tg.tg_gid, 1u << 30, &m), -EINVAL);
	T_EQ(t, hvsim_grant(tg.tg_fe, 32, 0, GPAGES + 1, false), 0);
	T_EQ(t, hvsim_gnt_map(tg.tg_be, tg.tg_gid, 32, &m), -EFAULT);
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 31), 0);
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 32), 0);
	/* hvsim_close releases a map still held. */
	T_EQ(t, hvsim_grant(tg.tg_fe, 33, 0, 7, false), 0);
	T_EQ(t, hvsim_gnt_map(tg.tg_be, tg.tg_gid, 33, &m), 0);
	hvsim_close(tg.tg_be);
	tg.tg_be = NULL;
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 33), 0);
out:
	tg_teardown(&tg);
}

/* -- Between processes. -- */

/* The guest process: grant, write, let the backend read and answer. */
static int
map_guest(const char *dir, domid_t gid, int rfd, int wfd)
{
	struct hvsim_dom *fe;
	uint32_t v;
	char *pg;
	int ok = 1;

	if (hvsim_open(dir, gid, &fe) < 0)
		return 2;
	pg = hvsim_page(fe, 2);
	strcpy(pg, "ping from the guest");
	if (hvsim_grant(fe, 40, 0, 2, false) < 0 || !t_tx_u32(wfd, 40))
		return 3;
	if (!t_rx_u32(rfd, &v, 5000) || v != 1)
		return 4;
	if (strcmp(pg + 2048, "pong from the backend") != 0)
		ok = 0;
	if (hvsim_grant_end(fe, 40) != -EBUSY)	/* still mapped */
		ok = 0;
	if (!t_tx_u32(wfd, 2) || !t_rx_u32(rfd, &v, 5000) || v != 3)
		return 5;
	if (hvsim_grant_end(fe, 40) != 0)	/* unmapped now */
		ok = 0;
	hvsim_close(fe);
	return ok ? 0 : 6;
}

static void
t_map_two_processes(struct t_ctx *t)
{
	const char *dir = t_tmpdir(t);
	struct hvsim_dom *be = NULL;
	int to_child[2] = { -1, -1 }, to_parent[2] = { -1, -1 };
	domid_t gid;
	uint32_t ref, v;
	void *m = NULL;
	pid_t pid = -1;

	signal(SIGPIPE, SIG_IGN);	/* a dead child fails, not kills, us */
	T_REQUIRE(t, hvsim_host_init(dir) == 0);
	T_REQUIRE(t, hvsim_domain_create(dir, GPAGES, &gid) == 0);
	T_REQUIRE(t, pipe(to_child) == 0 && pipe(to_parent) == 0);
	if ((pid = fork()) == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		_exit(map_guest(dir, gid, to_child[0], to_parent[1]));
	}
	close(to_child[0]);
	close(to_parent[1]);
	if (!T_TRUE(t, pid > 0) || !T_EQ(t, hvsim_open(dir, 0, &be), 0))
		goto out;
	if (!T_TRUE(t, t_rx_u32(to_parent[0], &ref, 5000)))
		goto out;
	if (!T_EQ(t, hvsim_gnt_map(be, gid, ref, &m), 0))
		goto out;
	T_STREQ(t, (char *)m, "ping from the guest");
	strcpy((char *)m + 2048, "pong from the backend");
	T_TRUE(t, t_tx_u32(to_child[1], 1));
	T_TRUE(t, t_rx_u32(to_parent[0], &v, 5000) && v == 2);
	T_EQ(t, hvsim_gnt_unmap(be, m), 0);
	T_TRUE(t, t_tx_u32(to_child[1], 3));
out:
	if (pid > 0)
		T_EQ(t, t_reap(pid, 5000), 0);
	hvsim_close(be);
	close(to_child[1]);
	close(to_parent[0]);
}

/*
 * A revoke racing with copies from another process: hvsim_grant_end may
 * succeed only while no copy holds a pin, so once it has succeeded the
 * page must not change (until the next grant), however busy the copier.
 */
static void
t_copy_races_revoke(struct t_ctx *t)
{
	struct tg tg;
	uint8_t snap[256], buf[256], *pg;
	pid_t pid;
	int i, j, rc, status = 0, revoked = 0, changed = 0;

	if (!tg_setup(t, &tg))
		goto out;
	pg = hvsim_page(tg.tg_fe, 3);
	T_EQ(t, hvsim_grant(tg.tg_fe, 50, 0, 3, false), 0);
	if ((pid = fork()) == 0) {
		struct hvsim_dom *be2;
		struct hv_gcopy gc;
		int okays = 0;

		if (hvsim_open(tg.tg_dir, 0, &be2) < 0)
			_exit(2);
		/* Until 5000 copies got through, or 2 million tries. */
		for (i = 0; i < 2000000 && okays < 5000; i++) {
			if (i % 16 == 0)
				sched_yield();	/* let the revoker in */
			memset(buf, i & 0xff, sizeof(buf));
			gc = (struct hv_gcopy){ 50, 0, 256, buf, 99 };
			hvsim_gnt_copy(be2, tg.tg_gid, HV_TO_GUEST, &gc, 1);
			if (gc.gc_status == GNTST_okay)
				okays++;
			else if (gc.gc_status != GNTST_general_error)
				_exit(3);
		}
		_exit(okays > 0 ? 0 : 4);
	}
	T_REQUIRE(t, pid > 0);
	for (i = 0; i < 20000000; i++) {
		if (i % 64 == 0) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				pid = -1;
				break;
			}
			if (copy1(&tg, HV_FROM_GUEST, 50, 0, 16, buf, &rc) ==
			    GNTST_okay)
				T_EQ(t, rc, 0);
		}
		if (hvsim_grant_end(tg.tg_fe, 50) != 0)
			continue;
		revoked++;
		memcpy(snap, pg, sizeof(snap));
		for (j = 0; j < 20; j++)
			sched_yield();
		if (memcmp(snap, pg, sizeof(snap)) != 0)
			changed++;
		T_EQ(t, hvsim_grant(tg.tg_fe, 50, 0, 3, false), 0);
		for (j = 0; j < 20; j++)
			sched_yield();		/* let the copier in */
	}
	if (pid > 0) {
		rc = t_reap(pid, 60000);
		T_EQ(t, rc, 0);
	} else {
		T_EQ(t, status, 0);	/* the child's: exit status << 8 */
	}
	T_TRUE(t, revoked > 0);
	T_EQ(t, changed, 0);
	/* Quiet now: no pin was leaked by either process. */
	T_EQ(t, hvsim_grant_end(tg.tg_fe, 50), 0);
out:
	tg_teardown(&tg);
}

/* -- Through the port, on a running host (xvif-sim host). -- */

static void
t_hv_sim_ops(struct t_ctx *t)
{
	struct t_sim ts;
	struct hv_cfg cfg = { 0 };
	struct hvsim_dom *fe = NULL;
	struct hv *hv = NULL;
	struct hv_gcopy gc[2];
	uint8_t buf[2][64], *pg;
	domid_t gid;
	void *m = NULL;

	if (!t_sim_host_start(t, &ts))
		return;
	cfg.hc_self = 0;
	cfg.hc_sim_dir = ts.ts_dir;
	if (!T_EQ(t, hv_open(&hv_sim_ops, &cfg, &hv), 0))
		goto out;
	T_EQ(t, hv->hv_self, 0);
	if (!T_EQ(t, hvsim_domain_create(ts.ts_dir, GPAGES, &gid), 0) ||
	    !T_EQ(t, hvsim_open(ts.ts_dir, gid, &fe), 0))
		goto out;
	pg = hvsim_page(fe, 1);
	fill(pg, 0x5a, 4096);
	T_EQ(t, hvsim_grant(fe, 3, 0, 1, false), 0);
	fill(buf[0], 0, 64);
	fill(buf[1], 0, 64);
	gc[0] = (struct hv_gcopy){ 3, 10, 64, buf[0], 99 };
	gc[1] = (struct hv_gcopy){ 4, 10, 64, buf[1], 99 };
	T_EQ(t, hv_gnt_copy(hv, gid, HV_FROM_GUEST, gc, 2), 0);
	T_EQ(t, gc[0].gc_status, GNTST_okay);
	T_EQ(t, gc[1].gc_status, GNTST_general_error);
	T_TRUE(t, all(buf[0], 0x5a, 64) && all(buf[1], 0, 64));
	T_STREQ(t, hv_gntst_str(gc[1].gc_status), "GNTST_general_error");
	if (T_EQ(t, hv_gnt_map(hv, gid, 3, &m), 0)) {
		T_EQ(t, hvsim_grant_end(fe, 3), -EBUSY);
		((uint8_t *)m)[7] = 0x77;
		T_EQ(t, pg[7], 0x77);
		T_EQ(t, hv_gnt_unmap(hv, m), 0);
		T_EQ(t, hvsim_grant_end(fe, 3), 0);
	}
	/* A map still held is released by hv_close. */
	T_EQ(t, hvsim_grant(fe, 5, 0, 1, false), 0);
	T_EQ(t, hv_gnt_map(hv, gid, 5, &m), 0);
	hv_close(hv);
	hv = NULL;
	T_EQ(t, hvsim_grant_end(fe, 5), 0);
out:
	hv_close(hv);
	hvsim_close(fe);
	t_sim_host_stop(t, &ts);
}

static void
t_hv_sim_open_errors(struct t_ctx *t)
{
	struct hv_cfg cfg = { 0 };
	struct hv *hv = NULL;
	char dir[300];

	/* No directory given. */
	T_EQ(t, hv_open(&hv_sim_ops, &cfg, &hv), -EINVAL);
	T_TRUE(t, hv == NULL);
	/* A host directory without a XenStore: the connect fails. */
	snprintf(dir, sizeof(dir), "%s", t_tmpdir(t));
	cfg.hc_sim_dir = dir;
	T_TRUE(t, hv_open(&hv_sim_ops, &cfg, &hv) < 0);
	T_TRUE(t, hv == NULL);
	/* A guest that does not exist. */
	cfg.hc_self = 42;
	T_EQ(t, hv_open(&hv_sim_ops, &cfg, &hv), -ESRCH);
}

const struct t_case t_cases[] = {
	{ "copy granted both directions", t_copy_ok_both },
	{ "copy not granted", t_copy_not_granted },
	{ "copy granted to another domain", t_copy_other_domain },
	{ "copy after revoke", t_copy_revoked },
	{ "copy read-only grant", t_copy_readonly },
	{ "copy ref out of range", t_copy_bad_ref },
	{ "copy past the page", t_copy_past_page },
	{ "copy frame out of range", t_copy_bad_frame },
	{ "copy dying or unknown domain", t_copy_dead_domain },
	{ "copy batch mixing good and bad", t_copy_batch_mixed },
	{ "map pins the grant", t_map_pins },
	{ "map shared between processes", t_map_two_processes },
	{ "revoke racing copies of another process", t_copy_races_revoke },
	{ "hv_sim_ops on a running host", t_hv_sim_ops },
	{ "hv_sim_ops open errors", t_hv_sim_open_errors },
	{ NULL, NULL },
};
