/* names: how VM names (untrusted: tenants choose them on some platforms)
 * are shown to a person side by side, so that none can pass for another.
 *
 * Every hidden code point (text_is_hidden) is shown as <U+XXXX>.  Then a
 * name that mixes Latin letters with Cyrillic or Greek ones, or that would
 * look like another name of the same screen (equal once hidden code points
 * are dropped and look-alike letters folded to the Latin ones, a small
 * table after Unicode TR39's confusables), has each of its look-alike
 * letters shown as <U+XXXX> too: "pаypal" with a Cyrillic а is shown as
 * "p<U+0430>ypal" next to "paypal". */
#ifndef KVMSTEAL_NAMES_H
#define KVMSTEAL_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

/* The shown form of each of the n names (valid UTF-8), appended to out each
 * NUL-terminated; offs[i] is the offset of name i's.  0 or -ENOMEM. */
int names_shown(const char *const *names, size_t n, struct buf *out, size_t *offs);

/* The Latin letter a look-alike letter passes for, or 0 when cp is none. */
char names_lookalike(uint32_t cp);

#endif
