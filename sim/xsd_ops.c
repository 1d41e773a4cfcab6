/*
 * xsd_ops.c -- the requests of the simulated xenstored that act on nodes,
 * watches and transactions, and the dispatcher for every request type
 * (process_message() and the do_*() functions of xenstored_core.c 4.17):
 * argument checks, permission checks with xenstored's EACCES-vs-ENOENT
 * rule (errno_from_parents), implicit creation of parents, removal with
 * its events, node quotas, and the replies.  Domain requests and CONTROL
 * are in xsd_dom.c.  Owns no sockets: replies go to xsd_conn_send().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

/* xs_wire.h's xsd_errors[], in its order. */
static const struct {
	int		 e_num;
	const char	*e_name;
} xsd_errtab[] = {
	{ EINVAL, "EINVAL" }, { EACCES, "EACCES" }, { EEXIST, "EEXIST" },
	{ EISDIR, "EISDIR" }, { ENOENT, "ENOENT" }, { ENOMEM, "ENOMEM" },
	{ ENOSPC, "ENOSPC" }, { EIO, "EIO" }, { ENOTEMPTY, "ENOTEMPTY" },
	{ ENOSYS, "ENOSYS" }, { EROFS, "EROFS" }, { EBUSY, "EBUSY" },
	{ EAGAIN, "EAGAIN" }, { EISCONN, "EISCONN" }, { E2BIG, "E2BIG" },
	{ EPERM, "EPERM" },
};

/* err > 0; an errno xs_wire.h cannot carry is sent as EINVAL. */
const char *
xsd_errname(int err)
{
	size_t i;

	for (i = 0; i < sizeof(xsd_errtab) / sizeof(xsd_errtab[0]); i++)
		if (xsd_errtab[i].e_num == err)
			return xsd_errtab[i].e_name;
	return "EINVAL";
}

static void
xsd_error(const struct xsd_req *r, int err)
{
	const char *s = xsd_errname(err);

	xsd_conn_send(r->rq_c, XS_ERROR, r->rq_h->req_id, r->rq_h->tx_id, s,
	    (unsigned int)strlen(s) + 1, false);
}

/* send_reply(): echoes req_id and tx_id; too long a reply is E2BIG. */
int
xsd_reply(const struct xsd_req *r, const void *data, unsigned int len)
{
	if (len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	xsd_conn_send(r->rq_c, r->rq_h->type, r->rq_h->req_id, r->rq_h->tx_id,
	    data, len, false);
	return 0;
}

int
xsd_ack(const struct xsd_req *r)
{
	return xsd_reply(r, "OK", 3);
}

/* onearg(): exactly one string, its NUL the last byte; else NULL. */
const char *
xsd_onearg(const struct xsd_req *r)
{
	if (r->rq_len == 0 || memchr(r->rq_p, '\0', r->rq_len) !=
	    r->rq_p + r->rq_len - 1)
		return NULL;
	return r->rq_p;
}

/* The number of NUL-terminated strings (xs_count_strings). */
unsigned int
xsd_nstrings(const struct xsd_req *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < r->rq_len; i++)
		n += r->rq_p[i] == '\0';
	return n;
}

/* ask_parents() + errno_from_parents(): hide what c may not know. */
static int
xsd_err_from_parents(struct xsd_conn *c, const char *name, int err,
    unsigned int perm)
{
	const struct xsd_node *n = NULL;
	char *p = strdup(name), *q;
	unsigned int pp;

	if (err == -ENOMEM || p == NULL) {
		free(p);
		return -ENOMEM;
	}
	do {
		q = xsd_parent(p);
		free(p);
		if ((p = q) == NULL)
			return -ENOMEM;
		if (xsd_get(c, p, &n) == 0)
			break;
	} while (strcmp(p, "/") != 0);
	free(p);
	pp = n != NULL ? xsd_perm_for(c, n->n_perms, n->n_nperms) : 0;
	return (pp & perm) ? err : -EACCES;
}

/*
 * get_node_canonicalized(): *name (malloc'd, may be set on failure) and
 * *np, the node if c has all of perm on it.  -EINVAL, -EACCES, -ENOENT.
 */
static int
xsd_get_node(struct xsd_conn *c, const char *arg, unsigned int perm,
    char **name, const struct xsd_node **np)
{
	int rc;

	*name = NULL;
	*np = NULL;
	if (arg == NULL)
		return -EINVAL;
	if ((*name = xsd_canon(c, arg)) == NULL)
		return -ENOMEM;
	if (!xsd_valid_path(*name))
		return -EINVAL;
	rc = xsd_get(c, *name, np);
	if (*np != NULL && (xsd_perm_for(c, (*np)->n_perms,
	    (*np)->n_nperms) & perm) != perm) {
		*np = NULL;
		rc = -EACCES;
	}
	if (*np == NULL)
		return xsd_err_from_parents(c, *name, rc, perm);
	return 0;
}

/* write_node()'s quota: an unprivileged writer's records stay small. */
static int
xsd_put_chk(struct xsd_conn *c, struct xsd_node *n)
{
	if (!c->c_priv && xsd_node_size(n) >= XSD_QUOTA_ENTRY_SIZE) {
		xsd_node_free(n);
		return -ENOSPC;
	}
	return xsd_put(c, n);
}

/*
 * construct_node() + create_node(): name and its missing ancestors, each
 * inheriting its parent's perms (an unprivileged creator becomes the
 * owner).  All or nothing: quotas are checked before anything is written.
 */
static int
xsd_create(struct xsd_conn *c, const char *name, const char *data,
    unsigned int len)
{
	struct xsd_node *nn[XENSTORE_ABS_PATH_MAX / 2 + 2];
	const struct xsd_node *g = NULL;
	unsigned int lv = 0, i, ent;
	char *p = strdup(name), *q;
	int rc = -ENOMEM;

	if (p == NULL)
		return -ENOMEM;
	while (p != NULL && (nn[lv++] = xsd_node_new(p)) != NULL) {
		q = xsd_parent(p);
		free(p);
		if ((p = q) == NULL)
			break;
		if ((rc = xsd_get(c, p, &g)) == 0 || rc != -ENOENT ||
		    strcmp(p, "/") == 0)
			break;
	}
	free(p);
	if (g == NULL || nn[lv - 1] == NULL) {
		lv -= nn[lv - 1] == NULL;
		rc = rc < 0 ? rc : -ENOMEM;
		goto out;
	}
	/* nn[lv] is a copy of the existing parent; build downwards. */
	if ((nn[lv] = xsd_node_dup(g)) == NULL)
		goto out;
	for (i = lv; i > 0; i--) {
		struct xsd_node *par = nn[i], *n = nn[i - 1];

		if (xsd_node_add_child(par, strrchr(n->n_name, '/') + 1) < 0 ||
		    (n->n_perms = calloc(par->n_nperms,
		    sizeof(*n->n_perms))) == NULL)
			goto out1;
		memcpy(n->n_perms, par->n_perms, par->n_nperms *
		    sizeof(*n->n_perms));
		n->n_nperms = par->n_nperms;
		if (!c->c_priv)
			n->n_perms[0].p_id = c->c_domid;
	}
	if (len > 0 && xsd_node_set_data(nn[0], data, len) < 0)
		goto out1;
	ent = (unsigned int)xsd_entries(c);
	for (i = 0; i <= lv; i++) {
		rc = -ENOSPC;
		if (!c->c_priv && i < lv && ent + i >= XSD_QUOTA_NODES)
			goto out1;
		if (!c->c_priv && xsd_node_size(nn[i]) >= XSD_QUOTA_ENTRY_SIZE)
			goto out1;
	}
	if (c->c_cur != NULL)
		c->c_cur->t_created = true;
	for (rc = 0, i = 0; i <= lv; i++)
		if (rc == 0)
			rc = xsd_put(c, nn[i]);	/* takes nn[i] */
		else
			xsd_node_free(nn[i]);
	return rc;
out1:
	lv++;
out:
	for (i = 0; i < lv; i++)
		xsd_node_free(nn[i]);
	return rc;
}

static int
xsd_op_read(const struct xsd_req *r)
{
	const struct xsd_node *n;
	char *name;
	int rc;

	rc = xsd_get_node(r->rq_c, xsd_onearg(r), XSD_PERM_READ, &name, &n);
	free(name);
	return rc < 0 ? rc : xsd_reply(r, n->n_data, n->n_datalen);
}

static int
xsd_op_directory(const struct xsd_req *r)
{
	const struct xsd_node *n;
	char *name;
	int rc;

	rc = xsd_get_node(r->rq_c, xsd_onearg(r), XSD_PERM_READ, &name, &n);
	free(name);
	return rc < 0 ? rc : xsd_reply(r, n->n_children, n->n_childlen);
}

/* send_directory_part(): "<gen>\0" then as many children as fit. */
static int
xsd_op_directory_part(const struct xsd_req *r)
{
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	const struct xsd_node *n;
	unsigned int off, len = 0, maxlen, glen;
	const char *child;
	char *name;
	int rc;

	if (xsd_nstrings(r) != 2)
		return -EINVAL;
	rc = xsd_get_node(r->rq_c, r->rq_p, XSD_PERM_READ, &name, &n);
	free(name);
	if (rc < 0)
		return rc;
	off = (unsigned int)atoi(r->rq_p + strlen(r->rq_p) + 1);
	glen = (unsigned int)snprintf(buf, 24, "%" PRIu64, n->n_gen) + 1;
	if (off >= n->n_childlen) {
		buf[glen] = '\0';
		return xsd_reply(r, buf, glen + 1);
	}
	maxlen = XENSTORE_PAYLOAD_MAX - glen - 1;
	child = n->n_children + off;
	while (len + strlen(child) < maxlen) {
		len += (unsigned int)strlen(child) + 1;
		child += strlen(child) + 1;
		if (off + len == n->n_childlen)
			break;
	}
	if (len > 0)		/* n_children is NULL without children */
		memcpy(buf + glen, n->n_children + off, len);
	if (off + len == n->n_childlen)
		buf[glen + len++] = '\0';
	return xsd_reply(r, buf, glen + len);
}

static int
xsd_op_get_perms(const struct xsd_req *r)
{
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	const struct xsd_node *n;
	char *name;
	int rc;

	rc = xsd_get_node(r->rq_c, xsd_onearg(r), XSD_PERM_READ, &name, &n);
	free(name);
	if (rc < 0)
		return rc;
	rc = xsd_perms_format(n->n_perms, n->n_nperms, buf, sizeof(buf));
	return rc < 0 ? rc : xsd_reply(r, buf, (unsigned int)rc);
}

static int
xsd_op_write(const struct xsd_req *r)
{
	struct xsd_conn *c = r->rq_c;
	const struct xsd_node *n;
	struct xsd_node *m;
	unsigned int off, len;
	char *name;
	int rc;

	/* Extra "strings" can be binary data: only the path must be one. */
	if (xsd_nstrings(r) < 1)
		return -EINVAL;
	off = (unsigned int)strlen(r->rq_p) + 1;
	len = r->rq_len - off;
	rc = xsd_get_node(c, r->rq_p, XSD_PERM_WRITE, &name, &n);
	if (rc == -ENOENT)
		rc = xsd_create(c, name, r->rq_p + off, len);
	else if (rc == 0) {
		if ((m = xsd_node_dup(n)) == NULL ||
		    xsd_node_set_data(m, r->rq_p + off, len) < 0) {
			xsd_node_free(m);
			rc = -ENOMEM;
		} else
			rc = xsd_put_chk(c, m);
	}
	if (rc == 0) {
		xsd_get(c, name, &n);
		xsd_fire(c->c_xsd, c, name, n, false, NULL, 0);
		rc = xsd_ack(r);
	}
	free(name);
	return rc;
}

static int
xsd_op_mkdir(const struct xsd_req *r)
{
	struct xsd_conn *c = r->rq_c;
	const struct xsd_node *n;
	char *name;
	int rc;

	rc = xsd_get_node(c, xsd_onearg(r), XSD_PERM_WRITE, &name, &n);
	if (rc == -ENOENT && (rc = xsd_create(c, name, NULL, 0)) == 0) {
		xsd_get(c, name, &n);
		xsd_fire(c->c_xsd, c, name, n, false, NULL, 0);
	}
	free(name);
	return rc < 0 ? rc : xsd_ack(r);
}

/* delnode_sub() bottom-up: children fire watches on exactly them. */
static int
xsd_rm_walk(struct xsd_conn *c, const char *name, const char *root)
{
	const struct xsd_node *n;
	char *kids, *path;
	unsigned int i, len;
	int rc;

	if ((rc = xsd_get(c, name, &n)) < 0)
		return rc == -ENOENT ? 0 : rc;
	if ((kids = malloc(n->n_childlen + 1)) == NULL)
		return -ENOMEM;
	if (n->n_childlen > 0)		/* n_children is NULL for a leaf */
		memcpy(kids, n->n_children, n->n_childlen);
	len = n->n_childlen;
	for (i = 0; i < len && rc == 0; i += (unsigned int)strlen(kids + i) + 1) {
		if (asprintf(&path, "%s/%s", strcmp(name, "/") ? name : "",
		    kids + i) < 0) {
			rc = -ENOMEM;
			break;
		}
		rc = xsd_rm_walk(c, path, root);
		free(path);
	}
	free(kids);
	if (rc < 0 || (rc = xsd_get(c, name, &n)) < 0)
		return rc;
	xsd_fire(c->c_xsd, c, name, n, strcmp(name, root) != 0, NULL, 0);
	return xsd_del(c, name);
}

/* rm_node(): name and everything below it, then its parent's entry. */
int
xsd_rm_node(struct xsd_conn *c, const char *name)
{
	const struct xsd_node *p;
	struct xsd_node *m;
	char *pname;
	int rc;

	if ((pname = xsd_parent(name)) == NULL)
		return -ENOMEM;
	rc = xsd_get(c, pname, &p);
	free(pname);
	if (rc < 0)
		return rc == -ENOENT ? -EINVAL : rc;
	if ((m = xsd_node_dup(p)) == NULL)
		return -ENOMEM;
	if ((rc = xsd_rm_walk(c, name, name)) < 0) {
		xsd_node_free(m);
		return rc;
	}
	xsd_node_del_child(m, strrchr(name, '/') + 1);
	return xsd_put(c, m);
}

static int
xsd_op_rm(const struct xsd_req *r)
{
	struct xsd_conn *c = r->rq_c;
	const struct xsd_node *n;
	char *name, *pname;
	int rc;

	rc = xsd_get_node(c, xsd_onearg(r), XSD_PERM_WRITE, &name, &n);
	if (rc == -ENOENT) {
		/* Didn't exist already?  Fine, if the parent exists. */
		if ((pname = xsd_parent(name)) == NULL)
			rc = -ENOMEM;
		else if (xsd_get(c, pname, &n) == 0)
			rc = 1;
		free(pname);
	} else if (rc == 0)
		rc = strcmp(name, "/") == 0 ? -EINVAL : xsd_rm_node(c, name);
	free(name);
	return rc < 0 ? rc : xsd_ack(r);
}

static int
xsd_op_set_perms(const struct xsd_req *r)
{
	struct xsd_conn *c = r->rq_c;
	const struct xsd_node *n;
	struct xsd_perm *p, *op = NULL;
	struct xsd_node *m = NULL;
	unsigned int np, nop = 0, off;
	char *name;
	int rc;

	if (xsd_nstrings(r) < 2)
		return -EINVAL;
	if (!c->c_priv && xsd_nstrings(r) - 1 > XSD_QUOTA_PERMS)
		return -ENOSPC;
	off = (unsigned int)strlen(r->rq_p) + 1;
	if ((rc = xsd_perms_parse(r->rq_p + off, r->rq_len - off, &p,
	    &np)) < 0)
		return rc;
	if (r->rq_p[0] == '@') {
		rc = xsd_set_perms_special(c, r->rq_p, p, np);
		return rc < 0 ? rc : xsd_ack(r);
	}
	rc = xsd_get_node(c, r->rq_p, XSD_PERM_WRITE | XSD_PERM_OWNER, &name,
	    &n);
	if (rc == 0 && !c->c_priv && p[0].p_id != n->n_perms[0].p_id)
		rc = -EPERM;
	if (rc == 0 && ((m = xsd_node_dup(n)) == NULL ||
	    (op = malloc(n->n_nperms * sizeof(*op))) == NULL)) {
		xsd_node_free(m);
		rc = -ENOMEM;
	}
	if (rc == 0) {
		nop = n->n_nperms;
		memcpy(op, n->n_perms, nop * sizeof(*op));
		free(m->n_perms);
		m->n_perms = p;
		m->n_nperms = np;
		p = NULL;
		if ((rc = xsd_put_chk(c, m)) == 0) {
			xsd_get(c, name, &n);
			xsd_fire(c->c_xsd, c, name, n, false, op, nop);
			rc = xsd_ack(r);
		}
	}
	free(p);
	free(op);
	free(name);
	return rc;
}

static int
xsd_op_watch(const struct xsd_req *r)
{
	const char *tok;

	if (xsd_nstrings(r) != 2)
		return -EINVAL;
	tok = r->rq_p + strlen(r->rq_p) + 1;
	return xsd_watch_add(r->rq_c, r->rq_p, tok, r->rq_h->req_id);
}

static int
xsd_op_unwatch(const struct xsd_req *r)
{
	int rc;

	if (xsd_nstrings(r) != 2)
		return -EINVAL;
	rc = xsd_watch_del(r->rq_c, r->rq_p, r->rq_p + strlen(r->rq_p) + 1);
	return rc < 0 ? rc : xsd_ack(r);
}

static int
xsd_op_reset_watches(const struct xsd_req *r)
{
	xsd_watch_free_all(r->rq_c);
	xsd_txn_free_all(r->rq_c);
	return xsd_ack(r);
}

static int
xsd_op_txn_start(const struct xsd_req *r)
{
	char buf[16];
	uint32_t id;
	int rc;

	if ((rc = xsd_txn_start(r->rq_c, &id)) < 0)
		return rc;
	return xsd_reply(r, buf, (unsigned int)snprintf(buf, sizeof(buf),
	    "%u", id) + 1);
}

static int
xsd_op_txn_end(const struct xsd_req *r)
{
	const char *arg = xsd_onearg(r);
	int rc;

	if (arg == NULL || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
		return -EINVAL;
	if (r->rq_c->c_cur == NULL)
		return -ENOENT;
	rc = xsd_txn_end(r->rq_c, r->rq_c->c_cur, arg[0] == 'T');
	return rc < 0 ? rc : xsd_ack(r);
}

#define XSD_NOTID	0x1	/* ignore tx_id */
#define XSD_PRIV	0x2	/* privileged connections only */

static const struct {
	int	(*op_fn)(const struct xsd_req *);
	unsigned int op_flags;
} xsd_optab[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { xsd_op_control, XSD_PRIV },
	[XS_DIRECTORY] = { xsd_op_directory, 0 },
	[XS_READ] = { xsd_op_read, 0 },
	[XS_GET_PERMS] = { xsd_op_get_perms, 0 },
	[XS_WATCH] = { xsd_op_watch, XSD_NOTID },
	[XS_UNWATCH] = { xsd_op_unwatch, XSD_NOTID },
	[XS_TRANSACTION_START] = { xsd_op_txn_start, 0 },
	[XS_TRANSACTION_END] = { xsd_op_txn_end, 0 },
	[XS_INTRODUCE] = { xsd_op_introduce, XSD_PRIV },
	[XS_RELEASE] = { xsd_op_release, XSD_PRIV },
	[XS_GET_DOMAIN_PATH] = { xsd_op_get_domain_path, 0 },
	[XS_WRITE] = { xsd_op_write, 0 },
	[XS_MKDIR] = { xsd_op_mkdir, 0 },
	[XS_RM] = { xsd_op_rm, 0 },
	[XS_SET_PERMS] = { xsd_op_set_perms, 0 },
	[XS_IS_DOMAIN_INTRODUCED] = { xsd_op_is_domain_introduced, XSD_PRIV },
	[XS_RESUME] = { xsd_op_resume, XSD_PRIV },
	[XS_SET_TARGET] = { xsd_op_set_target, XSD_PRIV },
	[XS_RESET_WATCHES] = { xsd_op_reset_watches, 0 },
	[XS_DIRECTORY_PART] = { xsd_op_directory_part, 0 },
};

/*
 * process_message().  Untrusted: all of h and p (h->len bytes, at most
 * XENSTORE_PAYLOAD_MAX: the caller checked).
 */
void
xsd_request(struct xsd_conn *c, const struct xsd_sockmsg *h, const char *p)
{
	struct xsd_req r = { c, h, p, h->len };
	struct xsd_txn *t = NULL;
	int rc;

	if (h->type >= XS_TYPE_COUNT || xsd_optab[h->type].op_fn == NULL) {
		xsd_error(&r, ENOSYS);
		return;
	}
	if ((xsd_optab[h->type].op_flags & XSD_PRIV) && !c->c_priv) {
		xsd_error(&r, EACCES);
		return;
	}
	if (!(xsd_optab[h->type].op_flags & XSD_NOTID) && h->tx_id != 0 &&
	    (t = xsd_txn_find(c, h->tx_id)) == NULL) {
		xsd_error(&r, ENOENT);
		return;
	}
	c->c_cur = t;
	rc = xsd_optab[h->type].op_fn(&r);
	c->c_cur = NULL;
	if (rc < 0)
		xsd_error(&r, -rc);
}
