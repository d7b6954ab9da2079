# Makefile — the interface to showtable: build, test, run, bench, install.
#
#   make            build everything into build/ (libaws.a, showtable, showtablectl, tests)
#   make test       install deps, then unit + integration tests, then the same under ASan+UBSan
#   make lint       cfn-lint on the CloudFormation templates (part of make check)
#   make run        the local demo: dynalite + demo table + server on 127.0.0.1:8080
#                   (RESET=1: a new password instead of the one kept in .local/password)
#   make bench      benchmarks in bench/ (numbers for the README)
#   make install    PREFIX=/usr/local DESTDIR= (binaries, man pages)
#   make SAN=1 ...  the same build with AddressSanitizer + UndefinedBehaviorSanitizer in build-san/
#   make ARCH=arm64 the server cross-built for linux/arm64 into build-arm64/ (Debian's
#                   gcc-aarch64-linux-gnu and the -dev packages :arm64; see install-deps.sh)
#   make fuzz       every libFuzzer target in tests/fuzz for FUZZ_SECONDS (60) each, in build-fuzz/
#
# Layout: src/aws (AWS client library) → src/server (showtable web server) and src/ctl
# (showtablectl deploy tool); each folder's main.c is its program, the rest is its library
# so unit tests can link any module. Sources are found by wildcard: add a file, not a rule.

CC      ?= cc
PREFIX  ?= /usr/local
PYTHON  ?= /usr/bin/python3
SAN     ?= 0
ARCH    ?=
PKG_CONFIG = pkg-config

# A cross build makes only what goes into the image: the server. The host's pkg-config
# reads the arm64 .pc files, which name the multiarch directories the cross linker uses.
ifeq ($(ARCH),arm64)
BUILD   ?= build-arm64
CC       = aarch64-linux-gnu-gcc
PKG_CONFIG = PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig pkg-config
else ifneq ($(ARCH),)
$(error ARCH=$(ARCH): only arm64 (or nothing, for the host) is supported)
endif

ifeq ($(FUZZ),1)
# libFuzzer targets (make fuzz): everything instrumented for coverage, ASan + UBSan.
BUILD   ?= build-fuzz
CC       = clang
SANFLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT      = -O1
else ifeq ($(SAN),1)
BUILD   ?= build-san
# clang: its UndefinedBehaviorSanitizer also flags arithmetic on a null pointer (NULL + 0),
# which GCC's lets through. CC=gcc on the command line still wins.
CC       = clang
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT      = -O1
else
BUILD   ?= build
SANFLAGS =
OPT      = -O2
endif

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

AWS_PKGS    = libcurl jansson libcrypto expat zlib
SERVER_PKGS = libmicrohttpd libcrypt zlib
CTL_PKGS    = libarchive zlib libcrypt yaml-0.1
ifeq ($(ARCH),arm64)
CTL_PKGS    =
endif

WARN    = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes -Wformat=2
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -fPIE \
	-DSHOWTABLE_VERSION='"$(VERSION)"' -Isrc -Isrc/aws -Isrc/server -Isrc/ctl \
	$(shell $(PKG_CONFIG) --cflags $(AWS_PKGS) $(SERVER_PKGS) $(CTL_PKGS))
LDFLAGS_ALL = $(SANFLAGS) -pie -Wl,-z,relro,-z,now -pthread

AWS_LIBS    = $(shell $(PKG_CONFIG) --libs $(AWS_PKGS))
SERVER_LIBS = $(shell $(PKG_CONFIG) --libs $(SERVER_PKGS))
CTL_LIBS    = $(shell $(PKG_CONFIG) --libs $(CTL_PKGS))
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs cmocka)

AWS_SRC    = $(wildcard src/aws/*.c)
SERVER_SRC = $(filter-out src/server/main.c,$(wildcard src/server/*.c))
CTL_SRC    = $(filter-out src/ctl/main.c,$(wildcard src/ctl/*.c))
TEST_SRC   = $(wildcard tests/unit/test_*.c)
TOOL_SRC   = $(wildcard tests/tools/*.c)
FUZZ_SRC   = $(wildcard tests/fuzz/fuzz_*.c)

AWS_OBJ    = $(AWS_SRC:%.c=$(BUILD)/obj/%.o)
SERVER_OBJ = $(SERVER_SRC:%.c=$(BUILD)/obj/%.o)
CTL_OBJ    = $(CTL_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/templates.o
TEMPLATES  = $(sort $(wildcard infra/*.yaml))
TESTS      = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOLS      = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
FUZZ_REPLAYS = $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/tests/test_fuzz_%)
FUZZ_BINS  = $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/fuzz/fuzz_%)
FUZZ_SECONDS ?= 60

ifeq ($(ARCH),)
all: $(BUILD)/showtable $(BUILD)/showtablectl $(TESTS) $(TOOLS) $(FUZZ_REPLAYS)
else
all: $(BUILD)/showtable
endif

# All of src/ is also kept free of implicit narrowing and sign changes.
$(BUILD)/obj/src/aws/%.o $(BUILD)/obj/src/server/%.o $(BUILD)/obj/src/ctl/%.o: ALL_CFLAGS += -Wconversion

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The CloudFormation templates, compiled into showtablectl (src/ctl/tmpl.h).
$(BUILD)/gen/templates.c: $(TEMPLATES) scripts/embed-templates.sh
	@mkdir -p $(dir $@)
	scripts/embed-templates.sh $(TEMPLATES) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/templates.o: $(BUILD)/gen/templates.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libaws.a: $(AWS_OBJ)
	@rm -f $@; ar rcs $@ $^
$(BUILD)/libserver.a: $(SERVER_OBJ)
	@rm -f $@; ar rcs $@ $^
$(BUILD)/libctl.a: $(CTL_OBJ)
	@rm -f $@; ar rcs $@ $^

$(BUILD)/showtable: $(BUILD)/obj/src/server/main.o $(BUILD)/libserver.a $(BUILD)/libaws.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SERVER_LIBS) $(AWS_LIBS)

$(BUILD)/showtablectl: $(BUILD)/obj/src/ctl/main.o $(BUILD)/libctl.a $(BUILD)/libaws.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CTL_LIBS) $(AWS_LIBS)

# Unit tests link every module library; the linker takes only what a test uses. A test
# may add link options with a line "/* link: OPTIONS */" — e.g. -Wl,--wrap=crypt_r to see
# which calls a module makes.
test_link = $(shell sed -n 's|^/\* link: \(.*\) \*/$$|\1|p' $(1))
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libctl.a $(BUILD)/libserver.a $(BUILD)/libaws.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $(call test_link,tests/unit/$*.c) -o $@ $^ $(TEST_LIBS) $(CTL_LIBS) $(SERVER_LIBS) $(AWS_LIBS)

# Fuzz targets (tests/fuzz/fuzz_*.c): as unit tests, each replays its corpus once
# (tests/fuzz/replay.c); as libFuzzer programs (FUZZ=1 builds), they fuzz.
$(BUILD)/tests/test_fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay.o $(BUILD)/libctl.a $(BUILD)/libserver.a $(BUILD)/libaws.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CTL_LIBS) $(SERVER_LIBS) $(AWS_LIBS)
$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/libctl.a $(BUILD)/libserver.a $(BUILD)/libaws.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $^ $(CTL_LIBS) $(SERVER_LIBS) $(AWS_LIBS)
fuzz-bins: $(FUZZ_BINS)

# fuzz: every target for FUZZ_SECONDS (default 60) from its corpus; a crash fails it and
# leaves the input in build-fuzz/crashes/ (add it to tests/fuzz/corpus/<target>/).
fuzz:
	$(MAKE) FUZZ=1 fuzz-bins
	scripts/run-fuzz.sh build-fuzz $(FUZZ_SECONDS)

# The out-of-memory test fails each allocation in turn: the allocator of the code linked
# into it is wrapped (tests/unit/test_alloc_fail.c holds the wrappers).
$(BUILD)/tests/test_alloc_fail: LDFLAGS_ALL += \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup

# Test tools: small programs the integration tests drive (one .c each, linked like tests).
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(BUILD)/libctl.a $(BUILD)/libserver.a $(BUILD)/libaws.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CTL_LIBS) $(SERVER_LIBS) $(AWS_LIBS)

deps:
	@scripts/install-deps.sh

# The linux/arm64 server the multi-platform image tests put in an image and run under qemu.
cross:
	@$(MAKE) --no-print-directory ARCH=arm64 SAN=0 BUILD=build-arm64

# lint: every template through cfn-lint (settings in .cfnlintrc.yaml); any finding fails. It runs
# on the Python that has the pinned AWS test tools (scripts/aws-tools.txt), which
# scripts/find-aws-tools.sh finds or fails saying how to get; the moto suite uses the same one,
# while pytest itself runs on $(PYTHON).
lint:
	@py=$$(scripts/find-aws-tools.sh) && \
		"$$py" -c 'import sys; from cfnlint.runner import main; sys.exit(main())'

# check: this build's unit tests, then its integration tests (pytest); the plain build also
# lints the templates (a sanitizer build has nothing new to show there).
check: all cross $(if $(filter 1,$(SAN)),,lint)
	@BUILD=$(BUILD) scripts/run-unit-tests.sh
	@cd tests/integration && SHOWTABLE_BUILD=$(CURDIR)/$(BUILD) SHOWTABLE_SAN=$(SAN) \
		SHOWTABLE_BUILD_ARM64=$(CURDIR)/build-arm64 \
		$(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) .

# test: the whole suite, plain and under ASan+UBSan.
test: deps
	$(MAKE) check
	$(MAKE) SAN=1 check
	$(MAKE) fuzz FUZZ_SECONDS=10

run: deps all
	@RESET=$(RESET) scripts/run-local.sh

bench: deps all
	@bench/run-all.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/showtable/web \
		$(DESTDIR)$(PREFIX)/share/showtable/infra $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/showtable $(BUILD)/showtablectl $(DESTDIR)$(PREFIX)/bin/
	cp -R web/. $(DESTDIR)$(PREFIX)/share/showtable/web/
	install -m 644 infra/*.yaml $(DESTDIR)$(PREFIX)/share/showtable/infra/
	for m in docs/*.1; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man1/ || true; done

# The Taskfile tasks of the go-on-aws reference design, through showtablectl. CTL_FLAGS adds
# global flags (e.g. "--yes --name dev --param-prefix /dev"); IMAGE=URI is the container
# stack's image. destroy-table names the table, so it lifts its termination protection.
STACK_TASKS = deploy-vpc deploy-table deploy-container destroy-container destroy-table destroy-vpc
$(STACK_TASKS): $(BUILD)/showtablectl
	$(BUILD)/showtablectl $(CTL_FLAGS) $(subst -, ,$@) $(if $(and $(IMAGE),$(filter deploy-container,$@)),--image $(IMAGE)) $(if $(filter destroy-table,$@),--lift-protection)
status: $(BUILD)/showtablectl
	$(BUILD)/showtablectl $(CTL_FLAGS) status

clean:
	rm -rf build build-san build-arm64 build-fuzz

.PHONY: all cross deps lint check test fuzz fuzz-bins run bench install clean $(STACK_TASKS) status
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
