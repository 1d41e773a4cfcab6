/*
 * hv_xen.c -- the hv port on real Xen: libxengnttab for grant copies and
 * ring maps, libxenevtchn for event channels, libxenstore (hv_xs.c) for
 * XenStore.  Owns the gnttab handle and the XenStore connection; each
 * struct hv_evt is one libxenevtchn handle (one open of the evtchn
 * device).  Knows nothing of vifs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xentoollog.h>
#include <xen/sys/evtchn.h>

#include "hv.h"
#include "log.h"

/*
 * The largest batch handed to one xengnttab_grant_copy() call.  Bigger
 * requests are split; gntdev itself issues one hypercall per 16 ops.
 */
#define HVXEN_COPY_BATCH	256

struct hvxen {
	struct hv			 hx_hv;		/* first: see hv.h */
	xengnttab_handle		*hx_gnt;
};

struct hv_evt {
	xenevtchn_handle		*he_xce;
};

/*
 * One call's batch, on the caller's stack: worker threads copy at the
 * same time (the handles themselves are fds, safe to share).
 */
struct hvxen_batch {
	xengnttab_grant_copy_segment_t	 b_segs[HVXEN_COPY_BATCH];
	struct hv_gcopy			*b_owner[HVXEN_COPY_BATCH]; /* borrowed */
};

static struct hvxen *
hvxen_of(struct hv *hv)
{
	return (struct hvxen *)hv;
}

static void
hvxen_close(struct hv *hv)
{
	struct hvxen *hx = hvxen_of(hv);

	if (hx->hx_gnt != NULL) {
		xengnttab_close(hx->hx_gnt);	/* also unmaps what is mapped */
		hx->hx_gnt = NULL;
	}
	hv_xs_disconnect(hv);
	free(hx);
}

/*
 * libxengnttab and libxenevtchn write their errors to standard error
 * unless given a logger: one line per failed grant map, say, whose refs
 * a guest chooses at every connect -- past every limit of ours, into
 * dom0's journal.  Given this one, their lines go through log.c: warnings
 * and errors at most HVXEN_LOG_BURST per HVXEN_LOG_INTERVAL (the next one
 * saying how many were held back), the rest at debug level.  Called from
 * any thread.
 */
#define HVXEN_LOG_INTERVAL	10	/* seconds */
#define HVXEN_LOG_BURST		10

static pthread_mutex_t	hvxen_log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct log_rate	hvxen_log_rate;

static void
hvxen_vmessage(struct xentoollog_logger *lg, xentoollog_level level,
    int errnoval, const char *context, const char *fmt, va_list ap)
{
	char msg[256], tag[32];
	int n;

	(void)lg;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnoval >= 0 && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
		    strerror(errnoval));
	snprintf(tag, sizeof(tag), "lib%s", context != NULL ? context : "xen");
	if (level < XTL_WARN) {
		log_debug("%s: %s", tag, msg);
		return;
	}
	pthread_mutex_lock(&hvxen_log_mu);
	if (log_ratecheck_burst(&hvxen_log_rate, HVXEN_LOG_INTERVAL,
	    HVXEN_LOG_BURST))
		log_warnx_rated(&hvxen_log_rate, tag, msg);
	pthread_mutex_unlock(&hvxen_log_mu);
}

static void
hvxen_log_destroy(struct xentoollog_logger *lg)
{
	(void)lg;		/* static: nothing to free */
}

static struct xentoollog_logger hvxen_logger = {
	.vmessage = hvxen_vmessage,
	.destroy = hvxen_log_destroy,
};

struct xentoollog_logger *
hv_xen_logger(void)
{
	return &hvxen_logger;
}

static int
hvxen_open(const struct hv_cfg *cfg, struct hv **out)
{
	struct hvxen *hx;
	int rc;

	if ((hx = calloc(1, sizeof(*hx))) == NULL)
		return -ENOMEM;
	hx->hx_hv.hv_ops = &hv_xen_ops;
	hx->hx_hv.hv_self = cfg->hc_self;
	if ((rc = hv_xs_connect(&hx->hx_hv, NULL)) < 0)
		goto fail;
	if ((hx->hx_gnt = xengnttab_open(&hvxen_logger, 0)) == NULL) {
		rc = errno != 0 ? -errno : -ENODEV;
		goto fail;
	}
	*out = &hx->hx_hv;
	return 0;
fail:
	hvxen_close(&hx->hx_hv);
	return rc;
}

/* Hand the valid segments queued so far to gntdev in one call. */
static int
hvxen_copy_flush(struct hvxen *hx, struct hvxen_batch *b, unsigned int n)
{
	unsigned int i;

	if (n == 0)
		return 0;
	if (xengnttab_grant_copy(hx->hx_gnt, n, b->b_segs) < 0)
		return errno != 0 ? -errno : -EIO;
	for (i = 0; i < n; i++)
		b->b_owner[i]->gc_status = b->b_segs[i].status;
	return 0;
}

static int
hvxen_gnt_copy(struct hv *hv, domid_t dom, enum hv_dir dir,
    struct hv_gcopy *gc, unsigned int n)
{
	struct hvxen *hx = hvxen_of(hv);
	struct hvxen_batch b;
	xengnttab_grant_copy_segment_t *s;
	unsigned int i, q = 0;
	int rc;

	for (i = 0; i < n; i++) {
		/*
		 * gntdev fails the whole ioctl (EINVAL) for a segment that
		 * crosses the grant's page; answer it here as Xen would, so
		 * one bad segment costs one frame and not the batch.
		 */
		if ((uint32_t)gc[i].gc_off + gc[i].gc_len > HV_PAGE_SIZE) {
			gc[i].gc_status = GNTST_bad_copy_arg;
			continue;
		}
		s = &b.b_segs[q];
		memset(s, 0, sizeof(*s));
		s->len = gc[i].gc_len;
		if (dir == HV_FROM_GUEST) {
			s->flags = GNTCOPY_source_gref;
			s->source.foreign.ref = gc[i].gc_ref;
			s->source.foreign.offset = gc[i].gc_off;
			s->source.foreign.domid = dom;
			s->dest.virt = gc[i].gc_buf;
		} else {
			s->flags = GNTCOPY_dest_gref;
			s->dest.foreign.ref = gc[i].gc_ref;
			s->dest.foreign.offset = gc[i].gc_off;
			s->dest.foreign.domid = dom;
			s->source.virt = gc[i].gc_buf;
		}
		b.b_owner[q++] = &gc[i];
		if (q == HVXEN_COPY_BATCH) {
			if ((rc = hvxen_copy_flush(hx, &b, q)) < 0)
				return rc;
			q = 0;
		}
	}
	return hvxen_copy_flush(hx, &b, q);
}

static int
hvxen_gnt_map(struct hv *hv, domid_t dom, grant_ref_t ref, void **page)
{
	void *p;

	p = xengnttab_map_grant_ref(hvxen_of(hv)->hx_gnt, dom, ref,
	    PROT_READ | PROT_WRITE);
	if (p == NULL)
		return errno != 0 ? -errno : -EIO;
	*page = p;
	return 0;
}

static int
hvxen_gnt_unmap(struct hv *hv, void *page)
{
	if (xengnttab_unmap(hvxen_of(hv)->hx_gnt, page, 1) < 0)
		return -errno;
	return 0;
}

static void
hvxen_evt_close(struct hv *hv, struct hv_evt *e)
{
	(void)hv;
	if (e == NULL)
		return;
	if (e->he_xce != NULL)
		xenevtchn_close(e->he_xce);	/* unbinds what it holds */
	free(e);
}

static int
hvxen_evt_open(struct hv *hv, struct hv_evt **out)
{
	struct hv_evt *e;
	int rc, fd;

	(void)hv;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	if ((e->he_xce = xenevtchn_open(&hvxen_logger, 0)) == NULL) {
		rc = errno != 0 ? -errno : -ENODEV;
		goto fail;
	}
	/* xenevtchn_pending() read()s: make it say EAGAIN, never block. */
	fd = xenevtchn_fd(e->he_xce);
	if (fd < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		rc = -errno;
		goto fail;
	}
	*out = e;
	return 0;
fail:
	hvxen_evt_close(hv, e);
	return rc;
}

static int
hvxen_evt_bind(struct hv *hv, struct hv_evt *e, domid_t dom, uint32_t remote,
    uint32_t *local)
{
	xenevtchn_port_or_error_t p;

	(void)hv;
	if ((p = xenevtchn_bind_interdomain(e->he_xce, dom, remote)) < 0)
		return errno != 0 ? -errno : -EIO;
	*local = (uint32_t)p;
	return 0;
}

static int
hvxen_evt_unbind(struct hv *hv, struct hv_evt *e, uint32_t local)
{
	(void)hv;
	return xenevtchn_unbind(e->he_xce, local) < 0 ? -errno : 0;
}

static int
hvxen_evt_notify(struct hv *hv, struct hv_evt *e, uint32_t local)
{
	(void)hv;
	return xenevtchn_notify(e->he_xce, local) < 0 ? -errno : 0;
}

static int
hvxen_evt_fd(struct hv *hv, struct hv_evt *e)
{
	(void)hv;
	return xenevtchn_fd(e->he_xce);
}

/*
 * One read of the device for every port that fired: Linux's evtchn
 * device hands out as many as the read has room for, where
 * xenevtchn_pending() reads one, so that learning there is no other took
 * a second read (a system call an event, ~20 us on a PV dom0).  Reading
 * the handle's fd is all xenevtchn_pending() does on Linux.
 */
static int
hvxen_evt_pending(struct hv *hv, struct hv_evt *e, uint32_t *ports,
    unsigned int max)
{
	ssize_t n;

	(void)hv;
	_Static_assert(sizeof(evtchn_port_t) == sizeof(*ports),
	    "the device's ports are 32-bit");
	n = read(xenevtchn_fd(e->he_xce), ports, max * sizeof(*ports));
	if (n >= 0)
		return (int)((size_t)n / sizeof(*ports));
	if (errno == EAGAIN)
		return 0;
	/*
	 * The device's buffer overflowed: it dropped the ports it had no
	 * room for (each left masked) and fails every read until reset,
	 * which libxenevtchn does not offer.  The caller runs every port.
	 */
	if (errno != EFBIG)
		return -errno;
	if (ioctl(xenevtchn_fd(e->he_xce), IOCTL_EVTCHN_RESET, 0) < 0) {
		log_debug("evtchn: reset after an overflow: %s",
		    strerror(errno));
		return -ENOTRECOVERABLE;	/* not the read's errno */
	}
	return -EFBIG;
}

static int
hvxen_evt_unmask(struct hv *hv, struct hv_evt *e, uint32_t port)
{
	(void)hv;
	return xenevtchn_unmask(e->he_xce, port) < 0 ? -errno : 0;
}

const struct hv_ops hv_xen_ops = {
	.name = "xen",
	.open = hvxen_open,
	.close = hvxen_close,
	HV_XS_OPS,
	.gnt_copy = hvxen_gnt_copy,
	.gnt_map = hvxen_gnt_map,
	.gnt_unmap = hvxen_gnt_unmap,
	.evt_open = hvxen_evt_open,
	.evt_close = hvxen_evt_close,
	.evt_bind = hvxen_evt_bind,
	.evt_unbind = hvxen_evt_unbind,
	.evt_notify = hvxen_evt_notify,
	.evt_fd = hvxen_evt_fd,
	.evt_pending = hvxen_evt_pending,
	.evt_unmask = hvxen_evt_unmask,
};
