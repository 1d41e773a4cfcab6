/*
 * simfe_part.c -- which partition of the guest's memory and grant refs
 * each queue of the simulated netfront uses (the layout is in simfe.h):
 * queue 0 of vif N has partition N, each further queue the highest free
 * one.  Netfront processes of one domain share nothing but the host
 * directory, so a partition is claimed by a lock on its byte of
 * DIR/simfe-dom<D>.lock: an open file description lock, which the kernel
 * drops when the process goes, however it goes.  Queue 0 takes a shared
 * one: netfronts of one vif (a restart overlapping the old one's exit)
 * have always shared its partition.  Further queues take an exclusive
 * one, which no other netfront's queue 0 nor further queue can share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include "proto.h"
#include "simfe.h"

/* Partitions a domain can have: the grant table holds 16. */
#define SIMFE_PARTS_MAX		64u

/*
 * The partition for a further queue, among nparts: the highest that is
 * not busy (claimed, by us or another netfront), not our vif's (devid)
 * and not queue 0's of a vif listed (vif[i], i < nvif), so that vifs
 * attached but not yet started keep theirs.  -ENOSPC if there is none.
 */
int
simfe_part_pick(unsigned int nparts, unsigned int devid, const bool *vif,
    size_t nvif, const bool *busy)
{
	unsigned int p;

	for (p = nparts; p-- > 0;) {
		if (p == devid || busy[p] || (p < nvif && vif[p]))
			continue;
		return (int)p;
	}
	return -ENOSPC;
}

/* Lock byte p of fd, shared or not; -EBUSY if someone else holds it. */
static int
simfe_part_lock(int fd, unsigned int p, bool excl)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = excl ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)p;
	fl.l_len = 1;
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
}

/* The vifs the guest has (its device/vif directory) into vif[]. */
static void
simfe_part_vifs(struct simfe *sf, bool *vif, size_t nvif)
{
	char dir[64], **ents;
	unsigned int i, n = 0;
	unsigned long v;

	memset(vif, 0, nvif * sizeof(*vif));
	snprintf(dir, sizeof(dir), "/local/domain/%u/device/vif",
	    sf->sf_domid);
	if (sf->sf_xsh == NULL ||	/* the tests' */
	    (ents = xs_directory(sf->sf_xsh, XBT_NULL, dir, &n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		if (proto_parse_uint(ents[i], 65535, &v) == 0 && v < nvif)
			vif[v] = true;
	free(ents);
}

/*
 * Queue 0's partition, then one for each further queue --queues asks
 * for, as far as there are free ones (fewer queues then: said on stdout).
 * Sets sq_base of queues 0 .. sf_nparts - 1.  -errno if not even queue
 * 0 can have its partition.
 */
int
simfe_part_claim(struct simfe *sf)
{
	bool vif[SIMFE_PARTS_MAX], busy[SIMFE_PARTS_MAX];
	unsigned int nparts, k;
	char path[512];
	int p, rc;

	nparts = hvsim_npages(sf->sf_hv) < hvsim_nr_grants(sf->sf_hv) ?
	    hvsim_npages(sf->sf_hv) : hvsim_nr_grants(sf->sf_hv);
	nparts /= SIMFE_PART;
	if (nparts > SIMFE_PARTS_MAX)
		nparts = SIMFE_PARTS_MAX;
	if (sf->sf_devid >= nparts) {
		fprintf(stderr, "netfront d%u/%u: the domain has %u pages and "
		    "%u grant refs; vif %u needs %u of each (%u per vif)\n",
		    sf->sf_domid, sf->sf_devid, hvsim_npages(sf->sf_hv),
		    hvsim_nr_grants(sf->sf_hv), sf->sf_devid,
		    (sf->sf_devid + 1) * SIMFE_PART, SIMFE_PART);
		return -ENOSPC;
	}
	snprintf(path, sizeof(path), "%s/simfe-dom%u.lock", sf->sf_dir,
	    sf->sf_domid);
	if ((sf->sf_partfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) < 0) {
		rc = -errno;
		fprintf(stderr, "netfront d%u/%u: %s: %s\n", sf->sf_domid,
		    sf->sf_devid, path, strerror(-rc));
		return rc;
	}
	if ((rc = simfe_part_lock(sf->sf_partfd, sf->sf_devid, false)) < 0) {
		fprintf(stderr, "netfront d%u/%u: partition %u: %s (another "
		    "netfront's further queue has it)\n", sf->sf_domid,
		    sf->sf_devid, sf->sf_devid, strerror(-rc));
		return rc;
	}
	sf->sf_q[0].sq_base = sf->sf_devid * SIMFE_PART;
	sf->sf_nparts = 1;
	if (sf->sf_queues <= 1)
		return 0;
	simfe_part_vifs(sf, vif, SIMFE_PARTS_MAX);
	memset(busy, 0, sizeof(busy));
	for (k = 1; k < sf->sf_queues;) {
		if ((p = simfe_part_pick(nparts, sf->sf_devid, vif,
		    SIMFE_PARTS_MAX, busy)) < 0)
			break;
		busy[p] = true;
		if ((rc = simfe_part_lock(sf->sf_partfd, (unsigned int)p,
		    true)) == -EBUSY)
			continue;
		if (rc < 0)
			break;
		sf->sf_q[k++].sq_base = (uint32_t)p * SIMFE_PART;
	}
	sf->sf_nparts = k;
	if (k < sf->sf_queues)
		simfe_say(sf, "room for %u queue(s) of the %u asked: the "
		    "domain's %u pages and %u grant refs make %u partitions "
		    "of %u, the others are taken", k, sf->sf_queues,
		    hvsim_npages(sf->sf_hv), hvsim_nr_grants(sf->sf_hv),
		    nparts, SIMFE_PART);
	return 0;
}
