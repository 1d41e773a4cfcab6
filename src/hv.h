/*
 * hv.h -- the hypervisor port: everything xvif asks of Xen, and nothing
 * else.  Two implementations:
 *   hv_xen_ops  (src/hv_xen.c)  libxenstore, libxengnttab, libxenevtchn;
 *   hv_sim_ops  (sim/hv_sim.c)  the simulated host of xvif-sim.
 * Both speak XenStore through the real libxenstore (src/hv_xs.c): the
 * simulator replaces xenstored and the hypervisor, never the client library.
 *
 * Callers use the hv_*() wrappers only.  Every operation returns >= 0 on
 * success and -errno on failure; nothing here logs above debug.
 *
 * Threads: the XenStore operations, open/close and evt_open/evt_close
 * belong to one thread (xvifd's control plane).  Grant copies, maps and
 * unmaps may come from any thread at once.  An event-channel handle
 * (struct hv_evt) is read (evt_pending) by one thread; its ports may be
 * bound and unbound from another while that thread does not use them.
 */
#ifndef XVIF_HV_H
#define XVIF_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/grant_table.h>

#define HV_PAGE_SIZE	4096u
#define HV_TXN_NONE	0u		/* XBT_NULL: outside a transaction */
#define HV_PORT_NONE	UINT32_MAX	/* an event channel port not held */

struct hv;
/*
 * An event-channel handle: a set of bound ports and one fd that is
 * readable when one of them fired, as an open of Linux's evtchn device.
 * A port is notified, taken, unmasked and unbound only through the
 * handle that bound it (the device says ENOTCONN otherwise).  xvifd holds
 * one per worker thread, so that a guest's notification wakes the thread
 * that serves its queue, and nobody else.
 */
struct hv_evt;

/* What hv_open() is told.  Zeroed fields take the defaults shown. */
struct hv_cfg {
	domid_t		 hc_self;	/* our own domain id (0: dom0) */
	const char	*hc_sim_dir;	/* hv_sim only: xvif-sim host --dir */
};

enum hv_dir {
	HV_FROM_GUEST,		/* guest grant -> our buffer (guest TX) */
	HV_TO_GUEST,		/* our buffer -> guest grant (guest RX) */
};

/* One segment of a batched grant copy. */
struct hv_gcopy {
	grant_ref_t	 gc_ref;	/* guest page granted to us */
	uint16_t	 gc_off;	/* gc_off + gc_len <= HV_PAGE_SIZE */
	uint16_t	 gc_len;
	void		*gc_buf;	/* our side; borrowed */
	int16_t		 gc_status;	/* out: GNTST_okay or GNTST_* */
};

/* A XenStore permission: domain + one of 'n', 'r', 'w', 'b'. */
struct hv_perm {
	domid_t		 pm_dom;
	char		 pm_mode;
};

struct hv_ops {
	const char	*name;
	/* Set up *out from cfg; on failure nothing is left allocated. */
	int	(*open)(const struct hv_cfg *cfg, struct hv **out);
	/* Free all that open() made, including live maps and bindings. */
	void	(*close)(struct hv *);

	/* -- XenStore.  txn is HV_TXN_NONE or from xs_txn_start. -- */

	/*
	 * Read path into buf (NUL-terminated; at most len - 1 bytes).
	 * Returns the value's length, -ENOENT, -EACCES, ..., or -E2BIG when
	 * buf is too small (nothing useful is left in buf then).
	 */
	int	(*xs_read)(struct hv *, uint32_t txn, const char *path,
		    char *buf, size_t len);
	int	(*xs_write)(struct hv *, uint32_t txn, const char *path,
		    const char *val, size_t len);
	int	(*xs_mkdir)(struct hv *, uint32_t txn, const char *path);
	/* Removes path and everything below it; -ENOENT if absent. */
	int	(*xs_rm)(struct hv *, uint32_t txn, const char *path);
	/*
	 * The children of path: *names is one malloc'd block (free() it)
	 * holding an array of *n pointers followed by the strings.
	 */
	int	(*xs_directory)(struct hv *, uint32_t txn, const char *path,
		    char ***names, unsigned int *n);
	/* perms[0] is the owner and the default for domains not listed. */
	int	(*xs_set_perms)(struct hv *, uint32_t txn, const char *path,
		    const struct hv_perm *perms, unsigned int n);
	int	(*xs_txn_start)(struct hv *, uint32_t *txn);
	/* Commit (abort == false) or abort; -EAGAIN: conflict, retry. */
	int	(*xs_txn_end)(struct hv *, uint32_t txn, bool abort);
	int	(*xs_watch)(struct hv *, const char *path, const char *token);
	int	(*xs_unwatch)(struct hv *, const char *path, const char *token);
	/* Readable when xs_read_watch may have an event. */
	int	(*xs_watch_fd)(struct hv *);
	/*
	 * Take one fired watch without blocking: 1 and path/token filled,
	 * 0 when none is queued, -E2BIG if a buffer is too small (the event
	 * is consumed).
	 */
	int	(*xs_read_watch)(struct hv *, char *path, size_t plen,
		    char *token, size_t tlen);
	/* 1 if domid is a live domain known to XenStore, 0 if it is not,
	 * -errno if XenStore would not say (only dom0 may ask). */
	int	(*xs_domain_alive)(struct hv *, domid_t domid);

	/* -- Grants. -- */

	/*
	 * Copy n segments between our buffers and dom's grants.  Returns 0
	 * once the batch was attempted: a bad grant fails only its own
	 * segment (gc_status), never the batch.  -errno: the call failed;
	 * some segments may have been copied all the same (Xen's port
	 * copies in parts), so the caller treats every one as failed.
	 */
	int	(*gnt_copy)(struct hv *, domid_t dom, enum hv_dir,
		    struct hv_gcopy *, unsigned int n);
	/* Map one granted page read-write; ours until gnt_unmap. */
	int	(*gnt_map)(struct hv *, domid_t dom, grant_ref_t ref,
		    void **page);
	int	(*gnt_unmap)(struct hv *, void *page);

	/* -- Event channels, through a handle (struct hv_evt). -- */

	int	(*evt_open)(struct hv *, struct hv_evt **);
	/* Unbinds every port the handle still holds; NULL is fine. */
	void	(*evt_close)(struct hv *, struct hv_evt *);
	/* Bind to dom's unbound port; *local is our end. */
	int	(*evt_bind)(struct hv *, struct hv_evt *, domid_t dom,
		    uint32_t remote, uint32_t *local);
	int	(*evt_unbind)(struct hv *, struct hv_evt *, uint32_t local);
	int	(*evt_notify)(struct hv *, struct hv_evt *, uint32_t local);
	/* Readable when evt_pending may return a port. */
	int	(*evt_fd)(struct hv *, struct hv_evt *);
	/*
	 * The ports that fired, at most max, without blocking: how many
	 * (0: none), or -errno.  What is left stays pending and the fd
	 * readable, so one call a readiness suffices (no second call to
	 * learn there is nothing).  Each port stays masked (fires no more)
	 * until evt_unmask.  -EFBIG: notifications were lost (Linux's
	 * evtchn device overflowed its buffer) and the handle has been
	 * reset: every port bound through it is to be taken as fired, then
	 * unmasked.  Any other -errno: the handle is broken for good
	 * (-ENOTRECOVERABLE: the reset after an overflow failed).
	 */
	int	(*evt_pending)(struct hv *, struct hv_evt *, uint32_t *ports,
		    unsigned int max);
	/* Unmasking a port that is not masked does nothing. */
	int	(*evt_unmask)(struct hv *, struct hv_evt *, uint32_t port);
};

/*
 * Every implementation embeds this first.  Both speak XenStore through
 * libxenstore, so the handle lives here and src/hv_xs.c serves both.
 */
struct xs_handle;
struct hv {
	const struct hv_ops	*hv_ops;
	struct xs_handle	*hv_xsh;
	domid_t			 hv_self;
};

extern const struct hv_ops hv_xen_ops;
/* The logger hv_xen gives libxengnttab and libxenevtchn (log.c, limited). */
struct xentoollog_logger;
struct xentoollog_logger *hv_xen_logger(void);
extern const struct hv_ops hv_sim_ops;	/* libsim.a, linked into xvifd: --hv sim */

int	hv_open(const struct hv_ops *, const struct hv_cfg *, struct hv **);
void	hv_close(struct hv *);		/* NULL is fine */
const char *hv_gntst_str(int16_t status);	/* "GNTST_bad_gntref", ... */
/*
 * The domain we run in, as XenStore says in our home's "domid" key
 * (libxl writes it for every domain it builds, xen-init-dom0 for dom0):
 * 0 and *domid set, -ENOENT without the key, -EINVAL if it is no domain
 * id, another -errno if it cannot be read.
 */
int	hv_own_domid(struct hv *, domid_t *domid);

static inline int
hv_xs_read(struct hv *hv, uint32_t txn, const char *path, char *buf,
    size_t len)
{
	return hv->hv_ops->xs_read(hv, txn, path, buf, len);
}

static inline int
hv_xs_write(struct hv *hv, uint32_t txn, const char *path, const char *val)
{
	return hv->hv_ops->xs_write(hv, txn, path, val, __builtin_strlen(val));
}

static inline int
hv_xs_mkdir(struct hv *hv, uint32_t txn, const char *path)
{
	return hv->hv_ops->xs_mkdir(hv, txn, path);
}

static inline int
hv_xs_rm(struct hv *hv, uint32_t txn, const char *path)
{
	return hv->hv_ops->xs_rm(hv, txn, path);
}

static inline int
hv_xs_directory(struct hv *hv, uint32_t txn, const char *path, char ***names,
    unsigned int *n)
{
	return hv->hv_ops->xs_directory(hv, txn, path, names, n);
}

static inline int
hv_xs_set_perms(struct hv *hv, uint32_t txn, const char *path,
    const struct hv_perm *perms, unsigned int n)
{
	return hv->hv_ops->xs_set_perms(hv, txn, path, perms, n);
}

static inline int
hv_xs_txn_start(struct hv *hv, uint32_t *txn)
{
	return hv->hv_ops->xs_txn_start(hv, txn);
}

static inline int
hv_xs_txn_end(struct hv *hv, uint32_t txn, bool abort)
{
	return hv->hv_ops->xs_txn_end(hv, txn, abort);
}

static inline int
hv_xs_watch(struct hv *hv, const char *path, const char *token)
{
	return hv->hv_ops->xs_watch(hv, path, token);
}

static inline int
hv_xs_unwatch(struct hv *hv, const char *path, const char *token)
{
	return hv->hv_ops->xs_unwatch(hv, path, token);
}

static inline int
hv_xs_watch_fd(struct hv *hv)
{
	return hv->hv_ops->xs_watch_fd(hv);
}

static inline int
hv_xs_read_watch(struct hv *hv, char *path, size_t plen, char *token,
    size_t tlen)
{
	return hv->hv_ops->xs_read_watch(hv, path, plen, token, tlen);
}

static inline int
hv_xs_domain_alive(struct hv *hv, domid_t domid)
{
	return hv->hv_ops->xs_domain_alive(hv, domid);
}

static inline int
hv_gnt_copy(struct hv *hv, domid_t dom, enum hv_dir dir, struct hv_gcopy *gc,
    unsigned int n)
{
	return hv->hv_ops->gnt_copy(hv, dom, dir, gc, n);
}

static inline int
hv_gnt_map(struct hv *hv, domid_t dom, grant_ref_t ref, void **page)
{
	return hv->hv_ops->gnt_map(hv, dom, ref, page);
}

static inline int
hv_gnt_unmap(struct hv *hv, void *page)
{
	return hv->hv_ops->gnt_unmap(hv, page);
}

static inline int
hv_evt_open(struct hv *hv, struct hv_evt **e)
{
	return hv->hv_ops->evt_open(hv, e);
}

static inline void
hv_evt_close(struct hv *hv, struct hv_evt *e)
{
	hv->hv_ops->evt_close(hv, e);
}

static inline int
hv_evt_bind(struct hv *hv, struct hv_evt *e, domid_t dom, uint32_t remote,
    uint32_t *local)
{
	return hv->hv_ops->evt_bind(hv, e, dom, remote, local);
}

static inline int
hv_evt_unbind(struct hv *hv, struct hv_evt *e, uint32_t local)
{
	return hv->hv_ops->evt_unbind(hv, e, local);
}

static inline int
hv_evt_notify(struct hv *hv, struct hv_evt *e, uint32_t local)
{
	return hv->hv_ops->evt_notify(hv, e, local);
}

static inline int
hv_evt_fd(struct hv *hv, struct hv_evt *e)
{
	return hv->hv_ops->evt_fd(hv, e);
}

static inline int
hv_evt_pending(struct hv *hv, struct hv_evt *e, uint32_t *ports,
    unsigned int max)
{
	return hv->hv_ops->evt_pending(hv, e, ports, max);
}

static inline int
hv_evt_unmask(struct hv *hv, struct hv_evt *e, uint32_t port)
{
	return hv->hv_ops->evt_unmask(hv, e, port);
}

/*
 * The XenStore half shared by both implementations (src/hv_xs.c).
 * hv_xs_connect() fills hv->hv_xsh from `socket` (NULL: the libxenstore
 * default, which honours XENSTORED_PATH and falls back to the xenbus
 * device); hv_xs_disconnect() undoes it and accepts a hv never connected.
 */
int	hv_xs_connect(struct hv *, const char *socket);
void	hv_xs_disconnect(struct hv *);

int	hv_xs_op_read(struct hv *, uint32_t, const char *, char *, size_t);
int	hv_xs_op_write(struct hv *, uint32_t, const char *, const char *,
	    size_t);
int	hv_xs_op_mkdir(struct hv *, uint32_t, const char *);
int	hv_xs_op_rm(struct hv *, uint32_t, const char *);
int	hv_xs_op_directory(struct hv *, uint32_t, const char *, char ***,
	    unsigned int *);
int	hv_xs_op_set_perms(struct hv *, uint32_t, const char *,
	    const struct hv_perm *, unsigned int);
int	hv_xs_op_txn_start(struct hv *, uint32_t *);
int	hv_xs_op_txn_end(struct hv *, uint32_t, bool);
int	hv_xs_op_watch(struct hv *, const char *, const char *);
int	hv_xs_op_unwatch(struct hv *, const char *, const char *);
int	hv_xs_op_watch_fd(struct hv *);
int	hv_xs_op_read_watch(struct hv *, char *, size_t, char *, size_t);
int	hv_xs_op_domain_alive(struct hv *, domid_t);

/* Initialiser for the xs_* members of an ops table. */
#define HV_XS_OPS                                                             \
	.xs_read = hv_xs_op_read, .xs_write = hv_xs_op_write,                 \
	.xs_mkdir = hv_xs_op_mkdir, .xs_rm = hv_xs_op_rm,                     \
	.xs_directory = hv_xs_op_directory,                                   \
	.xs_set_perms = hv_xs_op_set_perms,                                   \
	.xs_txn_start = hv_xs_op_txn_start, .xs_txn_end = hv_xs_op_txn_end,   \
	.xs_watch = hv_xs_op_watch, .xs_unwatch = hv_xs_op_unwatch,           \
	.xs_watch_fd = hv_xs_op_watch_fd,                                     \
	.xs_read_watch = hv_xs_op_read_watch,                                 \
	.xs_domain_alive = hv_xs_op_domain_alive

#endif
