/*
 * t_tool_parse.c -- the pure parts of the simulated toolstack (sim/tool.c):
 * domid, MAC, rate and `attach` key=value parsing, and the timeout scale.
 */
#include <stdlib.h>

#include "t.h"
#include "tool.h"

static void
t_domid(struct t_ctx *t)
{
	domid_t d = 0;

	T_EQ(t, tool_parse_domid("1", &d), 0);
	T_EQ(t, d, 1);
	T_EQ(t, tool_parse_domid("32751", &d), 0);	/* DOMID_FIRST_RESERVED-1 */
	T_EQ(t, d, 32751);
	T_TRUE(t, tool_parse_domid("0", &d) < 0);	/* dom0 is no guest */
	T_TRUE(t, tool_parse_domid("32752", &d) < 0);
	T_TRUE(t, tool_parse_domid("", &d) < 0);
	T_TRUE(t, tool_parse_domid("-1", &d) < 0);
	T_TRUE(t, tool_parse_domid("+3", &d) < 0);
	T_TRUE(t, tool_parse_domid("3x", &d) < 0);
	T_TRUE(t, tool_parse_domid(" 3", &d) < 0);
	T_TRUE(t, tool_parse_domid("99999999999999999999", &d) < 0);
}

static void
t_mac(struct t_ctx *t)
{
	uint8_t m[6] = { 0 };

	T_EQ(t, tool_parse_mac("00:16:3e:0A:bc:ff", m), 0);
	T_EQ(t, m[0], 0x00);
	T_EQ(t, m[2], 0x3e);
	T_EQ(t, m[3], 0x0a);
	T_EQ(t, m[4], 0xbc);
	T_EQ(t, m[5], 0xff);
	T_TRUE(t, tool_parse_mac("00:16:3e:0a:bc", m) < 0);
	T_TRUE(t, tool_parse_mac("00:16:3e:0a:bc:ff:00", m) < 0);
	T_TRUE(t, tool_parse_mac("00-16-3e-0a-bc-ff", m) < 0);
	T_TRUE(t, tool_parse_mac("0:16:3e:0a:bc:ff", m) < 0);
	T_TRUE(t, tool_parse_mac("00:16:3e:0a:bc:fg", m) < 0);
	T_TRUE(t, tool_parse_mac("", m) < 0);
}

static void
t_nic(struct t_ctx *t)
{
	struct tool_nic nic = { .tn_devid = -1 };
	const char *why = NULL;

	T_EQ(t, tool_nic_parse(&nic, "mac=00:16:3e:01:02:03", &why), 0);
	T_TRUE(t, nic.tn_mac_set);
	T_EQ(t, nic.tn_mac[5], 3);
	T_EQ(t, tool_nic_parse(&nic, "devid=7", &why), 0);
	T_EQ(t, nic.tn_devid, 7);
	T_EQ(t, tool_nic_parse(&nic, "mtu=9000", &why), 0);
	T_EQ(t, nic.tn_mtu, 9000);
	T_EQ(t, tool_nic_parse(&nic, "script=/x/y z", &why), 0);
	T_STREQ(t, nic.tn_script, "/x/y z");
	T_EQ(t, tool_nic_parse(&nic, "vifname=xvif3i0", &why), 0);
	T_STREQ(t, nic.tn_vifname, "xvif3i0");
	T_EQ(t, tool_nic_parse(&nic, "bridge=br0", &why), 0);
	T_STREQ(t, nic.tn_bridge, "br0");
	T_EQ(t, tool_nic_parse(&nic, "ip=169.254.1.2", &why), 0);
	T_STREQ(t, nic.tn_ip, "169.254.1.2");
	T_TRUE(t, !nic.tn_rate_set);
	T_EQ(t, tool_nic_parse(&nic, "rate=10Mb/s@20ms", &why), 0);
	T_TRUE(t, nic.tn_rate_set);
	T_EQ(t, nic.tn_rate_bytes, 25000);
	T_EQ(t, nic.tn_rate_usec, 20000);

	why = NULL;
	T_TRUE(t, tool_nic_parse(&nic, "colour=red", &why) < 0);
	T_TRUE(t, why != NULL && strstr(why, "unknown key") != NULL);
	T_TRUE(t, tool_nic_parse(&nic, "mac", &why) < 0);
	T_TRUE(t, tool_nic_parse(&nic, "mac=zz", &why) < 0);
	T_TRUE(t, tool_nic_parse(&nic, "devid=-1", &why) < 0);
	T_TRUE(t, tool_nic_parse(&nic, "devid=65536", &why) < 0);
	T_TRUE(t, tool_nic_parse(&nic, "mtu=10", &why) < 0);
	T_TRUE(t, tool_nic_parse(&nic, "vifname=a/b", &why) < 0);
	T_TRUE(t, tool_nic_parse(&nic, "vifname=0123456789abcdef", &why) < 0);
	T_TRUE(t, tool_nic_parse(&nic, "script=", &why) < 0);
	T_TRUE(t, tool_nic_parse(&nic, "macx=00:16:3e:01:02:03", &why) < 0);
	T_TRUE(t, tool_nic_parse(&nic, "rate=fast", &why) < 0);
	T_STREQ(t, why, "invalid rate");
}

/* xl's rate=, as libxl writes it: bytes per interval, the interval. */
static void
t_rate(struct t_ctx *t)
{
	static const struct {
		const char	*in;
		uint64_t	 bytes;
		uint32_t	 usec;
	} good[] = {
		{ "10Mb/s", 62500, 50000 },	/* 1250000 B/s, 50 ms */
		{ "1MB/s", 50000, 50000 },
		{ "100Kb/s", 625, 50000 },
		{ "20Mb/s@20ms", 50000, 20000 },
		{ "1Gb/s@1s", 125000000, 1000000 },
		{ "1Gb/s@1", 125000000, 1000000 },	/* seconds by default */
		{ "5MB/s@100us", 500, 100 },
		{ "5MB/s@100u", 500, 100 },
		{ "5MB/s@2m", 10000, 2000 },
		{ "100B/s@2ms", 0, 2000 },	/* rounds down to nothing */
		{ "12b/s", 0, 50000 },
		{ "010Mb/s", 50000, 50000 },	/* strtoull base 0: octal */
		{ "4294967295B/s@1us", 4294, 1 },
	};
	static const char *const bad[] = { "", "@20ms", "10mb/s", "10Mb",
	    "10Mbit/s", "10 Mb/s", "10kb/s", "0Mb/s", "09Mb/s",
	    "4294967296B/s", "10Mb/s@", "10Mb/s@0ms", "10Mb/s@5000s",
	    "10Mb/s@20ns", "10Mb/s@20ms@1s", "-1Mb/s", "0x10Mb/s" };
	uint64_t bytes;
	uint32_t usec;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		bytes = usec = 7;
		why = NULL;
		if (!T_EQ(t, tool_parse_rate(good[i].in, &bytes, &usec, &why),
		    0))
			t_check(t, false, __FILE__, __LINE__, "\"%s\": %s",
			    good[i].in, why);
		T_EQ(t, bytes, good[i].bytes);
		T_EQ(t, usec, good[i].usec);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (!T_TRUE(t, tool_parse_rate(bad[i], &bytes, &usec,
		    &why) < 0))
			t_check(t, false, __FILE__, __LINE__,
			    "accepted \"%s\"", bad[i]);
		T_TRUE(t, why != NULL);
	}
}

static void
t_timeout(struct t_ctx *t)
{
	unsetenv("XVIF_SIM_TIMEOUT_SCALE");
	T_EQ(t, tool_timeout_ms(TOOL_INIT_TIMEOUT), 10000);
	T_EQ(t, tool_timeout_ms(TOOL_HOTPLUG_TIMEOUT), 40000);
	setenv("XVIF_SIM_TIMEOUT_SCALE", "0.1", 1);
	T_EQ(t, tool_timeout_ms(TOOL_DESTROY_TIMEOUT), 1000);
	/* Never longer, never zero, never garbage. */
	setenv("XVIF_SIM_TIMEOUT_SCALE", "5", 1);
	T_EQ(t, tool_timeout_ms(10), 10000);
	setenv("XVIF_SIM_TIMEOUT_SCALE", "0", 1);
	T_EQ(t, tool_timeout_ms(10), 10000);
	setenv("XVIF_SIM_TIMEOUT_SCALE", "abc", 1);
	T_EQ(t, tool_timeout_ms(10), 10000);
	setenv("XVIF_SIM_TIMEOUT_SCALE", "0.000001", 1);
	T_EQ(t, tool_timeout_ms(10), 1);
	unsetenv("XVIF_SIM_TIMEOUT_SCALE");
}

const struct t_case t_cases[] = {
	{ "domid parsing", t_domid },
	{ "mac parsing", t_mac },
	{ "attach key=value parsing", t_nic },
	{ "xl's rate= as libxl writes it", t_rate },
	{ "libxl timeouts and their test scale", t_timeout },
	{ NULL, NULL }
};
