#include "names.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cyrillic and Greek letters that look like a Latin one in common fonts
 * (a subset of Unicode's confusables.txt), sorted by code point. */
static const struct {
	uint32_t cp;
	char latin;
} lookalikes[] = {
	{ 0x0391, 'A' }, { 0x0392, 'B' }, { 0x0395, 'E' }, { 0x0396, 'Z' }, { 0x0397, 'H' }, { 0x0399, 'I' },
	{ 0x039A, 'K' }, { 0x039C, 'M' }, { 0x039D, 'N' }, { 0x039F, 'O' }, { 0x03A1, 'P' }, { 0x03A4, 'T' },
	{ 0x03A5, 'Y' }, { 0x03A7, 'X' }, { 0x03B1, 'a' }, { 0x03B9, 'i' }, { 0x03BA, 'k' }, { 0x03BD, 'v' },
	{ 0x03BF, 'o' }, { 0x03C1, 'p' }, { 0x03C5, 'u' }, { 0x0405, 'S' }, { 0x0406, 'I' }, { 0x0408, 'J' },
	{ 0x0410, 'A' }, { 0x0412, 'B' }, { 0x0415, 'E' }, { 0x041A, 'K' }, { 0x041C, 'M' }, { 0x041D, 'H' },
	{ 0x041E, 'O' }, { 0x0420, 'P' }, { 0x0421, 'C' }, { 0x0422, 'T' }, { 0x0423, 'Y' }, { 0x0425, 'X' },
	{ 0x0430, 'a' }, { 0x0435, 'e' }, { 0x043E, 'o' }, { 0x0440, 'p' }, { 0x0441, 'c' }, { 0x0443, 'y' },
	{ 0x0445, 'x' }, { 0x0455, 's' }, { 0x0456, 'i' }, { 0x0458, 'j' }, { 0x04BB, 'h' }, { 0x04CF, 'l' },
	{ 0x0501, 'd' }, { 0x051B, 'q' }, { 0x051D, 'w' },
};

char names_lookalike(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(lookalikes) / sizeof(lookalikes[0]);

	if (cp >= 0xFF21 && cp <= 0xFF5A && (cp <= 0xFF3A || cp >= 0xFF41))
		return (char)(cp - 0xFEE0); /* fullwidth Latin letters */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp == lookalikes[mid].cp)
			return lookalikes[mid].latin;
		if (cp < lookalikes[mid].cp)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static bool is_latin_letter(uint32_t cp)
{
	return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7);
}

static bool is_cyrillic_or_greek(uint32_t cp)
{
	return (cp >= 0x0370 && cp <= 0x03FF) || (cp >= 0x0400 && cp <= 0x052F) || (cp >= 0x1F00 && cp <= 0x1FFF);
}

static bool mixes_scripts(const char *s)
{
	bool latin = false, other = false;

	for (size_t n; *s; s += n) {
		uint32_t cp = text_decode(s, &n);
		latin = latin || is_latin_letter(cp);
		other = other || is_cyrillic_or_greek(cp);
	}
	return latin && other;
}

/* The name as a person may read it: hidden code points dropped, look-alike
 * letters folded.  Owned by the caller (free); NULL on ENOMEM. */
static char *skeleton(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t n; *s; s += n) {
		uint32_t cp = text_decode(s, &n);
		char latin = names_lookalike(cp);
		if (latin)
			*o++ = latin;
		else if (!text_is_hidden(cp))
			o += (memcpy(o, s, n), n);
	}
	*o = '\0';
	return out;
}

static int append_marked(struct buf *out, const char *s)
{
	for (size_t n; *s; s += n) {
		char code[16];
		uint32_t cp = text_decode(s, &n);
		int err = names_lookalike(cp) || text_is_hidden(cp)
				  ? buf_append(out, code, (size_t)snprintf(code, sizeof(code), "<U+%04X>", cp))
				  : buf_append(out, s, n);
		if (err)
			return -ENOMEM;
	}
	return buf_append(out, "", 1);
}

struct keyed {
	const char *skel, *name;
	size_t index;
};

static int by_skeleton(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->skel, ((const struct keyed *)b)->skel);
}

/* Sets alike[i] when name i looks like another name of the list without
 * being it: equal skeletons, sorted next to each other. */
static int mark_alike(const char *const *names, char *const *skel, size_t n, bool *alike)
{
	struct keyed *k = calloc(n + 1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		k[i] = (struct keyed){ skel[i], names[i], i };
	qsort(k, n, sizeof(*k), by_skeleton);
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		bool differ = false;
		for (; j + 1 < n && strcmp(k[j + 1].skel, k[i].skel) == 0; j++)
			if (strcmp(k[j + 1].name, k[i].name) != 0)
				differ = true;
		for (size_t m = i; m <= j; m++)
			alike[k[m].index] = differ;
		i = j;
	}
	free(k);
	return 0;
}

int names_shown(const char *const *names, size_t n, struct buf *out, size_t *offs)
{
	char **skel = calloc(n + 1, sizeof(*skel));
	bool *alike = calloc(n + 1, sizeof(*alike));
	int err = skel && alike ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && !err; i++)
		err = (skel[i] = skeleton(names[i])) ? 0 : -ENOMEM;
	err = err ? err : mark_alike(names, skel, n, alike);
	for (size_t i = 0; i < n && !err; i++) {
		offs[i] = out->len;
		if (alike[i] || mixes_scripts(names[i]))
			err = append_marked(out, names[i]);
		else
			err = text_append_visible(out, names[i], strlen(names[i])) || buf_append(out, "", 1) ? -ENOMEM : 0;
	}
	for (size_t i = 0; skel && i < n; i++)
		free(skel[i]);
	free(skel);
	free(alike);
	return err;
}
