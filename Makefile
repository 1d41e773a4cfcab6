# xvif -- plain GNU Make.  Every .c file in a directory is part of that
# directory's product (see README "Layout"); adding a file needs no edit here.

CC	?= cc
BUILD	?= build
SAN	?=
WERROR	?=

XEN_PKGS := xenstore xengnttab xenevtchn
XEN_CFLAGS := $(shell pkg-config --cflags $(XEN_PKGS) 2>/dev/null)
XEN_LIBS := $(shell pkg-config --libs $(XEN_PKGS) 2>/dev/null)
# libsystemd: sd_notify(3) for systemd's Type=notify (src/notify.c).
SD_CFLAGS := $(shell pkg-config --cflags libsystemd 2>/dev/null)
SD_LIBS := $(shell pkg-config --libs libsystemd 2>/dev/null)
# The goals that install dependencies first (scripts/deps) re-enter make for
# the build, so only a goal that compiles straight away needs libxen-dev
# and libsystemd-dev now (uninstall compiles nothing either).
DEPS_GOALS := check demo deps asan fuzz e2e bench soak clean uninstall deb
ifneq ($(filter-out $(DEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
ifeq ($(XEN_LIBS),)
$(error libxen-dev not found by pkg-config: run 'scripts/deps check' (or apt-get install libxen-dev))
endif
ifeq ($(SD_LIBS),)
$(error libsystemd-dev not found by pkg-config: run 'scripts/deps check' (or apt-get install libsystemd-dev))
endif
endif

WARN	:= -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
	   -Wpointer-arith -Wcast-qual -Wsign-compare -Wno-unused-parameter
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE $(WARN) $(WERROR) -Isrc -Isim -Itests \
	   $(XEN_CFLAGS) $(SD_CFLAGS) -DHAVE_HV_XEN -MMD -MP
LDLIBS	+= $(XEN_LIBS) $(SD_LIBS) -luring -lseccomp -lcap -lpthread
ifneq ($(SAN),)
CFLAGS	+= -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=$(SAN)
endif

# libxvif.a: the product, everything in src/ but the mains.
SRC_MAINS	:= src/xvifd.c src/xvifctl.c
SRC_LIB		:= $(filter-out $(SRC_MAINS),$(wildcard src/*.c))
# libsim.a: the simulated Xen host, everything in sim/ but its main.
SIM_MAINS	:= sim/xvif-sim.c
SIM_LIB		:= $(filter-out $(SIM_MAINS),$(wildcard sim/*.c))
# One test program per tests/unit/t_*.c, linked with the harness.
T_SRCS		:= $(wildcard tests/unit/t_*.c)
T_HARNESS	:= $(wildcard tests/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBXVIF	:= $(BUILD)/libxvif.a
LIBSIM	:= $(BUILD)/libsim.a
BINS	:= $(BUILD)/xvif-sim $(if $(wildcard src/xvifd.c),$(BUILD)/xvifd) \
	   $(if $(wildcard src/xvifctl.c),$(BUILD)/xvifctl)
# xvifd-faults: xvifd with the tests' fault points compiled in (a crash
# at a chosen moment, src/vif_journal.c; failures applied late,
# src/xbus_fail.c; a new vif's features written late, state writes
# refused, src/xbus_faults.c; event-channel reads that fail,
# sim/hv_sim.c); built for the tests, never installed.
FAULTS	:= $(BUILD)/xvifd-faults
TESTS	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(T_SRCS))
# Fuzz targets: replayed over their corpus by `make check` (any compiler),
# fuzzed by `make fuzz` (clang's libFuzzer).
FUZZ_SRCS	:= $(wildcard fuzz/fz_*.c)
REPLAYS	:= $(patsubst fuzz/%.c,$(BUILD)/fuzz/%-replay,$(FUZZ_SRCS))
FUZZ_SECONDS	?= 60
# Benchmark helpers (make bench): one program per bench/*.c.
BENCH_SRCS	:= $(wildcard bench/*.c)
BENCHES	:= $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all check demo asan fuzz clean deps ci bench soak progs
# The objects the pattern rules below make on the way are kept: make would
# otherwise remove them as intermediate and build them again next time.
.SECONDARY:
all: $(BINS) $(FAULTS) $(TESTS) $(REPLAYS) $(BENCHES)
# The programs alone (what is installed; debian/rules builds this).
progs: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBXVIF): $(call obj,$(SRC_LIB))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(LIBSIM): $(call obj,$(SIM_LIB))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/xvif-sim: $(call obj,$(SIM_MAINS)) $(LIBSIM) $(LIBXVIF)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# xvifd links the simulator's client side too, for --hv sim.
$(BUILD)/xvifd: $(call obj,src/xvifd.c) $(LIBSIM) $(LIBXVIF)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# The faults build's journal comes before the library, which then adds
# only what it does not define.
$(BUILD)/obj/faults/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DXVIFD_FAULTS -c -o $@ $<
$(FAULTS): $(call obj,src/xvifd.c) $(BUILD)/obj/faults/src/vif_journal.o \
    $(BUILD)/obj/faults/src/xbus.o $(BUILD)/obj/faults/src/xbus_fail.o \
    $(BUILD)/obj/faults/src/xbus_faults.o $(BUILD)/obj/faults/src/xbus_state.o \
    $(BUILD)/obj/faults/src/vif_ifrecord.o \
    $(BUILD)/obj/faults/sim/hv_sim.o $(LIBSIM) $(LIBXVIF)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/xvifctl: $(call obj,src/xvifctl.c) $(LIBXVIF)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/%: $(call obj,tests/unit/%.c $(T_HARNESS)) $(LIBSIM) $(LIBXVIF)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(call obj,bench/%.c) $(LIBXVIF)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/%-replay: $(call obj,fuzz/%.c tests/fuzz/replay.c) $(LIBSIM) \
    $(LIBXVIF)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer, seeded from fuzz/corpus/<target>; new inputs land in
# build/fuzz-work/<target>, crashes in build/fuzz-work/crash-*.  Fold what
# is worth keeping back with `-merge=1` into fuzz/corpus/<target>.
# FZ_SRCS_<target>: the sources a target drives (default src/proto.c);
# FZ_OPTS_<target>: its libFuzzer options.  Each runs FUZZ_SECONDS (after
# a pass over its corpus); an input running 10 s is a hang, and a crash.
FZ_CFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -Isrc -Isim $(XEN_CFLAGS) -DHAVE_HV_XEN \
	     -fsanitize=fuzzer,address,undefined \
	     -fsanitize-coverage-ignorelist=fuzz/coverage.ignore
FZ_SRCS_fz_xsd	:= $(wildcard sim/xsd_*.c)
FZ_SRCS_fz_ctl	:= src/ctl_proto.c src/proto.c
FZ_SRCS_fz_antispoof := src/antispoof.c src/proto.c
FZ_OPTS_fz_xsd	:= -max_len=16384
# fz_rxpost drives xvifd's own guest-RX code, so it links the product.
FZ_SRCS_fz_rxpost := $(SRC_LIB) $(SIM_LIB)
FZ_LIBS_fz_rxpost := $(LDLIBS)
FZ_OPTS_fz_rxpost := -close_fd_mask=2
# fz_txpath drives its guest-TX code likewise.
FZ_SRCS_fz_txpath := $(SRC_LIB) $(SIM_LIB)
FZ_LIBS_fz_txpath := $(LDLIBS)
FZ_OPTS_fz_txpath := -close_fd_mask=2
# FUZZ_TARGETS: which (default: all); FUZZ_JOBS > 1: that many fuzzing
# processes per target (libFuzzer's -fork), for the long runs, whose
# "#N" lines then count the executions of all of them.
FZ_ALL		:= $(basename $(notdir $(FUZZ_SRCS)))
FUZZ_TARGETS	?= $(FZ_ALL)
FUZZ_JOBS	?= 1
FZ_FORK		:= $(if $(filter-out 0 1,$(FUZZ_JOBS)),-fork=$(FUZZ_JOBS))
define fz_run
	clang $(FZ_CFLAGS) -o build/fuzz-work/$(1) fuzz/$(1).c \
	    $(or $(FZ_SRCS_$(1)),src/proto.c) $(FZ_LIBS_$(1))
	@mkdir -p build/fuzz-work/$(1).corpus
	build/fuzz-work/$(1) -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    $(FZ_FORK) $(FZ_OPTS_$(1)) -artifact_prefix=build/fuzz-work/ \
	    build/fuzz-work/$(1).corpus fuzz/corpus/$(1)

endef
fuzz:
	scripts/deps check
	@mkdir -p build/fuzz-work
	$(foreach t,$(FUZZ_TARGETS),$(if $(filter $(t),$(FZ_ALL)),,\
	    $(error FUZZ_TARGETS: no fuzz/$(t).c)))
	$(foreach t,$(FUZZ_TARGETS),$(call fz_run,$(t)))

deps:
	scripts/deps check

# The README's test command: installs what is missing, builds, runs all.
check: deps
	$(MAKE) all
	BUILD=$(BUILD) tests/run.sh

# The README's main job.
demo:
	scripts/deps demo
	$(MAKE) all
	BUILD=$(BUILD) scripts/demo

# Throughput and packet rate through xvif on the simulated host, side by
# side with a veth pair and a userspace TAP relay (scripts/bench).
bench:
	scripts/deps demo
	$(MAKE) all
	BUILD=$(BUILD) scripts/bench

# Long and wide, not in CI: 1000 attach/detach cycles with flat fds and RSS,
# then 64 guests with traffic for 10 minutes, nothing lost (scripts/soak).
soak:
	scripts/deps demo
	$(MAKE) all
	BUILD=$(BUILD) scripts/soak

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, in
# its own build directory so that it never mixes objects with `make`.
asan: deps
	$(MAKE) BUILD=build/asan SAN=address,undefined all
	BUILD=build/asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

clean:
	rm -rf build

# make install / make uninstall (README "Install"), DESTDIR honoured.  The
# daemon goes to sbin; xvifctl, which a --ctl-group user runs (no sbin in
# a user's PATH), and the simulator to bin; each man/*.N to manN; the systemd unit's ExecStart is rewritten for SBINDIR.  systemd
# and kmod read $(PREFIX)/lib/... for /usr/local; debian/rules puts the
# unit in /lib/systemd/system and the modprobe file in /lib/modprobe.d.
# The unit runs xvifd as the user xvifd, which sysusers.d/xvif.conf
# describes: make install without DESTDIR has systemd-sysusers make it
# (the Debian package's postinst does); with DESTDIR, whoever installs
# the tree does.
# uninstall removes exactly those files, never a directory.  xvifctl once
# went to sbin: install and uninstall remove that copy, which root's PATH
# (sbin first) would otherwise still find.
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
UNITDIR		?= $(PREFIX)/lib/systemd/system
MODPROBEDIR	?= $(PREFIX)/lib/modprobe.d
SYSUSERSDIR	?= $(PREFIX)/lib/sysusers.d
INST_SBIN	:= $(BUILD)/xvifd
INST_BIN	:= $(filter $(BUILD)/xvifctl,$(BINS)) $(BUILD)/xvif-sim
INST_OLD	:= $(SBINDIR)/xvifctl
INST_MAN	:= $(wildcard man/*.[1-9])
INST_FILES	:= $(patsubst $(BUILD)/%,$(SBINDIR)/%,$(INST_SBIN)) \
		   $(patsubst $(BUILD)/%,$(BINDIR)/%,$(INST_BIN)) \
		   $(foreach m,$(INST_MAN),$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		   $(UNITDIR)/xvifd.service $(MODPROBEDIR)/xvif.conf \
		   $(SYSUSERSDIR)/xvif.conf

.PHONY: install uninstall deb
install: $(INST_SBIN) $(INST_BIN)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MODPROBEDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(INST_SBIN) $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(INST_BIN) $(DESTDIR)$(BINDIR)/
	rm -f $(addprefix $(DESTDIR),$(INST_OLD))
	for m in $(INST_MAN); do \
	    install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} \
	    || exit 1; done
	sed 's|^ExecStart=/usr/sbin/xvifd |ExecStart=$(SBINDIR)/xvifd |' \
	    dist/xvifd.service >$(DESTDIR)$(UNITDIR)/xvifd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/xvifd.service
	install -m 0644 dist/xvif-modprobe.conf $(DESTDIR)$(MODPROBEDIR)/xvif.conf
	install -m 0644 dist/xvif.sysusers $(DESTDIR)$(SYSUSERSDIR)/xvif.conf
	@if getent passwd xvifd >/dev/null; then :; \
	elif [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && \
	    command -v systemd-sysusers >/dev/null && \
	    systemd-sysusers $(SYSUSERSDIR)/xvif.conf; then :; \
	else \
	    echo "make install: no user xvifd yet, which xvifd.service runs" \
		"xvifd as: systemd-sysusers $(SYSUSERSDIR)/xvif.conf makes it" \
		"(or: useradd --system --user-group --home-dir /nonexistent" \
		"--shell /usr/sbin/nologin xvifd)"; \
	fi

# The unit this installed, if enabled, is disabled first (its symlink
# would dangle; the package's own is left alone); the user xvifd stays,
# as Debian leaves a package's system user after a purge.
uninstall:
	@if [ -z "$(DESTDIR)" ] && command -v systemctl >/dev/null && \
	    [ "$$(systemctl show -P FragmentPath xvifd.service 2>/dev/null)" = \
	    "$(UNITDIR)/xvifd.service" ] && \
	    systemctl is-enabled --quiet xvifd.service 2>/dev/null; then \
	    systemctl disable xvifd.service || true; fi
	rm -f $(addprefix $(DESTDIR),$(INST_FILES) $(INST_OLD))

# The Debian package, built from a copy of the tree in $(BUILD)/deb, where
# the .deb lands too (scripts/deb).
deb:
	scripts/deps package
	scripts/deb $(BUILD)/deb

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Real Xen 4.17 + a Debian dom0 under QEMU, xvifd against the stock Linux
# netfront, then the kernel's xen-netback as the reference (tests/e2e/run.sh).
.PHONY: e2e
e2e: deps
	scripts/deps package
	$(MAKE) all
	BUILD=$(BUILD) tests/e2e/run.sh
