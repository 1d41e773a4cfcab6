/*
 * hvsim_int.h -- what the hvsim_*.c files share and nobody else sees: the
 * layout of a domain file (documented in hvsim.c), a process's view of a
 * domain, the cross-process locks.  Not an interface: include hvsim.h.
 */
#ifndef XVIF_HVSIM_INT_H
#define XVIF_HVSIM_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/event_channel.h>

#include "hvsim.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "hvsim: the grant entry word (flags | domid << 16) assumes little-endian"
#endif

#define HVSIM_MAGIC		0x78767364u	/* "dsvx" */
#define HVSIM_VERSION		3u	/* 3: 4096 ports; 2: owners on pins */
#define HVSIM_NR_GRANTS		16384u	/* 32 pages of v1 entries */
/*
 * Ports a domain: the 2-level ABI's 4096 of a 64-bit guest, the least a
 * real dom0 has (FIFO has 2^17), so that 1000 vifs of split channels
 * (2000 of dom0's ports) run as Linux netfronts ask for them.
 */
#define HVSIM_NR_EVTCHN		4096u
#define HVSIM_DOM0_PAGES	16u
#define HVSIM_HDR_SIZE		4096u
#define HVSIM_MAX_OWNERS	1024u	/* open handles on one host at once */
#define HVSIM_ACT_HOLDERS	4u	/* handles pinning one grant at once */

/* Domain states (h_state). */
#define HVSIM_DOM_ALIVE		1u
#define HVSIM_DOM_DYING		2u

/* Event channel states (e_state), after Xen's ECS_*. */
#define HVSIM_ECS_FREE		0u
#define HVSIM_ECS_RESERVED	1u	/* port 0, as in Xen */
#define HVSIM_ECS_UNBOUND	2u
#define HVSIM_ECS_INTERDOMAIN	3u

/* Page 0 of a domain file. */
struct hvsim_hdr {
	uint32_t	h_magic;
	uint32_t	h_version;
	uint32_t	h_domid;
	uint32_t	h_state;	/* atomic: HVSIM_DOM_* */
	uint32_t	h_npages;
	uint32_t	h_nr_grants;
	uint32_t	h_nr_evtchn;
	uint32_t	h_evt_lock;	/* lock of the evtchn table: holder pid */
	uint64_t	h_gnt_off;	/* grant_entry_v1_t[h_nr_grants] */
	uint64_t	h_act_off;	/* struct hvsim_act[h_nr_grants] */
	uint64_t	h_evt_off;	/* struct hvsim_evtchn[h_nr_evtchn] */
	uint64_t	h_page_off;	/* h_npages guest pages */
	uint64_t	h_size;		/* of the whole file */
};
_Static_assert(sizeof(struct hvsim_hdr) == 72, "hvsim_hdr layout");
_Static_assert(sizeof(struct hvsim_hdr) <= HVSIM_HDR_SIZE, "header page");

/*
 * A v1 grant entry seen as Xen sees it: the first 32 bits are flags | domid
 * << 16 (updated with one cmpxchg, as Xen's _set_status_v1 does), then the
 * frame.  Same bytes as grant_entry_v1_t.
 */
struct hvsim_gnt {
	uint32_t	g_word;
	uint32_t	g_frame;
};
_Static_assert(sizeof(struct hvsim_gnt) == sizeof(grant_entry_v1_t),
    "hvsim_gnt is a grant_entry_v1_t");
_Static_assert(offsetof(grant_entry_v1_t, flags) == 0 &&
    offsetof(grant_entry_v1_t, domid) == 2 &&
    offsetof(grant_entry_v1_t, frame) == 4, "grant_entry_v1_t layout");
#define HVSIM_GNT_FLAGS(w)	((uint16_t)((w) & 0xffffu))
#define HVSIM_GNT_DOMID(w)	((domid_t)((w) >> 16))

/*
 * Who holds pins on a grant: one owner (an open handle, see hvsim.c) and
 * its pin counts, so that the pins of a handle whose process died can be
 * dropped by whoever meets them (what gntdev's release does on Linux).
 */
struct hvsim_hold {
	uint64_t	h_owner;	/* HVSIM owner id; 0: slot free */
	uint32_t	h_pin;		/* HVSIM_PIN_* counts of this owner */
	uint32_t	h_pad;
};

/*
 * The hypervisor's private "active entry" of a grant (Xen's struct
 * active_grant_entry): the pins, per holder, and what was found when the
 * first pin was taken.  Guests never touch it.  Xen's act->pin is the sum
 * of the holders' h_pin; it is not stored, so that a process dying inside
 * the lock cannot leave a total that disagrees with its parts.
 */
struct hvsim_act {
	uint32_t		a_lock;		/* holder pid, 0 when free */
	uint32_t		a_frame;	/* gfn found by the first pin */
	uint16_t		a_domid;	/* grantee holding the pins */
	uint16_t		a_pad[3];
	struct hvsim_hold	a_hold[HVSIM_ACT_HOLDERS];
};
_Static_assert(sizeof(struct hvsim_act) == 16 + 16 * HVSIM_ACT_HOLDERS,
    "hvsim_act layout");
/* Write pins in the low half, read pins in the high half (Xen: hstw/hstr). */
#define HVSIM_PIN_W		0x00000001u
#define HVSIM_PIN_R		0x00010000u
#define HVSIM_PIN_WMASK		0x0000ffffu

/* One event channel of a domain (Xen's struct evtchn, minus what we skip). */
struct hvsim_evtchn {
	uint32_t	e_state;	/* HVSIM_ECS_* */
	uint32_t	e_rport;	/* INTERDOMAIN: the peer port */
	uint16_t	e_rdom;		/* UNBOUND: who may bind; else peer */
	uint16_t	e_pad;
	uint32_t	e_gen;		/* bumped at each alloc/bind: FIFO id */
	uint64_t	e_owner;	/* handle that claimed it; 0: none */
};
_Static_assert(sizeof(struct hvsim_evtchn) == 24, "hvsim_evtchn layout");

/* One process's mapping of one domain file; refcounted. */
struct hvsim_view {
	int			 v_fd;
	void			*v_base;
	size_t			 v_size;
	struct hvsim_hdr	*v_hdr;		/* = v_base */
	struct hvsim_gnt	*v_gnt;
	struct hvsim_act	*v_act;
	struct hvsim_evtchn	*v_evt;
	uint8_t			*v_pages;
	domid_t			 v_domid;
	int			 v_refs;
};

/* A granted page we mapped (hvsim_gnt_map). */
struct hvsim_map {
	struct hvsim_map	*m_next;
	void			*m_addr;
	struct hvsim_view	*m_view;	/* holds a reference */
	grant_ref_t		 m_ref;
};

/*
 * An event-channel handle (an open of Linux's evtchn device): the epoll
 * fd over the FIFOs of the ports bound through it.
 */
struct hvsim_evth {
	int		 h_epfd;
	/* Taking an event vs. a port's FIFO closed by another thread. */
	pthread_mutex_t	 h_mu;
};

/* A port this process bound, with its FIFO and its peer's. */
struct hvsim_port {
	int		 p_fifo;	/* ours, O_RDWR: -1 if not ours */
	struct hvsim_evth *p_h;		/* the handle that bound it */
	int		 p_peer;	/* peer's FIFO, O_RDWR, cached; or -1 */
	uint32_t	 p_peer_gen;	/* e_gen of the peer when p_peer opened */
	domid_t		 p_peer_dom;
	uint32_t	 p_peer_port;
	bool		 p_masked;
	long long	 p_peer_checked; /* ms: last look for a gone peer */
};

/*
 * A process's entry in the host's owner registry DIR/owners (hvsim.c):
 * the registry's fd and its generation words, and our own owner id.
 */
struct hvsim_reg {
	int		 r_fd;
	uint32_t	*r_gen;		/* [HVSIM_MAX_OWNERS], shared */
	uint64_t	 r_self;	/* 0: a reclaimer that owns nothing */
};

struct hvsim_dom {
	char			 d_dir[256];
	domid_t			 d_self;
	struct hvsim_view	*d_own;
	/*
	 * The cache: xvifd's worker threads copy and notify at once.  A view
	 * stays while something uses it (hvsim_view_done), no longer.
	 */
	pthread_mutex_t		 d_views_mu;
	struct hvsim_view	*d_views[HVSIM_MAX_DOMID + 1];
	struct hvsim_map	*d_maps;
	struct hvsim_port	*d_ports;	/* [HVSIM_NR_EVTCHN] */
	struct hvsim_evth	 d_evth;	/* the hvsim_evt_*() one */
	struct hvsim_reg	 d_reg;		/* who we are, who is gone */
};

/* hvsim.c */
int	hvsim_lock(uint32_t *);
void	hvsim_unlock(uint32_t *);
int	hvsim_view_open(const char *dir, domid_t, struct hvsim_view **);
void	hvsim_view_put(struct hvsim_view *);
int	hvsim_view_get(struct hvsim_dom *, domid_t, struct hvsim_view **);
void	hvsim_view_done(struct hvsim_dom *, domid_t);
bool	hvsim_view_dying(const struct hvsim_view *);
int	hvsim_evt_lock2(struct hvsim_view *, struct hvsim_view *);
void	hvsim_evt_unlock2(struct hvsim_view *, struct hvsim_view *);
void	hvsim_fifo_path(const char *dir, domid_t, uint32_t port,
	    uint32_t gen, char *, size_t);
long long hvsim_now_ms(void);
int	hvsim_reg_open(const char *dir, struct hvsim_reg *);
void	hvsim_reg_close(struct hvsim_reg *);
bool	hvsim_owner_gone(const struct hvsim_reg *, uint64_t owner);

/* hvsim_gnt.c */
void	hvsim_gnt_close_all(struct hvsim_dom *);
void	hvsim_gnt_sweep(struct hvsim_dom *);

/* hvsim_evt.c */
int	hvsim_evt_init(struct hvsim_dom *);
void	hvsim_evt_close_all(struct hvsim_dom *);
void	hvsim_evt_kill_domain(const char *dir, struct hvsim_view *);
bool	hvsim_evt_reap(const struct hvsim_reg *, struct hvsim_dom *,
	    const char *dir, struct hvsim_view *, uint32_t port);
void	hvsim_evt_sweep(struct hvsim_dom *, struct hvsim_view *);

#endif
