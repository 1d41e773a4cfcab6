/*
 * hp_tap_batch.h -- a TAP's frames read in batches through io_uring
 * (hp_tap_batch.c), for hp_tap.c.
 */
#ifndef HP_TAP_BATCH_H
#define HP_TAP_BATCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "hp.h"

#define TAP_BATCH_MAX	64	/* frames a call */

/*
 * Up to n frames of the TAP fd into b (hp_ops.recv_batch's contract);
 * -ENOSYS if io_uring cannot be had in this process.
 */
ssize_t	tap_batch_recv(int fd, struct hp_rxbuf *b, unsigned int n);
/*
 * n frames into the TAP fd, each result in its tb_res (hp_ops.send_batch's
 * contract); -ENOSYS (nothing sent) if io_uring cannot be had.
 */
int	tap_batch_send(int fd, struct hp_txbuf *b, unsigned int n);
/*
 * Can this process batch (io_uring there, allowed, and cancelling by fd:
 * Linux 5.19)?  0, or why not, and then never tries again.
 */
int	tap_batch_probe(void);
/* Never use io_uring from now on (xvifd --no-io-uring; a failure). */
void	tap_batch_disable(void);
bool	tap_batch_enabled(void);
/*
 * This thread's ring, made now (0; or why not, and this thread then
 * moves a frame a call): each worker, before the seccomp filter.
 */
int	tap_batch_prepare(void);
/*
 * No ring is made from now on: a thread without one moves a frame a
 * call.  Called before the seccomp filter, which refuses io_uring_setup:
 * a new ring's operations are no system calls the filter could see.
 */
void	tap_batch_seal(void);

#endif
