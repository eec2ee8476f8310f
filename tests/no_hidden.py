#!/usr/bin/env python3
"""no_hidden.py FILE...: fails when a file holds, raw, a code point that a terminal acts on or shows as
nothing: C0 (but newline, and tab with --tab), DEL, C1, bidi controls, format characters (Cf), line and
paragraph separators, blank fillers, the combining grapheme joiner, variation selectors.  The classes are
written here from Unicode's data (unicodedata.category), not from the agent's table.  --allow-sgr lets the
agent's own colour sequences (ESC [ digits m) through.  Prints each offender with its line."""
import re
import sys
import unicodedata

FILLERS = {0x115F, 0x1160, 0x3164, 0xFFA0, 0x034F}


def hidden(ch):
    cp = ord(ch)
    return (unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or cp in FILLERS
            or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or 0x180B <= cp <= 0x180F)


args = sys.argv[1:]
allow_sgr = "--allow-sgr" in args
allow_tab = "--tab" in args
bad = 0
for path in (a for a in args if not a.startswith("--")):
    text = open(path, "rb").read().decode("utf-8")  # invalid UTF-8 fails too
    for n, line in enumerate(text.split("\n"), 1):
        if allow_sgr:
            line = re.sub("\x1b\\[[0-9;]*m", "", line)
        found = [c for c in line if hidden(c) and not (allow_tab and c == "\t")]
        if found:
            bad += 1
            print("%s:%d: raw %s in %r" % (path, n, " ".join("U+%04X" % ord(c) for c in found), line[:120]))
sys.exit(1 if bad else 0)
