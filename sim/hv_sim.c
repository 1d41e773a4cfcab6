/*
 * hv_sim.c -- the hv port on the simulated host of xvif-sim: grants and
 * event channels through hvsim_*() (acting as domain cfg->hc_self in
 * cfg->hc_sim_dir), XenStore through the shared src/hv_xs.c on the
 * host's socket (DIR/xenstored.sock for dom0, DIR/xs-dom<N>.sock for N).
 * Owns one hvsim handle and one XenStore connection; its event-channel
 * handles (struct hv_evt) are the hvsim's extra ones.  No policy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "log.h"
#include "hvsim.h"
#include "sim.h"

struct hvsimhv {
	struct hv		 hs_hv;		/* first: see hv.h */
	struct hvsim_dom	*hs_dom;
#ifdef XVIFD_FAULTS
	int			 hs_fault;	/* -EFBIG, -EBADF, or 0 */
	unsigned long		 hs_fault_at;	/* at this read, of any handle */
	unsigned long		 hs_reads;	/* so far (atomic) */
#endif
};

static struct hvsim_dom *
hvsimhv_dom(struct hv *hv)
{
	return ((struct hvsimhv *)hv)->hs_dom;
}

static void
hvsimhv_close(struct hv *hv)
{
	struct hvsimhv *hs = (struct hvsimhv *)hv;

	hvsim_close(hs->hs_dom);	/* unmaps, unbinds, closes fds */
	hs->hs_dom = NULL;
	hv_xs_disconnect(hv);
	free(hs);
}

#ifdef XVIFD_FAULTS
/*
 * Fault point of the test build (xvifd-faults): XVIFD_TEST_EVT_FAULT=
 * lost:N -- the Nth read of an event-channel handle (any worker's)
 * drops the ports it took, left masked, and says -EFBIG, as Linux's
 * evtchn device does when its buffer overflows (and a reset clears);
 * broken:N -- from the Nth read on, every read fails with -EBADF and the
 * handle stays readable.  A value it cannot read stops the daemon.
 */
static void
hvsimhv_faults_init(struct hvsimhv *hs)
{
	const char *e = getenv("XVIFD_TEST_EVT_FAULT");
	char *end;

	if (e == NULL)
		return;
	if (strncmp(e, "lost:", 5) == 0)
		hs->hs_fault = -EFBIG;
	else if (strncmp(e, "broken:", 7) == 0)
		hs->hs_fault = -EBADF;
	errno = 0;
	if (hs->hs_fault != 0)
		hs->hs_fault_at = strtoul(strchr(e, ':') + 1, &end, 10);
	if (hs->hs_fault == 0 || errno != 0 || *end != '\0' ||
	    hs->hs_fault_at == 0)
		fatalx("XVIFD_TEST_EVT_FAULT=%s: want lost:N or broken:N, "
		    "N from 1", e);
	log_info("test build: event-channel reads fail (%s)", e);
}

/* The fault due at this read, or 0. */
static int
hvsimhv_fault(struct hv *hv)
{
	struct hvsimhv *hs = (struct hvsimhv *)hv;
	unsigned long n;

	if (hs->hs_fault == 0)
		return 0;
	n = __atomic_add_fetch(&hs->hs_reads, 1, __ATOMIC_RELAXED);
	if (n == hs->hs_fault_at || (n > hs->hs_fault_at &&
	    hs->hs_fault == -EBADF))
		return hs->hs_fault;
	return 0;
}
#else
#define hvsimhv_faults_init(hs)	((void)(hs))
#define hvsimhv_fault(hv)	((void)(hv), 0)
#endif

static int
hvsimhv_open(const struct hv_cfg *cfg, struct hv **out)
{
	struct hvsimhv *hs;
	char sock[512];
	int rc;

	if (cfg->hc_sim_dir == NULL)
		return -EINVAL;
	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return -ENOMEM;
	hs->hs_hv.hv_ops = &hv_sim_ops;
	hs->hs_hv.hv_self = cfg->hc_self;
	if ((rc = hvsim_open(cfg->hc_sim_dir, cfg->hc_self, &hs->hs_dom)) < 0)
		goto fail;
	if (cfg->hc_self == 0)
		snprintf(sock, sizeof(sock), "%s/" SIM_XS_SOCKET,
		    cfg->hc_sim_dir);
	else
		snprintf(sock, sizeof(sock), "%s/" SIM_XS_DOM_SOCKET,
		    cfg->hc_sim_dir, (unsigned int)cfg->hc_self);
	if ((rc = hv_xs_connect(&hs->hs_hv, sock)) < 0)
		goto fail;
	hvsimhv_faults_init(hs);
	*out = &hs->hs_hv;
	return 0;
fail:
	hvsimhv_close(&hs->hs_hv);
	return rc;
}

static int
hvsimhv_gnt_copy(struct hv *hv, domid_t dom, enum hv_dir dir,
    struct hv_gcopy *gc, unsigned int n)
{
	return hvsim_gnt_copy(hvsimhv_dom(hv), dom, dir, gc, n);
}

static int
hvsimhv_gnt_map(struct hv *hv, domid_t dom, grant_ref_t ref, void **page)
{
	return hvsim_gnt_map(hvsimhv_dom(hv), dom, ref, page);
}

static int
hvsimhv_gnt_unmap(struct hv *hv, void *page)
{
	return hvsim_gnt_unmap(hvsimhv_dom(hv), page);
}

/* A struct hv_evt is one more handle of the simulated evtchn device. */
static struct hvsim_evth *
hvsimhv_evth(struct hv_evt *e)
{
	return (struct hvsim_evth *)e;
}

static int
hvsimhv_evt_open(struct hv *hv, struct hv_evt **out)
{
	struct hvsim_evth *h;
	int rc;

	if ((rc = hvsim_evth_open(hvsimhv_dom(hv), &h)) < 0)
		return rc;
	*out = (struct hv_evt *)h;
	return 0;
}

static void
hvsimhv_evt_close(struct hv *hv, struct hv_evt *e)
{
	hvsim_evth_close(hvsimhv_dom(hv), hvsimhv_evth(e));
}

static int
hvsimhv_evt_bind(struct hv *hv, struct hv_evt *e, domid_t dom,
    uint32_t remote, uint32_t *local)
{
	return hvsim_evth_bind(hvsimhv_dom(hv), hvsimhv_evth(e), dom, remote,
	    local);
}

static int
hvsimhv_evt_unbind(struct hv *hv, struct hv_evt *e, uint32_t local)
{
	return hvsim_evth_unbind(hvsimhv_dom(hv), hvsimhv_evth(e), local);
}

static int
hvsimhv_evt_notify(struct hv *hv, struct hv_evt *e, uint32_t local)
{
	return hvsim_evth_notify(hvsimhv_dom(hv), hvsimhv_evth(e), local);
}

static int
hvsimhv_evt_fd(struct hv *hv, struct hv_evt *e)
{
	(void)hv;
	return hvsim_evth_fd(hvsimhv_evth(e));
}

static int
hvsimhv_evt_pending(struct hv *hv, struct hv_evt *e, uint32_t *ports,
    unsigned int max)
{
	int rc, fault;

	if ((fault = hvsimhv_fault(hv)) == -EBADF)
		return fault;
	rc = hvsim_evth_pending(hvsimhv_dom(hv), hvsimhv_evth(e), ports, max);
	return fault != 0 && rc >= 0 ? fault : rc;
}

static int
hvsimhv_evt_unmask(struct hv *hv, struct hv_evt *e, uint32_t port)
{
	return hvsim_evth_unmask(hvsimhv_dom(hv), hvsimhv_evth(e), port);
}

const struct hv_ops hv_sim_ops = {
	.name = "sim",
	.open = hvsimhv_open,
	.close = hvsimhv_close,
	HV_XS_OPS,
	.gnt_copy = hvsimhv_gnt_copy,
	.gnt_map = hvsimhv_gnt_map,
	.gnt_unmap = hvsimhv_gnt_unmap,
	.evt_open = hvsimhv_evt_open,
	.evt_close = hvsimhv_evt_close,
	.evt_bind = hvsimhv_evt_bind,
	.evt_unbind = hvsimhv_evt_unbind,
	.evt_notify = hvsimhv_evt_notify,
	.evt_fd = hvsimhv_evt_fd,
	.evt_pending = hvsimhv_evt_pending,
	.evt_unmask = hvsimhv_evt_unmask,
};
