# vmlab - build, test, run, benchmark.
#   make run     build and simulate the bundled trace
#   make test    build and run the whole test suite
#   make bench   record a larger trace with Valgrind and measure throughput
#   make sanitize  the test suite under AddressSanitizer + UBSan

CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CPPFLAGS := -D_GNU_SOURCE -Iinclude -Isrc
LDLIBS  := -lzstd -lz -lm -pthread
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
DEPS_PKGS := libcriterion-dev libzstd-dev zlib1g-dev gnuplot-nox valgrind
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all run test bench sanitize clean deps
all: $(BUILD)/vmlab

deps: $(DEPS_STAMP)
$(DEPS_STAMP):
	@mkdir -p $(BUILD)
	@if [ -f /usr/include/criterion/criterion.h ] && [ -f /usr/include/zstd.h ] && [ -f /usr/include/zlib.h ] && \
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

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
