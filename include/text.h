/* text: byte buffers and the UTF-8 guard applied to untrusted bytes (VM names
 * come from /proc/PID/cmdline and may be anything) before they reach JSON. */
#ifndef KVMSTEAL_TEXT_H
#define KVMSTEAL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer; the owner frees it with buf_free. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

int buf_reserve(struct buf *b, size_t extra); /* 0 or -ENOMEM */

/* Grows *array (of *cap elements of elem_size bytes) to hold at least want
 * elements, doubling; the caller owns and frees it.  0 or -ENOMEM. */
int array_reserve(void **array, size_t *cap, size_t want, size_t elem_size);

/* Opens a gap of one element at index at (<= *count) in *array, growing it
 * as array_reserve does; *count grows by one, the gap is zeroed.  0 or -ENOMEM. */
int array_insert(void **array, size_t *count, size_t *cap, size_t at, size_t elem_size);
int buf_append(struct buf *b, const char *data, size_t len);
void buf_free(struct buf *b);

/* Worst-case output size of text_to_utf8 for len input bytes (NUL included). */
#define TEXT_UTF8_MAX(len) (3 * (len) + 1)

/* Copies in to out as valid UTF-8: each maximal ill-formed subsequence (and
 * each NUL, which cJSON cannot carry) becomes U+FFFD.  out must hold
 * TEXT_UTF8_MAX(len) bytes; it is NUL-terminated.  Returns its length. */
size_t text_to_utf8(const char *in, size_t len, char *out);

/* True for a code point a terminal acts on or that shows as nothing: C0
 * and C1 controls, DEL, bidi controls (U+061C, U+200E/F, U+202A-202E,
 * U+2066-2069), format characters (category Cf: U+200B-200D, U+FEFF, tags,
 * ...), line and paragraph separators, fillers that print blank (U+115F,
 * U+1160, U+3164, U+FFA0), the combining grapheme joiner and variation
 * selectors.  Such a code point never reaches a person as itself. */
bool text_is_hidden(uint32_t cp);

/* The code point at s (valid UTF-8, at least one byte) and its length in *n;
 * a malformed byte reads as U+FFFD of length 1. */
uint32_t text_decode(const char *s, size_t *n);

/* Appends the len bytes of s (UTF-8) with each hidden code point written
 * as "<U+XXXX>": what a person reads (the view, stderr, label values) shows
 * it instead of acting on it or hiding it.  0 or -ENOMEM. */
int text_append_visible(struct buf *out, const char *s, size_t len);

/* Rewrites JSON text in out from offset from: each hidden code point above
 * U+007F written as itself becomes a \uXXXX escape (a surrogate pair above
 * U+FFFF), so the parsed value is unchanged and the line is safe in a
 * terminal (cJSON escapes C0 itself).  0 or -ENOMEM. */
int text_json_escape_hidden(struct buf *out, size_t from);

/* FNV-1a of the len bytes: tells whether a file or a path is the one seen
 * before without keeping a copy (a match is then checked where it matters). */
uint32_t text_hash(const char *p, size_t len);

/* True when the len bytes are valid UTF-8 without NUL. */
bool text_is_utf8(const char *in, size_t len);

#endif
