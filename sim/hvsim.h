/*
 * hvsim.h -- the simulated hypervisor of xvif-sim: domains, their memory,
 * their v1 grant tables and their event channels.
 *
 * Everything lives in files under the host directory (DIR of
 * `xvif-sim host --dir DIR`), shared by every process of the simulated
 * host; there is no broker process.  Each process maps the files and applies
 * the same rules, with the same atomic updates of shared words, that Xen's
 * hypervisor applies (grant_table.c, event_channel.c): a guest process edits
 * its own grant entries, a backend process copies through them only if the
 * GTF_* flags allow it, and gets the GNTST_* status Xen would give.
 *
 * The file layout and what is NOT modelled are documented in hvsim.c.
 * Functions return >= 0 or -errno, and never log above debug.
 */
#ifndef XVIF_HVSIM_H
#define XVIF_HVSIM_H

#include <stdbool.h>
#include <stdint.h>

#include "hv.h"

#define HVSIM_DEFAULT_PAGES	4096u	/* 16 MiB of guest memory */
#define HVSIM_MAX_DOMID		1023u

struct hvsim_dom;	/* one process's view of the host, acting as a domain */

/* -- "domctl": the toolstack's and the host's side. -- */

/* Creates dom0's objects in dir (the host does this once at start). */
int	hvsim_host_init(const char *dir);
/* Creates a guest with npages pages; *domid: lowest free id >= 1. */
int	hvsim_domain_create(const char *dir, unsigned int npages,
	    domid_t *domid);
/*
 * Kills domid: marks it dying (grant ops on it fail with
 * GNTST_bad_domain), closes its event channels (their peers become
 * unbound, as in Xen), then removes its objects.  -ESRCH if no such domain.
 */
int	hvsim_domain_destroy(const char *dir, domid_t domid);
/* 1 if domid exists and is not dying, 0 if not. */
int	hvsim_domain_exists(const char *dir, domid_t domid);

/* -- A process acting as domain `self`. -- */

int	hvsim_open(const char *dir, domid_t self, struct hvsim_dom **out);
void	hvsim_close(struct hvsim_dom *);	/* NULL is fine */
domid_t	hvsim_self(const struct hvsim_dom *);

/* Guest side: its own memory, by guest frame number (page index). */
unsigned int hvsim_npages(const struct hvsim_dom *);
void	*hvsim_page(struct hvsim_dom *, uint32_t gfn);	/* NULL if out of range */
unsigned int hvsim_nr_grants(const struct hvsim_dom *);
/* gnttab_grant_foreign_access_ref(): entry ref now lets `to` at gfn. */
int	hvsim_grant(struct hvsim_dom *, grant_ref_t ref, domid_t to,
	    uint32_t gfn, bool readonly);
/*
 * gnttab_end_foreign_access_ref(): revoke ref.  -EBUSY (and the entry is
 * left granted) while the grantee is reading or writing through it.
 */
int	hvsim_grant_end(struct hvsim_dom *, grant_ref_t ref);

/* Backend side: grant operations done as the hypervisor would for self. */
int	hvsim_gnt_copy(struct hvsim_dom *, domid_t dom, enum hv_dir,
	    struct hv_gcopy *, unsigned int n);
int	hvsim_gnt_map(struct hvsim_dom *, domid_t dom, grant_ref_t ref,
	    void **page);
int	hvsim_gnt_unmap(struct hvsim_dom *, void *page);

/*
 * Event channels, either side (EVTCHNOP_*), through the process's own
 * handle.  alloc_unbound's port belongs to that handle too.
 */
int	hvsim_evt_alloc_unbound(struct hvsim_dom *, domid_t remote,
	    uint32_t *port);
int	hvsim_evt_bind(struct hvsim_dom *, domid_t remote, uint32_t rport,
	    uint32_t *lport);
int	hvsim_evt_close(struct hvsim_dom *, uint32_t port);
int	hvsim_evt_notify(struct hvsim_dom *, uint32_t port);
int	hvsim_evt_fd(struct hvsim_dom *);	/* pollable; the handle's ports */
int	hvsim_evt_pending(struct hvsim_dom *, uint32_t *port); /* -EAGAIN: none */
/* At most max ports that fired: how many (as hv_ops.evt_pending). */
int	hvsim_evt_pending_n(struct hvsim_dom *, uint32_t *ports,
	    unsigned int max);
int	hvsim_evt_unmask(struct hvsim_dom *, uint32_t port);

/*
 * More handles, as more opens of Linux's evtchn device: a port is
 * notified, taken, unmasked and closed only through the handle that bound
 * it (-ENOTCONN otherwise).  hvsim_evth_close closes its ports; every
 * handle is closed before its hvsim_dom.  A handle is read (pending) by
 * one thread; its ports may be bound and closed by another meanwhile.
 */
struct hvsim_evth;
int	hvsim_evth_open(struct hvsim_dom *, struct hvsim_evth **);
void	hvsim_evth_close(struct hvsim_dom *, struct hvsim_evth *);
int	hvsim_evth_bind(struct hvsim_dom *, struct hvsim_evth *,
	    domid_t remote, uint32_t rport, uint32_t *lport);
int	hvsim_evth_unbind(struct hvsim_dom *, struct hvsim_evth *,
	    uint32_t port);
int	hvsim_evth_notify(struct hvsim_dom *, struct hvsim_evth *,
	    uint32_t port);
int	hvsim_evth_fd(struct hvsim_evth *);
int	hvsim_evth_pending(struct hvsim_dom *, struct hvsim_evth *,
	    uint32_t *ports, unsigned int max);	/* as hv_ops.evt_pending */
int	hvsim_evth_unmask(struct hvsim_dom *, struct hvsim_evth *,
	    uint32_t port);

#endif
