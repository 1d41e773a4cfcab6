/*
 * hvsim_gnt.c -- the simulated hypervisor's v1 grant tables: the guest's
 * side (grant, end access, as Linux's gnttab_*_ref_v1 do) and the
 * grantee's side (GNTTABOP_copy and a host mapping, as Xen's
 * grant_table.c does: acquire_grant_for_copy, _set_status_v1,
 * reduce_status_for_pin, map_grant_ref).  Owns this process's grant
 * mappings; the domain files are hvsim.c's.
 *
 * Pins.  Each grant has an active entry (struct hvsim_act) in the
 * granting domain's file, under its own lock, as in Xen.  a_pin counts
 * write pins in its low 16 bits and read pins in its high 16 bits, over
 * every process of the host: a copy from the guest holds one read pin
 * while it copies, a copy to the guest and every hvsim_gnt_map hold one
 * write pin (a map until hvsim_gnt_unmap).  GTF_reading stays set while
 * any pin is held, GTF_writing while any write pin is held, so the
 * guest's hvsim_grant_end fails with -EBUSY until the last one goes.
 * While pinned, the grantee and frame recorded by the first pin are used
 * (Xen's act->domid, act->mfn), not the guest-writable entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hvsim_int.h"

/* The pins of act, summed over its holders (Xen's act->pin). */
static void
hvsim_act_pins(const struct hvsim_act *act, uint32_t *w, uint32_t *r)
{
	unsigned int i;

	*w = *r = 0;
	for (i = 0; i < HVSIM_ACT_HOLDERS; i++) {
		*w += act->a_hold[i].h_pin & HVSIM_PIN_WMASK;
		*r += act->a_hold[i].h_pin >> 16;
	}
}

/* Untrusted: the entry is the guest's; read it once per attempt. */
static int16_t
hvsim_set_status(struct hvsim_gnt *g, bool pinned, bool readonly,
    bool mapflag, domid_t ldom)
{
	uint16_t mask = GTF_type_mask | (mapflag ? GTF_sub_page : 0);
	uint32_t w, nw;
	int retries = 0;

	w = __atomic_load_n(&g->g_word, __ATOMIC_ACQUIRE);
	for (;;) {
		/* If not already pinned, check the grant domid and type. */
		if (!pinned &&
		    ((HVSIM_GNT_FLAGS(w) & mask) != GTF_permit_access ||
		    HVSIM_GNT_DOMID(w) != ldom))
			return GNTST_general_error;
		nw = w | GTF_reading;
		if (!readonly) {
			nw |= GTF_writing;
			if (HVSIM_GNT_FLAGS(w) & GTF_readonly)
				return GNTST_general_error;
		}
		if (__atomic_compare_exchange_n(&g->g_word, &w, nw, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return GNTST_okay;
		/* w now holds what the guest wrote meanwhile. */
		if (retries++ == 4)
			return GNTST_general_error;	/* "unstable" */
	}
}

/*
 * Xen's reduce_status_for_pin(): drop the flags no pin needs any more,
 * given the write and read pins left.
 */
static void
hvsim_reduce_status(struct hvsim_gnt *g, uint32_t wpins, uint32_t rpins,
    bool readonly)
{
	uint32_t clear = wpins + rpins != 0 ? 0 : GTF_reading;

	if (!readonly && wpins == 0)
		clear |= GTF_writing;
	if (clear != 0)
		__atomic_fetch_and(&g->g_word, ~clear, __ATOMIC_ACQ_REL);
}

/*
 * With act's lock held: drop every pin of a holder that is gone, as its
 * unmap or the end of its copy would have (gntdev_release).  After a lock
 * takeover (torn: its holder died inside), also clear whatever flag no
 * remaining pin needs, since the dead holder may have set a flag without
 * recording its pin, or dropped a pin without clearing its flag.  true if
 * anything was dropped.
 */
static bool
hvsim_act_reap(const struct hvsim_reg *r, struct hvsim_gnt *g,
    struct hvsim_act *act, bool torn)
{
	struct hvsim_hold *h;
	uint32_t w, rd;
	unsigned int i;
	bool any = false;

	for (i = 0; i < HVSIM_ACT_HOLDERS; i++) {
		h = &act->a_hold[i];
		if (h->h_owner == 0)
			continue;
		if (h->h_pin != 0 && !hvsim_owner_gone(r, h->h_owner))
			continue;
		any = any || h->h_pin != 0;
		h->h_pin = 0;
		h->h_owner = 0;
	}
	if (any || torn) {
		hvsim_act_pins(act, &w, &rd);
		hvsim_reduce_status(g, w, rd, false);
	}
	return any;
}

/* Our holder slot in act, else a free one, else NULL. */
static struct hvsim_hold *
hvsim_act_holder(struct hvsim_act *act, uint64_t owner)
{
	struct hvsim_hold *spare = NULL;
	unsigned int i;

	for (i = 0; i < HVSIM_ACT_HOLDERS; i++) {
		if (act->a_hold[i].h_owner == owner)
			return &act->a_hold[i];
		if (act->a_hold[i].h_owner == 0 && spare == NULL)
			spare = &act->a_hold[i];
	}
	return spare;
}

/*
 * Take one pin on v's grant ref for d, acting as domain d_self
 * (acquire_grant_for_copy, or map_grant_ref with mapflag), recorded
 * under d's owner id.  GNTST_okay and *frame, or a GNTST_*.
 */
static int16_t
hvsim_acquire(struct hvsim_dom *d, struct hvsim_view *v, grant_ref_t ref,
    bool readonly, bool mapflag, uint32_t *frame)
{
	struct hvsim_gnt *g;
	struct hvsim_act *act;
	struct hvsim_hold *h;
	uint32_t incr = readonly ? HVSIM_PIN_R : HVSIM_PIN_W, w, r, gfn;
	domid_t ldom = d->d_self;
	int16_t rc = GNTST_okay;
	bool pinned, reaped = false;
	int lrc;

	if (ref >= v->v_hdr->h_nr_grants)
		return GNTST_bad_gntref;
	g = &v->v_gnt[ref];
	act = &v->v_act[ref];
	if ((lrc = hvsim_lock(&act->a_lock)) < 0)
		return GNTST_general_error;
	if (lrc > 0)
		(void)hvsim_act_reap(&d->d_reg, g, act, true);
	for (;;) {
		hvsim_act_pins(act, &w, &r);
		pinned = w + r != 0;
		h = hvsim_act_holder(act, d->d_reg.r_self);
		/*
		 * If already pinned, check the active domid and avoid
		 * overflow; and we need a holder slot.  Pins of the gone may
		 * be what is in the way: drop them and look again, once.
		 */
		if (h != NULL && (!pinned || (act->a_domid == ldom &&
		    (readonly ? r : w) < 0xffff)))
			break;
		if (reaped || !hvsim_act_reap(&d->d_reg, g, act, false)) {
			rc = GNTST_general_error;
			goto out;
		}
		reaped = true;
	}
	if (!pinned || (!readonly && w == 0)) {
		if ((rc = hvsim_set_status(g, pinned, readonly, mapflag,
		    ldom)) != GNTST_okay)
			goto out;
		gfn = __atomic_load_n(&g->g_frame, __ATOMIC_ACQUIRE);
		if (gfn >= v->v_hdr->h_npages) {	/* get_paged_frame() */
			hvsim_reduce_status(g, w, r, readonly);
			rc = GNTST_bad_page;
			goto out;
		}
		if (!pinned) {
			act->a_domid = ldom;
			act->a_frame = gfn;
		}
	} else if (hvsim_view_dying(v)) {
		hvsim_reduce_status(g, w, r, readonly);
		rc = GNTST_bad_domain;
		goto out;
	}
	h->h_owner = d->d_reg.r_self;	/* before the pin: see act_reap */
	h->h_pin += incr;
	*frame = act->a_frame;
out:
	hvsim_unlock(&act->a_lock);
	return rc;
}

/* Drop one pin taken by hvsim_acquire for d (release_grant_for_copy). */
static void
hvsim_release(struct hvsim_dom *d, struct hvsim_view *v, grant_ref_t ref,
    bool readonly)
{
	struct hvsim_act *act = &v->v_act[ref];
	struct hvsim_hold *h;
	uint32_t w, r;
	int lrc;

	/* XXX: a lock timeout leaks the pin; only a wedged holder does that. */
	if ((lrc = hvsim_lock(&act->a_lock)) < 0)
		return;
	if (lrc > 0)
		(void)hvsim_act_reap(&d->d_reg, &v->v_gnt[ref], act, true);
	h = hvsim_act_holder(act, d->d_reg.r_self);
	if (h != NULL && h->h_owner == d->d_reg.r_self) {
		h->h_pin -= readonly ? HVSIM_PIN_R : HVSIM_PIN_W;
		if (h->h_pin == 0)
			h->h_owner = 0;
	}
	hvsim_act_pins(act, &w, &r);
	hvsim_reduce_status(&v->v_gnt[ref], w, r, readonly);
	hvsim_unlock(&act->a_lock);
}

/*
 * Drop the pins the gone hold on our own grant ref; true if any (or if a
 * takeover found torn flags).  The guest has no such call in Xen: this is
 * the hypervisor finishing what the dead grantee's kernel did at exit.
 */
static bool
hvsim_gnt_reap_ref(struct hvsim_dom *d, grant_ref_t ref)
{
	struct hvsim_view *v = d->d_own;
	struct hvsim_act *act = &v->v_act[ref];
	bool any;
	int lrc;

	if ((lrc = hvsim_lock(&act->a_lock)) < 0)
		return false;
	any = hvsim_act_reap(&d->d_reg, &v->v_gnt[ref], act, lrc > 0);
	hvsim_unlock(&act->a_lock);
	return any || lrc > 0;
}

/* hvsim_open's check: pins of the gone on our own grants. */
void
hvsim_gnt_sweep(struct hvsim_dom *d)
{
	struct hvsim_view *v = d->d_own;
	unsigned int i;
	grant_ref_t ref;

	for (ref = 0; ref < v->v_hdr->h_nr_grants; ref++)
		for (i = 0; i < HVSIM_ACT_HOLDERS; i++)
			if (__atomic_load_n(&v->v_act[ref].a_hold[i].h_owner,
			    __ATOMIC_RELAXED) != 0) {
				(void)hvsim_gnt_reap_ref(d, ref);
				break;
			}
}

/* -- Guest side. -- */

/*
 * gnttab_grant_foreign_access_ref() on a v1 entry: domid and frame first,
 * a write barrier, then the flags that make the entry valid.  The flags
 * and domid share one word with Xen's cmpxchg, so each half is written by
 * cmpxchg too.
 */
int
hvsim_grant(struct hvsim_dom *d, grant_ref_t ref, domid_t to, uint32_t gfn,
    bool readonly)
{
	struct hvsim_gnt *g;
	uint32_t w, nw;
	uint16_t flags = GTF_permit_access | (readonly ? GTF_readonly : 0);

	if (ref >= d->d_own->v_hdr->h_nr_grants)
		return -EINVAL;
	g = &d->d_own->v_gnt[ref];
	w = __atomic_load_n(&g->g_word, __ATOMIC_RELAXED);
	do
		nw = (w & 0xffffu) | (uint32_t)to << 16;
	while (!__atomic_compare_exchange_n(&g->g_word, &w, nw, false,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	__atomic_store_n(&g->g_frame, gfn, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* wmb() */
	w = __atomic_load_n(&g->g_word, __ATOMIC_RELAXED);
	do
		nw = (w & 0xffff0000u) | flags;
	while (!__atomic_compare_exchange_n(&g->g_word, &w, nw, false,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	return 0;
}

/*
 * gnttab_end_foreign_access_ref_v1(): flags to 0 unless in use.  Pins held
 * by handles that are gone are dropped first (see hvsim.c, "Owners").
 */
int
hvsim_grant_end(struct hvsim_dom *d, grant_ref_t ref)
{
	struct hvsim_gnt *g;
	uint32_t w;
	bool reaped = false;

	if (ref >= d->d_own->v_hdr->h_nr_grants)
		return -EINVAL;
	g = &d->d_own->v_gnt[ref];
	w = __atomic_load_n(&g->g_word, __ATOMIC_ACQUIRE);
	do {
		if (!(HVSIM_GNT_FLAGS(w) & (GTF_reading | GTF_writing)))
			continue;
		/* In use: by the living, or only by the gone? */
		if (reaped || !hvsim_gnt_reap_ref(d, ref))
			return -EBUSY;
		reaped = true;
		w = __atomic_load_n(&g->g_word, __ATOMIC_ACQUIRE);
		if (HVSIM_GNT_FLAGS(w) & (GTF_reading | GTF_writing))
			return -EBUSY;
	} while (!__atomic_compare_exchange_n(&g->g_word, &w, w & 0xffff0000u,
	    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return 0;
}

/* -- Grantee side. -- */

/*
 * GNTTABOP_copy of n segments between our buffers and dom's grants, in
 * Xen's order of checks: zero length is okay at once; the domain
 * (GNTST_bad_domain); the ref (GNTST_bad_gntref); the entry's type,
 * grantee and readonly bit (GNTST_general_error); the frame
 * (GNTST_bad_page); then offset + len (GNTST_bad_copy_arg).  A bad
 * segment fails alone.
 *
 * Untrusted: refs and offsets may come from a guest.
 */
int
hvsim_gnt_copy(struct hvsim_dom *d, domid_t dom, enum hv_dir dir,
    struct hv_gcopy *gc, unsigned int n)
{
	struct hvsim_view *v = NULL;
	bool readonly = dir == HV_FROM_GUEST;
	unsigned int i;
	uint32_t frame;
	uint8_t *page;

	if (dir != HV_FROM_GUEST && dir != HV_TO_GUEST)
		return -EINVAL;
	if (hvsim_view_get(d, dom, &v) < 0)
		v = NULL;
	for (i = 0; i < n; i++) {
		if (gc[i].gc_len == 0) {
			gc[i].gc_status = GNTST_okay;
			continue;
		}
		if (v == NULL || hvsim_view_dying(v)) {
			gc[i].gc_status = GNTST_bad_domain;
			continue;
		}
		gc[i].gc_status = hvsim_acquire(d, v, gc[i].gc_ref, readonly,
		    false, &frame);
		if (gc[i].gc_status != GNTST_okay)
			continue;
		if ((uint32_t)gc[i].gc_off + gc[i].gc_len > HV_PAGE_SIZE) {
			gc[i].gc_status = GNTST_bad_copy_arg;
		} else {
			page = v->v_pages + (size_t)frame * HV_PAGE_SIZE;
			if (readonly)
				memcpy(gc[i].gc_buf, page + gc[i].gc_off,
				    gc[i].gc_len);
			else
				memcpy(page + gc[i].gc_off, gc[i].gc_buf,
				    gc[i].gc_len);
		}
		hvsim_release(d, v, gc[i].gc_ref, readonly);
	}
	hvsim_view_put(v);
	return 0;
}

/*
 * GNTST_* of a failed map as an errno.  (Linux's gntdev says -EINVAL for
 * every failed map; callers must not rely on the finer values here.)
 */
static int
hvsim_gntst_errno(int16_t st)
{
	switch (st) {
	case GNTST_bad_domain:
		return -ESRCH;
	case GNTST_bad_gntref:
		return -EINVAL;
	case GNTST_bad_page:
		return -EFAULT;
	default:
		return -EPERM;
	}
}

/*
 * Map dom's grant ref read-write: the granted page of dom's file, mmap()ed
 * at its own offset, so both processes share the very page.  One write pin
 * is held until hvsim_gnt_unmap.
 */
int
hvsim_gnt_map(struct hvsim_dom *d, domid_t dom, grant_ref_t ref, void **page)
{
	struct hvsim_view *v;
	struct hvsim_map *m;
	uint32_t frame;
	int16_t st;
	void *p;
	int rc;

	*page = NULL;
	if ((rc = hvsim_view_get(d, dom, &v)) < 0)
		return rc;
	if (hvsim_view_dying(v)) {
		hvsim_view_put(v);
		return -ESRCH;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		hvsim_view_put(v);
		return -ENOMEM;
	}
	st = hvsim_acquire(d, v, ref, false, true, &frame);
	if (st != GNTST_okay) {
		free(m);
		hvsim_view_put(v);
		return hvsim_gntst_errno(st);
	}
	p = mmap(NULL, HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    v->v_fd, (off_t)(v->v_hdr->h_page_off +
	    (uint64_t)frame * HV_PAGE_SIZE));
	if (p == MAP_FAILED) {
		rc = -errno;
		hvsim_release(d, v, ref, false);
		free(m);
		hvsim_view_put(v);
		return rc;
	}
	m->m_addr = p;
	m->m_view = v;		/* our reference */
	m->m_ref = ref;
	m->m_next = d->d_maps;
	d->d_maps = m;
	*page = p;
	return 0;
}

int
hvsim_gnt_unmap(struct hvsim_dom *d, void *page)
{
	struct hvsim_map **mp, *m;
	domid_t dom;

	for (mp = &d->d_maps; (m = *mp) != NULL; mp = &m->m_next)
		if (m->m_addr == page)
			break;
	if (m == NULL)
		return -EINVAL;
	*mp = m->m_next;
	munmap(m->m_addr, HV_PAGE_SIZE);
	hvsim_release(d, m->m_view, m->m_ref, false);
	dom = m->m_view->v_domid;
	hvsim_view_put(m->m_view);
	free(m);
	hvsim_view_done(d, dom);
	return 0;
}

void
hvsim_gnt_close_all(struct hvsim_dom *d)
{
	while (d->d_maps != NULL)
		(void)hvsim_gnt_unmap(d, d->d_maps->m_addr);
}
