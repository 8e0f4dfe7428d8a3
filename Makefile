# pickleguard: build, test, fuzz, benchmark and install.
#
#   make            build/pickleguard (installs missing Debian build packages)
#   make check      build and run every test, also under ASan and UBSan
#   make fuzz       libFuzzer session on the pickle analyser (FUZZ_SECONDS=60)
#   make bench      throughput figures beside baselines measured in the same run
#   make install    DESTDIR-aware install into PREFIX (/usr/local)
#   V=1             show the commands

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:
.DEFAULT_GOAL := all

BUILD   ?= build
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/pickleguard
DOCDIR  ?= $(PREFIX)/share/doc/pickleguard
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
DESTDIR ?=
FUZZ_SECONDS ?= 60
PYTHON  ?= $(shell command -v /usr/bin/python3 || command -v python3)

ifeq ($(V),1)
Q :=
else
Q := @
endif

CC      ?= gcc
CLANG   ?= clang
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
	   -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla -Werror
DEFS    := -D_GNU_SOURCE -DPOLICY_DIR='"$(CURDIR)/policy/allow"'
INCS    := -Iscanner -Ipolicy -Icli
HARDEN  := -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_CFLAGS = -std=gnu11 $(WARN) $(DEFS) $(INCS) $(CFLAGS)
LDHARDEN := -pie -Wl,-z,relro,-z,now
LIBS    := -lzip -lz -lbz2 -llzma -llz4 -lzstd

SCANNER_SRC := $(sort $(wildcard scanner/*.c))
POLICY_SRC  := policy/builtin.c
LIB_SRC     := $(SCANNER_SRC) $(POLICY_SRC)
CLI_SRC     := $(sort $(wildcard cli/*.c))
DAEMON_SRC  := $(sort $(wildcard daemon/*.c))
DAEMON_LIBS := -luring -linih -lsystemd -lbpf -lelf -lz -lpthread
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
POLICY_FILES := $(sort $(wildcard policy/allow/*.allow))

# Two builds of everything: plain (shipped) and sanitized (tests).
OBJ  := $(BUILD)/obj
AOBJ := $(BUILD)/asan
lib_objs = $(patsubst %.c,$(1)/%.o,$(LIB_SRC))

LIB      := $(BUILD)/libpickleguard.a
ALIB     := $(BUILD)/libpickleguard-asan.a
CLI      := $(BUILD)/pickleguard
DAEMON   := $(BUILD)/pickleguardd
UNIT     := $(BUILD)/pickleguard.service
UNITS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
AUNITS   := $(patsubst tests/unit/%.c,$(BUILD)/tests-asan/%,$(UNIT_SRC))
ADAEMON  := $(BUILD)/tests-asan/pickleguardd
REPLAY   := $(BUILD)/tests-asan/fuzz_replay
CASES    := $(BUILD)/tests-asan/run_cases

.PHONY: run all deps test-deps check check-unit check-cases check-cli check-python \
	check-fuzz-corpus check-daemon fuzz bench install uninstall clean

all: $(CLI) $(DAEMON)

deps:
	$(Q)scripts/install-deps.sh build
test-deps:
	$(Q)scripts/install-deps.sh build test

$(OBJ)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(HARDEN) -MMD -MP -c $< -o $@

$(AOBJ)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-SAN  $<")
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -MMD -MP -c $< -o $@

# .incbin does not show up in -MMD output
$(OBJ)/policy/builtin.o $(AOBJ)/policy/builtin.o: $(POLICY_FILES) policy/pickleguard.conf

$(LIB): $(call lib_objs,$(OBJ))
	$(Q)rm -f $@ && ar rcs $@ $^
$(ALIB): $(call lib_objs,$(AOBJ))
	$(Q)rm -f $@ && ar rcs $@ $^

$(CLI): $(patsubst %.c,$(OBJ)/%.o,$(CLI_SRC)) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDHARDEN) -o $@ $^ $(LIBS)

# the daemon's modules but main, also linked into the unit tests
DLIB  := $(BUILD)/libpgd.a
ADLIB := $(BUILD)/libpgd-asan.a
daemon_objs = $(patsubst %.c,$(1)/%.o,$(filter-out daemon/main.c,$(DAEMON_SRC)))
$(DLIB): $(call daemon_objs,$(OBJ))
	$(Q)rm -f $@ && ar rcs $@ $^
$(ADLIB): $(call daemon_objs,$(AOBJ))
	$(Q)rm -f $@ && ar rcs $@ $^

$(DAEMON): $(OBJ)/daemon/main.o $(DLIB) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDHARDEN) -o $@ $^ $(LIBS) $(DAEMON_LIBS)
$(OBJ)/daemon/%.o $(AOBJ)/daemon/%.o: INCS += -Idaemon -Ibpf -I$(BUILD)/bpf

# ---- BPF: CO-RE object, embedded in the daemon as a skeleton ----
BPF_OBJ  := $(BUILD)/bpf/pickleguard.bpf.o
BPF_SKEL := $(BUILD)/bpf/pickleguard.skel.h
BPF_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
$(BPF_OBJ): bpf/pickleguard.bpf.c bpf/pg_proc.h bpf/pg_vmlinux.h | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $<")
	$(Q)$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Ibpf \
		-I/usr/include/$(shell $(CC) -dumpmachine) -c $< -o $@
$(BPF_SKEL): $(BPF_OBJ)
	$(Q)bpftool gen skeleton $< name pickleguard_bpf >$@
$(OBJ)/daemon/attr_bpf.o $(AOBJ)/daemon/attr_bpf.o: $(BPF_SKEL)

# ---- tests ----
TEST_LIBS := -lcmocka $(LIBS) $(DAEMON_LIBS)

$(BUILD)/tests/%: $(OBJ)/tests/unit/%.o $(OBJ)/tests/unit/testlib.o $(DLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(TEST_LIBS)
$(BUILD)/tests-asan/%: $(AOBJ)/tests/unit/%.o $(AOBJ)/tests/unit/testlib.o $(ADLIB) $(ALIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(TEST_LIBS)
$(OBJ)/tests/unit/%.o $(AOBJ)/tests/unit/%.o: INCS += -Itests/unit -Idaemon
$(CASES): $(AOBJ)/tests/pickles/run_cases.o $(ALIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(TEST_LIBS)
$(ADAEMON): $(AOBJ)/daemon/main.o $(ADLIB) $(ALIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LIBS) $(DAEMON_LIBS)
$(REPLAY): $(AOBJ)/tests/fuzz/fuzz_scan.o $(AOBJ)/tests/fuzz/replay_main.o $(ALIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LIBS)

check: test-deps $(CLI) $(DAEMON) $(UNIT) $(UNITS) $(AUNITS) $(CASES) $(REPLAY) $(ADAEMON)
	$(Q)$(MAKE) --no-print-directory check-unit check-cases check-cli check-python \
		check-fuzz-corpus check-daemon
	@echo "make check: all tests passed"

check-unit: $(UNITS) $(AUNITS)
	$(Q)set -e; for t in $(UNITS) $(AUNITS); do \
		echo "== $$t"; \
		PG_TEST_DATA=tests $$t; \
	done

check-cases: $(CASES)
	$(Q)$(CASES) tests/pickles/cases

check-cli: $(CLI)
	$(Q)tests/cli/test_cli.sh $(CLI)

check-python:
	$(Q)$(PYTHON) tests/check_compat_table.py scanner/compat_pickle.inc
	$(Q)$(PYTHON) tests/check_policy.py $(POLICY_FILES)
	$(Q)$(PYTHON) tests/check_opcodes.py scanner/opcodes.h
	$(Q)$(PYTHON) tests/pickles/verify_cpython.py tests/pickles/cases

# as root, on tmpfs mounts of its own, with the sanitized daemon
check-daemon: $(ADAEMON) $(CLI) $(UNIT)
	$(Q)$(PYTHON) tests/daemon/test_daemon.py --daemon $(ADAEMON) --cli $(CLI) --unit $(UNIT)
	$(Q)$(PYTHON) tests/daemon/test_attribution.py --daemon $(ADAEMON) --cli $(CLI) --unit $(UNIT)

check-fuzz-corpus: $(REPLAY)
	$(Q)$(REPLAY) tests/fuzz/corpus tests/fuzz/regressions tests/pickles/cases \
		tests/fixtures/real tests/fixtures/containers

# ---- fuzzing (clang's libFuzzer) ----
FUZZ_BIN := $(BUILD)/fuzz/fuzz_scan
FUZZ_CFLAGS := -std=gnu11 -g -O1 $(DEFS) $(INCS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(FUZZ_BIN): tests/fuzz/fuzz_scan.c $(LIB_SRC) $(POLICY_FILES)
	$(Q)scripts/install-deps.sh build fuzz
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_scan.c $(LIB_SRC) $(LIBS)

fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus
	$(Q)$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=$(BUILD)/fuzz/ \
		-print_final_stats=1 $(BUILD)/fuzz/corpus tests/fuzz/corpus tests/pickles/cases \
		tests/fixtures/containers

# ---- benchmarks ----
BENCH_BIN := $(BUILD)/bench/bench_scan
$(BENCH_BIN): $(OBJ)/tests/bench/bench_scan.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

BENCH_TOOLS := $(addprefix $(BUILD)/bench/,open_lat floor_responder fork_rate)
$(BENCH_TOOLS): $(BUILD)/bench/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

bench: $(BENCH_BIN) $(DAEMON) $(CLI) $(BENCH_TOOLS)
	$(Q)scripts/install-deps.sh build bench
	$(Q)tests/bench/run_bench.sh $(BENCH_BIN) $(BUILD)/bench
	$(Q)cp $(DAEMON) $(CLI) $(BUILD)/bench/
	$(Q)tests/bench/bench_open.sh $(BUILD)/bench
	$(Q)tests/bench/bench_probes.sh $(BUILD)/bench

# ---- run, install ----
# The main job: the daemon on its built-in configuration (enforce mode,
# every local filesystem).  ARGS=--mode=audit to only record.
run: all
	$(BUILD)/pickleguardd --foreground $(ARGS)

$(UNIT): systemd/pickleguard.service.in
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' $< >$@

# A configuration already in place is kept; the shipped one goes beside it.
install: all $(UNIT)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/allow \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/pickleguard $(DESTDIR)$(DOCDIR)
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/pickleguard
	install -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/pickleguardd
	install -m 0644 $(POLICY_FILES) $(DESTDIR)$(DATADIR)/allow/
	install -m 0644 $(UNIT) $(DESTDIR)$(UNITDIR)/pickleguard.service
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/pickleguard/pickleguard.conf ]; then \
		install -m 0644 policy/pickleguard.conf \
			$(DESTDIR)$(SYSCONFDIR)/pickleguard/pickleguard.conf.dist; \
		echo "kept $(SYSCONFDIR)/pickleguard/pickleguard.conf; the shipped one is pickleguard.conf.dist"; \
	else \
		install -m 0644 policy/pickleguard.conf $(DESTDIR)$(SYSCONFDIR)/pickleguard/pickleguard.conf; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pickleguard $(DESTDIR)$(SBINDIR)/pickleguardd \
		$(DESTDIR)$(UNITDIR)/pickleguard.service
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	@echo "left $(SYSCONFDIR)/pickleguard and /var/log/pickleguard in place"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
