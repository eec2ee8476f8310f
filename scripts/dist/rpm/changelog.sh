#!/bin/sh
# The RPM %changelog from the Debian changelog, the one written by hand (its
# top entry gives the version and the date of everything built): each entry
# as "* Day Mon DD YYYY NAME <MAIL> - VERSION-1" followed by its items.
set -eu
version= items=
nl='
'
while IFS= read -r line; do
	case $line in
	"kvmsteal ("*) version=${line#kvmsteal (}; version=${version%%)*} ;;
	"  * "*) items="$items- ${line#  \* }$nl" ;;
	"    "*) items="$items  ${line#    }$nl" ;;
	" -- "*)
		who=${line# -- }; when=${who#*>  }; who="${who%%>*}>"
		printf '* %s %s - %s-1\n%s\n' "$(LC_ALL=C date -u -d "$when" '+%a %b %d %Y')" "$who" "$version" "$items"
		items= ;;
	esac
done <"${1:?usage: changelog.sh DEBIAN-CHANGELOG}"
