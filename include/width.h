/* width: text measured and cut in terminal columns, not bytes or characters.
 *
 * VM names are valid UTF-8 (text_to_utf8 has run), but a CJK character takes
 * two columns, a combining mark none, and a control character must never
 * reach a terminal.  With utf8 true the caller has set LC_CTYPE to a UTF-8
 * locale (wcwidth answers from it); with utf8 false every byte that is not
 * printable ASCII becomes one '?'. */
#ifndef KVMSTEAL_WIDTH_H
#define KVMSTEAL_WIDTH_H

#include <stdbool.h>

#include "text.h"

/* The columns s takes once made printable. */
int width_of(const char *s, bool utf8);

/* Appends s in exactly columns columns: whole when it fits, padded with
 * spaces; else its start and its end around a marker ("…", or "~" without
 * UTF-8), so that names that differ only at the end (-01, -02) still differ;
 * a character is never split.  0 or -ENOMEM. */
int width_fit(struct buf *out, const char *s, int columns, bool utf8);

/* Appends s cut to at most columns columns (no padding, no marker).  0 or -ENOMEM. */
int width_cut(struct buf *out, const char *s, int columns, bool utf8);

#endif
