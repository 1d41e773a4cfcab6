/*
 * t_proc.h -- test support for cases that fork: passing numbers between
 * the processes of a case through a pipe, and reaping a child with a
 * bounded wait.
 */
#ifndef XVIF_T_PROC_H
#define XVIF_T_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

bool	t_tx_u32(int fd, uint32_t v);
bool	t_tx_u64(int fd, uint64_t v);
/* Read one value within ms milliseconds; false on timeout or EOF. */
bool	t_rx_u32(int fd, uint32_t *v, int ms);
bool	t_rx_u64(int fd, uint64_t *v, int ms);
/* Wait for pid at most ms, then SIGKILL it; its exit status, or -1. */
int	t_reap(pid_t pid, int ms);

#endif
