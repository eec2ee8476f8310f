#!/usr/bin/env bash
# The packages, built and used as an operator would: `make deb`, lintian,
# dpkg -i, the installed files, the user, the installed binary on a fixture
# tree, dpkg -r, dpkg -P and what is left on the file system; the same
# install once more with systemd-sysusers out of reach (the useradd path);
# `make rpm`, rpmlint, and the RPM's files, scripts and dependencies with
# rpm -qp, its binary run from the payload.  Run by `make check`, as root
# (dpkg -i).  Skipped, saying why, where the tools are missing, when not root,
# where a kvmsteal package is installed already (this test would remove it),
# and under SANITIZE=1 (the packages build with the distribution's flags:
# nothing of the sanitizer build is under test).
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC
. tests/lib.sh
scratch
version=$(make -s -f Makefile print-version)
man_date=$(make -s -f Makefile print-man-date)
# The sanitizer pass leaves this test to the plain pass by design (said, not
# a failure); anything else that stops it is skip_all: a failure under CI=true.
[ -n "${SANITIZE:-}" ] && [ "$SANITIZE" != 0 ] && echo "SKIP by design: SANITIZE=1: the packages are built with the distribution's flags; the plain pass runs this test" && exit 0
[ "$(id -u)" = 0 ] || skip_all "dpkg -i needs root"

# Where this release's systemd wants a package's unit: Debian 12 keeps
# /lib/systemd/system, Debian 13 (merged /usr) wants /usr/lib/systemd/system.
. /etc/os-release
case "${ID:-}:${VERSION_ID:-}" in
debian:11|debian:12) unitdir=/lib/systemd/system ;;
*) unitdir=/usr/lib/systemd/system ;;
esac

deb_tests() {
	local deb="build/kvmsteal_${version}_$(dpkg --print-architecture).deb"
	echo "== make deb"
	make -s deb >"$tmp/deb.log" 2>&1
	check "make deb: $deb built" test -s "$deb" || { tail -n 20 "$tmp/deb.log"; return; }
	lintian --pedantic -I "$deb" >"$tmp/lintian" 2>&1
	sed 's/^/#   /' "$tmp/lintian" | grep -v 'running with root privileges'
	check "lintian: no error, no warning" test "$(grep -c '^[EW]: ' "$tmp/lintian")" = 0
	check "Depends: only the shared libraries dh_shlibdeps found (libc6, libcjson1)" \
		test "$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/ *(.*//; s/^ *//' | sort | tr '\n' ' ')" = "libc6 libcjson1 "
	dpkg-deb -c "$deb" | awk '{ print $1, $2, $NF }' >"$tmp/contents"
	local want
	want=$(printf '%s\n' ./etc/logrotate.d/kvmsteal ".$unitdir/kvmsteal.service" ./usr/lib/sysusers.d/kvmsteal.conf \
		./usr/sbin/kvmsteal ./usr/share/doc/kvmsteal/README.md ./usr/share/doc/kvmsteal/changelog.gz \
		./usr/share/doc/kvmsteal/copyright ./usr/share/kvmsteal/grafana/kvmsteal.json \
		./usr/share/kvmsteal/prometheus/kvmsteal.rules.yml ./usr/share/man/man8/kvmsteal.8.gz \
		./usr/share/man/man5/kvmsteal-output.5.gz | sort | tr '\n' ' ')
	check "contents: binary, man pages, unit (in $unitdir, $PRETTY_NAME), sysusers, logrotate, rules, dashboard, README" \
		test "$(awk '$1 !~ /^d/ { print $3 }' "$tmp/contents" | sort | tr '\n' ' ')" = "$want"
	check "contents: every file root:root" test "$(awk '$2 != "root/root"' "$tmp/contents" | wc -l)" = 0
	check "version: the changelog's ($(dpkg-deb -f "$deb" Version)) is the Makefile's ($version)" \
		test "$(dpkg-deb -f "$deb" Version)" = "$version"

	# A user made by an earlier test (safe-writes.sh) would hide whether the
	# package makes it: it goes, unless something runs as it.
	if getent passwd kvmsteal >/dev/null; then
		pgrep -u kvmsteal >/dev/null && skip "a process runs as the user kvmsteal: not removing it"
		userdel kvmsteal 2>/dev/null; getent group kvmsteal >/dev/null && groupdel kvmsteal
	fi
	snapshot() { find /etc /usr /lib /var -xdev \( -path /var/lib/dpkg -o -path /var/cache -o -path /var/tmp \
		-o -path /var/log/apt -o -path /var/log/dpkg.log -o -path /var/lib/apt -o -path /var/backups \) -prune -o -print | sort; }
	snapshot >"$tmp/before"

	echo "== dpkg -i (systemd is not PID 1 here: the unit is enabled, not started)"
	dpkg -i "$deb" >"$tmp/install.log" 2>&1
	check "dpkg -i: exit 0 ($?)" test $? -eq 0 || cat "$tmp/install.log"
	for f in /usr/sbin/kvmsteal /usr/share/man/man8/kvmsteal.8.gz /usr/share/man/man5/kvmsteal-output.5.gz "$unitdir/kvmsteal.service" \
		/usr/lib/sysusers.d/kvmsteal.conf /etc/logrotate.d/kvmsteal /usr/share/kvmsteal/prometheus/kvmsteal.rules.yml \
		/usr/share/kvmsteal/grafana/kvmsteal.json \
		/usr/share/doc/kvmsteal/README.md; do
		check "installed: $f" test -s "$f"
	done
	check "the unit runs the installed binary" grep -qx 'ExecStart=/usr/sbin/kvmsteal --output /var/log/kvmsteal/kvmsteal.ndjson' \
		"$unitdir/kvmsteal.service"
	check "the unit is enabled (multi-user.target.wants)" test -L /etc/systemd/system/multi-user.target.wants/kvmsteal.service
	check "the user kvmsteal: made by systemd-sysusers, no login, no home" \
		test "$(getent passwd kvmsteal | cut -d: -f6,7)" = "/nonexistent:/usr/sbin/nologin"
	check "the runbook links resolve: the README is not compressed" \
		grep -q '^### Runbook: KvmstealStale' /usr/share/doc/kvmsteal/README.md
	check "man page: kvmsteal $version of $man_date (the changelog's top entry)" \
		sh -c "zcat /usr/share/man/man8/kvmsteal.8.gz | head -n 1 | grep -qF '$man_date \"kvmsteal $version\"'"
	check "man page's time: the changelog's top entry (SOURCE_DATE_EPOCH), so a new version is a new page to man-db" \
		test "$(stat -c %Y /usr/share/man/man8/kvmsteal.8.gz)" = "$(make -s print-source-date-epoch)"
	check "/usr/sbin/kvmsteal --version: $version" sh -c "/usr/sbin/kvmsteal --version | grep -qw '$version'"
	setpriv --reuid=kvmsteal --regid=kvmsteal --clear-groups /usr/sbin/kvmsteal --proc-root tests/fixtures/basic/t1 \
		--interval 0.2 --count 2 --host-name pkg >"$tmp/run.ndjson" 2>"$tmp/run.err"
	check "the installed binary, as the user kvmsteal, on a fixture tree: exit 0 ($?)" test $? -eq 0
	check "... schema v1 records" ./build/check_ndjson <"$tmp/run.ndjson"
	check "... the fixture's VMs" grep -q '"vm_name":"instance-00001782"' "$tmp/run.ndjson"
	# What systemd would make at start (LogsDirectory=), then the shipped
	# logrotate file as it is installed: accepted, no complaint about the
	# directory's owner (su).
	install -d -m 0750 -o kvmsteal -g kvmsteal /var/log/kvmsteal
	setpriv --reuid=kvmsteal --regid=kvmsteal --clear-groups sh -c 'echo "{}" >/var/log/kvmsteal/kvmsteal.ndjson'
	logrotate --debug --force /etc/logrotate.d/kvmsteal >"$tmp/logrotate.out" 2>&1
	rc=$?
	check "logrotate --debug --force on the installed file: exit 0 ($rc), no error, works as kvmsteal (su)" \
		sh -c "test $rc = 0 && ! grep -qi 'error' '$tmp/logrotate.out' && grep -q 'switching euid from 0 to [0-9]* and egid from 0 to' '$tmp/logrotate.out'"
	install -d -m 0755 -o kvmsteal -g kvmsteal /var/lib/kvmsteal
	echo "# kvmsteal" >/var/lib/kvmsteal/kvmsteal.prom

	echo "== dpkg -r: the logs and the configuration stay"
	dpkg -r kvmsteal >"$tmp/remove.log" 2>&1
	check "dpkg -r: exit 0" test $? -eq 0 || cat "$tmp/remove.log"
	check "removed: the binary" test ! -e /usr/sbin/kvmsteal
	check "kept: the logs" test -s /var/log/kvmsteal/kvmsteal.ndjson
	check "kept: the conffile /etc/logrotate.d/kvmsteal" test -e /etc/logrotate.d/kvmsteal

	echo "== dpkg -P: nothing left but the user"
	dpkg -P kvmsteal >"$tmp/purge.log" 2>&1
	check "dpkg -P: exit 0" test $? -eq 0 || cat "$tmp/purge.log"
	check "purged: logs, state, conffile, the unit's enable link" sh -c \
		'test ! -e /var/log/kvmsteal -a ! -e /var/lib/kvmsteal -a ! -e /etc/logrotate.d/kvmsteal -a ! -L /etc/systemd/system/multi-user.target.wants/kvmsteal.service'
	snapshot >"$tmp/after"
	diff "$tmp/before" "$tmp/after" >"$tmp/left"
	check "the file system after purge is as before install ($(grep -c '^[<>]' "$tmp/left") paths differ)" test ! -s "$tmp/left"
	sed 's/^/#   /' "$tmp/left" | head -n 20
	check "kept: the user (Debian keeps system users: files it owned elsewhere keep their owner)" sh -c "getent passwd kvmsteal >/dev/null"

	echo "== dpkg -i where systemd-sysusers is absent: the user by useradd"
	userdel kvmsteal; getent group kvmsteal >/dev/null && groupdel kvmsteal
	mkdir "$tmp/path"
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		for f in "$d"/*; do
			# (an empty directory gives the pattern itself: -e skips it)
			[ -e "$f" ] && [ "${f##*/}" != systemd-sysusers ] && [ ! -e "$tmp/path/${f##*/}" ] && ln -s "$f" "$tmp/path/${f##*/}"
		done
	done
	PATH="$tmp/path" dpkg -i "$deb" >"$tmp/install2.log" 2>&1
	check "dpkg -i without systemd-sysusers: exit 0 ($?)" test $? -eq 0 || cat "$tmp/install2.log"
	check "the user kvmsteal by useradd: a system user, no login, no home" \
		sh -c "getent passwd kvmsteal | awk -F: '\$3 < 1000 && \$6 == \"/nonexistent\" && \$7 == \"/usr/sbin/nologin\" { ok = 1 } END { exit !ok }'"
	dpkg -P kvmsteal >/dev/null 2>&1
	check "purged again" sh -c "! dpkg -s kvmsteal >/dev/null 2>&1"
	ls -l "$deb" | awk '{ print "# " $NF ": " $5 " bytes" }'
	echo "# installed size: $(dpkg-deb -f "$deb" Installed-Size) KiB"
}

rpm_tests() {
	local rpm="build/kvmsteal-${version}-1.$(rpm --eval '%{_arch}').rpm"
	echo "== make rpm"
	make -s rpm >"$tmp/rpm.log" 2>&1
	check "make rpm: $rpm built" test -s "$rpm" || { tail -n 20 "$tmp/rpm.log"; return; }
	rpmlint -c scripts/dist/rpm/rpmlint.toml build/rpm/SPECS/kvmsteal.spec "$rpm" >"$tmp/rpmlint" 2>&1
	grep ': [EW]: ' "$tmp/rpmlint" | sed 's/^/#   /'
	check "rpmlint on the spec and the package: no error" test "$(grep -c ': E: ' "$tmp/rpmlint")" = 0
	check "version: $(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$rpm") is the Makefile's ($version-1)" \
		test "$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$rpm")" = "$version-1"
	check "%changelog: an entry for $version-1" sh -c "rpm -qp --changelog '$rpm' | head -n 1 | grep -q -- '- $version-1\$'"
	# the man page compressed or not: that is the building rpm's brp-compress
	# (Debian 13's rpm and RHEL's compress it, Debian 12's does not)
	rpm -qpl "$rpm" | grep -v '^/usr/lib/.build-id' | sed 's|^\(/usr/share/man/man[58]/kvmsteal.*\.[58]\)\.gz$|\1|' >"$tmp/rpm.files"
	check "files: binary, man page, unit, sysusers, logrotate, rules, README, log directory" \
		test "$(tr '\n' ' ' <"$tmp/rpm.files")" = "/etc/logrotate.d/kvmsteal /usr/lib/systemd/system/kvmsteal.service /usr/lib/sysusers.d/kvmsteal.conf /usr/sbin/kvmsteal /usr/share/doc/kvmsteal-$version /usr/share/doc/kvmsteal-$version/README.md /usr/share/kvmsteal /usr/share/kvmsteal/grafana /usr/share/kvmsteal/grafana/kvmsteal.json /usr/share/kvmsteal/prometheus /usr/share/kvmsteal/prometheus/kvmsteal.rules.yml /usr/share/man/man5/kvmsteal-output.5 /usr/share/man/man8/kvmsteal.8 /var/log/kvmsteal "
	check "logrotate file: %config(noreplace)" test "$(rpm -qp --configfiles "$rpm")" = /etc/logrotate.d/kvmsteal
	check "log directory: kvmsteal:kvmsteal 0750" \
		sh -c "rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' '$rpm' | grep -qx 'drwxr-x--- kvmsteal:kvmsteal /var/log/kvmsteal'"
	rpm -qp --scripts "$rpm" >"$tmp/scripts"
	check "scripts: the user made before install (%pre)" sh -c "sed -n '/^preinstall/,/^postinstall/p' '$tmp/scripts' | grep -q 'useradd -r .* kvmsteal'"
	check "scripts: the unit preset on install, stopped on erase, restarted on upgrade" sh -c \
		"grep -q 'systemctl --no-reload preset kvmsteal.service' '$tmp/scripts' && grep -q 'disable --now kvmsteal.service' '$tmp/scripts' && grep -q 'try-restart kvmsteal.service' '$tmp/scripts'"
	rpm -qp --requires "$rpm" >"$tmp/requires"
	check "requires: libcjson.so.1 and logrotate" sh -c "grep -qx 'libcjson.so.1()(64bit)' '$tmp/requires' && grep -qx logrotate '$tmp/requires'"
	check "spec: BuildRequires cjson-devel (EPEL's name)" grep -qx 'BuildRequires:  cjson-devel' build/rpm/SPECS/kvmsteal.spec
	mkdir "$tmp/payload"
	(cd "$tmp/payload" && rpm2cpio "$OLDPWD/$rpm" | cpio -idm --quiet)
	check "the payload's binary runs: --version $version" sh -c "'$tmp/payload/usr/sbin/kvmsteal' --version | grep -qw '$version'"
	ls -l "$rpm" | awk '{ print "# " $NF ": " $5 " bytes" }'
}

if command -v dpkg-buildpackage >/dev/null && command -v lintian >/dev/null && command -v dh >/dev/null; then
	dpkg -s kvmsteal >/dev/null 2>&1 && skip_all "a kvmsteal package is installed on this machine; this test would remove it"
	deb_tests
else
	skip_all "the Debian package: dpkg-buildpackage, debhelper or lintian missing (./scripts/install-deps.sh --test)"
fi
if command -v rpmbuild >/dev/null && command -v rpmlint >/dev/null && command -v rpm2cpio >/dev/null; then
	rpm_tests
else
	skip_all "the RPM: rpmbuild, rpmlint or rpm2cpio missing (./scripts/install-deps.sh --test)"
fi

echo
if [ "$failures" -ne 0 ]; then echo "$failures test(s) FAILED"; exit 1; fi
echo "all package tests passed"
