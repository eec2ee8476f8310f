#!/usr/bin/env bash
# Debian 13 (trixie, Proxmox VE 9's base) in a fresh minbase chroot made by
# debootstrap, the closest thing here to a newcomer's fresh machine: a clean
# copy of the tree, then the README's two set-up commands as a newcomer types
# them (the first in full; the second's install, then the unit loop and the
# package test: the package is built with trixie's debhelper, checked by
# trixie's lintian, installed with `apt-get install ./kvmsteal_*.deb` against
# trixie's libcjson, run on the host's /proc, removed and purged).  The rest
# of `make check` (QEMU, cgroups, tmux, the fleet) is the same code on the
# same kernel as the Debian 12 pass and is left to it (CI's 20 minutes).
#
# The chroot shares the host's kernel, /proc, /sys and /dev (bind mounts).
# The freshly bootstrapped tree is cached as a tarball in
# /var/cache/kvmsteal-test/ (KVMSTEAL_TRIXIE_CACHE), so that a second run on
# the same machine skips debootstrap; every run unpacks a fresh copy.  The
# archive is the one this machine's apt sources name (never written here).
# Run by `make check-debian13` and by CI (beside its fuzzing), as root; says
# why and runs nothing (a failure under CI=true) without root, debootstrap
# or a Debian archive.
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C TZ=UTC
. tests/lib.sh
scratch
root=""
remove_root() {
	[ -n "$root" ] || return 0
	for m in dev/pts dev sys proc; do umount -l "$root/$m" 2>/dev/null; done
	rm -rf --one-file-system "$root"
}
at_exit remove_root

[ "$(id -u)" = 0 ] || skip_all "debootstrap and chroot need root"
command -v debootstrap >/dev/null || skip_all "no debootstrap (scripts/install-deps.sh --test installs it)"
[ -n "${SANITIZE:-}" ] && [ "$SANITIZE" != 0 ] &&
	echo "SKIP by design: SANITIZE=1: the chroot builds with trixie's own flags; the plain pass runs this test" && exit 0

# The Debian archive of this machine's apt sources (deb822 or one-line format)
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || skip_all "no Debian archive in this machine's apt sources"

cache_dir=${KVMSTEAL_TRIXIE_CACHE:-/var/cache/kvmsteal-test}
cache="$cache_dir/trixie-minbase.tar"
root=$(mktemp -d /var/tmp/kvmsteal-trixie.XXXXXX)
start=$SECONDS
if [ -s "$cache" ]; then
	tar -xf "$cache" -C "$root"
	echo "# the trixie chroot from the cache ($cache) in $((SECONDS - start)) s"
else
	debootstrap --variant=minbase trixie "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$tmp/debootstrap.log"; fail "debootstrap trixie from $mirror"; exit 1; }
	# a new file of a random name (mktemp: O_EXCL, 0600), renamed over the cache
	install -d -m 0755 "$cache_dir" && part=$(mktemp "$cache_dir/.trixie-minbase.XXXXXX") &&
		tar -cf "$part" -C "$root" . && chmod 0644 "$part" && mv -T "$part" "$cache"
	echo "# debootstrap --variant=minbase trixie in $((SECONDS - start)) s (cached as $cache)"
fi
# dpkg without fsync and man-db without its index (debootstrap's and
# buildds' settings): speed only, nothing the tests look at
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/unsafe-io" # (a name the purge check does not look for)
chroot "$root" sh -c 'echo "man-db man-db/auto-update boolean false" | debconf-set-selections' 2>/dev/null
chmod 755 "$root" # a system's / (mktemp's 0700, kept in the tarball, locked the package's user out of its libraries)
check "the chroot is Debian 13" grep -q '^VERSION_ID="13"' "$root/etc/os-release"
for m in proc sys dev dev/pts; do mount --bind "/$m" "$root/$m"; done
# The host's network as it is: its resolver, and the CA bundle Node.js is
# told to trust here (NODE_EXTRA_CA_CERTS: this workplace's egress inspects
# TLS) for npm's fetch of the dashboard schema
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
extra_ca=""
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
	cp "$NODE_EXTRA_CA_CERTS" "$root/etc/host-extra-ca.crt" && extra_ca="NODE_EXTRA_CA_CERTS=/etc/host-extra-ca.crt"
fi

# A clean copy of the tree: the files git knows, as they are now (no build output)
mkdir -p "$root/root/kvmsteal"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$root/root/kvmsteal" 2>/dev/null ||
	tar -cf - --exclude=./build --exclude=./.git . | tar -xf - -C "$root/root/kvmsteal"
in_chroot() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 TERM=dumb CI="${CI:-}" $extra_ca \
	bash -c "cd /root/kvmsteal && $1"; }

echo "== the README's first command: ./scripts/install-deps.sh && make demo"
start=$SECONDS
in_chroot './scripts/install-deps.sh && make demo' >"$tmp/demo.log" 2>&1
rc=$?
tail -n 5 "$tmp/demo.log" | sed 's/^/#   /'
check "first command: exit 0 ($rc, $((SECONDS - start)) s)" test "$rc" = 0
check "first command: the demo's NDJSON has vm records" grep -q '"record":"vm"' "$root/root/kvmsteal/build/demo.ndjson"

echo "== the README's second command: ./scripts/install-deps.sh --test, then the unit loop and the package test"
start=$SECONDS
in_chroot './scripts/install-deps.sh --test' >"$tmp/deps.log" 2>&1
rc=$?
tail -n 3 "$tmp/deps.log" | sed 's/^/#   /'
check "install-deps.sh --test: exit 0 ($rc, $((SECONDS - start)) s)" test "$rc" = 0
in_chroot 'make -s check-unit' >"$tmp/unit.log" 2>&1
check "make check-unit on trixie: $(tail -n 1 "$tmp/unit.log")" test $? = 0
in_chroot 'make -s check-package' >"$tmp/package.log" 2>&1
rc=$?
grep -E '^(FAIL|SKIP|#   [EW]:)' "$tmp/package.log" | head -n 20
check "make check-package on trixie (make deb, lintian, dpkg -i/-r/-P, make rpm): $(tail -n 1 "$tmp/package.log")" test "$rc" = 0

echo "== apt-get install ./kvmsteal_*.deb against trixie's libcjson, run, remove, purge"
deb=$(cd "$root/root/kvmsteal" && ls build/kvmsteal_*.deb 2>/dev/null | head -n 1)
check "the trixie package is there ($deb)" test -n "$deb"
in_chroot "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ./$deb" >"$tmp/apt.log" 2>&1
check "apt-get install ./$deb: exit 0" test $? = 0 || tail -n 5 "$tmp/apt.log"
check "its libcjson is trixie's ($(chroot "$root" dpkg-query -W -f='${Version}' libcjson1 2>/dev/null))" \
	chroot "$root" dpkg-query -W libcjson1
check "the unit is in /usr/lib/systemd/system (merged /usr)" test -s "$root/usr/lib/systemd/system/kvmsteal.service"
check "dpkg -S: the unit belongs to the package under /usr/lib" \
	sh -c "chroot '$root' dpkg -S /usr/lib/systemd/system/kvmsteal.service | grep -q '^kvmsteal:'"
chroot "$root" /usr/sbin/kvmsteal --interval 0.5 --count 2 >"$tmp/run.out" 2>"$tmp/run.err"
check "the installed agent runs on the host's /proc (exit 0, two host records)" \
	test $? = 0 -a "$(grep -c '"record":"host"' "$tmp/run.out")" = 2
in_chroot 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq kvmsteal' >"$tmp/remove.log" 2>&1
check "apt-get remove: exit 0, the binary gone, the conffile kept" \
	test $? = 0 -a ! -e "$root/usr/sbin/kvmsteal" -a -e "$root/etc/logrotate.d/kvmsteal"
in_chroot 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq kvmsteal' >"$tmp/purge.log" 2>&1
check "apt-get purge: exit 0, nothing left in /etc, /usr or /var/log" \
	test $? = 0 -a -z "$(find "$root/etc" "$root/usr" "$root/var/log" -name '*kvmsteal*' 2>/dev/null)"

echo
[ "$failures" -eq 0 ] && echo "all trixie tests passed ($passes)" || echo "$failures trixie test(s) FAILED"
[ "$failures" -eq 0 ]
