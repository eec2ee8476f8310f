# kvmsteal: per-vCPU steal time of QEMU/KVM guests from /proc alone.
# `make`, `make check`, `make install PREFIX=... DESTDIR=...`, `make clean`.
# WERROR=1 turns warnings into errors (CI); SANITIZE=1 builds with ASan+UBSan.

VERSION    = 0.1.0
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
CC        ?= cc
PKG_CONFIG ?= pkg-config

CFLAGS    ?= -O2 -g
WARNINGS   = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
ifeq ($(WERROR),1)
WARNINGS  += -Werror
endif
ifeq ($(SANITIZE),1)
SANFLAGS   = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

CJSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcjson 2>/dev/null)
CJSON_LIBS   := $(shell $(PKG_CONFIG) --libs libcjson 2>/dev/null || echo -lcjson)

ALL_CPPFLAGS = -Iinclude -D_GNU_SOURCE -DKVMSTEAL_VERSION='"$(VERSION)"' $(CJSON_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = -std=c11 $(WARNINGS) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS  = $(SANFLAGS) $(LDFLAGS)

LIB_SRCS  = src/diag.c src/procfs.c src/parse.c src/text.c src/snapshot.c src/discover.c \
            src/sample.c src/rate.c src/emit.c src/output.c
LIB_OBJS  = $(LIB_SRCS:src/%.c=build/%.o)
TEST_BINS = build/test_parse build/golden build/check_ndjson build/fakeqemu

all: kvmsteal

kvmsteal: build/main.o build/libkvmsteal.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CJSON_LIBS) -lm

build/libkvmsteal.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

build/%.o: src/%.c | build
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/tests/%.o: tests/%.c | build
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/test_parse build/golden build/check_ndjson: build/%: build/tests/%.o build/libkvmsteal.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CJSON_LIBS) -lm

build/fakeqemu: build/tests/fakeqemu.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread

build:
	mkdir -p build/tests

tests: $(TEST_BINS)

check: kvmsteal tests
	LC_ALL=C TZ=UTC bash tests/run.sh

demo: kvmsteal build/fakeqemu
	bash scripts/demo.sh

install: kvmsteal
	install -D -m 0755 kvmsteal $(DESTDIR)$(SBINDIR)/kvmsteal

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/kvmsteal

clean:
	rm -rf build kvmsteal

.PHONY: all tests check demo install uninstall clean

-include $(wildcard build/*.d build/tests/*.d)
