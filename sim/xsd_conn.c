/*
 * xsd_conn.c -- connections of the simulated xenstored: their bounded
 * output queues (used by the core and by in-process tests), and the
 * socket server: DIR/xenstored.sock for dom0, DIR/xs-dom<N>.sock for each
 * introduced domain, non-blocking sockets on one epoll loop, input framed
 * per connection (a message may arrive in pieces; xsd_conn_feed() is the
 * same framing for in-process clients), xenstored's rule that a
 * socket client sending a payload longer than XENSTORE_PAYLOAD_MAX is
 * dropped (ignore_connection()), and one log line per bad client.
 * Request semantics are in xsd_ops.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "sim.h"
#include "xsd.h"

#define XSD_LOG_MAX	5	/* lines logged per connection */

struct xsd_conn *
xsd_conn_new(struct xsd *x, unsigned int domid, bool priv)
{
	struct xsd_conn *c, **cp;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->c_xsd = x;
	c->c_num = x->x_nextnum++;
	c->c_domid = domid;
	c->c_priv = priv;
	c->c_fd = -1;
	c->c_next_txid = 1;
	c->c_outtail = &c->c_out;
	for (cp = &x->x_conns; *cp != NULL; cp = &(*cp)->c_next)
		;
	*cp = c;
	return c;
}

void
xsd_conn_free(struct xsd_conn *c)
{
	struct xsd_conn **cp;
	struct xsd_msg *m;

	if (c == NULL)
		return;
	for (cp = &c->c_xsd->x_conns; *cp != NULL; cp = &(*cp)->c_next)
		if (*cp == c) {
			*cp = c->c_next;
			break;
		}
	xsd_watch_free_all(c);
	xsd_txn_free_all(c);
	while ((m = c->c_out) != NULL) {
		c->c_out = m->m_next;
		free(m);
	}
	if (c->c_fd >= 0)
		close(c->c_fd);
	free(c);
}

static void
xsd_log(struct xsd_conn *c, const char *fmt, const char *what, long a,
    long b)
{
	char msg[200];

	if (c->c_nlog++ >= XSD_LOG_MAX)
		return;
	snprintf(msg, sizeof(msg), fmt, what, a, b);
	fprintf(stderr, "xenstored: conn %u (dom%u): %s%s\n", c->c_num,
	    c->c_domid, msg, c->c_nlog == XSD_LOG_MAX ?
	    " (further problems not logged)" : "");
}

/* send_event()'s check: is this very event already waiting? */
static bool
xsd_conn_dup_event(const struct xsd_conn *c, const void *data,
    unsigned int len)
{
	const struct xsd_msg *m;

	for (m = c->c_out; m != NULL; m = m->m_next)
		if (m->m_event && m->m_hdr.len == len &&
		    memcmp(m->m_data, data, len) == 0)
			return true;
	return false;
}

void
xsd_conn_send(struct xsd_conn *c, uint32_t type, uint32_t req_id,
    uint32_t tx_id, const void *data, unsigned int len, bool event)
{
	size_t size = sizeof(struct xsd_sockmsg) + len;
	struct xsd_msg *m;

	if (c->c_dead)
		return;
	if (event && ((const char *)data)[0] != '@' &&
	    xsd_conn_dup_event(c, data, len))
		return;
	if (event && c->c_outbytes + size > XSD_OUT_MAX) {
		if (!c->c_dropped)
			xsd_log(c, "%s %ld bytes unread: dropping watch events",
			    "output queue full,", (long)c->c_outbytes, 0);
		c->c_dropped = true;
		return;
	}
	if ((m = malloc(sizeof(*m) + len)) == NULL)
		return;		/* XXX: as xenstored, nothing to tell */
	m->m_next = NULL;
	m->m_hdr.type = type;
	m->m_hdr.req_id = req_id;
	m->m_hdr.tx_id = tx_id;
	m->m_hdr.len = len;
	m->m_event = event;
	if (len > 0)		/* data may be NULL for an empty value */
		memcpy(m->m_data, data, len);
	*c->c_outtail = m;
	c->c_outtail = &m->m_next;
	c->c_outbytes += size;
}

static void
xsd_conn_shift(struct xsd_conn *c)
{
	struct xsd_msg *m = c->c_out;

	c->c_out = m->m_next;
	if (c->c_out == NULL)
		c->c_outtail = &c->c_out;
	c->c_outbytes -= sizeof(m->m_hdr) + m->m_hdr.len;
	c->c_outoff = 0;
	if (c->c_outbytes == 0)
		c->c_dropped = false;
	free(m);
}

int
xsd_conn_pop(struct xsd_conn *c, struct xsd_sockmsg *h, char *buf)
{
	if (c->c_out == NULL)
		return 0;
	*h = c->c_out->m_hdr;
	memcpy(buf, c->c_out->m_data, h->len);
	xsd_conn_shift(c);
	return 1;
}

/* -- Sockets. -- */

static void
xsd_ep_set(struct xsd *x, struct xsd_conn *c, unsigned int ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (c->c_fd < 0 || c->c_evmask == ev)
		return;
	if (epoll_ctl(x->x_epfd, EPOLL_CTL_MOD, c->c_fd, &e) == 0)
		c->c_evmask = ev;
}

static int
xsd_sock_path(const struct xsd *x, unsigned int domid, bool priv,
    struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (priv)
		n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s",
		    x->x_dir, SIM_XS_SOCKET);
	else
		n = snprintf(sa->sun_path, sizeof(sa->sun_path),
		    "%s/" SIM_XS_DOM_SOCKET, x->x_dir, domid);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

/* A listening socket whose clients act as domid (priv: dom0). */
static int
xsd_listen(struct xsd *x, unsigned int domid, bool priv)
{
	struct epoll_event e = { .events = EPOLLIN };
	struct sockaddr_un sa, tmp;
	struct xsd_conn *c;
	int fd, rc;

	if ((rc = xsd_sock_path(x, domid, priv, &sa)) < 0)
		return rc;
	/*
	 * Bound and listening under a temporary name, then renamed: a
	 * client that sees the socket appear may connect at once (between
	 * bind and listen it would be refused).
	 */
	tmp = sa;
	if (snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.new",
	    sa.sun_path) >= (int)sizeof(tmp.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(tmp.sun_path);
	errno = 0;
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0 ||
	    listen(fd, 64) < 0 || rename(tmp.sun_path, sa.sun_path) < 0 ||
	    (c = xsd_conn_new(x, domid, priv)) == NULL) {
		rc = errno ? -errno : -ENOMEM;
		(void)unlink(tmp.sun_path);
		close(fd);
		return rc;
	}
	c->c_fd = fd;
	c->c_listen = true;
	e.data.ptr = c;
	c->c_evmask = e.events;
	if (epoll_ctl(x->x_epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		rc = -errno;
		xsd_conn_free(c);
		return rc;
	}
	return 0;
}

static void
xsd_unlisten(struct xsd *x, struct xsd_conn *l)
{
	struct sockaddr_un sa;

	if (xsd_sock_path(x, l->c_domid, l->c_priv, &sa) == 0)
		(void)unlink(sa.sun_path);
	xsd_conn_free(l);
}

/* x_on_dom: a domain's socket comes and goes with its introduction. */
static void
xsd_on_dom(struct xsd *x, unsigned int domid, bool up)
{
	struct sockaddr_un sa;
	struct xsd_conn *c;

	if (domid == 0)
		return;		/* dom0 has xenstored.sock */
	if (up) {
		if (xsd_listen(x, domid, false) < 0)
			fprintf(stderr, "xenstored: cannot listen for dom%u\n",
			    domid);
		return;
	}
	/* Freed by xsd_sweep(): this batch of events may still name it. */
	for (c = x->x_conns; c != NULL; c = c->c_next)
		if (c->c_listen && !c->c_dead && !c->c_priv &&
		    c->c_domid == domid) {
			if (xsd_sock_path(x, domid, false, &sa) == 0)
				(void)unlink(sa.sun_path);
			c->c_dead = true;
			return;
		}
}

static void
xsd_accept(struct xsd *x, struct xsd_conn *l)
{
	struct epoll_event e = { .events = EPOLLIN };
	struct xsd_conn *c;
	int fd;

	while ((fd = accept4(l->c_fd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if ((c = xsd_conn_new(x, l->c_domid, l->c_priv)) == NULL) {
			close(fd);
			continue;
		}
		c->c_fd = fd;
		e.data.ptr = c;
		c->c_evmask = e.events;
		if (epoll_ctl(x->x_epfd, EPOLL_CTL_ADD, fd, &e) < 0)
			xsd_conn_free(c);
	}
}

/*
 * Input framing, the same for a socket and for xsd_conn_feed(): where the
 * next bytes of c's current message go, and how many it still needs (the
 * header, then exactly its payload: never a byte of the next message).
 */
static size_t
xsd_in_want(struct xsd_conn *c, char **dst)
{
	size_t hl = sizeof(c->c_inhdr);

	if (c->c_inused < hl) {
		*dst = (char *)&c->c_inhdr + c->c_inused;
		return hl - c->c_inused;
	}
	*dst = c->c_inbuf + (c->c_inused - hl);
	return hl + c->c_inhdr.len - c->c_inused;
}

/* n more bytes are in place (n <= xsd_in_want()): handle a whole message. */
static void
xsd_in_got(struct xsd_conn *c, size_t n)
{
	size_t hl = sizeof(c->c_inhdr);

	c->c_inused += (unsigned int)n;
	if (c->c_inused == hl && c->c_inhdr.len > XENSTORE_PAYLOAD_MAX) {
		/* Untrusted: the length field. */
		xsd_log(c, "%s %ld exceeds %ld: disconnected",
		    "message length", (long)c->c_inhdr.len,
		    XENSTORE_PAYLOAD_MAX);
		c->c_dead = true;
		return;
	}
	if (c->c_inused < hl || c->c_inused < hl + c->c_inhdr.len)
		return;
	if (c->c_inhdr.type >= XS_TYPE_COUNT)
		xsd_log(c, "%s %ld: answered ENOSYS", "unknown message type",
		    (long)c->c_inhdr.type, 0);
	c->c_inused = 0;
	xsd_request(c, &c->c_inhdr, c->c_inbuf);
}

/*
 * Untrusted: len bytes as a client sent them.  Takes them while c is alive
 * and its output queue below XSD_OUT_MAX, as the socket loop reads.
 */
size_t
xsd_conn_feed(struct xsd_conn *c, const void *data, size_t len)
{
	size_t done = 0, n;
	char *dst;

	while (done < len && !c->c_dead && c->c_outbytes < XSD_OUT_MAX) {
		if ((n = xsd_in_want(c, &dst)) > len - done)
			n = len - done;
		memcpy(dst, (const char *)data + done, n);
		done += n;
		xsd_in_got(c, n);
	}
	return done;
}

/* Read what fits the current frame; 1: more may follow, 0: stop. */
static int
xsd_read_some(struct xsd_conn *c)
{
	char *dst;
	size_t want = xsd_in_want(c, &dst);
	ssize_t n;

	n = read(c->c_fd, dst, want);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		if (c->c_inused > 0)
			xsd_log(c, "%s after %ld bytes of a message: "
			    "disconnected", n == 0 ? "end of file" :
			    "read error", (long)c->c_inused, 0);
		c->c_dead = true;
		return 0;
	}
	xsd_in_got(c, (size_t)n);
	return !c->c_dead;
}

static void
xsd_handle_input(struct xsd_conn *c)
{
	while (!c->c_dead && c->c_outbytes < XSD_OUT_MAX && xsd_read_some(c))
		;
}

static void
xsd_flush(struct xsd_conn *c)
{
	struct msghdr mh = { 0 };
	struct iovec iov[2];
	struct xsd_msg *m;
	size_t hl = sizeof(m->m_hdr);
	ssize_t n;

	while ((m = c->c_out) != NULL && !c->c_dead) {
		if (c->c_outoff < hl) {
			iov[0].iov_base = (char *)&m->m_hdr + c->c_outoff;
			iov[0].iov_len = hl - c->c_outoff;
			iov[1].iov_base = m->m_data;
			iov[1].iov_len = m->m_hdr.len;
			mh.msg_iovlen = 2;
		} else {
			iov[0].iov_base = m->m_data + (c->c_outoff - hl);
			iov[0].iov_len = hl + m->m_hdr.len - c->c_outoff;
			mh.msg_iovlen = 1;
		}
		mh.msg_iov = iov;
		n = sendmsg(c->c_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			c->c_dead = true;	/* the peer went away */
			return;
		}
		c->c_outoff += (size_t)n;
		if (c->c_outoff == hl + m->m_hdr.len)
			xsd_conn_shift(c);
	}
}

/* After each batch: flush, close the dead, adjust what epoll waits for. */
static void
xsd_sweep(struct xsd *x)
{
	struct xsd_conn *c, *next;
	unsigned int ev;

	for (c = x->x_conns; c != NULL; c = next) {
		next = c->c_next;
		if (c->c_listen) {
			if (c->c_dead)
				xsd_conn_free(c);
			continue;
		}
		if (!c->c_dead)
			xsd_flush(c);
		if (c->c_dead) {
			xsd_conn_free(c);
			continue;
		}
		ev = (c->c_outbytes < XSD_OUT_MAX ? EPOLLIN : 0) |
		    (c->c_out != NULL ? EPOLLOUT : 0);
		/* Level-triggered: input left unread shows up again. */
		xsd_ep_set(x, c, ev);
	}
}

static void
xsd_close_all(struct xsd *x)
{
	struct xsd_conn *c;

	while ((c = x->x_conns) != NULL) {
		if (c->c_listen && !c->c_dead)
			xsd_unlisten(x, c);
		else
			xsd_conn_free(c);
	}
	if (x->x_epfd >= 0)
		close(x->x_epfd);
	x->x_epfd = -1;
}

/* Serve in dir until *stop; sockets are removed on return. */
int
xsd_serve(struct xsd *x, const char *dir, volatile int *stop)
{
	struct epoll_event ev[64];
	struct xsd_conn *c;
	int i, n, rc;

	x->x_dir = strdup(dir);
	x->x_on_dom = xsd_on_dom;
	if (x->x_dir == NULL)
		return -ENOMEM;
	if ((x->x_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -errno;
	if ((rc = xsd_listen(x, 0, true)) < 0) {
		xsd_close_all(x);
		return rc;
	}
	while (!*stop) {
		n = epoll_wait(x->x_epfd, ev, 64, 1000);
		for (i = 0; i < n; i++) {
			c = ev[i].data.ptr;
			if (c->c_listen && !c->c_dead)
				xsd_accept(x, c);
			else if (!c->c_dead && (ev[i].events & EPOLLOUT))
				xsd_flush(c);
		}
		/* Input after output: a connection freed above is not used. */
		for (i = 0; i < n; i++) {
			c = ev[i].data.ptr;
			if (!c->c_listen && !c->c_dead && (ev[i].events &
			    (EPOLLIN | EPOLLHUP | EPOLLERR)))
				xsd_handle_input(c);
		}
		xsd_sweep(x);
	}
	xsd_close_all(x);
	free(x->x_dir);
	x->x_dir = NULL;
	return 0;
}
