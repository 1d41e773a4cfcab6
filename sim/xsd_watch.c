/*
 * xsd_watch.c -- watches of the simulated xenstored (xenstored_watch.c of
 * 4.17): registration with its checks and quota, the initial event, and
 * firing: a change of a path fires every watch on that path or an
 * ancestor ("exact" for the children of a removed node: only watches on
 * exactly them), to connections that may read the node or its parent
 * (or that could read it before a permission change), and for the special
 * @introduceDomain/@releaseDomain to connections their perms let read.
 * Inside a transaction events are queued and fired at commit (xsd_txn.c).
 * Owns no sockets: events go to xsd_conn_send().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

/* Is child a subnode of parent, or equal?  "/" is everyone's parent. */
bool
xsd_is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return true;
	if (strncmp(child, parent, len) != 0)
		return false;
	return child[len] == '/' || child[len] == '\0';
}

/* get_watch_path(): the path as the watcher named it. */
static const char *
xsd_watch_path(const struct xsd_conn *c, const struct xsd_watch *w,
    const char *name)
{
	char home[32];
	size_t len;

	if (!w->w_rel)
		return name;
	len = (size_t)snprintf(home, sizeof(home), "/local/domain/%u",
	    c->c_domid);
	if (strncmp(name, home, len) != 0)
		return name;
	name += len;
	return *name == '/' ? name + 1 : name;
}

static void
xsd_event(struct xsd_conn *c, const char *path, const char *token)
{
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	char buf[XENSTORE_PAYLOAD_MAX];

	if (pl + tl > XENSTORE_PAYLOAD_MAX)
		return;		/* xenstored drops over-long events too */
	memcpy(buf, path, pl);
	memcpy(buf + pl, token, tl);
	xsd_conn_send(c, XS_WATCH_EVENT, 0, 0, buf, (unsigned int)(pl + tl),
	    true);
}

/*
 * do_watch(): path and token are Untrusted.  On success the ack and the
 * initial event are queued on c.
 */
int
xsd_watch_add(struct xsd_conn *c, const char *path, const char *token,
    uint32_t req_id)
{
	struct xsd_watch *w, **wp;
	struct xsd_dom *d;
	bool rel = false;
	char *node;

	if (path[0] == '@') {
		if (strlen(path) > XENSTORE_REL_PATH_MAX)
			return -EINVAL;
	} else
		rel = path[0] != '/';
	if ((node = xsd_canon(c, path)) == NULL)
		return -ENOMEM;
	if (node[0] != '@' && !xsd_valid_path(node)) {
		free(node);
		return -EINVAL;
	}
	for (wp = &c->c_watches; (w = *wp) != NULL; wp = &w->w_next)
		if (strcmp(w->w_node, node) == 0 &&
		    strcmp(w->w_token, token) == 0) {
			free(node);
			return -EEXIST;
		}
	d = c->c_priv ? NULL : xsd_dom_get(c->c_xsd, c->c_domid, true);
	if (d != NULL && d->d_nbwatch > XSD_QUOTA_WATCHES) {
		free(node);
		return -E2BIG;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->w_token = strdup(token)) == NULL) {
		free(w);
		free(node);
		return -ENOMEM;
	}
	w->w_node = node;
	w->w_rel = rel;
	*wp = w;
	if (d != NULL)
		d->d_nbwatch++;
	xsd_conn_send(c, XS_WATCH, req_id, 0, "OK", 3, false);
	xsd_event(c, xsd_watch_path(c, w, w->w_node), w->w_token);
	return 0;
}

static void
xsd_watch_free(struct xsd_conn *c, struct xsd_watch *w)
{
	struct xsd_dom *d;

	if (!c->c_priv &&
	    (d = xsd_dom_get(c->c_xsd, c->c_domid, false)) != NULL)
		d->d_nbwatch--;
	free(w->w_node);
	free(w->w_token);
	free(w);
}

/* do_unwatch(): -ENOENT if c has no such watch. */
int
xsd_watch_del(struct xsd_conn *c, const char *path, const char *token)
{
	struct xsd_watch *w, **wp;
	char *node;

	if ((node = xsd_canon(c, path)) == NULL)
		return -ENOMEM;
	for (wp = &c->c_watches; (w = *wp) != NULL; wp = &w->w_next)
		if (strcmp(w->w_node, node) == 0 &&
		    strcmp(w->w_token, token) == 0) {
			*wp = w->w_next;
			xsd_watch_free(c, w);
			free(node);
			return 0;
		}
	free(node);
	return -ENOENT;
}

void
xsd_watch_free_all(struct xsd_conn *c)
{
	struct xsd_watch *w;

	while ((w = c->c_watches) != NULL) {
		c->c_watches = w->w_next;
		xsd_watch_free(c, w);
	}
}

/* watch_permitted(): may c see an event for name? */
static bool
xsd_watch_permitted(struct xsd_conn *c, const char *name,
    const struct xsd_node *node, const struct xsd_perm *op, unsigned int nop)
{
	struct xsd *x = c->c_xsd;
	const struct xsd_node *parent;
	char *pname;

	if (op != NULL && nop > 0 &&
	    (xsd_perm_for(c, op, nop) & XSD_PERM_READ))
		return true;
	if (node == NULL && (node = xsd_htab_get(&x->x_tree, name)) == NULL)
		return false;
	if (xsd_perm_for(c, node->n_perms, node->n_nperms) & XSD_PERM_READ)
		return true;
	if ((pname = xsd_parent(name)) == NULL)
		return false;
	parent = xsd_htab_get(&x->x_tree, pname);
	free(pname);
	return parent != NULL &&
	    (xsd_perm_for(c, parent->n_perms, parent->n_nperms) &
	    XSD_PERM_READ);
}

static bool
xsd_special_permitted(struct xsd_conn *c, const char *name)
{
	struct xsd *x = c->c_xsd;

	if (strcmp(name, "@introduceDomain") == 0)
		return xsd_perm_for(c, x->x_intro_perms, x->x_nintro) &
		    XSD_PERM_READ;
	if (strcmp(name, "@releaseDomain") == 0)
		return xsd_perm_for(c, x->x_release_perms, x->x_nrelease) &
		    XSD_PERM_READ;
	return false;
}

/*
 * fire_watches(): from c (NULL: the server itself).  node is the node as
 * changed (NULL: look it up), op/nop its perms before the change, if any.
 */
void
xsd_fire(struct xsd *x, struct xsd_conn *c, const char *name,
    const struct xsd_node *node, bool exact, const struct xsd_perm *op,
    unsigned int nop)
{
	struct xsd_conn *i;
	struct xsd_watch *w;
	struct xsd_acc *a;
	int rc = 0;

	if (c != NULL && c->c_cur != NULL) {
		a = xsd_txn_access(c, name, xsd_htab_get(&x->x_tree, name),
		    false, &rc);
		if (a == NULL)
			return;
		if (!a->a_fire) {
			a->a_fire = true;
			a->a_exact = exact;
		} else if (!exact)
			a->a_exact = false;
		return;
	}
	/*
	 * Permission is asked once per connection, and only of one with a
	 * watch that matches: most of a host's connections (a guest each)
	 * watch nothing under name.
	 */
	for (i = x->x_conns; i != NULL; i = i->c_next) {
		int permitted = -1;	/* not asked yet */

		if (i->c_listen || i->c_dead)
			continue;
		for (w = i->c_watches; w != NULL; w = w->w_next) {
			if (!(exact ? strcmp(name, w->w_node) == 0 :
			    xsd_is_child(name, w->w_node)))
				continue;
			if (permitted < 0)
				permitted = name[0] == '@' ?
				    xsd_special_permitted(i, name) :
				    xsd_watch_permitted(i, name, node, op, nop);
			if (permitted)
				xsd_event(i, xsd_watch_path(i, w, name),
				    w->w_token);
		}
	}
}
