# vmlab - build, test, run, benchmark.
#   make run     build and simulate the bundled trace
#   make test    build and run the whole test suite (installs chromium for the HTML view's tests)
#   make bench   record a larger trace with Valgrind and measure throughput
#   make sanitize  the test suite under AddressSanitizer + UBSan
#   make tsan    the pager's threads under ThreadSanitizer (tests/tsan/pager_tsan.c)
#   make layers  check that the kernel's files call down only, with no circle
#   make fuzz    build the libFuzzer harnesses (clang) and run each FUZZ_SECONDS
#   make install PREFIX=/usr/local DESTDIR=   vmlab, libvmlab.a/.so, headers,
#                vmlab.pc, man pages, bash completion

CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
VERSION := 0.2.0
SOVERSION := 0
CPPFLAGS := -D_GNU_SOURCE -Iinclude -Isrc -DVMLAB_VERSION='"$(VERSION)"'
LDLIBS  := -lelf -llz4 -lzstd -lz -llzma -lbz2 -lm -pthread
BUILD   ?= build

LIB_SRC := $(sort $(wildcard src/hw/*.c src/kern/*.c src/policy/*.c src/trace/*.c \
                              src/analysis/*.c src/util/*.c src/script/*.c src/pager/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

DEFAULT_TRACE := examples/ls.lackey.zst

# Debian packages the build needs, and a command or header that proves each is
# there (clang and libclang-rt-dev, its sanitizer and libFuzzer runtimes: make fuzz).
DEPS_PKGS := libcriterion-dev libzstd-dev zlib1g-dev liblzma-dev libbz2-dev gnuplot-nox valgrind pkgconf \
	     clang libclang-rt-dev libelf-dev libmimalloc-dev liblz4-dev
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all run test bench bench-pager sanitize tsan clean deps install man fuzz fuzz-build layers FORCE
all: $(BUILD)/vmlab $(BUILD)/libvmlab_pager.so

deps: $(DEPS_STAMP)
$(DEPS_STAMP):
	@mkdir -p $(BUILD)
	@if [ -f /usr/include/criterion/criterion.h ] && [ -f /usr/include/zstd.h ] && [ -f /usr/include/zlib.h ] && \
	     [ -f /usr/include/lzma.h ] && [ -f /usr/include/bzlib.h ] && [ -f /usr/include/libelf.h ] && \
	     [ -f /usr/include/mimalloc.h ] && [ -f /usr/include/lz4.h ] && \
	     command -v pkg-config >/dev/null && \
	     command -v gnuplot >/dev/null && command -v valgrind >/dev/null && command -v clang >/dev/null; then \
		:; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing $(DEPS_PKGS)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEPS_PKGS) >/dev/null || exit 1; \
	else \
		echo "missing build dependencies; run:"; \
		echo "  sudo apt-get update && sudo apt-get install -y $(DEPS_PKGS)"; \
		exit 1; \
	fi
	@touch $@

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libvmlab.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

# The shared library from position-independent copies of the objects.
PIC_OBJ := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
$(BUILD)/pic/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(BUILD)/libvmlab.so.$(VERSION): $(PIC_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-soname,libvmlab.so.$(SOVERSION) -o $@ $^ $(LDLIBS)

# libvmlab_pager.so, the LD_PRELOAD library of `vmlab pager`: libvmpager
# and the policies, hidden, under a malloc that hands out mimalloc's memory
# in a pager region (src/preload/).  Built without the sanitizers whatever
# CFLAGS say: it is loaded into programs that are not.
PRELOAD_SRC := src/preload/preload.c $(sort $(wildcard src/pager/*.c src/policy/*.c src/util/*.c))
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/preload/%.o)
PRELOAD_CFLAGS := -O2 -g -fPIC -fvisibility=hidden
$(BUILD)/preload/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(PRELOAD_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libvmlab_pager.so: $(PRELOAD_OBJ)
	$(CC) $(PRELOAD_CFLAGS) -shared -Wl,-z,defs -o $@ $^ -lmimalloc -ldl -lm -pthread

$(BUILD)/vmlab.pc: FORCE   # PREFIX may differ from one make to the next
	@mkdir -p $(BUILD)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
		'Name: vmlab' 'Description: virtual-memory simulator: TLB, page tables, replacement policies' \
		'Version: $(VERSION)' 'Libs: -L$${libdir} -lvmlab' \
		'Libs.private: $(LDLIBS)' \
		'Cflags: -I$${includedir}' > $@

# Man pages: vmlab(1) by hand, one page per subcommand made from its --help
# (man/help2man.sh), so the two never disagree.
CMDS := run explain script wss mrc sweep policies convert record gen quiz pager thrash
man: $(CMDS:%=$(BUILD)/man/vmlab-%.1)
$(BUILD)/man/vmlab-%.1: $(BUILD)/vmlab man/help2man.sh
	@mkdir -p $(dir $@)
	man/help2man.sh $(BUILD)/vmlab $* $(VERSION) > $@

PREFIX ?= /usr/local
DESTDIR ?=
install: $(BUILD)/vmlab $(BUILD)/libvmlab_pager.so $(BUILD)/libvmlab.a $(BUILD)/libvmlab.so.$(VERSION) $(BUILD)/vmlab.pc man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/vmlab $(DESTDIR)$(PREFIX)/bin/vmlab
	install -m 644 $(BUILD)/libvmlab.a $(DESTDIR)$(PREFIX)/lib/libvmlab.a
	install -m 755 $(BUILD)/libvmlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libvmlab.so.$(VERSION)
	ln -sf libvmlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libvmlab.so.$(SOVERSION)
	ln -sf libvmlab.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libvmlab.so
	install -m 755 $(BUILD)/libvmlab_pager.so $(DESTDIR)$(PREFIX)/lib/libvmlab_pager.so
	install -m 644 include/vmlab.h include/vmlab_sys.h include/vmlab_err.h include/vmlab_pager.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/vmlab.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/vmlab.pc
	install -m 644 man/vmlab.1 $(CMDS:%=$(BUILD)/man/vmlab-%.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 contrib/vmlab.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/vmlab

$(BUILD)/vmlab: $(CLI_OBJ) $(BUILD)/libvmlab.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/test_vmlab: $(TEST_OBJ) $(BUILD)/libvmlab.a
	$(CC) $(CFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

run: $(BUILD)/vmlab
	$(BUILD)/vmlab run $(DEFAULT_TRACE)

# Headless Chromium, for the tests of the HTML view (run --html): a check of
# its own, so that only `make test` needs it (installed as root, else the
# exact command).
CHROMIUM_STAMP := $(BUILD)/.chromium-ok
$(CHROMIUM_STAMP):
	@mkdir -p $(BUILD)
	@if command -v chromium >/dev/null; then \
		:; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing chromium (the HTML view's tests load pages in it)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || exit 1; \
	else \
		echo "missing chromium for the tests; run:"; \
		echo "  sudo apt-get update && sudo apt-get install -y chromium"; \
		exit 1; \
	fi
	@touch $@

# Tests run from the repository root (they read tests/data and examples/) and
# also drive the built vmlab binary for command-line behaviour.
test: $(BUILD)/test_vmlab $(BUILD)/vmlab $(BUILD)/libvmlab_pager.so $(CHROMIUM_STAMP) layers
	VMLAB=$(BUILD)/vmlab $(BUILD)/test_vmlab -j2

# The kernel's layers (src/kern/layers, drawn in src/kern/README.md): each
# file includes and calls only its own layer and those below, no circle
# among the files (from their object files' symbols); fails otherwise.
layers: $(filter $(BUILD)/src/kern/%,$(LIB_OBJ))
	tests/layers.sh $(BUILD)

bench: $(BUILD)/vmlab $(BUILD)/libvmlab_pager.so $(BUILD)/libvmlab.a
	BENCH_LDLIBS="$(LDLIBS)" bench/bench.sh $(BUILD)/vmlab
	BENCH_LDLIBS="$(LDLIBS)" bench/pager.sh $(BUILD)/vmlab

# The real pager alone (the last part of make bench).
bench-pager: $(BUILD)/vmlab $(BUILD)/libvmlab_pager.so $(BUILD)/libvmlab.a
	BENCH_LDLIBS="$(LDLIBS)" bench/pager.sh $(BUILD)/vmlab

# Leaks are checked in vmlab's code; tests/lsan.supp names only Criterion's own.
sanitize:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(MAKE) BUILD=build-san \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

# The pager's threads under ThreadSanitizer: tests/tsan/pager_tsan.c, a
# program of its own (Criterion cannot start under TSan), over the fault
# handler thread, the page daemon and the program's threads.
tsan:
	$(MAKE) BUILD=build-tsan CFLAGS="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" build-tsan/pager_tsan
	TSAN_OPTIONS="halt_on_error=1 report_signal_unsafe=0" build-tsan/pager_tsan

$(BUILD)/pager_tsan: tests/tsan/pager_tsan.c $(BUILD)/libvmlab.a
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP -MF $@.d -o $@ $^ $(LDLIBS)

# libFuzzer harnesses, one program each from tests/fuzz/*.c (not part of the
# test binary), built with clang into build-fuzz/ and run one after another
# for FUZZ_SECONDS each on a corpus seeded from examples/ and tests/data
# (build-fuzz/corpus/NAME).  A crash, leak or timeout stops `make fuzz` with
# its input in build-fuzz/NAME-crash-... (never in the tree); rerun it with
# build-fuzz/NAME FILE.
FUZZ_SECONDS ?= 60
FUZZ_DIR := build-fuzz
FUZZ_NAMES := $(notdir $(basename $(sort $(wildcard tests/fuzz/*.c))))
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LDFLAGS_script_run := -Wl,--wrap=script_run
FUZZ_RUN_FLAGS := -timeout=20 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1

fuzz-build:
	$(MAKE) BUILD=$(FUZZ_DIR) CC=clang CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link" \
		$(FUZZ_NAMES:%=$(FUZZ_DIR)/%)

# A harness links the library and the command line but main.c.
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(filter-out %/main.o,$(CLI_OBJ)) $(BUILD)/libvmlab.a
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fsanitize=fuzzer -MMD -MP -MF $@.d -o $@ $(filter %.c %.o %.a,$^) \
		$(LDLIBS) $(FUZZ_LDFLAGS_$*)

# TMPDIR: the harnesses' folders and swap files, kept out of /tmp (a crash
# leaves its folder behind).
fuzz: fuzz-build
	@mkdir -p $(FUZZ_DIR)/tmp
	@set -e; export TMPDIR=$(CURDIR)/$(FUZZ_DIR)/tmp; for f in $(FUZZ_NAMES); do \
		echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
		tests/fuzz/seed.sh $$f $(FUZZ_DIR)/corpus/$$f; \
		case $$f in fuzz_script_*) dict=-dict=tests/fuzz/script.dict ;; \
			fuzz_explain) dict=-dict=tests/fuzz/explain.dict ;; *) dict= ;; esac; \
		$(FUZZ_DIR)/$$f -max_total_time=$(FUZZ_SECONDS) $(FUZZ_RUN_FLAGS) $$dict \
			-artifact_prefix=$(FUZZ_DIR)/$$f- $(FUZZ_DIR)/corpus/$$f; \
	done

clean:
	rm -rf build build-san build-tsan build-fuzz

-include $(PRELOAD_OBJ:.o=.d) $(PIC_OBJ:.o=.d) $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(wildcard $(BUILD)/fuzz_*.d) \
	$(wildcard $(BUILD)/pager_tsan.d)
FORCE:
