/*
 * t_proc.c -- see t_proc.h.
 */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t_proc.h"

static bool
t_tx(int fd, const void *v, size_t len)
{
	return write(fd, v, len) == (ssize_t)len;
}

static bool
t_rx(int fd, void *v, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return read(fd, v, len) == (ssize_t)len;
}

bool
t_tx_u32(int fd, uint32_t v)
{
	return t_tx(fd, &v, sizeof(v));
}

bool
t_tx_u64(int fd, uint64_t v)
{
	return t_tx(fd, &v, sizeof(v));
}

bool
t_rx_u32(int fd, uint32_t *v, int ms)
{
	return t_rx(fd, v, sizeof(*v), ms);
}

bool
t_rx_u64(int fd, uint64_t *v, int ms)
{
	return t_rx(fd, v, sizeof(*v), ms);
}

int
t_reap(pid_t pid, int ms)
{
	int status, i;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}
