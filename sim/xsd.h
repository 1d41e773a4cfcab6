/*
 * xsd.h -- the XenStore server of `xvif-sim host`: a model of Xen 4.17's C
 * xenstored (tools/xenstore/xenstored_*.c, docs/misc/xenstore.txt) that
 * speaks the xs_wire.h protocol on UNIX sockets, so that the real
 * libxenstore and the stock xenstore-* tools work against it unmodified.
 *
 *   xsd_tree.c   nodes, paths, permissions, per-domain node counts, and
 *                the "view" (global tree or a transaction) every op uses
 *   xsd_txn.c    transactions: accessed-node records, conflict rule, commit
 *   xsd_watch.c  watches, event matching and permission filtering
 *   xsd_ops.c    request dispatch, node requests, watches, transactions
 *   xsd_dom.c    domain requests (introduce, release, ...) and CONTROL
 *   xsd_conn.c   connections: output queues, sockets, epoll loop, framing
 *
 * The core (everything but the socket half of xsd_conn.c) needs no socket:
 * a test makes a connection with xsd_conn_new(), hands it whole messages
 * with xsd_request() or bytes as a client sends them with xsd_conn_feed()
 * (the socket loop's own framing), and pops replies with xsd_conn_pop().
 *
 * Connections: DIR/xenstored.sock is dom0 (privileged, like xenstored's
 * own socket); XS_INTRODUCE(N) makes DIR/xs-dom<N>.sock, whose clients act
 * as domain N (unprivileged, implicit path /local/domain/N); XS_RELEASE
 * removes it and closes its connections.
 *
 * Modelled as in 4.17: request types and their argument checks, errno
 * strings, path validation, permissions (owner, per-domain n/r/w/b,
 * EACCES vs ENOENT from the parents), implicit parent creation (inherits
 * the parent's perms; an unprivileged creator becomes the owner), rm
 * events (children exact, bottom-up), watch permission filtering, duplicate
 * pending events dropped, transactions with xenstored's generation rule,
 * quotas (nodes 1000, entry size 2048, watches 128, transactions 10,
 * perms per node 5, transaction nodes 1024) with their ENOSPC/E2BIG
 * answers, removal of a released domain's nodes, special-node perms of
 * @introduceDomain/@releaseDomain.
 *
 * NOT modelled:
 *   - ring-page (xenbus) connections and event channels: a domain is
 *     served over its own UNIX socket instead, and several clients may
 *     connect to it at once (xenstored has one ring per domain); watches
 *     and transactions are per connection, quotas per domain as in 4.17;
 *   - asking the hypervisor whether a domain exists: INTRODUCE trusts its
 *     arguments (mfn and port are only checked for syntax), and a domain
 *     is only released by XS_RELEASE, never because it died;
 *   - the XS_PERM_IGNORE rule for perms naming domains introduced after
 *     the node was written (chk_domain_generation);
 *   - memory quotas, write rate limiting, the outstanding-request quota,
 *     the 20 s watch-event timeout for guests, live update, the tdb and
 *     --keep-orphans; SET_TARGET is recorded and used by permission checks
 *     but a target's transactions are not shared;
 *   - CONTROL beyond "check", "print", "quota" and "help";
 *   - read-only sockets (xenstored's socket_ro).
 *
 * Output is bounded: a connection queues at most XSD_OUT_MAX bytes.  Past
 * that, watch events for it are dropped (as xenstored drops events when a
 * guest's memory quota is exhausted) and the server stops reading its
 * requests until the queue drains, so its replies are never lost and its
 * memory never grows.  The first drop is logged.
 *
 * Everything returns 0 / >= 0 or -errno; only xsd_conn.c logs, one line
 * per bad client, to stderr.
 */
#ifndef XVIF_XSD_H
#define XVIF_XSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

/* xenstored 4.17 defaults (xenstored_core.c). */
#define XSD_QUOTA_NODES		1000	/* nodes owned per domain */
#define XSD_QUOTA_ENTRY_SIZE	2048	/* record: header+perms+data+children */
#define XSD_QUOTA_WATCHES	128
#define XSD_QUOTA_TXNS		10
#define XSD_QUOTA_PERMS		5
#define XSD_QUOTA_TXN_NODES	1024
#define XSD_OUT_MAX		(256u * 1024)	/* bytes queued per connection */

#define XSD_PERM_NONE	0x00		/* = XS_PERM_* of xenstore_lib.h */
#define XSD_PERM_READ	0x01
#define XSD_PERM_WRITE	0x02
#define XSD_PERM_OWNER	0x08

#define XSD_NO_GEN	UINT64_MAX	/* generation of an absent node */
#define XSD_NO_TARGET	UINT32_MAX

struct xsd_perm {
	unsigned int	 p_id;
	unsigned int	 p_perms;	/* XSD_PERM_* */
};

struct xsd_node {
	struct xsd_node	*n_hnext;	/* hash chain */
	unsigned int	 n_hash;	/* xsd_hash(n_name), set by htab_put */
	char		*n_name;	/* canonical absolute path */
	char		*n_data;
	unsigned int	 n_datalen;
	char		*n_children;	/* NUL-separated, insertion order */
	unsigned int	 n_childlen;
	struct xsd_perm	*n_perms;	/* [0]: owner and everyone else */
	unsigned int	 n_nperms;
	uint64_t	 n_gen;
};

struct xsd_htab {
	struct xsd_node	**h_b;
	unsigned int	 h_nb;
	unsigned int	 h_n;
};

/* A node a transaction touched (xenstored's struct accessed_node). */
struct xsd_acc {
	struct xsd_acc	*a_next;
	char		*a_name;
	unsigned int	 a_hash;	/* xsd_hash(a_name) */
	uint64_t	 a_gen;		/* global generation at first read */
	bool		 a_check;	/* first access was a read */
	bool		 a_modified;
	bool		 a_fire, a_exact;
	struct xsd_node	*a_node;	/* the txn's copy; NULL: absent */
	struct xsd_perm	*a_operms;	/* perms when first seen, for events */
	unsigned int	 a_noperms;
};

struct xsd_delta {
	struct xsd_delta *dl_next;
	unsigned int	 dl_dom;
	int		 dl_n;
};

struct xsd_txn {
	struct xsd_txn	*t_next;
	uint32_t	 t_id;
	struct xsd_acc	*t_acc;
	unsigned int	 t_nacc;
	struct xsd_delta *t_delta;	/* node count changes per owner */
	bool		 t_created;
	bool		 t_fail;
};

struct xsd_watch {
	struct xsd_watch *w_next;
	char		*w_node;	/* canonical path or @special */
	char		*w_token;
	bool		 w_rel;		/* events relative to the conn's home */
};

struct xsd_dom {
	struct xsd_dom	*d_next;
	unsigned int	 d_id;
	bool		 d_introduced;
	int		 d_nbentry;	/* nodes it owns */
	int		 d_nbwatch;
	unsigned int	 d_target;	/* SET_TARGET, or XSD_NO_TARGET */
};

struct xsd_msg {
	struct xsd_msg	*m_next;
	struct xsd_sockmsg m_hdr;
	bool		 m_event;
	char		 m_data[];
};

struct xsd;

struct xsd_conn {
	struct xsd_conn	*c_next;
	struct xsd	*c_xsd;		/* parent */
	unsigned int	 c_num;		/* for log lines */
	unsigned int	 c_domid;
	bool		 c_priv;
	struct xsd_watch *c_watches;
	struct xsd_txn	*c_txns;
	unsigned int	 c_ntxns;
	uint32_t	 c_next_txid;
	struct xsd_txn	*c_cur;		/* during a request only */
	struct xsd_msg	*c_out, **c_outtail;
	size_t		 c_outbytes;
	size_t		 c_outoff;	/* bytes of c_out already sent */
	bool		 c_dropped;	/* logged an event drop already */
	bool		 c_dead;	/* to be closed by the socket layer */
	/* Socket layer (xsd_conn.c). */
	int		 c_fd;
	bool		 c_listen;
	unsigned int	 c_inused;
	struct xsd_sockmsg c_inhdr;
	char		 c_inbuf[XENSTORE_PAYLOAD_MAX];
	unsigned int	 c_evmask;	/* epoll events registered */
	unsigned int	 c_nlog;	/* lines logged about it */
};

/*
 * Domains by domid % XSD_DOM_BUCKETS: permissions look one up for every
 * watching connection on every event, so a list made each event cost
 * connections x domains (a second or more each at 1000 guests).
 */
#define XSD_DOM_BUCKETS	256

struct xsd {
	struct xsd_htab	 x_tree;
	uint64_t	 x_gen;
	struct xsd_dom	*x_doms[XSD_DOM_BUCKETS];
	struct xsd_conn	*x_conns;
	unsigned int	 x_nextnum;
	struct xsd_perm	*x_intro_perms, *x_release_perms;
	unsigned int	 x_nintro, x_nrelease;
	/* Told when a domain is introduced/released (sockets). */
	void		(*x_on_dom)(struct xsd *, unsigned int domid, bool up);
	void		*x_arg;
	/* Socket layer. */
	char		*x_dir;
	int		 x_epfd;
};

/* -- xsd_tree.c -- */
int	xsd_init(struct xsd *);		/* the tree of a dom0 after boot */
void	xsd_fini(struct xsd *);
bool	xsd_valid_path(const char *);
char	*xsd_canon(const struct xsd_conn *, const char *);	/* malloc'd */
struct xsd_node *xsd_node_new(const char *name);
struct xsd_node *xsd_node_dup(const struct xsd_node *);
void	xsd_node_free(struct xsd_node *);
int	xsd_node_set_data(struct xsd_node *, const char *, unsigned int);
int	xsd_node_add_child(struct xsd_node *, const char *base);
void	xsd_node_del_child(struct xsd_node *, const char *base);
unsigned int xsd_node_size(const struct xsd_node *);
unsigned int xsd_hash(const char *);
struct xsd_node *xsd_htab_get(const struct xsd_htab *, const char *);
void	xsd_htab_put(struct xsd_htab *, struct xsd_node *);
struct xsd_node *xsd_htab_take(struct xsd_htab *, const char *);
struct xsd_dom *xsd_dom_get(struct xsd *, unsigned int domid, bool create);
unsigned int xsd_perm_for(const struct xsd_conn *, const struct xsd_perm *,
	    unsigned int);
int	xsd_perms_parse(const char *, unsigned int len, struct xsd_perm **,
	    unsigned int *);
int	xsd_perms_format(const struct xsd_perm *, unsigned int, char *,
	    size_t);
/* The view of c (its current transaction, if any, else the tree). */
int	xsd_get(struct xsd_conn *, const char *, const struct xsd_node **);
int	xsd_put(struct xsd_conn *, struct xsd_node *);	/* takes the node */
int	xsd_del(struct xsd_conn *, const char *);
void	xsd_tree_put(struct xsd *, struct xsd_node *);
void	xsd_tree_del(struct xsd *, const char *);
int	xsd_entries(const struct xsd_conn *);
char	*xsd_parent(const char *);	/* malloc'd */

/* -- xsd_txn.c -- */
int	xsd_txn_start(struct xsd_conn *, uint32_t *);
int	xsd_txn_end(struct xsd_conn *, struct xsd_txn *, bool commit);
struct xsd_txn *xsd_txn_find(struct xsd_conn *, uint32_t);
void	xsd_txn_free_all(struct xsd_conn *);
struct xsd_acc *xsd_txn_access(struct xsd_conn *, const char *,
	    const struct xsd_node *, bool write, int *);
void	xsd_txn_count(struct xsd_txn *, unsigned int dom, int n);

/* -- xsd_watch.c -- */
int	xsd_watch_add(struct xsd_conn *, const char *, const char *,
	    uint32_t req_id);
int	xsd_watch_del(struct xsd_conn *, const char *, const char *);
void	xsd_watch_free_all(struct xsd_conn *);
/* Fire (or queue in c's transaction) events for a change of name. */
void	xsd_fire(struct xsd *, struct xsd_conn *, const char *name,
	    const struct xsd_node *, bool exact, const struct xsd_perm *,
	    unsigned int nperms);
bool	xsd_is_child(const char *child, const char *parent);

/* -- xsd_ops.c -- */
/* One request being handled.  Untrusted: rq_p, rq_len, rq_h's fields. */
struct xsd_req {
	struct xsd_conn	*rq_c;
	const struct xsd_sockmsg *rq_h;
	const char	*rq_p;		/* payload, rq_len bytes */
	unsigned int	 rq_len;
};
/* Handle one whole request (payload of hdr->len bytes): replies queued. */
void	xsd_request(struct xsd_conn *, const struct xsd_sockmsg *,
	    const char *);
int	xsd_reply(const struct xsd_req *, const void *, unsigned int);
int	xsd_ack(const struct xsd_req *);
const char *xsd_onearg(const struct xsd_req *);
unsigned int xsd_nstrings(const struct xsd_req *);
int	xsd_rm_node(struct xsd_conn *, const char *);
const char *xsd_errname(int err);

/* -- xsd_dom.c: domains, CONTROL -- */
int	xsd_op_introduce(const struct xsd_req *);
int	xsd_op_release(const struct xsd_req *);
int	xsd_op_resume(const struct xsd_req *);
int	xsd_op_set_target(const struct xsd_req *);
int	xsd_op_get_domain_path(const struct xsd_req *);
int	xsd_op_is_domain_introduced(const struct xsd_req *);
int	xsd_op_control(const struct xsd_req *);
int	xsd_set_perms_special(struct xsd_conn *, const char *,
	    struct xsd_perm *, unsigned int);

/* -- xsd_conn.c -- */
struct xsd_conn *xsd_conn_new(struct xsd *, unsigned int domid, bool priv);
void	xsd_conn_free(struct xsd_conn *);	/* also closes c_fd */
/* Queue a message; events may be dropped (bounded queue), replies never. */
void	xsd_conn_send(struct xsd_conn *, uint32_t type, uint32_t req_id,
	    uint32_t tx_id, const void *, unsigned int len, bool event);
/*
 * Bytes from c's client, framed as the socket loop frames them (a message
 * may come in pieces; a length over XENSTORE_PAYLOAD_MAX kills c).  Takes
 * what it can while c is alive and its output below XSD_OUT_MAX: returns
 * how many bytes it took; the caller pops replies and feeds the rest.
 */
size_t	xsd_conn_feed(struct xsd_conn *, const void *, size_t);
/* Take the first queued message: 1, or 0 when none.  buf: 4096 bytes. */
int	xsd_conn_pop(struct xsd_conn *, struct xsd_sockmsg *, char *);
/* Sockets in dir; serves until *stop becomes nonzero. */
int	xsd_serve(struct xsd *, const char *dir, volatile int *stop);

#endif
