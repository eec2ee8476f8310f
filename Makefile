# kvmsteal: per-vCPU steal time of QEMU/KVM guests from /proc alone.
# `make`, `make check`, `make install PREFIX=... DESTDIR=...`, `make clean`.
# WERROR=1 turns warnings into errors (CI); SANITIZE=1 builds with ASan+UBSan.

# The one version number and date: the top entry of the Debian changelog,
# written by whoever bumps the version; the man pages' date and every file's
# time in the packages (SOURCE_DATE_EPOCH) come from it.
CHANGELOG  = scripts/dist/debian/changelog
VERSION   := $(shell head -n 1 $(CHANGELOG) | cut -d '(' -f 2 | cut -d ')' -f 1)
ifeq ($(origin SOURCE_DATE_EPOCH),undefined)
SOURCE_DATE_EPOCH := $(shell date -u -d "$$(sed -n 's/^ -- .*>  //p' $(CHANGELOG) | head -n 1)" +%s)
endif
export SOURCE_DATE_EPOCH
MAN_DATE  := $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%d)
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
UNITDIR   ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DATADIR   ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
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

LIB_SRCS  = src/diag.c src/options.c src/procfs.c src/parse.c src/qemu_args.c src/text.c src/names.c src/snapshot.c src/discover.c \
            src/cgroup.c src/vcpus.c src/sample.c src/rate.c src/holders.c src/format.c src/emit.c src/files.c src/output.c src/prom.c src/service.c src/width.c src/history.c src/cells.c src/strip.c src/vmscreen.c src/table.c src/screen.c src/signals.c src/view.c src/loop.c
LIB_OBJS  = $(LIB_SRCS:src/%.c=build/%.o)
TEST_BINS = build/test_parse build/test_emit build/test_view build/test_rate build/test_discover build/test_cgroup build/golden build/check_ndjson build/fakeqemu

all: kvmsteal

kvmsteal: build/main.o build/libkvmsteal.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CJSON_LIBS) -lm

build/libkvmsteal.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

build/%.o: src/%.c | build
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/options.o: $(CHANGELOG) # --version: a new top entry rebuilds it

build/tests/%.o: tests/%.c | build
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/test_parse build/test_emit build/test_view build/test_rate build/test_discover build/test_cgroup build/golden build/check_ndjson: build/%: build/tests/%.o build/libkvmsteal.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CJSON_LIBS) -lm

build/fakeqemu: build/tests/fakeqemu.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread

build:
	mkdir -p build/tests

# The guest of the real-QEMU tests and demo: a boot sector assembled here.
build/spin.img: tests/guest/spin.S | build
	as --32 -o build/spin.o $<
	objcopy -O binary -j .text build/spin.o $@

tests: $(TEST_BINS) build/spin.img build/kvmsteal.8 build/kvmsteal-output.5

# check: the unit loop, then one script per behaviour, each on the real
# thing (root, the real /proc, QEMU, cgroups, tmux, daemons), one after the
# other since several measure CPU contention: cli (the shipped binary's
# options, exit statuses, faults, outputs, the rules under promtool), steal
# (the figures against schedstat and pidstat on QEMU-shaped processes and
# real guests), identity (which VM a process is: late execs, wrappers,
# Proxmox, collisions through node_exporter, low fd limits), safe-writes
# (nothing it writes can be turned against the host; signals), view (the
# live view in tmux), throttling (limits against contention, and changes at
# run time), holders (who holds a VM's CPUs, wait per run), service (the
# unit, sd_notify, hidepid, log rotation), fleet (node_exporter,
# Prometheus, VictoriaMetrics, Alertmanager, the dashboard's queries),
# package (make deb, dpkg -i/-r/-P; make rpm).  Debian 13 in a debootstrap
# chroot (the README's commands, the package there) is `make
# check-debian13`: minutes of downloads, run by CI beside its fuzzing.
check: kvmsteal tests
	LC_ALL=C TZ=UTC bash tests/unit.sh
	LC_ALL=C TZ=UTC bash tests/cli.sh
	LC_ALL=C TZ=UTC bash tests/steal.sh
	LC_ALL=C TZ=UTC bash tests/identity.sh
	LC_ALL=C TZ=UTC bash tests/safe-writes.sh
	LC_ALL=C TZ=UTC bash tests/view.sh
	LC_ALL=C TZ=UTC bash tests/throttling.sh
	LC_ALL=C TZ=UTC SANITIZE=$(SANITIZE) bash tests/holders.sh
	LC_ALL=C TZ=UTC bash tests/service.sh
	LC_ALL=C TZ=UTC SANITIZE=$(SANITIZE) bash tests/fleet.sh
	LC_ALL=C TZ=UTC SANITIZE=$(SANITIZE) bash tests/package.sh

# The unit loop: no root, QEMU, tmux, daemon or network; seconds.
check-unit: kvmsteal tests
	LC_ALL=C TZ=UTC bash tests/unit.sh

check-cli: kvmsteal tests
	LC_ALL=C TZ=UTC bash tests/cli.sh

check-steal: kvmsteal tests
	LC_ALL=C TZ=UTC bash tests/steal.sh

check-service: kvmsteal tests
	LC_ALL=C TZ=UTC bash tests/service.sh

check-identity: kvmsteal tests
	LC_ALL=C TZ=UTC bash tests/identity.sh

check-safe-writes: kvmsteal tests
	LC_ALL=C TZ=UTC bash tests/safe-writes.sh

check-throttling: kvmsteal tests
	LC_ALL=C TZ=UTC bash tests/throttling.sh

check-holders: kvmsteal tests
	LC_ALL=C TZ=UTC SANITIZE=$(SANITIZE) bash tests/holders.sh

check-view: kvmsteal tests
	LC_ALL=C TZ=UTC bash tests/view.sh

check-fleet: kvmsteal tests
	LC_ALL=C TZ=UTC SANITIZE=$(SANITIZE) bash tests/fleet.sh

check-package: kvmsteal tests
	LC_ALL=C TZ=UTC SANITIZE=$(SANITIZE) bash tests/package.sh

check-debian13: kvmsteal tests
	LC_ALL=C TZ=UTC SANITIZE=$(SANITIZE) bash tests/debian13.sh

# The one version number: --version, the man pages, the RPM changelog and
# the package names take it from the Debian changelog's top entry.
print-version:
	@echo $(VERSION)
print-man-date:
	@echo $(MAN_DATE)
print-source-date-epoch:
	@echo $(SOURCE_DATE_EPOCH)

# libFuzzer targets (clang): every parser and the JSON string path, each run
# FUZZ_SECONDS on its seed corpus under tests/fuzz/corpus/ (new inputs go to
# build/fuzz/, the seeds stay as committed).
FUZZ_TARGETS = fuzz_cmdline fuzz_schedstat fuzz_pid_stat fuzz_proc_stat fuzz_json_string fuzz_cgroup fuzz_width
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

build/fuzz/%: tests/fuzz/%.c src/parse.c src/qemu_args.c src/text.c src/names.c src/width.c | build
	mkdir -p build/fuzz
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_FLAGS) -o $@ $^ $(CJSON_LIBS)

fuzz: $(FUZZ_TARGETS:%=build/fuzz/%)
	bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

demo: kvmsteal build/fakeqemu build/spin.img
	bash scripts/demo.sh

build/kvmsteal.service: scripts/dist/kvmsteal.service.in | build
	sed 's|@SBINDIR@|$(SBINDIR)|g' $< >$@

build/kvmsteal.8 build/kvmsteal-output.5: build/%: scripts/dist/%.in Makefile $(CHANGELOG) | build
	sed 's|@VERSION@|$(VERSION)|g; s|@DATE@|$(MAN_DATE)|g' $< >$@

# The binary, its man page, the systemd unit, the sysusers.d entry, the
# logrotate file and the Prometheus rules; then, on a live system: systemd-sysusers && systemctl
# daemon-reload && systemctl enable --now kvmsteal.
install: kvmsteal build/kvmsteal.service build/kvmsteal.8 build/kvmsteal-output.5
	install -D -m 0755 kvmsteal $(DESTDIR)$(SBINDIR)/kvmsteal
	install -D -m 0644 build/kvmsteal.8 $(DESTDIR)$(MANDIR)/man8/kvmsteal.8
	install -D -m 0644 build/kvmsteal-output.5 $(DESTDIR)$(MANDIR)/man5/kvmsteal-output.5
	install -D -m 0644 build/kvmsteal.service $(DESTDIR)$(UNITDIR)/kvmsteal.service
	install -D -m 0644 scripts/dist/kvmsteal.sysusers $(DESTDIR)$(SYSUSERSDIR)/kvmsteal.conf
	install -D -m 0644 scripts/dist/kvmsteal.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/kvmsteal
	install -D -m 0644 scripts/dist/prometheus/kvmsteal.rules.yml $(DESTDIR)$(DATADIR)/kvmsteal/prometheus/kvmsteal.rules.yml
	install -D -m 0644 scripts/dist/grafana/kvmsteal.json $(DESTDIR)$(DATADIR)/kvmsteal/grafana/kvmsteal.json

# Packages, from a copy of the sources laid out under build/ (the packaging
# files live in scripts/dist/); each leaves its package in build/.
DIST_FILES = Makefile README.md src include scripts
DEB_TREE   = build/deb/kvmsteal-$(VERSION)

deb:
	rm -rf build/deb && mkdir -p $(DEB_TREE)
	cp -R $(DIST_FILES) $(DEB_TREE)/
	cp -R scripts/dist/debian $(DEB_TREE)/debian
	cd $(DEB_TREE) && dpkg-buildpackage -b -us -uc
	mv build/deb/kvmsteal_$(VERSION)_*.deb build/

# The RPM is meant to be rebuilt on the RHEL-family host it is for (this one
# links the build machine's glibc).  On a machine that is not RPM-based
# (Debian: rpmbuild from the rpm package) the build dependencies cannot be
# checked (--nodeps) and systemd-rpm-macros is absent: stand-ins are loaded.
RPM_TOP = $(CURDIR)/build/rpm
RPM_PACKAGER ?= kvmsteal developers <kvmsteal@users.noreply.github.com>
RPM_FALLBACK = $(CURDIR)/scripts/dist/rpm/macros.no-systemd-rpm-macros

rpm:
	rm -rf build/rpm && mkdir -p build/rpm/SOURCES build/rpm/SPECS
	tar czf build/rpm/SOURCES/kvmsteal-$(VERSION).tar.gz --transform 's,^,kvmsteal-$(VERSION)/,' $(DIST_FILES)
	cp scripts/dist/kvmsteal.sysusers build/rpm/SOURCES/
	sed 's|@VERSION@|$(VERSION)|g' scripts/dist/rpm/kvmsteal.spec.in >build/rpm/SPECS/kvmsteal.spec
	sh scripts/dist/rpm/changelog.sh $(CHANGELOG) >>build/rpm/SPECS/kvmsteal.spec
	extra=""; \
	rpm -q --quiet rpm || extra="--nodeps"; \
	case "$$(rpm --eval '%{_unitdir}')" in /*) ;; *) extra="$$extra --load=$(RPM_FALLBACK)" ;; esac; \
	rpmbuild -bb --define "_topdir $(RPM_TOP)" --define "packager $(RPM_PACKAGER)" $$extra build/rpm/SPECS/kvmsteal.spec
	mv build/rpm/RPMS/*/kvmsteal-$(VERSION)-1*.rpm build/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/kvmsteal $(DESTDIR)$(MANDIR)/man8/kvmsteal.8 $(DESTDIR)$(MANDIR)/man5/kvmsteal-output.5 \
		$(DESTDIR)$(UNITDIR)/kvmsteal.service $(DESTDIR)$(SYSUSERSDIR)/kvmsteal.conf \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/kvmsteal $(DESTDIR)$(DATADIR)/kvmsteal/prometheus/kvmsteal.rules.yml \
		$(DESTDIR)$(DATADIR)/kvmsteal/grafana/kvmsteal.json

clean:
	rm -rf build kvmsteal

.PHONY: all tests check check-unit check-cli check-steal check-identity check-safe-writes check-throttling check-holders check-service check-view check-fleet check-package check-debian13 print-version print-man-date print-source-date-epoch fuzz demo deb rpm install uninstall clean

-include $(wildcard build/*.d build/tests/*.d)
