#include "text.h"

#include <errno.h>
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
