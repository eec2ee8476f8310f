#!/usr/bin/env bash
# The reference agrees with the agent: --help, kvmsteal(8) and the README
# name the same options and exit statuses (and those the code returns);
# kvmsteal-output(5) names every record key the schema checker knows and
# every metric the golden textfiles hold; the version and date of the man
# pages and of --version are the changelog's top entry.  Sourced by
# tests/unit.sh (`make check-unit` builds the man pages first).

# the long options each names, sorted, one line
help_options() { ./kvmsteal --help | sed -n '/^ *-/p' | grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' '; }
man_options() { sed -n '/^\.SH OPTIONS/,/^\.SH /p' build/kvmsteal.8 | grep -A1 '^\.TP' | sed 's/\\-/-/g' |
	grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' '; }
readme_options() { sed -n '/^Options:/,/^$/p' README.md | grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' '; }
check "options: --help and kvmsteal(8) name the same ($(help_options))" test "$(help_options)" = "$(man_options)"
check "options: the README's reference names the same" test "$(help_options)" = "$(readme_options)"
check "options: the synopsis names every one" \
	test "$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' build/kvmsteal.8 | sed 's/\\-/-/g' | grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' ')" = "$(help_options)"

# exit statuses: the code's (sysexits.h names), --help's, the man page's, the README's
code_statuses() {
	{ echo 0; grep -ho 'EX_[A-Z]*' src/*.c | sort -u | while read -r name; do
		awk -v n="$name" '$1 == "#define" && $2 == n { print $3 }' /usr/include/sysexits.h; done; } | sort -n | tr '\n' ' '
}
help_statuses() { ./kvmsteal --help | sed -n '/^Exit status:/,$p' | sed 's/kvmsteal([0-9])//g' | grep -o '\b[0-9][0-9]\?\b' |
	sort -nu | tr '\n' ' '; }
man_statuses() { sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' build/kvmsteal.8 | grep -A1 '^\.TP' | grep -o '^\\fB[0-9]*' |
	tr -d '\\fB' | sort -nu | tr '\n' ' '; }
readme_statuses() { awk '/^Options:/ { on = 1 } on && /^$/ { exit } on' README.md | tr '\n' ' ' | sed 's/.*Exit statuses://' |
	grep -o '\b[0-9][0-9]\?\b' | sort -nu | tr '\n' ' '; }
check "exit statuses: the code returns $(code_statuses)" test -n "$(code_statuses)"
check "exit statuses: --help gives the code's" test "$(help_statuses)" = "$(code_statuses)"
check "exit statuses: kvmsteal(8) gives the code's" test "$(man_statuses)" = "$(code_statuses)"
check "exit statuses: the README gives the code's" test "$(readme_statuses)" = "$(code_statuses)"

# every key the schema checker knows, every metric of the golden textfiles
missing=
for key in $(grep -o '{ "[@a-z_]*", [A-Z0-9]*' tests/check_ndjson.c | cut -d'"' -f2 | sort -u); do
	grep -q "\\\\fB$key\\\\fR\|\\b$key\\b" build/kvmsteal-output.5 || missing="$missing $key"
done
check "kvmsteal-output(5) names every record key (missing:${missing:- none})" test -z "$missing"
missing=
for metric in $(cat tests/fixtures/*/expected.prom | grep -o '^kvm_[a-z_]*' | sort -u); do
	grep -q "$metric" build/kvmsteal-output.5 || missing="$missing $metric"
done
check "kvmsteal-output(5) names every metric of the golden textfiles (missing:${missing:- none})" test -z "$missing"

version=$(make -s print-version) date=$(make -s print-man-date)
check "the changelog's top entry ($version, $date): --version" test "$(./kvmsteal --version)" = "kvmsteal $version"
check "... kvmsteal(8)'s version and date" grep -qF "$date \"kvmsteal $version\"" build/kvmsteal.8
check "... kvmsteal-output(5)'s" grep -qF "$date \"kvmsteal $version\"" build/kvmsteal-output.5
check "... the RPM changelog's first entry" \
	sh -c "sh scripts/dist/rpm/changelog.sh scripts/dist/debian/changelog | head -n 1 | grep -q -- ' - $version-1\$'"
check "man pages render without a groff warning" \
	sh -c "! man --warnings -E UTF-8 -l -Tutf8 -Z build/kvmsteal.8 build/kvmsteal-output.5 2>&1 >/dev/null | grep ."
