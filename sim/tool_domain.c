/* tool_domain.c -- placeholder until written; see sim.h. */
#include <stdio.h>

#include "sim.h"

int
simcmd_create(int argc, char **argv)
{
	fprintf(stderr, "xvif-sim: %s: not written yet\n", argv[0]);
	return 1;
}

int
simcmd_destroy(int argc, char **argv)
{
	fprintf(stderr, "xvif-sim: %s: not written yet\n", argv[0]);
	return 1;
}
