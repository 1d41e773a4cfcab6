/*
 * xsd_tree.c -- the XenStore tree of the simulated xenstored: nodes and
 * their hash table, path validation and canonicalisation, permissions
 * (parsing, formatting, perm_for_conn), per-domain node counts, and the
 * "view" through which every request reads and writes: the global tree,
 * or the connection's current transaction (xsd_txn.c).  Knows nothing of
 * sockets, requests or watches.  See xsd.h for what is modelled.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

#define XSD_REC_HDR	24	/* sizeof(struct xs_tdb_record_hdr) */
#define XSD_REC_PERM	8	/* sizeof(struct xs_permissions) */

/* FNV-1a: the tree's buckets and a transaction's record list. */
unsigned int
xsd_hash(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

struct xsd_node *
xsd_htab_get(const struct xsd_htab *h, const char *name)
{
	struct xsd_node *n;
	unsigned int hv;

	if (h->h_nb == 0)
		return NULL;
	hv = xsd_hash(name);
	for (n = h->h_b[hv % h->h_nb]; n != NULL; n = n->n_hnext)
		if (n->n_hash == hv && strcmp(n->n_name, name) == 0)
			return n;
	return NULL;
}

static void
xsd_htab_grow(struct xsd_htab *h)
{
	struct xsd_node **nb, *n, *next;
	unsigned int i, nnb = h->h_nb ? h->h_nb * 2 : 256;

	if ((nb = calloc(nnb, sizeof(*nb))) == NULL)
		return;		/* keep the longer chains */
	for (i = 0; i < h->h_nb; i++)
		for (n = h->h_b[i]; n != NULL; n = next) {
			next = n->n_hnext;
			n->n_hnext = nb[n->n_hash % nnb];
			nb[n->n_hash % nnb] = n;
		}
	free(h->h_b);
	h->h_b = nb;
	h->h_nb = nnb;
}

/* Removes name from h and returns it (the caller frees), or NULL. */
struct xsd_node *
xsd_htab_take(struct xsd_htab *h, const char *name)
{
	struct xsd_node **np, *n;
	unsigned int hv;

	if (h->h_nb == 0)
		return NULL;
	hv = xsd_hash(name);
	for (np = &h->h_b[hv % h->h_nb]; (n = *np) != NULL;
	    np = &n->n_hnext)
		if (n->n_hash == hv && strcmp(n->n_name, name) == 0) {
			*np = n->n_hnext;
			h->h_n--;
			return n;
		}
	return NULL;
}

/* Inserts n, replacing (and freeing) a node of the same name. */
void
xsd_htab_put(struct xsd_htab *h, struct xsd_node *n)
{
	unsigned int b;

	xsd_node_free(xsd_htab_take(h, n->n_name));
	if (h->h_n >= h->h_nb)
		xsd_htab_grow(h);
	n->n_hash = xsd_hash(n->n_name);
	b = n->n_hash % h->h_nb;
	n->n_hnext = h->h_b[b];
	h->h_b[b] = n;
	h->h_n++;
}

struct xsd_node *
xsd_node_new(const char *name)
{
	struct xsd_node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if ((n->n_name = strdup(name)) == NULL) {
		free(n);
		return NULL;
	}
	n->n_gen = XSD_NO_GEN;
	return n;
}

void
xsd_node_free(struct xsd_node *n)
{
	if (n == NULL)
		return;
	free(n->n_name);
	free(n->n_data);
	free(n->n_children);
	free(n->n_perms);
	free(n);
}

static void *
xsd_memdup(const void *p, size_t len)
{
	void *q = malloc(len ? len : 1);

	if (q != NULL && len)
		memcpy(q, p, len);
	return q;
}

struct xsd_node *
xsd_node_dup(const struct xsd_node *o)
{
	struct xsd_node *n;

	if ((n = xsd_node_new(o->n_name)) == NULL)
		return NULL;
	n->n_data = xsd_memdup(o->n_data, o->n_datalen);
	n->n_children = xsd_memdup(o->n_children, o->n_childlen);
	n->n_perms = xsd_memdup(o->n_perms, o->n_nperms * sizeof(*o->n_perms));
	if (n->n_data == NULL || n->n_children == NULL || n->n_perms == NULL) {
		xsd_node_free(n);
		return NULL;
	}
	n->n_datalen = o->n_datalen;
	n->n_childlen = o->n_childlen;
	n->n_nperms = o->n_nperms;
	n->n_gen = o->n_gen;
	return n;
}

int
xsd_node_set_data(struct xsd_node *n, const char *data, unsigned int len)
{
	char *d;

	if ((d = xsd_memdup(data, len)) == NULL)
		return -ENOMEM;
	free(n->n_data);
	n->n_data = d;
	n->n_datalen = len;
	return 0;
}

int
xsd_node_add_child(struct xsd_node *n, const char *base)
{
	size_t len = strlen(base) + 1;
	char *c;

	if ((c = realloc(n->n_children, n->n_childlen + len)) == NULL)
		return -ENOMEM;
	memcpy(c + n->n_childlen, base, len);
	n->n_children = c;
	n->n_childlen += len;
	return 0;
}

void
xsd_node_del_child(struct xsd_node *n, const char *base)
{
	unsigned int i, len;

	for (i = 0; i < n->n_childlen; i += len) {
		len = strlen(n->n_children + i) + 1;
		if (strcmp(n->n_children + i, base) == 0) {
			memmove(n->n_children + i, n->n_children + i + len,
			    n->n_childlen - i - len);
			n->n_childlen -= len;
			return;
		}
	}
}

/* The size xenstored's quota_max_entry_size is compared with. */
unsigned int
xsd_node_size(const struct xsd_node *n)
{
	return XSD_REC_HDR + n->n_nperms * XSD_REC_PERM + n->n_datalen +
	    n->n_childlen;
}

/*
 * Untrusted: a path from a client.  is_valid_nodename(): absolute, no
 * trailing or double slash, only [A-Za-z0-9-/_@], and at most
 * XENSTORE_REL_PATH_MAX characters after "/local/domain/<N>/".
 */
bool
xsd_valid_path(const char *p)
{
	size_t len = strlen(p);
	unsigned int domid;
	int off = 0;

	if (p[0] != '/')
		return false;
	if (len > 1 && p[len - 1] == '/')
		return false;
	if (strstr(p, "//") != NULL)
		return false;
	if (sscanf(p, "/local/domain/%5u/%n", &domid, &off) != 1)
		off = 0;
	if (len > (size_t)off + XENSTORE_REL_PATH_MAX)
		return false;
	return strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-/_@") == len;
}

/* canonicalize(): relative paths are below /local/domain/<domid>. */
char *
xsd_canon(const struct xsd_conn *c, const char *p)
{
	char *s;

	if (p[0] == '/' || p[0] == '@')
		return strdup(p);
	if (asprintf(&s, "/local/domain/%u/%s", c->c_domid, p) < 0)
		return NULL;
	return s;
}

char *
xsd_parent(const char *name)
{
	const char *slash = strrchr(name + 1, '/');

	if (slash == NULL)
		return strdup("/");
	return strndup(name, (size_t)(slash - name));
}

struct xsd_dom *
xsd_dom_get(struct xsd *x, unsigned int domid, bool create)
{
	struct xsd_dom **b = &x->x_doms[domid % XSD_DOM_BUCKETS], *d;

	for (d = *b; d != NULL; d = d->d_next)
		if (d->d_id == domid)
			return d;
	if (!create || (d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->d_id = domid;
	d->d_target = XSD_NO_TARGET;
	d->d_next = *b;
	*b = d;
	return d;
}

/* perm_for_conn(): XSD_PERM_READ|WRITE|OWNER bits c has on a node. */
unsigned int
xsd_perm_for(const struct xsd_conn *c, const struct xsd_perm *p,
    unsigned int n)
{
	const unsigned int all = XSD_PERM_READ | XSD_PERM_WRITE |
	    XSD_PERM_OWNER;
	struct xsd_dom *d;
	unsigned int tgt, i;

	if (c == NULL || c->c_priv || n == 0)
		return all;
	/*
	 * Without a target, tgt is c's own domid, no second match: a perm
	 * may name XSD_NO_TARGET itself ("r4294967295", "r-1"), and matching
	 * it gave that perm to every guest without a target.
	 */
	if ((d = xsd_dom_get(c->c_xsd, c->c_domid, false)) != NULL &&
	    d->d_target != XSD_NO_TARGET)
		tgt = d->d_target;
	else
		tgt = c->c_domid;
	if (p[0].p_id == c->c_domid || p[0].p_id == tgt)
		return all;
	for (i = 1; i < n; i++)
		if (p[i].p_id == c->c_domid || p[i].p_id == tgt)
			return p[i].p_perms & all;
	return p[0].p_perms & all;
}

/*
 * Untrusted: len bytes of NUL-terminated strings "<r|w|b|n><domid>"
 * (xs_strings_to_perms).  -EINVAL on any malformed entry.
 */
int
xsd_perms_parse(const char *s, unsigned int len, struct xsd_perm **out,
    unsigned int *nout)
{
	struct xsd_perm *p;
	unsigned int n = 0, i;
	const char *e = s + len;
	char *end;

	for (i = 0; i < len; i++)
		n += s[i] == '\0';
	if (n == 0 || (p = calloc(n, sizeof(*p))) == NULL)
		return n == 0 ? -EINVAL : -ENOMEM;
	for (i = 0; i < n && s < e; i++, s += strlen(s) + 1) {
		switch (s[0]) {
		case 'n': p[i].p_perms = XSD_PERM_NONE; break;
		case 'r': p[i].p_perms = XSD_PERM_READ; break;
		case 'w': p[i].p_perms = XSD_PERM_WRITE; break;
		case 'b': p[i].p_perms = XSD_PERM_READ | XSD_PERM_WRITE; break;
		default: goto bad;
		}
		if (s[1] == '\0')
			goto bad;
		errno = 0;
		p[i].p_id = (unsigned int)strtol(s + 1, &end, 0);
		if (*end != '\0' || errno != 0)
			goto bad;
	}
	*out = p;
	*nout = n;
	return 0;
bad:
	free(p);
	return -EINVAL;
}

/* "n0\0r3\0": returns the length including the last NUL, or -E2BIG. */
int
xsd_perms_format(const struct xsd_perm *p, unsigned int n, char *buf,
    size_t len)
{
	static const char mode[] = "nrwb";
	size_t off = 0;
	unsigned int i;
	int k;

	for (i = 0; i < n; i++) {
		k = snprintf(buf + off, len - off, "%c%u",
		    mode[p[i].p_perms & 3], p[i].p_id);
		if (k < 0 || (size_t)k + 1 > len - off)
			return -E2BIG;
		off += (size_t)k + 1;
	}
	return (int)off;
}

/* A transaction's node count change for n's owner (quota checks). */
static void
xsd_count(struct xsd_conn *c, const struct xsd_node *n, int delta)
{
	if (n != NULL && n->n_nperms != 0)
		xsd_txn_count(c->c_cur, n->n_perms[0].p_id, delta);
}

/* Global writes, bypassing any transaction (commit, release). */
void
xsd_tree_put(struct xsd *x, struct xsd_node *n)
{
	struct xsd_node *old = xsd_htab_get(&x->x_tree, n->n_name);
	struct xsd_dom *d;

	if (old != NULL && (d = xsd_dom_get(x, old->n_perms[0].p_id, true)))
		d->d_nbentry--;
	if ((d = xsd_dom_get(x, n->n_perms[0].p_id, true)) != NULL)
		d->d_nbentry++;
	n->n_gen = ++x->x_gen;
	xsd_htab_put(&x->x_tree, n);
}

void
xsd_tree_del(struct xsd *x, const char *name)
{
	struct xsd_node *old = xsd_htab_take(&x->x_tree, name);
	struct xsd_dom *d;

	if (old != NULL && (d = xsd_dom_get(x, old->n_perms[0].p_id, true)))
		d->d_nbentry--;
	xsd_node_free(old);
}

/* read_node() through c's view; *np is valid until the next change. */
int
xsd_get(struct xsd_conn *c, const char *name, const struct xsd_node **np)
{
	struct xsd_node *g = xsd_htab_get(&c->c_xsd->x_tree, name);
	struct xsd_acc *a;
	int rc = 0;

	*np = NULL;
	if (c->c_cur == NULL) {
		*np = g;
		return g != NULL ? 0 : -ENOENT;
	}
	if ((a = xsd_txn_access(c, name, g, false, &rc)) == NULL)
		return rc;
	*np = a->a_node;
	return a->a_node != NULL ? 0 : -ENOENT;
}

/* write_node(): n (owned from here on) replaces its name in c's view. */
int
xsd_put(struct xsd_conn *c, struct xsd_node *n)
{
	struct xsd_acc *a;
	int rc = 0;

	if (c->c_cur == NULL) {
		xsd_tree_put(c->c_xsd, n);
		return 0;
	}
	a = xsd_txn_access(c, n->n_name,
	    xsd_htab_get(&c->c_xsd->x_tree, n->n_name), true, &rc);
	if (a == NULL) {
		xsd_node_free(n);
		return rc;
	}
	xsd_count(c, a->a_node, -1);
	xsd_count(c, n, 1);
	xsd_node_free(a->a_node);
	n->n_gen = ++c->c_xsd->x_gen;
	a->a_node = n;
	return 0;
}

int
xsd_del(struct xsd_conn *c, const char *name)
{
	struct xsd_acc *a;
	int rc = 0;

	if (c->c_cur == NULL) {
		xsd_tree_del(c->c_xsd, name);
		return 0;
	}
	a = xsd_txn_access(c, name, xsd_htab_get(&c->c_xsd->x_tree, name),
	    true, &rc);
	if (a == NULL)
		return rc;
	xsd_count(c, a->a_node, -1);
	xsd_node_free(a->a_node);
	a->a_node = NULL;
	return 0;
}

/* domain_entry(): nodes c's domain owns, seen from c's view. */
int
xsd_entries(const struct xsd_conn *c)
{
	struct xsd_dom *d;
	struct xsd_delta *dl;
	int n;

	if (c->c_priv)
		return 0;
	d = xsd_dom_get(c->c_xsd, c->c_domid, false);
	n = d ? d->d_nbentry : 0;
	if (c->c_cur != NULL)
		for (dl = c->c_cur->t_delta; dl != NULL; dl = dl->dl_next)
			if (dl->dl_dom == c->c_domid)
				n += dl->dl_n;
	return n;
}

static int
xsd_init_node(struct xsd *x, const char *name, const char *val)
{
	struct xsd_node *n, *parent;
	char *pname;

	if ((n = xsd_node_new(name)) == NULL ||
	    (n->n_perms = calloc(1, sizeof(*n->n_perms))) == NULL) {
		xsd_node_free(n);
		return -ENOMEM;
	}
	n->n_nperms = 1;	/* "n0" */
	if (val != NULL && xsd_node_set_data(n, val, strlen(val)) < 0) {
		xsd_node_free(n);
		return -ENOMEM;
	}
	if (strcmp(name, "/") != 0) {
		if ((pname = xsd_parent(name)) == NULL) {
			xsd_node_free(n);
			return -ENOMEM;
		}
		parent = xsd_htab_get(&x->x_tree, pname);
		free(pname);
		if (parent == NULL ||
		    xsd_node_add_child(parent, strrchr(name, '/') + 1) < 0) {
			xsd_node_free(n);
			return -ENOMEM;
		}
	}
	xsd_tree_put(x, n);
	return 0;
}

/* The tree of a dom0 after xenstored start and xen-init-dom0. */
int
xsd_init(struct xsd *x)
{
	static const char *const init[][2] = {
		{ "/", NULL }, { "/local", NULL }, { "/local/domain", NULL },
		{ "/local/domain/0", NULL }, { "/local/domain/0/domid", "0" },
		{ "/local/domain/0/name", "Domain-0" }, { "/tool", NULL },
		{ "/tool/xenstored", NULL },
	};
	unsigned int i;

	memset(x, 0, sizeof(*x));
	x->x_epfd = -1;
	x->x_nextnum = 1;
	x->x_intro_perms = calloc(1, sizeof(struct xsd_perm));
	x->x_release_perms = calloc(1, sizeof(struct xsd_perm));
	if (x->x_intro_perms == NULL || x->x_release_perms == NULL)
		goto fail;
	x->x_nintro = x->x_nrelease = 1;	/* "n0" */
	if (xsd_dom_get(x, 0, true) == NULL)
		goto fail;
	xsd_dom_get(x, 0, false)->d_introduced = true;
	for (i = 0; i < sizeof(init) / sizeof(init[0]); i++)
		if (xsd_init_node(x, init[i][0], init[i][1]) < 0)
			goto fail;
	return 0;
fail:
	xsd_fini(x);
	return -ENOMEM;
}

void
xsd_fini(struct xsd *x)
{
	struct xsd_dom *d;
	unsigned int i;

	while (x->x_conns != NULL)
		xsd_conn_free(x->x_conns);
	for (i = 0; i < x->x_tree.h_nb; i++)
		while (x->x_tree.h_b[i] != NULL)
			xsd_node_free(xsd_htab_take(&x->x_tree,
			    x->x_tree.h_b[i]->n_name));
	free(x->x_tree.h_b);
	x->x_tree.h_b = NULL;
	x->x_tree.h_nb = 0;
	for (i = 0; i < XSD_DOM_BUCKETS; i++)
		while ((d = x->x_doms[i]) != NULL) {
			x->x_doms[i] = d->d_next;
			free(d);
		}
	free(x->x_intro_perms);
	free(x->x_release_perms);
	x->x_intro_perms = x->x_release_perms = NULL;
}
