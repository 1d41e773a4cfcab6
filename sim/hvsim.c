/*
 * hvsim.c -- the simulated hypervisor's domains: their files, each
 * process's mappings of them ("views"), the cross-process locks, and the
 * domctl side (host init, create, destroy, exists).  Grants are in
 * hvsim_gnt.c, event channels in hvsim_evt.c.  Owns no policy of xvif.
 *
 * Files in the host directory DIR (no broker process: every process maps
 * them MAP_SHARED and applies Xen's rules itself):
 *
 *	DIR/dom<N>.mem		domain N, created whole under a temporary name
 *				and link()ed into place (nobody maps a
 *				half-made domain; link() also picks the id
 *				atomically: EEXIST means taken)
 *	DIR/owners		the owner registry: uint32_t generation
 *				[HVSIM_MAX_OWNERS]; slot i is held by an open
 *				handle through an OFD write lock on byte i
 *				(see "Owners" below)
 *	DIR/evtchn/d<N>-p<P>-g<G>
 *				FIFO of port P of domain N, generation G;
 *				made and read (O_RDWR|O_NONBLOCK) by the
 *				process that allocated or bound P; a notify
 *				writes one byte to the peer's (full FIFO =
 *				already pending)
 *
 * A domain file, all offsets in its header:
 *
 *	0			struct hvsim_hdr (one page): magic, version,
 *				domid, state (alive/dying), sizes, offsets,
 *				the event channel table lock
 *	h_gnt_off		grant_entry_v1_t[h_nr_grants]: the guest's
 *				shared v1 grant table (flags, domid, frame)
 *	h_act_off		struct hvsim_act[h_nr_grants]: Xen's private
 *				active entries (pin counts, lock, frame)
 *	h_evt_off		struct hvsim_evtchn[h_nr_evtchn]: Xen's
 *				event channel table (state, peer, generation)
 *	h_page_off		h_npages guest pages; gfn = page index
 *
 * Shared words Xen updates atomically are updated here with __atomic
 * builtins: the grant entry's flags|domid word by cmpxchg (_set_status_v1,
 * gnttab_end_foreign_access_ref_v1), the domain state.  What Xen guards
 * with a spinlock (an active grant entry, a domain's event_lock) is
 * guarded by a spinlock word in the file holding the holder's pid: a
 * waiter gives up after HVSIM_LOCK_TIMEOUT_MS, and takes over a lock whose
 * holder has died (kill(pid, 0) says ESRCH) after HVSIM_LOCK_STALE_MS.
 *
 * Owners.  On Linux, a backend's event channels and grant maps belong to
 * its open /dev/xen/evtchn and /dev/xen/gntdev files: when its process
 * dies, the kernel closes them, which closes every port it bound
 * (evtchn_release -> EVTCHNOP_close) and unmaps every grant it mapped
 * (gntdev_release), so a restarted daemon re-binds the guest's same port
 * and re-maps the same grants.  Here each hvsim_open() claims a slot i of
 * DIR/owners by taking an open-file-description (F_OFD_SETLK) write lock on
 * byte i, then bumps gen[i]; its owner id is gen[i] << 32 | i, and is
 * recorded on every port it claims (e_owner) and every pin it holds
 * (a_hold[]).  The kernel drops the lock when the last fd of that open
 * file goes, i.e. when the handle is closed or its process dies (its
 * forked children, which share the fd, keep it alive, as they keep a
 * shared /dev/xen/evtchn fd).  An owner id is gone when gen[i] moved on or
 * nobody holds byte i (F_OFD_GETLK); once gone it never comes back, since
 * gen only grows.  No pid is involved, so pid reuse cannot make a dead
 * owner look alive, and a zombie (fds closed, not yet reaped) is dead.
 *
 * Whoever meets a port or a pin of a gone owner releases it exactly as the
 * owner's close or unmap would have (hvsim_evt_reap, hvsim_act_reap),
 * under the same locks, after checking under them that the owner is still
 * the same; a live owner is never released, since the check is the lock
 * the kernel holds for it.  This happens lazily: binding to a port whose
 * peer (or which itself) is held by a gone owner; notify (at most every
 * HVSIM_PEER_CHECK_MS per port); alloc/bind finding the port table full;
 * hvsim_grant_end meeting GTF_reading/GTF_writing; a pin finding the grant
 * pinned by another domain or its holder slots full; domain destroy (for
 * the peers of the dying domain's ports); and hvsim_open, which sweeps its
 * own domain's ports and grants.
 *
 * NOT modelled:
 *   - grant table v2, sub-page and transitive grants, GNTTABOP_transfer,
 *     grant-copy by frame number, copies between two foreign domains;
 *   - mapping by anything but a grant (foreign memory, privcmd);
 *   - limits beyond the table sizes (HVSIM_NR_GRANTS, HVSIM_NR_EVTCHN),
 *     grant table growth, XSM;
 *   - event channel kinds other than interdomain (VIRQ, PIRQ, IPI), vCPU
 *     binding, the 2-level/FIFO ABIs' shared pending/mask bits (pending
 *     is the FIFO's content; masking is local to the binding process, as
 *     libxenevtchn's is);
 *   - a process that writes the shared files directly;
 *   - a process dying inside a critical section of an event channel
 *     table: the lock is taken over (after HVSIM_LOCK_STALE_MS, once
 *     kill(pid, 0) says ESRCH, i.e. once it was reaped), but a half-made
 *     bind is only undone as far as closing its port undoes it;
 *   - more than HVSIM_ACT_HOLDERS live handles pinning one grant at once:
 *     the next pin fails with GNTST_general_error (Xen limits only the
 *     counts);
 *   - a handle used after fork() by a child whose parent died stays
 *     alive (the fd is shared), but hvsim_close() in either process
 *     releases everything (Linux would wait for the last close);
 *   - a guest process's death revokes none of its grants: the grant
 *     table is the domain's, not the process's (a guest kernel's);
 *   - a port held by a gone owner is released only when met (see
 *     "Owners"), not at the instant of death: until then its peer still
 *     looks bound, and notifies to it are dropped;
 *   - domain memory beyond one flat array of pages (no p2m, no ballooning).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hvsim_int.h"

#define HVSIM_LOCK_TIMEOUT_MS	2000
#define HVSIM_LOCK_STALE_MS	200

long long
hvsim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * This process's pid, which a lock word holds: getpid() is a system call
 * (glibc no longer caches it), two per grant copy segment, and getpid
 * with its seccomp check was a tenth of xvifd's CPU moving TCP on the
 * simulated host.  Read once, and again in a forked child.
 */
static uint32_t hvsim_pid;
static pthread_once_t hvsim_pid_once = PTHREAD_ONCE_INIT;

static void
hvsim_pid_reset(void)
{
	hvsim_pid = (uint32_t)getpid();
}

static void
hvsim_pid_init(void)
{
	hvsim_pid_reset();
	(void)pthread_atfork(NULL, NULL, hvsim_pid_reset);
}

static uint32_t
hvsim_lock_owner(void)
{
	(void)pthread_once(&hvsim_pid_once, hvsim_pid_init);
	return hvsim_pid;
}

/*
 * Take a cross-process spinlock: *w holds the holder's pid.  -ETIMEDOUT
 * after HVSIM_LOCK_TIMEOUT_MS; a dead holder's lock is taken over, and then
 * 1 is returned instead of 0 (what it guarded may be half-updated).
 */
int
hvsim_lock(uint32_t *w)
{
	uint32_t self = hvsim_lock_owner(), old;
	long long start = 0, now;
	unsigned int spins = 0;

	for (;;) {
		old = 0;
		if (__atomic_compare_exchange_n(w, &old, self, false,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 0;
		if (++spins < 256) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
			continue;
		}
		now = hvsim_now_ms();
		if (start == 0)
			start = now;
		if (now - start > HVSIM_LOCK_STALE_MS && old != 0 &&
		    kill((pid_t)old, 0) < 0 && errno == ESRCH &&
		    __atomic_compare_exchange_n(w, &old, self, false,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
		if (now - start > HVSIM_LOCK_TIMEOUT_MS)
			return -ETIMEDOUT;
		spins = 0;
		sched_yield();
	}
}

void
hvsim_unlock(uint32_t *w)
{
	__atomic_store_n(w, 0, __ATOMIC_RELEASE);
}

static void
hvsim_dom_path(const char *dir, domid_t domid, char *buf, size_t len)
{
	snprintf(buf, len, "%s/dom%u.mem", dir, (unsigned int)domid);
}

void
hvsim_fifo_path(const char *dir, domid_t domid, uint32_t port, uint32_t gen,
    char *buf, size_t len)
{
	snprintf(buf, len, "%s/evtchn/d%u-p%u-g%u", dir, (unsigned int)domid,
	    (unsigned int)port, (unsigned int)gen);
}

/* -- The owner registry (see "Owners" above). -- */

#define HVSIM_REG_SIZE	(HVSIM_MAX_OWNERS * sizeof(uint32_t))

/* Open (making it if need be) DIR/owners; r owns nothing yet. */
int
hvsim_reg_open(const char *dir, struct hvsim_reg *r)
{
	char path[512];
	struct stat st;
	void *p;
	int rc;

	r->r_gen = NULL;
	r->r_self = 0;
	snprintf(path, sizeof(path), "%s/owners", dir);
	if ((r->r_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -errno;
	/* Growing only: a racing opener truncates to the same size. */
	if (fstat(r->r_fd, &st) < 0 || (st.st_size < (off_t)HVSIM_REG_SIZE &&
	    ftruncate(r->r_fd, (off_t)HVSIM_REG_SIZE) < 0))
		goto fail;
	p = mmap(NULL, HVSIM_REG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    r->r_fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	r->r_gen = p;
	return 0;
fail:
	rc = -errno;
	hvsim_reg_close(r);
	return rc;
}

void
hvsim_reg_close(struct hvsim_reg *r)
{
	if (r->r_gen != NULL)
		munmap(r->r_gen, HVSIM_REG_SIZE);
	r->r_gen = NULL;
	if (r->r_fd >= 0)
		close(r->r_fd);	/* drops our slot's lock: we are gone */
	r->r_fd = -1;
	r->r_self = 0;
}

/*
 * Claim the first slot nobody holds: lock it first, then bump its
 * generation, so that a checker that sees the new generation also sees
 * the lock.  -EUSERS when all HVSIM_MAX_OWNERS are held.
 */
static int
hvsim_reg_claim(struct hvsim_reg *r)
{
	struct flock fl;
	uint32_t i, gen;

	for (i = 0; i < HVSIM_MAX_OWNERS; i++) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = i;
		fl.l_len = 1;
		if (fcntl(r->r_fd, F_OFD_SETLK, &fl) == 0)
			break;
		if (errno != EAGAIN && errno != EACCES)
			return -errno;
	}
	if (i == HVSIM_MAX_OWNERS)
		return -EUSERS;
	while ((gen = __atomic_add_fetch(&r->r_gen[i], 1,
	    __ATOMIC_ACQ_REL)) == 0)
		;			/* 0 would make owner id 0 possible */
	r->r_self = (uint64_t)gen << 32 | i;
	return 0;
}

/*
 * Is owner gone (its handle closed or its process dead)?  false for 0
 * (nobody) and for ourselves.  When unsure (fcntl failed) it says no:
 * a live owner must never be released.
 */
bool
hvsim_owner_gone(const struct hvsim_reg *r, uint64_t owner)
{
	uint32_t slot = (uint32_t)owner, gen = (uint32_t)(owner >> 32);
	struct flock fl;

	if (owner == 0 || owner == r->r_self)
		return false;
	if (slot >= HVSIM_MAX_OWNERS)
		return true;	/* no such slot: nobody can hold it */
	if (__atomic_load_n(&r->r_gen[slot], __ATOMIC_ACQUIRE) != gen)
		return true;	/* the slot was claimed again since */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = slot;
	fl.l_len = 1;
	if (fcntl(r->r_fd, F_OFD_GETLK, &fl) < 0)
		return false;
	/*
	 * Unlocked: its holder (who locked before making gen what we read)
	 * let go.  Locked: it, or a new claimant about to bump gen; either
	 * way "alive" is the safe answer.
	 */
	return fl.l_type == F_UNLCK;
}

static uint64_t
hvsim_round_page(uint64_t n)
{
	return (n + HV_PAGE_SIZE - 1) & ~(uint64_t)(HV_PAGE_SIZE - 1);
}

/* Fill in a fresh header for npages (domid is set by the caller). */
static void
hvsim_hdr_init(struct hvsim_hdr *h, unsigned int npages)
{
	h->h_magic = HVSIM_MAGIC;
	h->h_version = HVSIM_VERSION;
	h->h_npages = npages;
	h->h_nr_grants = HVSIM_NR_GRANTS;
	h->h_nr_evtchn = HVSIM_NR_EVTCHN;
	h->h_gnt_off = HVSIM_HDR_SIZE;
	h->h_act_off = h->h_gnt_off +
	    hvsim_round_page((uint64_t)HVSIM_NR_GRANTS *
	    sizeof(struct hvsim_gnt));
	h->h_evt_off = h->h_act_off +
	    hvsim_round_page((uint64_t)HVSIM_NR_GRANTS *
	    sizeof(struct hvsim_act));
	h->h_page_off = h->h_evt_off +
	    hvsim_round_page((uint64_t)HVSIM_NR_EVTCHN *
	    sizeof(struct hvsim_evtchn));
	h->h_size = h->h_page_off + (uint64_t)npages * HV_PAGE_SIZE;
}

static void
hvsim_view_free(struct hvsim_view *v)
{
	if (v->v_base != NULL && v->v_base != MAP_FAILED)
		munmap(v->v_base, v->v_size);
	if (v->v_fd >= 0)
		close(v->v_fd);
	free(v);
}

/* Map an open domain file into a new view (refs = 1). */
static int
hvsim_view_map(int fd, struct hvsim_view **out)
{
	struct hvsim_view *v;
	struct hvsim_hdr *h;
	struct stat st;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	v->v_fd = fd;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)HVSIM_HDR_SIZE) {
		hvsim_view_free(v);
		return -EIO;
	}
	v->v_size = (size_t)st.st_size;
	v->v_base = mmap(NULL, v->v_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (v->v_base == MAP_FAILED) {
		int rc = -errno;
		hvsim_view_free(v);
		return rc;
	}
	h = v->v_hdr = v->v_base;
	if (h->h_magic != HVSIM_MAGIC || h->h_version != HVSIM_VERSION ||
	    h->h_size != (uint64_t)st.st_size ||
	    h->h_nr_grants != HVSIM_NR_GRANTS ||
	    h->h_nr_evtchn != HVSIM_NR_EVTCHN) {
		hvsim_view_free(v);
		return -EIO;
	}
	v->v_gnt = (struct hvsim_gnt *)((uint8_t *)v->v_base + h->h_gnt_off);
	v->v_act = (struct hvsim_act *)((uint8_t *)v->v_base + h->h_act_off);
	v->v_evt = (struct hvsim_evtchn *)((uint8_t *)v->v_base +
	    h->h_evt_off);
	v->v_pages = (uint8_t *)v->v_base + h->h_page_off;
	v->v_domid = (domid_t)h->h_domid;
	v->v_refs = 1;
	*out = v;
	return 0;
}

/* -ESRCH if the domain has no file. */
int
hvsim_view_open(const char *dir, domid_t domid, struct hvsim_view **out)
{
	char path[512];
	int fd;

	if (domid > HVSIM_MAX_DOMID)
		return -ESRCH;
	hvsim_dom_path(dir, domid, path, sizeof(path));
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return hvsim_view_map(fd, out);
}

void
hvsim_view_put(struct hvsim_view *v)
{
	if (v != NULL && __atomic_sub_fetch(&v->v_refs, 1, __ATOMIC_ACQ_REL) == 0)
		hvsim_view_free(v);
}

bool
hvsim_view_dying(const struct hvsim_view *v)
{
	return __atomic_load_n(&v->v_hdr->h_state, __ATOMIC_ACQUIRE) !=
	    HVSIM_DOM_ALIVE;
}

/*
 * d's views of other domains, cached while something uses them: a view
 * maps the domain's whole memory file and holds its fd, so a view kept
 * after its last user would keep a dead guest's memory for as long as
 * this process lives (its id may never come back).  Under d_views_mu:
 * drop the cached view of domid if its domain is dying or the cache's
 * is the only reference left (nobody else can take one meanwhile).
 */
static void
hvsim_view_uncache(struct hvsim_dom *d, domid_t domid, bool idle_too)
{
	struct hvsim_view *v = d->d_views[domid];

	if (v == NULL || (!hvsim_view_dying(v) &&
	    !(idle_too && __atomic_load_n(&v->v_refs, __ATOMIC_ACQUIRE) == 1)))
		return;
	d->d_views[domid] = NULL;
	hvsim_view_put(v);	/* others may still hold it */
}

/*
 * A reference to domid's view, through d's cache.  A cached view of a
 * dying domain is dropped and the name looked up again (the id may have
 * been reused); a dying view is not cached.  The view returned may itself
 * be dying: callers decide.
 */
int
hvsim_view_get(struct hvsim_dom *d, domid_t domid, struct hvsim_view **out)
{
	struct hvsim_view *v;
	int rc;

	if (domid > HVSIM_MAX_DOMID)
		return -ESRCH;
	if (domid == d->d_self) {
		__atomic_add_fetch(&d->d_own->v_refs, 1, __ATOMIC_RELAXED);
		*out = d->d_own;
		return 0;
	}
	pthread_mutex_lock(&d->d_views_mu);
	hvsim_view_uncache(d, domid, false);
	if ((v = d->d_views[domid]) == NULL) {
		if ((rc = hvsim_view_open(d->d_dir, domid, &v)) < 0) {
			pthread_mutex_unlock(&d->d_views_mu);
			return rc;
		}
		if (hvsim_view_dying(v)) {	/* the caller's reference */
			pthread_mutex_unlock(&d->d_views_mu);
			*out = v;
			return 0;
		}
		d->d_views[domid] = v;
	}
	__atomic_add_fetch(&v->v_refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&d->d_views_mu);
	*out = v;
	return 0;
}

/*
 * A user of domid's view let go of it (a grant unmapped, a channel to it
 * closed): if that was the last, or the domain is dying, the cache lets
 * go too.
 */
void
hvsim_view_done(struct hvsim_dom *d, domid_t domid)
{
	if (domid > HVSIM_MAX_DOMID || domid == d->d_self)
		return;
	pthread_mutex_lock(&d->d_views_mu);
	hvsim_view_uncache(d, domid, true);
	pthread_mutex_unlock(&d->d_views_mu);
}

/* Lock the event channel tables of a and b, in domid order (Xen's). */
int
hvsim_evt_lock2(struct hvsim_view *a, struct hvsim_view *b)
{
	struct hvsim_view *first = a, *second = b;
	int rc;

	if (b == NULL || a->v_hdr == b->v_hdr)
		return hvsim_lock(&a->v_hdr->h_evt_lock) < 0 ? -ETIMEDOUT : 0;
	if (b->v_domid < a->v_domid) {
		first = b;
		second = a;
	}
	if ((rc = hvsim_lock(&first->v_hdr->h_evt_lock)) < 0)
		return rc;
	if ((rc = hvsim_lock(&second->v_hdr->h_evt_lock)) < 0) {
		hvsim_unlock(&first->v_hdr->h_evt_lock);
		return rc;
	}
	return 0;		/* a takeover (1) means nothing more here */
}

void
hvsim_evt_unlock2(struct hvsim_view *a, struct hvsim_view *b)
{
	hvsim_unlock(&a->v_hdr->h_evt_lock);
	if (b != NULL && a->v_hdr != b->v_hdr)
		hvsim_unlock(&b->v_hdr->h_evt_lock);
}

/*
 * Make a complete domain file under a private temporary name, then link()
 * it to dom<id>.mem for the first free id in [lo, hi].  link() fails with
 * EEXIST if the id is taken, which makes the choice atomic across
 * processes; the file is whole before anybody can open it.
 */
static int
hvsim_make_domain(const char *dir, unsigned int npages, unsigned int lo,
    unsigned int hi, domid_t *domid)
{
	struct hvsim_hdr hdr, *h;
	char tmp[512], path[512];
	unsigned int id;
	void *p;
	int fd, rc;

	memset(&hdr, 0, sizeof(hdr));
	hvsim_hdr_init(&hdr, npages);
	snprintf(tmp, sizeof(tmp), "%s/.dom-new.XXXXXX", dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -errno;
	if (ftruncate(fd, (off_t)hdr.h_size) < 0) {
		rc = -errno;
		goto out;
	}
	p = mmap(NULL, (size_t)hdr.h_page_off, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	h = p;
	*h = hdr;
	h->h_state = HVSIM_DOM_ALIVE;
	/* Port 0 is reserved, as Xen's evtchn_init() does. */
	((struct hvsim_evtchn *)((uint8_t *)p + h->h_evt_off))[0].e_state =
	    HVSIM_ECS_RESERVED;
	rc = -EAGAIN;
	for (id = lo; id <= hi; id++) {
		h->h_domid = id;	/* nobody else sees the file yet */
		hvsim_dom_path(dir, (domid_t)id, path, sizeof(path));
		if (link(tmp, path) == 0) {
			*domid = (domid_t)id;
			rc = 0;
			break;
		}
		if (errno != EEXIST) {
			rc = -errno;
			break;
		}
	}
	munmap(p, (size_t)hdr.h_page_off);
out:
	close(fd);
	unlink(tmp);
	return rc;
}

int
hvsim_host_init(const char *dir)
{
	struct hvsim_view *v;
	char path[512];
	domid_t id;
	int rc;

	snprintf(path, sizeof(path), "%s/evtchn", dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (hvsim_view_open(dir, 0, &v) == 0) {
		hvsim_view_put(v);
		return 0;
	}
	rc = hvsim_make_domain(dir, HVSIM_DOM0_PAGES, 0, 0, &id);
	return rc == -EAGAIN ? 0 : rc;	/* -EAGAIN: another made it first */
}

int
hvsim_domain_create(const char *dir, unsigned int npages, domid_t *domid)
{
	int rc;

	if (npages == 0)
		npages = HVSIM_DEFAULT_PAGES;
	if (npages > (1u << 20))
		return -EINVAL;
	if ((rc = hvsim_host_init(dir)) < 0)
		return rc;
	return hvsim_make_domain(dir, npages, 1, HVSIM_MAX_DOMID, domid);
}

int
hvsim_domain_destroy(const char *dir, domid_t domid)
{
	struct hvsim_view *v;
	char path[512];
	uint32_t alive = HVSIM_DOM_ALIVE;
	int rc;

	if ((rc = hvsim_view_open(dir, domid, &v)) < 0)
		return rc;
	/* Dying first: from now on grant ops on it fail, binds get ESRCH. */
	if (!__atomic_compare_exchange_n(&v->v_hdr->h_state, &alive,
	    HVSIM_DOM_DYING, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		hvsim_view_put(v);
		return -ESRCH;		/* someone else is destroying it */
	}
	hvsim_evt_kill_domain(dir, v);	/* and its peers held by the gone */
	hvsim_dom_path(dir, domid, path, sizeof(path));
	rc = unlink(path) < 0 ? -errno : 0;
	hvsim_view_put(v);
	return rc;
}

int
hvsim_domain_exists(const char *dir, domid_t domid)
{
	struct hvsim_view *v;
	int alive;

	if (hvsim_view_open(dir, domid, &v) < 0)
		return 0;
	alive = !hvsim_view_dying(v);
	hvsim_view_put(v);
	return alive;
}

int
hvsim_open(const char *dir, domid_t self, struct hvsim_dom **out)
{
	struct hvsim_dom *d;
	int rc;

	*out = NULL;
	if (strlen(dir) >= sizeof(d->d_dir) - 64)
		return -ENAMETOOLONG;
	/* dom0 always exists on a host: make it if the host has not yet. */
	if (self == 0 && (rc = hvsim_host_init(dir)) < 0)
		return rc;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -ENOMEM;
	d->d_evth.h_epfd = -1;
	d->d_reg.r_fd = -1;
	pthread_mutex_init(&d->d_views_mu, NULL);
	snprintf(d->d_dir, sizeof(d->d_dir), "%s", dir);
	d->d_self = self;
	/* Who we are, before we hold anything. */
	if ((rc = hvsim_reg_open(dir, &d->d_reg)) < 0 ||
	    (rc = hvsim_reg_claim(&d->d_reg)) < 0)
		goto fail;
	if ((rc = hvsim_view_open(dir, self, &d->d_own)) < 0)
		goto fail;
	if (hvsim_view_dying(d->d_own)) {
		rc = -ESRCH;
		goto fail;
	}
	if ((rc = hvsim_evt_init(d)) < 0)
		goto fail;
	/* The periodic check: what gone owners left in our domain. */
	hvsim_evt_sweep(d, d->d_own);
	hvsim_gnt_sweep(d);
	*out = d;
	return 0;
fail:
	hvsim_close(d);
	return rc;
}

void
hvsim_close(struct hvsim_dom *d)
{
	unsigned int i;

	if (d == NULL)
		return;
	hvsim_gnt_close_all(d);
	hvsim_evt_close_all(d);
	for (i = 0; i <= HVSIM_MAX_DOMID; i++) {
		hvsim_view_put(d->d_views[i]);
		d->d_views[i] = NULL;
	}
	hvsim_view_put(d->d_own);
	hvsim_reg_close(&d->d_reg);	/* last: we held things until here */
	pthread_mutex_destroy(&d->d_views_mu);
	free(d);
}

domid_t
hvsim_self(const struct hvsim_dom *d)
{
	return d->d_self;
}

unsigned int
hvsim_npages(const struct hvsim_dom *d)
{
	return d->d_own->v_hdr->h_npages;
}

void *
hvsim_page(struct hvsim_dom *d, uint32_t gfn)
{
	if (gfn >= d->d_own->v_hdr->h_npages)
		return NULL;
	return d->d_own->v_pages + (size_t)gfn * HV_PAGE_SIZE;
}

unsigned int
hvsim_nr_grants(const struct hvsim_dom *d)
{
	return d->d_own->v_hdr->h_nr_grants;
}
