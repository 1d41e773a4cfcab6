/*
 * t.h -- the tiny test harness.  A test program defines
 *	const struct t_case t_cases[] = { { "name", fn }, ..., { NULL, NULL } };
 * and links tests/t.c, which supplies main(): each case runs in its own
 * child process (a crash or a hang fails that case only, after T_TIMEOUT
 * seconds, default 120) and prints one line, "PASS prog: case" or
 * "FAIL prog: case: why".  tests/run.sh counts those lines.
 *
 * T_* checks record a failure and continue; T_REQUIRE returns from the case.
 * `t_main [case-substring]` runs only the matching cases.
 */
#ifndef XVIF_T_H
#define XVIF_T_H

#include <stdbool.h>
#include <string.h>

struct t_ctx {
	const char	*t_case;
	int		 t_failed;
};

struct t_case {
	const char	*tc_name;
	void		(*tc_fn)(struct t_ctx *);
};

extern const struct t_case t_cases[];

bool	t_check(struct t_ctx *, bool ok, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A scratch directory for this case, removed when the case ends. */
const char *t_tmpdir(struct t_ctx *);

#define T_TRUE(t, e)                                                          \
	t_check((t), (e), __FILE__, __LINE__, "%s", #e)
#define T_EQ(t, a, b)                                                         \
	({                                                                    \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);       \
		t_check((t), t_a_ == t_b_, __FILE__, __LINE__,                \
		    "%s == %s (%lld != %lld)", #a, #b, t_a_, t_b_);           \
	})
#define T_STREQ(t, a, b)                                                      \
	({                                                                    \
		const char *t_a_ = (a), *t_b_ = (b);                          \
		t_check((t), t_a_ != NULL && t_b_ != NULL &&                  \
		    strcmp(t_a_, t_b_) == 0, __FILE__, __LINE__,              \
		    "%s == %s (\"%s\" != \"%s\")", #a, #b,                    \
		    t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");          \
	})
#define T_REQUIRE(t, e)                                                       \
	do {                                                                  \
		if (!T_TRUE(t, e))                                            \
			return;                                               \
	} while (0)

#endif
