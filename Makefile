# vmlab - build, test, run, benchmark.
#   make run     build and simulate the bundled trace
#   make test    build and run the whole test suite
#   make bench   record a larger trace with Valgrind and measure throughput
#   make sanitize  the test suite under AddressSanitizer + UBSan
#   make install PREFIX=/usr/local DESTDIR=   vmlab, libvmlab.a/.so, headers,
#                vmlab.pc, man pages, bash completion

CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
VERSION := 0.2.0
SOVERSION := 0
CPPFLAGS := -D_GNU_SOURCE -Iinclude -Isrc -DVMLAB_VERSION='"$(VERSION)"'
LDLIBS  := -lzstd -lz -llzma -lbz2 -lm -pthread
BUILD   ?= build

LIB_SRC := $(sort $(wildcard src/hw/*.c src/kern/*.c src/policy/*.c src/trace/*.c \
                              src/analysis/*.c src/util/*.c src/script/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

DEFAULT_TRACE := examples/ls.lackey.zst

# Debian packages the build needs, and a header that proves each is there.
DEPS_PKGS := libcriterion-dev libzstd-dev zlib1g-dev liblzma-dev libbz2-dev gnuplot-nox valgrind pkgconf
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all run test bench sanitize clean deps install man FORCE
all: $(BUILD)/vmlab

deps: $(DEPS_STAMP)
$(DEPS_STAMP):
	@mkdir -p $(BUILD)
	@if [ -f /usr/include/criterion/criterion.h ] && [ -f /usr/include/zstd.h ] && [ -f /usr/include/zlib.h ] && \
	     [ -f /usr/include/lzma.h ] && [ -f /usr/include/bzlib.h ] && command -v pkg-config >/dev/null && \
	     command -v gnuplot >/dev/null && command -v valgrind >/dev/null; then \
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

$(BUILD)/vmlab.pc: FORCE   # PREFIX may differ from one make to the next
	@mkdir -p $(BUILD)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
		'Name: vmlab' 'Description: virtual-memory simulator: TLB, page tables, replacement policies' \
		'Version: $(VERSION)' 'Libs: -L$${libdir} -lvmlab' \
		'Libs.private: $(LDLIBS)' \
		'Cflags: -I$${includedir}' > $@

# Man pages: vmlab(1) by hand, one page per subcommand made from its --help
# (man/help2man.sh), so the two never disagree.
CMDS := run explain script wss mrc sweep policies convert record gen quiz
man: $(CMDS:%=$(BUILD)/man/vmlab-%.1)
$(BUILD)/man/vmlab-%.1: $(BUILD)/vmlab man/help2man.sh
	@mkdir -p $(dir $@)
	man/help2man.sh $(BUILD)/vmlab $* $(VERSION) > $@

PREFIX ?= /usr/local
DESTDIR ?=
install: $(BUILD)/vmlab $(BUILD)/libvmlab.a $(BUILD)/libvmlab.so.$(VERSION) $(BUILD)/vmlab.pc man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/vmlab $(DESTDIR)$(PREFIX)/bin/vmlab
	install -m 644 $(BUILD)/libvmlab.a $(DESTDIR)$(PREFIX)/lib/libvmlab.a
	install -m 755 $(BUILD)/libvmlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libvmlab.so.$(VERSION)
	ln -sf libvmlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libvmlab.so.$(SOVERSION)
	ln -sf libvmlab.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libvmlab.so
	install -m 644 include/vmlab.h include/vmlab_sys.h include/vmlab_err.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/vmlab.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/vmlab.pc
	install -m 644 man/vmlab.1 $(CMDS:%=$(BUILD)/man/vmlab-%.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 contrib/vmlab.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/vmlab

$(BUILD)/vmlab: $(CLI_OBJ) $(BUILD)/libvmlab.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/test_vmlab: $(TEST_OBJ) $(BUILD)/libvmlab.a
	$(CC) $(CFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

run: $(BUILD)/vmlab
	$(BUILD)/vmlab run $(DEFAULT_TRACE)

# Tests run from the repository root (they read tests/data and examples/) and
# also drive the built vmlab binary for command-line behaviour.
test: $(BUILD)/test_vmlab $(BUILD)/vmlab
	VMLAB=$(BUILD)/vmlab $(BUILD)/test_vmlab -j2

bench: $(BUILD)/vmlab
	bench/bench.sh $(BUILD)/vmlab

# Leaks are checked in vmlab's code; tests/lsan.supp names only Criterion's own.
sanitize:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(MAKE) BUILD=build-san \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

clean:
	rm -rf build build-san

-include $(PIC_OBJ:.o=.d) $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
FORCE:
