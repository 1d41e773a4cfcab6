/*
 * xsd_txn.c -- transactions of the simulated xenstored, with 4.17's rule
 * (xenstored_transaction.c): every node a transaction touches gets an
 * accessed-node record.  If the first access is a read, the node's global
 * generation (or "absent") is remembered and checked at commit; a change
 * by anyone else in between fails the commit with EAGAIN.  Nodes first
 * accessed by a write are not checked: the commit overwrites them.  The
 * transaction sees its own copy of each node from its first access on.
 * Watches fire at commit, for the nodes the transaction changed.
 * Owns no sockets and no request parsing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xsd.h"

/*
 * A list, as a transaction holds at most XSD_QUOTA_TXN_NODES records
 * (dom0's are unbounded, but short in practice); the hash spares the
 * string compares, which made a long transaction quadratic in strcmp.
 */
static struct xsd_acc *
xsd_acc_find(const struct xsd_txn *t, const char *name, unsigned int hv)
{
	struct xsd_acc *a;

	for (a = t->t_acc; a != NULL; a = a->a_next)
		if (a->a_hash == hv && strcmp(a->a_name, name) == 0)
			return a;
	return NULL;
}

static void
xsd_acc_free(struct xsd_acc *a)
{
	free(a->a_name);
	free(a->a_operms);
	xsd_node_free(a->a_node);
	free(a);
}

/*
 * access_node(): the record of name in c's current transaction, made on
 * first access from g (the global node, or NULL) and marked modified for a
 * write.  NULL and *rc on failure (the transaction then fails at commit).
 */
struct xsd_acc *
xsd_txn_access(struct xsd_conn *c, const char *name, const struct xsd_node *g,
    bool write, int *rc)
{
	struct xsd_txn *t = c->c_cur;
	struct xsd_acc *a, **ap;
	unsigned int hv = xsd_hash(name);

	if ((a = xsd_acc_find(t, name, hv)) != NULL) {
		a->a_modified |= write;
		return a;
	}
	if (t->t_nacc >= XSD_QUOTA_TXN_NODES && !c->c_priv) {
		t->t_fail = true;
		*rc = -ENOSPC;
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->a_name = strdup(name)) == NULL)
		goto nomem;
	a->a_hash = hv;
	if (g != NULL) {
		if ((a->a_node = xsd_node_dup(g)) == NULL ||
		    (a->a_operms = calloc(g->n_nperms,
		    sizeof(*a->a_operms))) == NULL)
			goto nomem;
		memcpy(a->a_operms, g->n_perms, g->n_nperms *
		    sizeof(*a->a_operms));
		a->a_noperms = g->n_nperms;
	}
	a->a_check = !write;
	a->a_gen = g != NULL ? g->n_gen : XSD_NO_GEN;
	a->a_modified = write;
	for (ap = &t->t_acc; *ap != NULL; ap = &(*ap)->a_next)
		;
	*ap = a;
	t->t_nacc++;
	return a;
nomem:
	if (a != NULL)
		xsd_acc_free(a);
	t->t_fail = true;
	*rc = -ENOMEM;
	return NULL;
}

void
xsd_txn_count(struct xsd_txn *t, unsigned int dom, int n)
{
	struct xsd_delta *dl;

	for (dl = t->t_delta; dl != NULL; dl = dl->dl_next)
		if (dl->dl_dom == dom) {
			dl->dl_n += n;
			return;
		}
	if ((dl = calloc(1, sizeof(*dl))) == NULL) {
		t->t_fail = true;
		return;
	}
	dl->dl_dom = dom;
	dl->dl_n = n;
	dl->dl_next = t->t_delta;
	t->t_delta = dl;
}

struct xsd_txn *
xsd_txn_find(struct xsd_conn *c, uint32_t id)
{
	struct xsd_txn *t;

	for (t = c->c_txns; t != NULL; t = t->t_next)
		if (t->t_id == id)
			return t;
	return NULL;
}

int
xsd_txn_start(struct xsd_conn *c, uint32_t *id)
{
	struct xsd_txn *t;

	if (c->c_cur != NULL)
		return -EBUSY;
	/* 4.17 compares before counting: 11 may be open at once. */
	if (!c->c_priv && c->c_ntxns > XSD_QUOTA_TXNS)
		return -ENOSPC;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	do {
		t->t_id = c->c_next_txid++;
	} while (t->t_id == 0 || xsd_txn_find(c, t->t_id) != NULL);
	c->c_xsd->x_gen++;
	t->t_next = c->c_txns;
	c->c_txns = t;
	c->c_ntxns++;
	*id = t->t_id;
	return 0;
}

static void
xsd_txn_free(struct xsd_txn *t)
{
	struct xsd_acc *a;
	struct xsd_delta *dl;

	while ((a = t->t_acc) != NULL) {
		t->t_acc = a->a_next;
		xsd_acc_free(a);
	}
	while ((dl = t->t_delta) != NULL) {
		t->t_delta = dl->dl_next;
		free(dl);
	}
	free(t);
}

/* transaction_fix_domains(): would the commit exceed a node quota? */
static int
xsd_txn_quota(struct xsd *x, const struct xsd_txn *t)
{
	struct xsd_delta *dl;
	struct xsd_dom *d;
	int cnt;

	for (dl = t->t_delta; dl != NULL; dl = dl->dl_next) {
		d = xsd_dom_get(x, dl->dl_dom, false);
		cnt = (d ? d->d_nbentry : 0) + dl->dl_n;
		if (cnt >= XSD_QUOTA_NODES)
			return -ENOSPC;
	}
	return 0;
}

/* finalize_transaction(): check every read node, then apply and fire. */
static int
xsd_txn_commit(struct xsd_conn *c, struct xsd_txn *t)
{
	struct xsd *x = c->c_xsd;
	struct xsd_node *g;
	struct xsd_acc *a;

	for (a = t->t_acc; a != NULL; a = a->a_next) {
		if (!a->a_check)
			continue;
		g = xsd_htab_get(&x->x_tree, a->a_name);
		if ((g != NULL ? g->n_gen : XSD_NO_GEN) != a->a_gen)
			return -EAGAIN;
	}
	for (a = t->t_acc; a != NULL; a = a->a_next) {
		if (!a->a_modified)
			continue;
		if (a->a_node != NULL) {
			xsd_tree_put(x, a->a_node);
			a->a_node = NULL;
		} else
			xsd_tree_del(x, a->a_name);
		if (a->a_fire)
			xsd_fire(x, c, a->a_name, NULL, a->a_exact,
			    a->a_operms, a->a_noperms);
	}
	return 0;
}

/* Ends t (it is gone afterwards, whatever the result). */
int
xsd_txn_end(struct xsd_conn *c, struct xsd_txn *t, bool commit)
{
	struct xsd_txn **tp;
	int rc = 0;

	for (tp = &c->c_txns; *tp != NULL; tp = &(*tp)->t_next)
		if (*tp == t) {
			*tp = t->t_next;
			c->c_ntxns--;
			break;
		}
	c->c_cur = NULL;
	if (commit) {
		if (t->t_fail)
			rc = -ENOMEM;
		else if (t->t_created && !c->c_priv)
			rc = xsd_txn_quota(c->c_xsd, t);
		if (rc == 0)
			rc = xsd_txn_commit(c, t);
	}
	xsd_txn_free(t);
	return rc;
}

void
xsd_txn_free_all(struct xsd_conn *c)
{
	struct xsd_txn *t;

	c->c_cur = NULL;
	while ((t = c->c_txns) != NULL) {
		c->c_txns = t->t_next;
		xsd_txn_free(t);
	}
	c->c_ntxns = 0;
}
