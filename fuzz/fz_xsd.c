/*
 * fz_xsd.c -- libFuzzer target: the XenStore server of `xvif-sim host`
 * (sim/xsd*.c) as its clients reach it: bytes on a connection, framed by
 * xs_wire.h headers and cut anywhere, fed through xsd_conn_feed(), the
 * socket loop's own framing, into every request type.  Four clients: two
 * dom0 connections (privileged, as on xenstored.sock) and domains 1 and 2
 * (introduced first; unprivileged, as on their xs-dom<N>.sock).  No
 * sockets: the output queues are popped directly.  Untrusted: the input.
 *
 * The input is records, an op byte and its operands:
 *   op & 3		the client: 0, 1 dom0; 2 dom1; 3 dom2
 *   op >> 2 & 3	0: send the next n bytes (n: 2 bytes, little endian)
 *			1: read: pop and check everything it has queued
 *			2: hang up (a client reconnects when next used)
 *			3: send the rest of the input
 * A client of a domain that is not introduced (after XS_RELEASE) cannot
 * connect: what it sends is dropped, as there is no socket to send it to.
 *
 * Asserted after every record that changed the server's state (within
 * FZ_CHECK_BUDGET) and at the end:
 *   - replies are well framed: at most XENSTORE_PAYLOAD_MAX bytes; one
 *     per request, in order, with its req_id and tx_id, of its type (with
 *     that type's payload) or XS_ERROR with an xs_wire.h error name; watch
 *     events are "path\0token\0" with ids 0;
 *   - a request reads no byte of the input buffer past its payload (under
 *     ASan the rest is poisoned while it runs);
 *   - the framing agrees with ours byte for byte; a length over
 *     XENSTORE_PAYLOAD_MAX disconnects, nothing else a client sends does;
 *     a queue at XSD_OUT_MAX stops input, and grows at most one reply past;
 *   - the tree is consistent: every node found under its name, a valid
 *     path, perms well formed and read as xenstored reads them
 *     (perm_for_conn), its parent present and listing it once, its
 *     children present; per-domain node and watch counts agree with the
 *     tree and the connections; transactions counted, none current
 *     between requests;
 *   - hanging up every client leaves no watch counted, xsd_fini() the
 *     rest, and (LSan) nothing allocated: inputs are independent.
 */
#include <assert.h>
#include <errno.h>		/* before xs_wire.h: its xsd_errors[] */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>	/* no-ops without ASan */

#include "xsd.h"

#define FZ_NSLOTS	4
#define FZ_HL		sizeof(struct xsd_sockmsg)

/* The checks' own branches are no new behaviour of the server. */
#if defined(__clang__)
#define FZ_CHECK	__attribute__((no_sanitize("coverage")))
#else
#define FZ_CHECK
#endif

struct fz_exp {				/* a request waiting for its reply */
	uint32_t	 e_type, e_req, e_tx;
};

struct fz_slot {
	struct xsd_conn	*s_c;		/* NULL: hung up */
	unsigned int	 s_domid;
	bool		 s_priv;
	union {				/* our copy of the current header */
		struct xsd_sockmsg h;
		char	 b[FZ_HL];
	} s_in;
	size_t		 s_used;	/* bytes of the current message sent */
	struct fz_exp	*s_exp;		/* FIFO: [s_head, s_tail) */
	size_t		 s_head, s_tail, s_max;
};

/*
 * Node checks per input: the whole tree is checked after every record
 * that changed the server's state until this is spent (a long input that
 * builds a big tree would otherwise take seconds), and at the end.
 */
#define FZ_CHECK_BUDGET	200000

static struct xsd g_x;
static struct fz_slot g_s[FZ_NSLOTS];
static bool g_acted;		/* a request ran or a client went */

/*
 * An input is a whole session of many requests, so this target runs two
 * orders of magnitude fewer inputs per second than the others: the run's
 * requests and inputs are printed at its end (libFuzzer's time limit
 * exits through exit(); an interrupt does not), for a long run's report.
 */
static unsigned long g_requests, g_inputs;

#if defined(__clang__)
__attribute__((destructor)) static void
fz_report(void)
{
	if (g_inputs > 0)
		fprintf(stderr, "fz_xsd: %lu requests in %lu inputs\n",
		    g_requests, g_inputs);
}
#endif

FZ_CHECK static unsigned int
fz_nstrings(const char *p, unsigned int len)
{
	unsigned int i, n = 0;

	for (i = 0; i < len; i++)
		n += p[i] == '\0';
	return n;
}

FZ_CHECK static bool
fz_errname(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (strcmp(s, xsd_errors[i].errstring) == 0)
			return true;
	return false;
}

FZ_CHECK static bool
fz_digits(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* What a reply of type t carries when the request succeeded. */
FZ_CHECK static void
fz_check_payload(uint32_t t, const char *p, unsigned int len)
{
	unsigned int off;

	switch (t) {
	case XS_WRITE: case XS_MKDIR: case XS_RM: case XS_SET_PERMS:
	case XS_WATCH: case XS_UNWATCH: case XS_TRANSACTION_END:
	case XS_INTRODUCE: case XS_RELEASE: case XS_RESUME:
	case XS_SET_TARGET: case XS_RESET_WATCHES:
		assert(len == 3 && memcmp(p, "OK", 3) == 0);
		break;
	case XS_TRANSACTION_START:
		assert(len >= 2 && p[len - 1] == '\0' && strlen(p) == len - 1);
		assert(fz_digits(p) && strtoul(p, NULL, 10) != 0);
		break;
	case XS_IS_DOMAIN_INTRODUCED:
		assert(len == 2 && (p[0] == 'T' || p[0] == 'F') && p[1] == '\0');
		break;
	case XS_GET_DOMAIN_PATH:
		assert(len >= 1 && p[len - 1] == '\0' && strlen(p) == len - 1);
		assert(strncmp(p, "/local/domain/", 14) == 0 &&
		    fz_digits(p + 14));
		break;
	case XS_GET_PERMS:	/* "<n|r|w|b><domid>\0", at least one */
		assert(len >= 3 && p[len - 1] == '\0');
		for (off = 0; off < len; off += (unsigned int)strlen(p + off) + 1)
			assert(strchr("nrwb", p[off]) != NULL && p[off] != '\0' &&
			    fz_digits(p + off + 1));
		break;
	case XS_DIRECTORY:	/* names, each NUL-terminated */
		assert(len == 0 || p[len - 1] == '\0');
		for (off = 0; off < len; off += (unsigned int)strlen(p + off) + 1)
			assert(p[off] != '\0' && strchr(p + off, '/') == NULL);
		break;
	case XS_DIRECTORY_PART:	/* "<gen>\0" then names, "" at the end */
		assert(len >= 2 && p[len - 1] == '\0' && fz_digits(p));
		break;
	case XS_READ:
	case XS_CONTROL:
		break;
	default:
		assert(!"a reply of a type no request has");
	}
}

FZ_CHECK static void
fz_check_msg(struct fz_slot *s, const struct xsd_sockmsg *h, const char *p)
{
	struct fz_exp *e;

	assert(h->len <= XENSTORE_PAYLOAD_MAX);
	if (h->type == XS_WATCH_EVENT) {	/* never a reply: ENOSYS */
		assert(h->req_id == 0 && h->tx_id == 0);
		assert(h->len >= 3 && p[h->len - 1] == '\0' && p[0] != '\0' &&
		    fz_nstrings(p, h->len) == 2);
		return;
	}
	assert(s->s_head < s->s_tail);		/* it answers a request */
	e = &s->s_exp[s->s_head++];
	assert(h->req_id == e->e_req);
	if (h->type == XS_ERROR) {
		assert(h->tx_id == e->e_tx);
		assert(h->len >= 2 && p[h->len - 1] == '\0' &&
		    strlen(p) == h->len - 1 && fz_errname(p));
		return;
	}
	assert(h->type == e->e_type);
	assert(h->tx_id == (h->type == XS_WATCH ? 0 : e->e_tx));
	fz_check_payload(h->type, p, h->len);
}

/* Pop and check everything queued; every request is answered by now. */
static void
fz_read(struct fz_slot *s)
{
	static char buf[XENSTORE_PAYLOAD_MAX];
	struct xsd_sockmsg h;

	if (s->s_c == NULL)
		return;
	while (xsd_conn_pop(s->s_c, &h, buf) == 1)
		fz_check_msg(s, &h, buf);
	assert(s->s_c->c_outbytes == 0 && s->s_c->c_out == NULL);
	assert(s->s_head == s->s_tail);
}

static void
fz_hangup(struct fz_slot *s)
{
	if (s->s_c == NULL)
		return;
	fz_read(s);
	xsd_conn_free(s->s_c);
	s->s_c = NULL;
	g_acted = true;
}

/* A connection, if the client's socket exists. */
static bool
fz_open(struct fz_slot *s)
{
	struct xsd_dom *d;

	if (s->s_c != NULL)
		return true;
	if (!s->s_priv && ((d = xsd_dom_get(&g_x, s->s_domid, false)) == NULL ||
	    !d->d_introduced))
		return false;
	s->s_c = xsd_conn_new(&g_x, s->s_domid, s->s_priv);
	assert(s->s_c != NULL);
	s->s_used = 0;
	return true;
}

/*
 * Send n bytes, a piece at a time so that each feed ends a message at
 * most at its end; read when the server stops taking input, as a client
 * blocked on a full socket would.
 */
static void
fz_send(struct fz_slot *s, const uint8_t *p, size_t n)
{
	struct xsd_conn *c;
	size_t k, got, len;
	bool whole, kill;

	while (n > 0) {
		if (!fz_open(s))
			return;
		c = s->s_c;
		kill = whole = false;
		if (s->s_used < FZ_HL) {
			k = n < FZ_HL - s->s_used ? n : FZ_HL - s->s_used;
			memcpy(s->s_in.b + s->s_used, p, k);
			len = s->s_in.h.len;
			if (s->s_used + k == FZ_HL) {
				kill = len > XENSTORE_PAYLOAD_MAX;
				whole = len == 0;
			}
		} else {
			len = s->s_in.h.len;
			k = FZ_HL + len - s->s_used;
			if (k > n)
				k = n;
			whole = s->s_used + k == FZ_HL + len;
		}
		if (whole)	/* the request may read its payload only */
			ASAN_POISON_MEMORY_REGION(c->c_inbuf + len,
			    sizeof(c->c_inbuf) - len);
		got = xsd_conn_feed(c, p, k);
		ASAN_UNPOISON_MEMORY_REGION(c->c_inbuf, sizeof(c->c_inbuf));
		if (got == 0) {
			assert(!c->c_dead && c->c_outbytes >= XSD_OUT_MAX);
			fz_read(s);
			continue;
		}
		assert(got == k);
		s->s_used += k;
		p += k;
		n -= k;
		if (kill) {
			assert(c->c_dead);
			fz_hangup(s);	/* the server closed it */
			return;
		}
		assert(!c->c_dead);
		if (whole) {
			g_acted = true;
			g_requests++;
			assert(s->s_tail < s->s_max);
			s->s_exp[s->s_tail++] = (struct fz_exp){ s->s_in.h.type,
			    s->s_in.h.req_id, s->s_in.h.tx_id };
			s->s_used = 0;
		}
		assert(c->c_inused == s->s_used);
	}
}

static void
fz_send_msg(struct fz_slot *s, uint32_t type, uint32_t req_id,
    const char *p, unsigned int len)
{
	struct xsd_sockmsg h = { type, req_id, 0, len };

	fz_send(s, (const uint8_t *)&h, sizeof(h));
	fz_send(s, (const uint8_t *)p, len);
}

FZ_CHECK static void
fz_check_perms(const struct xsd_perm *p, unsigned int n)
{
	unsigned int i;

	assert(n >= 1 && p != NULL);
	for (i = 0; i < n; i++)
		assert((p[i].p_perms & ~(XSD_PERM_READ | XSD_PERM_WRITE)) == 0);
}

/* How many times the children list of p holds base. */
FZ_CHECK static unsigned int
fz_nchild(const struct xsd_node *p, const char *base)
{
	unsigned int off, n = 0;

	for (off = 0; off < p->n_childlen;
	    off += (unsigned int)strlen(p->n_children + off) + 1)
		n += strcmp(p->n_children + off, base) == 0;
	return n;
}

/*
 * One node, found in bucket b; returns its number of children.  Every
 * pass over a name costs (deep paths are long, and the whole tree is
 * checked after each request), so each check is the cheapest that says
 * the same:
 *   - "found under its name" (xsd_htab_get(name) == n) is: its hash is
 *     its name's, it sits in that hash's bucket, and no node before it in
 *     the chain has its name;
 *   - its parent lists it exactly once; with as many child entries in the
 *     tree as nodes below "/" (fz_check_world), the entries and the nodes
 *     then pair off one to one, so no entry is listed twice or names a
 *     node that does not exist -- no need to count each entry in its own
 *     list, which is quadratic in a wide directory.
 */
FZ_CHECK static unsigned int
fz_check_node(const struct xsd *x, const struct xsd_node *n, unsigned int b)
{
	static char pname[XENSTORE_ABS_PATH_MAX + 1];
	const struct xsd_htab *t = &x->x_tree;
	const struct xsd_node *p, *m;
	const char *k, *slash;
	unsigned int off, nk = 0, hv = xsd_hash(n->n_name);

	assert(n->n_hash == hv && hv % t->h_nb == b);
	for (m = t->h_b[b]; m != n; m = m->n_hnext)
		assert(m->n_hash != hv || strcmp(m->n_name, n->n_name) != 0);
	assert(xsd_valid_path(n->n_name));
	fz_check_perms(n->n_perms, n->n_nperms);
	assert(n->n_gen != XSD_NO_GEN && n->n_gen <= x->x_gen);
	assert(n->n_datalen == 0 || n->n_data != NULL);
	assert(n->n_datalen < XENSTORE_PAYLOAD_MAX);
	assert(n->n_childlen == 0 || (n->n_children != NULL &&
	    n->n_children[n->n_childlen - 1] == '\0'));
	for (off = 0; off < n->n_childlen; off += (unsigned int)strlen(k) + 1) {
		k = n->n_children + off;
		assert(k[0] != '\0' && strchr(k, '/') == NULL);
		nk++;
	}
	slash = strrchr(n->n_name, '/');
	if (slash == n->n_name && n->n_name[1] == '\0')
		return nk;			/* "/" */
	off = slash == n->n_name ? 1 : (unsigned int)(slash - n->n_name);
	assert(off < sizeof(pname));
	memcpy(pname, n->n_name, off);
	pname[off] = '\0';
	p = xsd_htab_get(t, pname);
	assert(p != NULL);			/* no orphan */
	assert(fz_nchild(p, slash + 1) == 1);
	return nk;
}

/*
 * Every domain of x, one bucket after another (each in the bucket its id
 * says), at most FZ_MAXDOMS; out[i] for i < the count returned.
 */
#define FZ_MAXDOMS	8192	/* a domain per request */
FZ_CHECK static unsigned int
fz_doms(const struct xsd *x, const struct xsd_dom **out)
{
	const struct xsd_dom *d;
	unsigned int b, n = 0;

	for (b = 0; b < XSD_DOM_BUCKETS; b++)
		for (d = x->x_doms[b]; d != NULL; d = d->d_next) {
			assert(d->d_id % XSD_DOM_BUCKETS == b);
			assert(n < FZ_MAXDOMS);
			out[n++] = d;
		}
	return n;
}

/*
 * The domains as fz_doms() listed them at the start of the current
 * check: walking all XSD_DOM_BUCKETS for every node and connection made
 * the checks, not the server, most of this target's time.
 */
static const struct xsd_dom *g_doms[FZ_MAXDOMS];
static unsigned int g_nd;

/* Domain id in g_doms and its index there (*k), or NULL. */
FZ_CHECK static const struct xsd_dom *
fz_dom_find(unsigned int id, unsigned int *k)
{
	unsigned int i;

	for (i = 0; i < g_nd; i++)
		if (g_doms[i]->d_id == id) {
			if (k != NULL)
				*k = i;
			return g_doms[i];
		}
	return NULL;
}

/* perm_for_conn() of xenstored 4.17, to hold xsd_perm_for() against. */
FZ_CHECK static unsigned int
fz_perm_for(const struct xsd_conn *c,
    const struct xsd_perm *p, unsigned int n)
{
	const unsigned int all = XSD_PERM_READ | XSD_PERM_WRITE |
	    XSD_PERM_OWNER;
	const struct xsd_dom *d;
	bool tgt;
	unsigned int i;

	if (c->c_priv)
		return all;
	d = fz_dom_find(c->c_domid, NULL);
	tgt = d != NULL && d->d_target != XSD_NO_TARGET;
	if (p[0].p_id == c->c_domid || (tgt && p[0].p_id == d->d_target))
		return all;
	for (i = 1; i < n; i++)
		if (p[i].p_id == c->c_domid || (tgt && p[i].p_id == d->d_target))
			return p[i].p_perms & all;
	return p[0].p_perms & all;
}

FZ_CHECK static void
fz_check_conn(const struct xsd_conn *c)
{
	const struct xsd_txn *t, *u;
	const struct xsd_acc *a;
	const struct xsd_watch *w;
	struct xsd_msg *m, *const *mp;
	unsigned int nt = 0, na;
	size_t bytes = 0;

	assert(c->c_cur == NULL && !c->c_listen && c->c_fd < 0);
	for (t = c->c_txns; t != NULL; t = t->t_next, nt++) {
		assert(t->t_id != 0);
		for (u = t->t_next; u != NULL; u = u->t_next)
			assert(u->t_id != t->t_id);
		for (na = 0, a = t->t_acc; a != NULL; a = a->a_next)
			na++;
		assert(na == t->t_nacc);
		assert(c->c_priv || na <= XSD_QUOTA_TXN_NODES);
	}
	assert(nt == c->c_ntxns);
	assert(c->c_priv || nt <= XSD_QUOTA_TXNS + 1);	/* 4.17: 11 */
	for (w = c->c_watches; w != NULL; w = w->w_next)
		assert(w->w_token != NULL && (w->w_node[0] == '@' ||
		    xsd_valid_path(w->w_node)));
	for (mp = &c->c_out; (m = *mp) != NULL; mp = &m->m_next)
		bytes += FZ_HL + m->m_hdr.len;
	assert(mp == c->c_outtail);
	assert(bytes == c->c_outbytes);
	/* Input stops at XSD_OUT_MAX; one more reply may be queued. */
	assert(bytes < XSD_OUT_MAX + FZ_HL + XENSTORE_PAYLOAD_MAX);
}

FZ_CHECK static void
fz_check_world(const struct xsd *x)
{
	const struct xsd_htab *t = &x->x_tree;
	const struct xsd_node *n;
	const struct xsd_conn *c;
	const struct xsd_watch *w;
	const struct xsd_dom *d;
	unsigned int i, k, nn = 0, nc = 0, open = 0, nk = 0;
	static int owned[FZ_MAXDOMS], watches[FZ_MAXDOMS];

	assert(xsd_htab_get(t, "/") != NULL);
	g_nd = fz_doms(x, g_doms);
	for (i = 0; i < g_nd; i++)
		owned[i] = watches[i] = 0;
	for (i = 0; i < t->h_nb; i++)
		for (n = t->h_b[i]; n != NULL; n = n->n_hnext, nn++) {
			nk += fz_check_node(x, n, i);
			for (c = x->x_conns; c != NULL; c = c->c_next)
				assert(xsd_perm_for(c, n->n_perms, n->n_nperms) ==
				    fz_perm_for(c, n->n_perms, n->n_nperms));
			d = fz_dom_find(n->n_perms[0].p_id, &k);
			assert(d != NULL);	/* every owner is counted */
			owned[k]++;
		}
	assert(nn == t->h_n);
	assert(nk == nn - 1);			/* no dangling child entry */
	for (c = x->x_conns; c != NULL; c = c->c_next, nc++) {
		fz_check_conn(c);
		if (c->c_priv)
			continue;
		d = fz_dom_find(c->c_domid, &k);
		for (w = c->c_watches; w != NULL; w = w->w_next) {
			assert(d != NULL);
			watches[k]++;
		}
	}
	for (i = 0; i < FZ_NSLOTS; i++)
		open += g_s[i].s_c != NULL;
	assert(nc == open);			/* no connection of its own */
	for (i = 0; i < g_nd; i++) {
		d = g_doms[i];
		assert(d->d_nbentry == owned[i]);
		assert(d->d_nbwatch == watches[i]);
		assert(d->d_nbwatch <= XSD_QUOTA_WATCHES + 1);
	}
	fz_check_perms(x->x_intro_perms, x->x_nintro);
	fz_check_perms(x->x_release_perms, x->x_nrelease);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char intro[][16] = { "1\0" "4096\0" "1", "2\0" "4097\0" "1" };
	const uint8_t *end = data + size;
	unsigned long budget = FZ_CHECK_BUDGET;
	struct fz_slot *s;
	unsigned int i;
	size_t n;

	g_inputs++;
	memset(g_s, 0, sizeof(g_s));
	assert(xsd_init(&g_x) == 0);
	for (i = 0; i < FZ_NSLOTS; i++) {
		g_s[i].s_domid = i < 2 ? 0 : i - 1;
		g_s[i].s_priv = i < 2;
		g_s[i].s_max = size / FZ_HL + 2 + (i == 0 ? 2 : 0);
		g_s[i].s_exp = calloc(g_s[i].s_max, sizeof(struct fz_exp));
		assert(g_s[i].s_exp != NULL);
	}
	/* The toolstack introduced domains 1 and 2 (port 1, a ring mfn). */
	fz_send_msg(&g_s[0], XS_INTRODUCE, 1, intro[0], 9);
	fz_send_msg(&g_s[0], XS_INTRODUCE, 2, intro[1], 9);
	fz_read(&g_s[0]);
	while (data < end) {
		s = &g_s[data[0] & 3];
		switch (data[0] >> 2 & 3) {
		case 0:
			if (end - data < 3) {
				data = end;
				break;
			}
			n = (size_t)data[1] | (size_t)data[2] << 8;
			data += 3;
			if (n > (size_t)(end - data))
				n = (size_t)(end - data);
			fz_send(s, data, n);
			data += n;
			break;
		case 1:
			fz_read(s);
			data++;
			break;
		case 2:
			fz_hangup(s);
			data++;
			break;
		default:
			fz_send(s, data + 1, (size_t)(end - data - 1));
			data = end;
			break;
		}
		/* The socket layer closes the connections of a released domain. */
		for (i = 0; i < FZ_NSLOTS; i++)
			if (g_s[i].s_c != NULL && g_s[i].s_c->c_dead)
				fz_hangup(&g_s[i]);
		if (g_acted && g_x.x_tree.h_n <= budget) {
			budget -= g_x.x_tree.h_n;
			fz_check_world(&g_x);
		}
		g_acted = false;
	}
	for (i = 0; i < FZ_NSLOTS; i++) {
		fz_hangup(&g_s[i]);
		free(g_s[i].s_exp);
	}
	assert(g_x.x_conns == NULL);
	fz_check_world(&g_x);
	for (i = 0; i < g_nd; i++)
		assert(g_doms[i]->d_nbwatch == 0);
	xsd_fini(&g_x);
	return 0;
}
