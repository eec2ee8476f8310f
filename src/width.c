#include "width.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* One printable unit of s: its bytes (as written) and its columns. */
struct glyph {
	const char *bytes;
	size_t len;  /* bytes consumed from s */
	size_t out_len; /* bytes to write: len, or 1 for the '?' stand-in */
	int columns;
};

static const char question_mark[] = "?";

static struct glyph next_glyph(const char *s, bool utf8)
{
	struct glyph g = { s, 1, 1, 1 };
	mbstate_t state;
	wchar_t wc;
	size_t n;
	int w;

	if ((unsigned char)*s < 0x80) {
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			g.bytes = question_mark;
		return g;
	}
	if (!utf8) { /* one '?' for the whole character: the names are valid UTF-8 */
		g.bytes = question_mark;
		while ((s[g.len] & 0xC0) == 0x80)
			g.len++;
		return g;
	}
	memset(&state, 0, sizeof(state));
	n = mbrtowc(&wc, s, strlen(s), &state);
	w = n == (size_t)-1 || n == (size_t)-2 || n == 0 ? -1 : text_is_hidden((uint32_t)wc) ? -1 : wcwidth(wc);
	if (w < 0) { /* undecodable, not printable (C1) or hidden (bidi, Cf: names.h shows them first): '?' */
		g.bytes = question_mark;
		g.len = n == (size_t)-1 || n == (size_t)-2 || n == 0 ? 1 : n;
		return g;
	}
	g.len = g.out_len = n;
	g.columns = w;
	return g;
}

int width_of(const char *s, bool utf8)
{
	int columns = 0;

	while (*s) {
		struct glyph g = next_glyph(s, utf8);
		columns += g.columns;
		s += g.len;
	}
	return columns;
}

/* Appends glyphs of s while they fit in columns; returns the columns used,
 * or -1 on -ENOMEM.  *end is where it stopped in s. */
static int append_head(struct buf *out, const char *s, int columns, bool utf8, const char **end)
{
	int used = 0;

	while (*s) {
		struct glyph g = next_glyph(s, utf8);
		if (used + g.columns > columns)
			break;
		if (buf_append(out, g.bytes, g.out_len))
			return -1;
		used += g.columns;
		s += g.len;
	}
	*end = s;
	return used;
}

/* The byte offset in s from which its tail takes at most columns columns. */
static const char *tail_start(const char *s, int columns, bool utf8)
{
	int total = width_of(s, utf8);

	while (*s && total > columns) {
		struct glyph g = next_glyph(s, utf8);
		total -= g.columns;
		s += g.len;
	}
	return s;
}

static int pad(struct buf *out, int columns)
{
	for (; columns > 0; columns--)
		if (buf_append(out, " ", 1))
			return -1;
	return 0;
}

int width_cut(struct buf *out, const char *s, int columns, bool utf8)
{
	const char *end;

	return append_head(out, s, columns, utf8, &end) < 0 ? -1 : 0;
}

int width_fit(struct buf *out, const char *s, int columns, bool utf8)
{
	const char *marker = utf8 ? "…" : "~", *end;
	int head_cols, used;

	if (columns <= 0)
		return 0;
	if (width_of(s, utf8) <= columns) {
		used = append_head(out, s, columns, utf8, &end);
		return used < 0 || pad(out, columns - used) ? -1 : 0;
	}
	head_cols = columns / 2; /* the marker takes one column; the end keeps the rest */
	used = append_head(out, s, head_cols, utf8, &end);
	if (used < 0 || buf_append(out, marker, strlen(marker)))
		return -1;
	used += 1;
	{
		const char *tail = tail_start(end, columns - used, utf8);
		int tail_used = append_head(out, tail, columns - used, utf8, &end);
		if (tail_used < 0)
			return -1;
		used += tail_used;
	}
	return pad(out, columns - used);
}
