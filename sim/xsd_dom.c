/*
 * xsd_dom.c -- domain requests of the simulated xenstored
 * (xenstored_domain.c of 4.17): INTRODUCE, RELEASE (the domain's
 * connections go, the nodes it owns are removed, @releaseDomain fires),
 * RESUME, SET_TARGET, GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED, the perms of
 * the special watch paths, and a small CONTROL.  The hypervisor is never
 * asked whether a domain exists (see xsd.h).  Sockets for the domains
 * are made by the x_on_dom callback (xsd_conn.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

#define XSD_DOMID_SELF		0x7FF0u	/* DOMID_SELF of xen.h */
#define XSD_DOMID_RESERVED	0x7FF0u	/* DOMID_FIRST_RESERVED */

/* do_introduce(): "<domid>\0<mfn>\0<port>\0". */
int
xsd_op_introduce(const struct xsd_req *r)
{
	struct xsd *x = r->rq_c->c_xsd;
	const char *v[3];
	struct xsd_dom *d;
	unsigned int domid, i, off = 0;

	if (xsd_nstrings(r) < 3)
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		v[i] = r->rq_p + off;
		off += (unsigned int)strlen(v[i]) + 1;
	}
	domid = (unsigned int)atoi(v[0]);
	if (atoi(v[2]) <= 0)
		return -EINVAL;
	/* XXX: xenstored would fail to map a ring of no domain. */
	if (domid >= XSD_DOMID_RESERVED)
		return -EINVAL;
	if ((d = xsd_dom_get(x, domid, true)) == NULL)
		return -ENOMEM;
	if (!d->d_introduced) {
		d->d_introduced = true;
		if (x->x_on_dom != NULL)
			x->x_on_dom(x, domid, true);
		if (domid != 0)
			xsd_fire(x, NULL, "@introduceDomain", NULL, true, NULL,
			    0);
	}
	return xsd_ack(r);
}

/* find_connected_domain() of onearg(): -EINVAL, -ENOENT or the domain. */
static int
xsd_onearg_dom(const struct xsd_req *r, struct xsd_dom **dp)
{
	const char *a = xsd_onearg(r);
	unsigned int domid;

	if (a == NULL || (domid = (unsigned int)atoi(a)) == 0)
		return -EINVAL;
	*dp = xsd_dom_get(r->rq_c->c_xsd, domid, false);
	if (*dp == NULL || !(*dp)->d_introduced)
		return -ENOENT;
	return 0;
}

static void
xsd_perms_drop(struct xsd_perm *p, unsigned int *n, unsigned int domid)
{
	unsigned int i, k = 1;

	for (i = 1; i < *n; i++)
		if (p[i].p_id != domid)
			p[k++] = p[i];
	*n = k;
}

/*
 * First node (pre-order) below name owned by domid, malloc'd, or NULL.
 * Never "/", which cannot be removed: dom0 may give it to a guest, and
 * xsd_rm_node("/") emptied the tree but put "/" back, still the guest's,
 * so the release loop never ended.
 */
static char *
xsd_find_owned(struct xsd *x, const char *name, unsigned int domid)
{
	const struct xsd_node *n = xsd_htab_get(&x->x_tree, name);
	unsigned int i;
	char *path, *found = NULL;

	if (n == NULL)
		return NULL;
	if (n->n_perms[0].p_id == domid && strcmp(name, "/") != 0)
		return strdup(name);
	for (i = 0; i < n->n_childlen && found == NULL;
	    i += (unsigned int)strlen(n->n_children + i) + 1) {
		if (asprintf(&path, "%s/%s", strcmp(name, "/") ? name : "",
		    n->n_children + i) < 0)
			return NULL;
		found = xsd_find_owned(x, path, domid);
		free(path);
	}
	return found;
}

/*
 * destroy_domain(): close the domain's connections, remove the nodes it
 * owns (without --keep-orphans), forget it in the special perms, fire
 * @releaseDomain.
 */
static void
xsd_dom_release(struct xsd *x, struct xsd_dom *d)
{
	struct xsd_conn *c, tmp = { .c_xsd = x, .c_priv = true };
	char *path;

	for (c = x->x_conns; c != NULL; c = c->c_next)
		if (!c->c_listen && !c->c_priv && c->c_domid == d->d_id) {
			xsd_watch_free_all(c);
			xsd_txn_free_all(c);
			c->c_dead = true;
		}
	d->d_introduced = false;
	d->d_target = XSD_NO_TARGET;
	if (x->x_on_dom != NULL)
		x->x_on_dom(x, d->d_id, false);
	while (d->d_nbentry > 0 &&
	    (path = xsd_find_owned(x, "/", d->d_id)) != NULL) {
		if (xsd_rm_node(&tmp, path) < 0) {
			free(path);
			break;
		}
		free(path);
	}
	xsd_perms_drop(x->x_intro_perms, &x->x_nintro, d->d_id);
	xsd_perms_drop(x->x_release_perms, &x->x_nrelease, d->d_id);
	xsd_fire(x, NULL, "@releaseDomain", NULL, true, NULL, 0);
}

int
xsd_op_release(const struct xsd_req *r)
{
	struct xsd_dom *d;
	int rc;

	if ((rc = xsd_onearg_dom(r, &d)) < 0)
		return rc;
	xsd_dom_release(r->rq_c->c_xsd, d);
	return xsd_ack(r);
}

int
xsd_op_resume(const struct xsd_req *r)
{
	struct xsd_dom *d;
	int rc;

	if ((rc = xsd_onearg_dom(r, &d)) < 0)
		return rc;
	return xsd_ack(r);
}

/* do_set_target(): "<domid>\0<target>\0", both introduced. */
int
xsd_op_set_target(const struct xsd_req *r)
{
	struct xsd *x = r->rq_c->c_xsd;
	struct xsd_dom *d, *t;
	unsigned int domid, tdomid;

	if (xsd_nstrings(r) < 2)
		return -EINVAL;
	domid = (unsigned int)atoi(r->rq_p);
	tdomid = (unsigned int)atoi(r->rq_p + strlen(r->rq_p) + 1);
	d = xsd_dom_get(x, domid, false);
	t = xsd_dom_get(x, tdomid, false);
	if (d == NULL || !d->d_introduced || t == NULL || !t->d_introduced)
		return -ENOENT;
	d->d_target = tdomid;
	return xsd_ack(r);
}

int
xsd_op_get_domain_path(const struct xsd_req *r)
{
	const char *a = xsd_onearg(r);
	char buf[40];

	if (a == NULL)
		return -EINVAL;
	return xsd_reply(r, buf, (unsigned int)snprintf(buf, sizeof(buf),
	    "/local/domain/%u", (unsigned int)atoi(a)) + 1);
}

int
xsd_op_is_domain_introduced(const struct xsd_req *r)
{
	const char *a = xsd_onearg(r);
	struct xsd_dom *d;
	unsigned int domid;

	if (a == NULL)
		return -EINVAL;
	domid = (unsigned int)atoi(a);
	d = xsd_dom_get(r->rq_c->c_xsd, domid, false);
	return xsd_reply(r, domid == XSD_DOMID_SELF ||
	    (d != NULL && d->d_introduced) ? "T" : "F", 2);
}

/* set_perms_special(): needs write and owner on the special node. */
int
xsd_set_perms_special(struct xsd_conn *c, const char *name,
    struct xsd_perm *p, unsigned int n)
{
	struct xsd *x = c->c_xsd;
	struct xsd_perm **pp;
	unsigned int *np;

	if (strcmp(name, "@introduceDomain") == 0) {
		pp = &x->x_intro_perms;
		np = &x->x_nintro;
	} else if (strcmp(name, "@releaseDomain") == 0) {
		pp = &x->x_release_perms;
		np = &x->x_nrelease;
	} else {
		free(p);
		return -EINVAL;
	}
	if ((xsd_perm_for(c, *pp, *np) & (XSD_PERM_WRITE | XSD_PERM_OWNER)) !=
	    (XSD_PERM_WRITE | XSD_PERM_OWNER)) {
		free(p);
		return -EACCES;
	}
	free(*pp);
	*pp = p;
	*np = n;
	return 0;
}

/* do_control(): "check", "print TEXT", "quota", "help"; else EINVAL. */
int
xsd_op_control(const struct xsd_req *r)
{
	static const char help[] = "Valid commands:\n"
	    "check\nprint <string>\nquota\nhelp\n";
	char buf[512];
	unsigned int n = xsd_nstrings(r);
	const char *cmd = r->rq_p, *arg;

	if (n == 0)
		return -EINVAL;
	arg = cmd + strlen(cmd) + 1;
	if (strcmp(cmd, "check") == 0)
		return n == 1 ? xsd_ack(r) : -EINVAL;
	if (strcmp(cmd, "print") == 0) {
		if (n != 2)
			return -EINVAL;
		fprintf(stderr, "xenstored: control: %s\n", arg);
		return xsd_ack(r);
	}
	if (strcmp(cmd, "help") == 0)
		return xsd_reply(r, help, sizeof(help));
	if (strcmp(cmd, "quota") == 0) {
		snprintf(buf, sizeof(buf), "Quota settings:\n"
		    "nodes:               %d\nwatches:             %d\n"
		    "transactions:        %d\nnode-size:           %d\n"
		    "permissions:         %d\ntransaction-nodes:   %d\n",
		    XSD_QUOTA_NODES, XSD_QUOTA_WATCHES, XSD_QUOTA_TXNS,
		    XSD_QUOTA_ENTRY_SIZE, XSD_QUOTA_PERMS, XSD_QUOTA_TXN_NODES);
		return xsd_reply(r, buf, (unsigned int)strlen(buf) + 1);
	}
	return -EINVAL;
}
