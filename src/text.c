#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra;
	size_t cap = b->cap ? b->cap : 4096;
	char *data;

	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	data = realloc(b->data, cap);
	if (!data)
		return -ENOMEM;
	b->data = data;
	b->cap = cap;
	return 0;
}

int array_reserve(void **array, size_t *cap, size_t want, size_t elem_size)
{
	/* the first size is the one asked for: a VM's thread list is sized once */
	size_t new_cap = *cap ? *cap * 2 : (want > 4 ? want : 4);
	void *grown;

	if (want <= *cap)
		return 0;
	while (new_cap < want)
		new_cap *= 2;
	grown = realloc(*array, new_cap * elem_size);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*cap = new_cap;
	return 0;
}

int array_insert(void **array, size_t *count, size_t *cap, size_t at, size_t elem_size)
{
	char *base;

	if (array_reserve(array, cap, *count + 1, elem_size))
		return -ENOMEM;
	base = *array;
	memmove(base + (at + 1) * elem_size, base + at * elem_size, (*count - at) * elem_size);
	memset(base + at * elem_size, 0, elem_size);
	(*count)++;
	return 0;
}

int buf_append(struct buf *b, const char *data, size_t len)
{
	if (len == 0)
		return 0;
	if (buf_reserve(b, len))
		return -ENOMEM;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Length of the well-formed UTF-8 sequence at s (Unicode Table 3-7), or 0.
 * *valid_prefix tells how many bytes of an ill-formed one were plausible, so
 * that one U+FFFD replaces exactly the maximal ill-formed subpart. */
static size_t utf8_sequence(const unsigned char *s, size_t avail, size_t *valid_prefix)
{
	unsigned char lead = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need;

	*valid_prefix = 1;
	if (lead >= 0x01 && lead <= 0x7F)
		return 1;
	if (lead >= 0xC2 && lead <= 0xDF)
		need = 2;
	else if (lead >= 0xE0 && lead <= 0xEF)
		need = 3;
	else if (lead >= 0xF0 && lead <= 0xF4)
		need = 4;
	else
		return 0; /* NUL, a stray continuation byte, C0, C1, F5..FF */
	if (lead == 0xE0)
		lo = 0xA0;
	else if (lead == 0xED)
		hi = 0x9F; /* no UTF-16 surrogates */
	else if (lead == 0xF0)
		lo = 0x90;
	else if (lead == 0xF4)
		hi = 0x8F; /* nothing above U+10FFFF */
	for (size_t i = 1; i < need; i++) {
		if (i >= avail || s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
		*valid_prefix = i + 1;
	}
	return need;
}

size_t text_to_utf8(const char *in, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, n = 0;

	while (i < len) {
		size_t prefix;
		size_t seq = utf8_sequence(s + i, len - i, &prefix);
		if (seq) {
			memcpy(out + n, s + i, seq);
			n += seq;
			i += seq;
		} else {
			memcpy(out + n, "\xEF\xBF\xBD", 3);
			n += 3;
			i += prefix;
		}
	}
	out[n] = '\0';
	return n;
}

bool text_is_utf8(const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;

	while (i < len) {
		size_t prefix;
		size_t seq = utf8_sequence(s + i, len - i, &prefix);
		if (!seq)
			return false;
		i += seq;
	}
	return true;
}

uint32_t text_hash(const char *p, size_t len)
{
	uint32_t hash = 2166136261u;

	for (size_t i = 0; i < len; i++)
		hash = (hash ^ (unsigned char)p[i]) * 16777619u;
	return hash;
}

/* Sorted, inclusive. */
static const uint32_t hidden_ranges[][2] = {
	{ 0x0000, 0x001F }, { 0x007F, 0x009F }, { 0x00AD, 0x00AD }, { 0x034F, 0x034F }, { 0x0600, 0x0605 },
	{ 0x061C, 0x061C }, { 0x06DD, 0x06DD }, { 0x070F, 0x070F }, { 0x0890, 0x0891 }, { 0x08E2, 0x08E2 },
	{ 0x115F, 0x1160 }, { 0x180B, 0x180F }, { 0x200B, 0x200F }, { 0x2028, 0x202E }, { 0x2060, 0x206F },
	{ 0x3164, 0x3164 }, { 0xFE00, 0xFE0F }, { 0xFEFF, 0xFEFF }, { 0xFFA0, 0xFFA0 }, { 0xFFF9, 0xFFFB },
	{ 0x110BD, 0x110BD }, { 0x110CD, 0x110CD }, { 0x13430, 0x1343F }, { 0x1BCA0, 0x1BCA3 },
	{ 0x1D173, 0x1D17A }, { 0xE0001, 0xE0001 }, { 0xE0020, 0xE007F }, { 0xE0100, 0xE01EF },
};

bool text_is_hidden(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(hidden_ranges) / sizeof(hidden_ranges[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < hidden_ranges[mid][0])
			hi = mid;
		else if (cp > hidden_ranges[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint32_t text_decode(const char *s, size_t *n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = u[0] < 0x80 ? 1 : u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC0 ? 2 : 0;
	uint32_t cp = len == 1 ? u[0] : len == 2 ? u[0] & 0x1F : len == 3 ? u[0] & 0x0F : u[0] & 0x07;

	if (len == 0 || !text_is_utf8(s, len)) {
		*n = 1;
		return 0xFFFD;
	}
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (u[i] & 0x3F);
	*n = len;
	return cp;
}

int text_append_visible(struct buf *out, const char *s, size_t len)
{
	for (const char *end = s + len; s < end;) {
		char code[16];
		size_t n;
		uint32_t cp = text_decode(s, &n);
		int err = text_is_hidden(cp) ? buf_append(out, code, (size_t)snprintf(code, sizeof(code), "<U+%04X>", cp))
					     : buf_append(out, s, n);
		if (err)
			return -ENOMEM;
		s += n;
	}
	return 0;
}

static size_t json_escape(uint32_t cp, char code[16])
{
	if (cp < 0x10000)
		return (size_t)snprintf(code, 16, "\\u%04x", cp);
	cp -= 0x10000;
	return (size_t)snprintf(code, 16, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
}

/* The offset of the first byte at or after from with its high bit set, or
 * len; eight bytes at a time, since a record is ASCII nearly always and is
 * scanned whole every tick. */
static size_t first_high(const char *s, size_t from, size_t len)
{
	size_t i = from;

	for (uint64_t word; i + 8 <= len; i += 8) {
		memcpy(&word, s + i, 8);
		if (word & 0x8080808080808080ull)
			break;
	}
	while (i < len && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

/* The offset of the first code point above U+007F that is hidden, or len. */
static size_t first_hidden(const char *s, size_t from, size_t len)
{
	size_t n;

	for (size_t i = first_high(s, from, len); i < len; i = first_high(s, i + n, len))
		if (text_is_hidden(text_decode(s + i, &n)))
			return i;
	return len;
}

int text_json_escape_hidden(struct buf *out, size_t from)
{
	struct buf tail = { 0 };
	size_t first = first_hidden(out->data, from, out->len), n;
	int err = 0;

	if (first == out->len)
		return 0; /* nearly always: nothing to escape */
	for (size_t i = first; i < out->len && !err; i += n) {
		char code[16];
		uint32_t cp = text_decode(out->data + i, &n);
		err = cp >= 0x80 && text_is_hidden(cp) ? buf_append(&tail, code, json_escape(cp, code))
						     : buf_append(&tail, out->data + i, n);
	}
	if (!err) {
		out->len = first;
		err = buf_append(out, tail.data, tail.len);
	}
	buf_free(&tail);
	return err ? -ENOMEM : 0;
}
