/*
 * ctl.c -- xvifd's control socket (protocol: ctl.h, man/xvifctl.8): what
 * xvifctl asks, answered from the control plane's own view on its own
 * loop.  Read-only: a request can list, show and count, never change a
 * vif, so any local user the socket's mode admits may ask.
 *
 * Every byte from the socket is untrusted: a request is one line of at
 * most CTL_REQ_MAX bytes, a client gets CTL_TIMEOUT_MS for the whole
 * exchange, at most CTL_CLIENTS_MAX are served at once, CTL_CLIENTS_USER
 * of them one user's and the last CTL_CLIENTS_ROOT root's (more are told
 * "busy" and closed: members of --ctl-group holding every place with
 * idle connections would shut root out, again and again), a user but
 * root is answered CTL_USER_RATE requests a second, and all users but
 * root CTL_USERS_RATE together (more are told "busy":
 * each reply is built whole on the control plane's loop, a stats of
 * every vif of a big host several milliseconds of it, and a member of
 * --ctl-group asking in a loop would keep XenStore waiting), and a bad
 * request is answered, counted and logged at most every
 * XVIF_LOG_INTERVAL seconds, never more.
 *
 * The counters a worker writes are read here without a lock, as the
 * SIGUSR1 dump does: each is one aligned 64-bit word (a torn read is not
 * possible on the 64-bit targets xvifd runs on), and a figure one frame
 * old is what any reader of live counters gets anyway.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "antispoof.h"
#include "ctl.h"
#include "xvif.h"

struct ctl_client {
	struct ctl		*cc_ctl;
	int			 cc_fd;
	uid_t			 cc_uid;	/* SO_PEERCRED's, at accept */
	struct ev_fd		*cc_h;
	struct ev_timer		 cc_timer;
	char			 cc_req[CTL_REQ_MAX];
	size_t			 cc_reqlen;
	struct ctl_buf		 cc_out;	/* the reply, once known */
	size_t			 cc_off;	/* of it, written */
	struct ctl_client	*cc_next;
};

/* A user's requests: a bucket of CTL_USER_RATE, refilled as time goes. */
struct ctl_rate {
	uid_t			 r_uid;
	unsigned int		 r_tokens;
	uint64_t		 r_ms;		/* of the last token added */
	uint64_t		 r_used_ms;	/* of the last request */
};

struct ctl {
	struct xvifd		*c_d;
	int			 c_fd;
	struct ev_fd		*c_h;
	char			 c_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client	*c_clients;
	unsigned int		 c_nclients;
	uint64_t		 c_requests, c_bad, c_refused;
	struct log_rate		 c_rate;
	struct ev_timer		 c_resume;	/* accept again, after a pause */
	struct log_rate		 c_accept_rate;
	struct ctl_rate		 c_rates[CTL_RATE_USERS];
	unsigned int		 c_nrates;
	struct ctl_rate		 c_users;	/* all users' but root's */
};

/* How long the socket is not listened to after accept(2) failed. */
#define CTL_ACCEPT_PAUSE_MS	1000

static void
ctl_client_close(struct ctl_client *cc)
{
	struct ctl *c = cc->cc_ctl;
	struct ctl_client **pp;

	for (pp = &c->c_clients; *pp != cc; pp = &(*pp)->cc_next)
		;
	*pp = cc->cc_next;
	c->c_nclients--;
	ev_fd_del(c->c_d->xd_ev, cc->cc_h);
	ev_timer_cancel(c->c_d->xd_ev, &cc->cc_timer);
	close(cc->cc_fd);
	ctl_buf_free(&cc->cc_out);
	free(cc);
}

static void
ctl_bad(struct ctl *c, const char *why)
{
	c->c_bad++;
	if (!log_ratecheck(&c->c_rate, XVIF_LOG_INTERVAL))
		return;
	log_warnx("control: bad request: %s (%llu so far, %lu not logged)",
	    why, (unsigned long long)c->c_bad, c->c_rate.lr_suppressed);
	c->c_rate.lr_suppressed = 0;
}

/* A counters record: a vif's totals, or (q >= 0) queue q's own. */
static void
ctl_put_counters(struct ctl_buf *b, const char *name, int q,
    const uint64_t *cnt)
{
	int i, n = q >= 0 ? VIF_QUEUE_COUNTERS : VIF_COUNTER_MAX;

	ctl_buf_str(b, "counters");
	ctl_buf_kv(b, "vif", name);
	if (q >= 0)
		ctl_buf_kvu(b, "queue", (unsigned int)q);
	for (i = 0; i < n; i++)
		ctl_buf_kvu(b, vif_counter_names[i], cnt[i]);
	ctl_buf_str(b, "\n");
}

/* What the frontend negotiated, as words: "csum,gso-tcpv4,..." or "none". */
static void
ctl_put_offloads(struct ctl_buf *b, const struct xvif *vif)
{
	const struct vif_fe *fe = &vif->vif_fe;
	char s[64] = "";

	if (vif->vif_connected) {
		snprintf(s, sizeof(s), "%s%s%s%s%s", fe->fe_sg ? ",sg" : "",
		    fe->fe_csum ? ",csum" : "",
		    fe->fe_ipv6_csum ? ",ipv6-csum" : "",
		    fe->fe_gso4 ? ",gso-tcpv4" : "",
		    fe->fe_gso6 ? ",gso-tcpv6" : "");
	}
	ctl_buf_kv(b, "offloads", s[0] != '\0' ? s + 1 : "none");
}

/* Requests the guest left in a ring (or slots it posted), at most size. */
static uint64_t
ctl_ring_backlog(const void *sring_prod, RING_IDX cons, unsigned int size)
{
	RING_IDX prod = __atomic_load_n((const RING_IDX *)sring_prod,
	    __ATOMIC_RELAXED);

	return prod - cons > size ? size : prod - cons;
}

static void
ctl_put_queue(struct ctl_buf *b, const struct xvif *vif, const char *name,
    const struct vif_queue *q)
{
	uint64_t cnt[VIF_QUEUE_COUNTERS];

	ctl_buf_str(b, "queue");
	ctl_buf_kv(b, "vif", name);
	ctl_buf_kvu(b, "id", q->q_id);
	ctl_buf_kvu(b, "worker", q->q_worker != NULL ? q->q_worker->wk_id : 0);
	ctl_buf_kvu(b, "evtchn_tx", q->q_port_tx);
	ctl_buf_kvu(b, "evtchn_rx", q->q_port_rx);
	ctl_buf_kvu(b, "tx_ring_ref", vif->vif_fe.fe_q[q->q_id].fq_tx_ref);
	ctl_buf_kvu(b, "rx_ring_ref", vif->vif_fe.fe_q[q->q_id].fq_rx_ref);
	if (q->q_txs != NULL && q->q_rxs != NULL) {
		ctl_buf_kvu(b, "tx_ring_pending", ctl_ring_backlog(
		    &q->q_txr.sring->req_prod,
		    __atomic_load_n(&q->q_txr.req_cons, __ATOMIC_RELAXED),
		    XVIF_TX_RING_SIZE));
		ctl_buf_kvu(b, "rx_ring_posted", ctl_ring_backlog(
		    &q->q_rxr.sring->req_prod,
		    __atomic_load_n(&q->q_rxr.req_cons, __ATOMIC_RELAXED),
		    XVIF_RX_RING_SIZE));
	}
	ctl_buf_kvu(b, "rx_held_bytes",
	    __atomic_load_n(&q->q_rx_pending, __ATOMIC_RELAXED));
	ctl_buf_kvu(b, "rx_stalled",
	    __atomic_load_n(&q->q_rx_stalled, __ATOMIC_RELAXED));
	ctl_buf_str(b, "\n");
	vif_queue_counters(q, cnt);
	ctl_put_counters(b, name, (int)q->q_id, cnt);
}

/*
 * What the toolstack asked of this vif and xvifd enforces: the rate
 * limit (0 usec: none) and anti-spoofing (on for this connect or not;
 * the addresses sources are held to, "" when only the MAC is).
 */
static void
ctl_put_policy(struct ctl_buf *b, const struct xvif *vif)
{
	char nets[ANTISPOOF_NETS_MAX * (INET6_ADDRSTRLEN + 5)];

	ctl_buf_kvu(b, "rate_bytes", vif->vif_rate.vr_bytes);
	ctl_buf_kvu(b, "rate_usec", vif->vif_rate.vr_usec);
	ctl_buf_kvu(b, "antispoof", vif->vif_as != NULL);
	nets[0] = '\0';
	if (vif->vif_as != NULL)
		(void)antispoof_format_nets(vif->vif_as, nets, sizeof(nets));
	ctl_buf_kv(b, "antispoof_ip", nets);
}

static void
ctl_put_vif(struct ctl_buf *b, struct xvif *vif, const char *name,
    bool detail)
{
	char mac[PROTO_MAC_STRLEN];
	uint64_t cnt[VIF_COUNTER_MAX];
	unsigned int i;
	bool carrier;

	ctl_buf_str(b, "vif");
	ctl_buf_kv(b, "name", name);
	ctl_buf_kvu(b, "domid", vif->vif_domid);
	ctl_buf_kvu(b, "handle", vif->vif_handle);
	ctl_buf_kv(b, "state", xbus_state_name(vif->vif_state));
	ctl_buf_kvu(b, "state_num", (unsigned int)vif->vif_state);
	proto_mac_format(vif->vif_mac, mac);
	ctl_buf_kv(b, "mac", mac);
	proto_mac_format(vif->vif_fe_mac, mac);
	ctl_buf_kv(b, "fe_mac", mac);
	ctl_buf_kvu(b, "mtu", vif->vif_mtu);
	ctl_buf_kvu(b, "queues", vif->vif_connected ? vif->vif_nq : 0);
	ctl_put_offloads(b, vif);
	pthread_mutex_lock(&vif->vif_carrier_mu);
	carrier = vif->vif_connected && vif->vif_carrier;
	pthread_mutex_unlock(&vif->vif_carrier_mu);
	ctl_buf_kvu(b, "carrier", carrier);
	ctl_buf_kvu(b, "failed", vif->vif_failed || vif->vif_refused);
	if (!detail) {
		ctl_buf_str(b, "\n");
		return;
	}
	if (vif->vif_failed || vif->vif_refused)
		ctl_buf_kv(b, "failed_why", vif->vif_fail_why);
	ctl_buf_kv(b, "tag", vif->vif_tag);
	ctl_buf_kv(b, "vifname", vif->vif_name);	/* the toolstack's */
	ctl_buf_kv(b, "backend", vif->vif_be);
	ctl_buf_kv(b, "frontend", vif->vif_fe_path);
	ctl_buf_kvu(b, "max_queues", vif->vif_queues_max);
	ctl_buf_kvu(b, "split_evtchn", vif->vif_connected && vif->vif_fe.fe_split);
	ctl_buf_kvu(b, "rx_notify", vif->vif_connected &&
	    vif->vif_fe.fe_rx_notify);
	ctl_buf_kvu(b, "connects", vif->vif_connects);
	ctl_put_policy(b, vif);
	ctl_buf_str(b, "\n");
	vif_counters(vif, cnt);
	ctl_put_counters(b, name, -1, cnt);
	for (i = 0; vif->vif_connected && i < vif->vif_nq; i++)
		ctl_put_queue(b, vif, name, &vif->vif_q[i]);
}

/* The reply to req into b; a CTL_E_* code if it is an error. */
static const char *
ctl_answer(struct ctl *c, const struct ctl_req *req, struct ctl_buf *b)
{
	struct xvifd *xd = c->c_d;
	struct xvif *vif;
	char buf[IF_NAMESIZE];
	const char *name;
	unsigned int n = 0, found = 0;
	bool by_name;

	for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next)
		n++;
	ctl_buf_str(b, CTL_VERSION " ok\n");
	ctl_buf_str(b, "daemon");
	ctl_buf_kv(b, "version", CTL_VERSION);
	ctl_buf_kvu(b, "pid", (uint64_t)getpid());
	ctl_buf_kvu(b, "vifs", n);
	ctl_buf_kvu(b, "workers", xd->xd_nworkers);
	ctl_buf_kvu(b, "max_queues", xd->xd_max_queues);
	ctl_buf_kvu(b, "ctl_requests", c->c_requests);
	ctl_buf_kvu(b, "ctl_bad_requests", c->c_bad);
	ctl_buf_kvu(b, "ctl_refused", c->c_refused);
	ctl_buf_str(b, "\n");
	/* By the name it goes by; failing that, by its tag or the name the
	 * toolstack asked for (one renamed since, or never made). */
	for (by_name = true; ; by_name = false) {
		for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next) {
			name = vif_ifname_now(vif, buf);
			if (req->cr_if[0] != '\0' && (by_name ?
			    strcmp(req->cr_if, name) != 0 :
			    strcmp(req->cr_if, vif->vif_name) != 0 &&
			    strcmp(req->cr_if, vif->vif_tag) != 0))
				continue;
			found++;
			ctl_put_vif(b, vif, name, req->cr_cmd != CTL_LIST);
		}
		if (found > 0 || !by_name || req->cr_if[0] == '\0')
			break;
	}
	ctl_buf_str(b, "end\n");
	if (req->cr_if[0] != '\0' && found == 0)
		return CTL_E_NOT_FOUND;
	return b->cb_oom ? CTL_E_NOMEM : NULL;
}

/* Replace whatever is in b by an error line. */
static void
ctl_error(struct ctl_buf *b, const char *code, const char *text)
{
	ctl_buf_free(b);
	ctl_buf_str(b, CTL_VERSION " error ");
	ctl_buf_str(b, code);
	ctl_buf_str(b, " ");
	ctl_buf_str(b, text);
	ctl_buf_str(b, "\n");
}

static void ctl_client_io(void *arg, uint32_t events);

/*
 * The reply in cc_out goes out as the client takes it; one that could
 * not be made (out of memory: no error line either) closes the client,
 * rather than wait for a write with nothing to write.
 */
static void
ctl_client_reply(struct ctl_client *cc)
{
	if (cc->cc_out.cb_oom || cc->cc_out.cb_p == NULL ||
	    ev_fd_mod(cc->cc_ctl->c_d->xd_ev, cc->cc_h, EPOLLOUT) < 0) {
		ctl_client_close(cc);
		return;
	}
	ctl_client_io(cc, EPOLLOUT);
}

/* Take one of r's tokens, refilled at `rate` a second since the last. */
static bool
ctl_bucket_take(struct ctl_rate *r, uint64_t now, unsigned int rate)
{
	uint64_t add = (now - r->r_ms) * rate / 1000;

	if (add > 0) {
		r->r_tokens = add >= rate - r->r_tokens ? rate :
		    r->r_tokens + (unsigned int)add;
		r->r_ms = r->r_tokens == rate ? now : r->r_ms + add * 1000 / rate;
	}
	r->r_used_ms = now;
	if (r->r_tokens == 0)
		return false;
	r->r_tokens--;
	return true;
}

/*
 * May uid ask now?  NULL if so, else why not.  Root always may.  A user
 * not among the last CTL_RATE_USERS to ask starts with a full bucket, in
 * the place of the one that asked longest ago: taking another's place
 * takes no more than being a new user does.  And all users but root
 * share one bucket of CTL_USERS_RATE: a member of --ctl-group with a
 * range of subordinate uids (a user namespace, newuidmap) is many users
 * to SO_PEERCRED, and taking turns among them would otherwise never run
 * out.
 */
static const char *
ctl_may_ask(struct ctl *c, uid_t uid, char *why, size_t len)
{
	uint64_t now = ev_now_ms();
	struct ctl_rate *r = NULL;
	unsigned int i;

	if (uid == 0)
		return NULL;
	for (i = 0; i < c->c_nrates && r == NULL; i++)
		if (c->c_rates[i].r_uid == uid)
			r = &c->c_rates[i];
	if (r == NULL) {
		if (c->c_nrates < CTL_RATE_USERS)
			r = &c->c_rates[c->c_nrates++];
		else
			for (r = &c->c_rates[0], i = 1; i < CTL_RATE_USERS; i++)
				if (c->c_rates[i].r_used_ms < r->r_used_ms)
					r = &c->c_rates[i];
		r->r_uid = uid;
		r->r_tokens = CTL_USER_RATE;
		r->r_ms = now;
	}
	if (!ctl_bucket_take(r, now, CTL_USER_RATE)) {
		snprintf(why, len, "too many requests from uid %u (at most %u "
		    "a second)", (unsigned int)uid, CTL_USER_RATE);
		return why;
	}
	if (!ctl_bucket_take(&c->c_users, now, CTL_USERS_RATE)) {
		snprintf(why, len, "too many requests from users but root (at "
		    "most %u a second together)", CTL_USERS_RATE);
		return why;
	}
	return NULL;
}

/* The request is in: answer it, and write from now on. */
static void
ctl_client_answer(struct ctl_client *cc, size_t len)
{
	struct ctl *c = cc->cc_ctl;
	struct ctl_req req;
	const char *why, *code;
	char text[96];

	c->c_requests++;
	if (ctl_may_ask(c, cc->cc_uid, text, sizeof(text)) != NULL) {
		c->c_refused++;
		ctl_error(&cc->cc_out, CTL_E_BUSY, text);
	} else if (ctl_req_parse(cc->cc_req, len, &req, &why) < 0) {
		ctl_bad(c, why);
		ctl_error(&cc->cc_out, CTL_E_USAGE, why);
	} else if ((code = ctl_answer(c, &req, &cc->cc_out)) != NULL) {
		if (strcmp(code, CTL_E_NOMEM) == 0)
			snprintf(text, sizeof(text), "out of memory");
		else
			snprintf(text, sizeof(text), "no vif %s", req.cr_if);
		ctl_error(&cc->cc_out, code, text);
	}
	ctl_client_reply(cc);
}

static void
ctl_client_read(struct ctl_client *cc)
{
	char *nl;
	ssize_t n;

	n = read(cc->cc_fd, cc->cc_req + cc->cc_reqlen,
	    sizeof(cc->cc_req) - cc->cc_reqlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* Gone before a whole line: nobody to answer. */
		if (cc->cc_reqlen > 0 || n < 0)
			ctl_bad(cc->cc_ctl, "client left mid-request");
		ctl_client_close(cc);
		return;
	}
	cc->cc_reqlen += (size_t)n;
	if ((nl = memchr(cc->cc_req, '\n', cc->cc_reqlen)) != NULL) {
		ctl_client_answer(cc, (size_t)(nl - cc->cc_req));
		return;
	}
	if (cc->cc_reqlen == sizeof(cc->cc_req)) {
		cc->cc_ctl->c_requests++;
		ctl_bad(cc->cc_ctl, "request line too long");
		ctl_error(&cc->cc_out, CTL_E_USAGE, "request line too long");
		ctl_client_reply(cc);
	}
}

static void
ctl_client_io(void *arg, uint32_t events)
{
	struct ctl_client *cc = arg;
	ssize_t n;

	if (cc->cc_out.cb_p == NULL) {
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			ctl_client_read(cc);
		return;
	}
	while (cc->cc_off < cc->cc_out.cb_len) {
		n = write(cc->cc_fd, cc->cc_out.cb_p + cc->cc_off,
		    cc->cc_out.cb_len - cc->cc_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;		/* the client went away */
		cc->cc_off += (size_t)n;
	}
	ctl_client_close(cc);
}

static void
ctl_client_timeout(void *arg)
{
	struct ctl_client *cc = arg;

	ctl_bad(cc->cc_ctl, "client too slow (no whole exchange in 5 s)");
	ctl_client_close(cc);
}

/* Who is at the other end; (uid_t)-1, no one's, if the kernel won't say. */
static uid_t
ctl_peer_uid(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 ||
	    len != sizeof(uc))
		return (uid_t)-1;
	return uc.uid;
}

static unsigned int
ctl_user_clients(const struct ctl *c, uid_t uid)
{
	const struct ctl_client *cc;
	unsigned int n = 0;

	for (cc = c->c_clients; cc != NULL; cc = cc->cc_next)
		n += cc->cc_uid == uid;
	return n;
}

/*
 * Said busy, and closed.  What the client sent already is read first: a
 * socket closed with unread data resets its peer, whose read would then
 * say "connection reset" rather than our line.
 */
static void
ctl_refuse(int fd, const char *line, size_t len)
{
	char junk[CTL_REQ_MAX];

	/* fd is non-blocking (accept4); SIGPIPE is ignored. */
	(void)!read(fd, junk, sizeof(junk));
	(void)!write(fd, line, len);
	close(fd);
}

static void
ctl_accept(void *arg, uint32_t events)
{
	static const char busy[] = CTL_VERSION " error " CTL_E_BUSY
	    " too many clients\n";
	struct ctl *c = arg;
	struct ctl_client *cc;
	unsigned int turn;
	uid_t uid;
	int fd;

	/*
	 * At most a backlog's worth a turn: connectors that refill the queue
	 * as fast as we take it (refused or not, each costs us an accept)
	 * must not keep the loop from XenStore, the workers' failures and
	 * signals.  The rest are taken on the next turn (level-triggered).
	 */
	for (turn = 0; turn < CTL_CLIENTS_MAX; turn++) {
		if ((fd = accept4(c->c_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
			break;
		uid = ctl_peer_uid(fd);
		if (c->c_nclients >= CTL_CLIENTS_MAX || (uid != 0 &&
		    (c->c_nclients >= CTL_CLIENTS_MAX - CTL_CLIENTS_ROOT ||
		    ctl_user_clients(c, uid) >= CTL_CLIENTS_USER)) ||
		    (cc = calloc(1, sizeof(*cc))) == NULL) {
			c->c_refused++;
			ctl_refuse(fd, busy, sizeof(busy) - 1);
			continue;
		}
		cc->cc_ctl = c;
		cc->cc_fd = fd;
		cc->cc_uid = uid;
		if (ev_fd_add(c->c_d->xd_ev, fd, EPOLLIN, ctl_client_io, cc,
		    &cc->cc_h) < 0) {
			close(fd);
			free(cc);
			continue;
		}
		ev_timer_init(&cc->cc_timer, ctl_client_timeout, cc);
		ev_timer_arm(c->c_d->xd_ev, &cc->cc_timer, CTL_TIMEOUT_MS);
		cc->cc_next = c->c_clients;
		c->c_clients = cc;
		c->c_nclients++;
	}
	if (turn == CTL_CLIENTS_MAX || errno == EAGAIN || errno == EINTR ||
	    errno == ECONNABORTED)
		return;
	/*
	 * Out of fds or memory (EMFILE, ENFILE, ENOMEM...): the connection
	 * stays queued and the socket readable, and the loop, level-
	 * triggered, would call us at once, for ever.  Stop listening for
	 * a while; what is queued is taken then.
	 */
	if (log_ratecheck(&c->c_accept_rate, XVIF_LOG_INTERVAL)) {
		log_warn("control: accept (not listening for %d ms; %lu "
		    "more like it)", CTL_ACCEPT_PAUSE_MS,
		    c->c_accept_rate.lr_suppressed);
		c->c_accept_rate.lr_suppressed = 0;
	}
	(void)ev_fd_mod(c->c_d->xd_ev, c->c_h, 0);
	ev_timer_arm(c->c_d->xd_ev, &c->c_resume, CTL_ACCEPT_PAUSE_MS);
}

static void
ctl_resume(void *arg)
{
	struct ctl *c = arg;

	(void)ev_fd_mod(c->c_d->xd_ev, c->c_h, EPOLLIN);
}

int
ctl_open(struct xvifd *xd, uid_t uid, gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl *c;
	mode_t mask;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->c_d = xd;
	ev_timer_init(&c->c_resume, ctl_resume, c);
	if ((rc = ctl_sock_path(c->c_path, sizeof(c->c_path),
	    xd->xd_state_dir)) < 0) {
		free(c);
		return rc;
	}
	strcpy(sa.sun_path, c->c_path);
	/* Ours: we hold the state directory's lock; a stale one goes. */
	(void)unlink(c->c_path);
	/*
	 * Made 0660 by the umask (one thread yet: no other file is being
	 * made), given without following a symlink: nothing done by path
	 * that the directory's owner (the --user, after a restart by hand)
	 * could turn onto another file between the bind and the chown.
	 */
	if ((c->c_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		rc = -errno;
		goto fail;
	}
	mask = umask(0117);
	rc = bind(c->c_fd, (struct sockaddr *)&sa, sizeof(sa));
	(void)umask(mask);
	if (rc < 0 || fchownat(AT_FDCWD, c->c_path, uid, gid,
	    AT_SYMLINK_NOFOLLOW) < 0 ||
	    listen(c->c_fd, CTL_CLIENTS_MAX) < 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = ev_fd_add(xd->xd_ev, c->c_fd, EPOLLIN, ctl_accept, c,
	    &c->c_h)) < 0)
		goto fail;
	xd->xd_ctl = c;
	return 0;
fail:
	if (c->c_fd >= 0)
		close(c->c_fd);
	(void)unlink(c->c_path);
	free(c);
	return rc;
}

void
ctl_close(struct xvifd *xd)
{
	struct ctl *c = xd->xd_ctl;

	if (c == NULL)
		return;
	while (c->c_clients != NULL)
		ctl_client_close(c->c_clients);
	ev_timer_cancel(xd->xd_ev, &c->c_resume);
	ev_fd_del(xd->xd_ev, c->c_h);
	close(c->c_fd);
	(void)unlink(c->c_path);
	free(c);
	xd->xd_ctl = NULL;
}
