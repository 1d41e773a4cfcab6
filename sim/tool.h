/*
 * tool.h -- the simulated toolstack of xvif-sim: what libxl 4.17 and xl do
 * in XenStore when a domain is created or destroyed and when a vif is
 * attached or detached, with the same keys, permissions, transactions,
 * timeouts, error handling and hotplug-script call.  It is a dom0 client of
 * XenStore through the real libxenstore (XENSTORED_PATH=DIR/xenstored.sock),
 * exactly like libxl.  Owns: the create/destroy/attach/detach commands
 * (tool_domain.c, tool_vif.c) and their shared helpers (tool.c).  Does not
 * own: the XenStore server (xsd_*.c, host.c) or the hypervisor (hvsim*.c).
 *
 * Sources followed (xen-project/xen RELEASE-4.17.7, tools/libs/light/):
 * libxl__domain_make (libxl_create.c), libxl__build_post (libxl_dom.c),
 * libxl__device_add_async, libxl__device_generic_add,
 * libxl__wait_device_connection, libxl__initiate_device_generic_remove,
 * device_backend_callback, device_hotplug, libxl__device_destroy,
 * libxl__devices_destroy (libxl_device.c), libxl__set_xenstore_nic and
 * libxl__device_nic_setdefault (libxl_nic.c), get_hotplug_env and
 * libxl__hotplug_nic (libxl_linux.c), devices_destroy_cb (libxl_domain.c),
 * libxl__xs_path_cleanup (libxl_xshelp.c), and the real dumps in
 * xen-testbed/notes/.
 *
 * Timeouts are libxl's (libxl_internal.h): LIBXL_INIT_TIMEOUT 10 s for the
 * backend to reach InitWait, LIBXL_DESTROY_TIMEOUT 10 s for Closed,
 * LIBXL_HOTPLUG_TIMEOUT 40 s for the hotplug script.  Tests may shorten
 * them only through the environment variable XVIF_SIM_TIMEOUT_SCALE, a
 * factor in (0, 1] (e.g. 0.1 turns 10 s into 1 s); nothing else changes
 * them.  Waits on XenStore use a watch, never polling.
 *
 * Deviations from libxl, on purpose:
 *   - No default hotplug script.  libxl writes script=/etc/xen/scripts/
 *     vif-bridge when none is given; the sim writes no `script` key then
 *     and runs nothing, so it never touches this host's network.  With
 *     script=S it writes the key and runs S exactly as libxl runs a script.
 *   - The toolstack calls xs_release_domain after destroying a domain: on
 *     real Xen xenstored learns of the death from VIRQ_DOM_EXC instead.
 *   - The devices of a domain being destroyed are removed one after the
 *     other (libxl removes them in parallel), so with several dead
 *     backends `destroy` waits 10 s per vif, not 10 s in all.
 *   - antispoof=0|1 writes the backend key of that name, which xvifd
 *     reads (xvifd(8)) and libxl has no word for.
 *   - Argument errors (bad domid, unknown domain or device, bad mac,
 *     unknown key) exit 2 with one line; xl exits 1 and is more lenient.
 *   - store/port and store/ring-ref are written as libxl would, but the
 *     sim's guest XenStore connection is a socket (DIR/xs-dom<N>.sock),
 *     not a ring: the values are placeholders.
 *
 * NOT modelled (keys libxl writes for these are absent): the device model
 * (qemu, dm-version's qemu; /libxl/<N>/dm-version is written as in the
 * dump), the console and its backend (console/, backend/console), vbd and
 * every device kind but vif, the bootloader and /vm/<uuid>/image/kernel,
 * ramdisk, cmdline (only image/ostype=linux), HVM keys (hvmloader,
 * platform, feature-s3/s4), vcpus beyond cpu/0, driver domains (backend
 * domid is always 0), stub domains, vif rate/gatewaydev/colo keys, the
 * domain's JSON configuration (libxl userdata files), domid reuse
 * timeouts, and xl's locking.
 */
#ifndef XVIF_TOOL_H
#define XVIF_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>

/* libxl_internal.h, in seconds. */
#define TOOL_INIT_TIMEOUT	10
#define TOOL_DESTROY_TIMEOUT	10
#define TOOL_HOTPLUG_TIMEOUT	40

#define TOOL_NIC_MTU_DEFAULT	1500	/* LIBXL_DEVICE_NIC_MTU_DEFAULT */
#define TOOL_BRIDGE_DEFAULT	"xenbr0"
#define TOOL_SCRIPT_DIR		"/etc/xen/scripts"	/* libxl's, for script=NAME */
#define TOOL_PATH_MAX		256

/* XenbusState, xen/io/xenbus.h */
#define TOOL_XB_INITIALISING	1
#define TOOL_XB_INITWAIT	2
#define TOOL_XB_CLOSING		5
#define TOOL_XB_CLOSED		6

struct xs_handle;

/* One command's connection to the simulated host, as dom0. */
struct tool {
	const char		*tl_dir;	/* borrowed: --dir */
	struct xs_handle	*tl_xsh;
};

/* What a `tool_wait_state` ended with. */
enum tool_wait {
	TOOL_WAIT_OK,		/* the state was reached */
	TOOL_WAIT_TIMEOUT,	/* *got: the last state seen (-1: none) */
	TOOL_WAIT_REMOVED,	/* the state node disappeared */
};

/* A vif as `attach` is told it (key=value words). */
struct tool_nic {
	int		 tn_devid;	/* -1: libxl__device_nextid */
	bool		 tn_mac_set;
	uint8_t		 tn_mac[6];
	unsigned int	 tn_mtu;	/* 0: TOOL_NIC_MTU_DEFAULT */
	const char	*tn_script;	/* borrowed; NULL: none (see above) */
	const char	*tn_vifname;
	const char	*tn_bridge;
	const char	*tn_ip;
	bool		 tn_rate_set;	/* rate=: libxl's rate key */
	uint64_t	 tn_rate_bytes;	/* per interval */
	uint32_t	 tn_rate_usec;	/* the interval */
	const char	*tn_antispoof;	/* "0", "1": xvif's key, not libxl's */
};

/* -- tool.c: pure parsers (unit-tested). -- */

/* A guest domid: decimal, 1..DOMID_FIRST_RESERVED-1.  0 or -EINVAL. */
int	tool_parse_domid(const char *s, domid_t *out);
/* A non-negative decimal int <= max.  0 or -EINVAL. */
int	tool_parse_uint(const char *s, unsigned int max, unsigned int *out);
/* "xx:xx:xx:xx:xx:xx", hex, either case.  0 or -EINVAL. */
int	tool_parse_mac(const char *s, uint8_t mac[6]);
/*
 * xl's vif rate=RATE[@INTERVAL] (libxlu's xlu_vif_parse_rate) into what
 * libxl writes to the rate key: bytes per interval and the interval in
 * microseconds (10Mb/s: 62500 every 50000).  0, or -EINVAL with *why
 * set to xl's complaint.
 */
int	tool_parse_rate(const char *s, uint64_t *bytes, uint32_t *usec,
	    const char **why);
/*
 * One `attach` word "key=value" into nic (values borrowed from word).
 * 0, or -EINVAL with *why set to a static explanation.
 */
int	tool_nic_parse(struct tool_nic *nic, const char *word,
	    const char **why);
/* XVIF_SIM_TIMEOUT_SCALE applied to seconds, in ms (>= 1). */
int	tool_timeout_ms(unsigned int seconds);

/* -- tool.c: helpers on a connection. -- */

/* "xvif-sim: " + message + "\n" on stderr. */
void	tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Connect to DIR's XenStore as dom0: XENSTORED_PATH is set (and stays set,
 * so that hotplug scripts inherit it) to DIR/xenstored.sock.  0 or -1
 * (reported).
 */
int	tool_open(struct tool *tl, const char *dir);
void	tool_close(struct tool *tl);
/* 1 if the hypervisor knows domid (alive), 0 if not, -errno. */
int	tool_domain_exists(struct tool *tl, domid_t domid);
/*
 * Wait, with a watch, until the node at path reads `wanted`, for at most
 * ms.  *got: the last value read (-1 if none).  -errno on XenStore errors.
 */
int	tool_wait_state(struct tool *tl, const char *path, int wanted,
	    int ms, int *got, enum tool_wait *how);
/*
 * Run the hotplug script as libxl does: `script action type_if=vif`, stdin
 * /dev/null, stdout to our stderr, env script, XENBUS_TYPE, XENBUS_PATH,
 * XENBUS_BASE_PATH, netdev, vif on top of ours; killed after
 * LIBXL_HOTPLUG_TIMEOUT.  0 if it exited 0, else -1 (reported).
 */
int	tool_hotplug(struct tool *tl, const char *script, const char *action,
	    domid_t domid, unsigned int devid);
/* libxl__xs_path_cleanup: rm path, then its parents while empty. */
int	tool_path_cleanup(struct tool *tl, uint32_t txn, const char *path);

/* -- tool_vif.c, for tool_domain.c. -- */

/*
 * libxl's remove of vif devid of domid, force as LIBXL__FORCE_ON (destroy)
 * or LIBXL__FORCE_AUTO (network-detach).  0 or -1 (reported).
 */
int	tool_vif_remove(struct tool *tl, domid_t domid, unsigned int devid,
	    bool force);

/* len random bytes from the kernel (getrandom); 0 or -errno. */
int	tool_random(void *buf, size_t len);

#endif
