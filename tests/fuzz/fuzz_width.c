/* libFuzzer target: the terminal view's text fitting on any name (the
 * agent's names are valid UTF-8, but the fitting must hold on any bytes):
 * width_fit gives exactly the columns asked for, never a control byte, and
 * under UTF-8 never an invalid sequence (a character is never split); and
 * a name as the view shows it (text_to_utf8, then names_shown beside a
 * look-alike of itself, then width_fit) never holds a hidden code point
 * (text_is_hidden: controls, bidi, invisible) as itself. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "text.h"
#include "width.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_hidden(const char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if (text_is_hidden(text_decode(s + i, &n)))
			abort();
}

/* The view's path: the name and a copy with its first byte dropped (they may
 * fold to the same skeleton), shown, then fitted at 40 columns. */
static void shown_holds_nothing_hidden(const uint8_t *data, size_t size)
{
	char *utf8 = malloc(TEXT_UTF8_MAX(size) + 1);
	struct buf shown = { 0 }, fitted = { 0 };
	size_t offs[2];
	const char *names[2];

	if (!utf8)
		return;
	text_to_utf8((const char *)data, size, utf8);
	names[0] = utf8;
	names[1] = utf8[0] ? utf8 + 1 : utf8;
	if (names_shown(names, 2, &shown, offs))
		abort();
	for (int i = 0; i < 2; i++) {
		const char *s = shown.data + offs[i];
		no_hidden(s, strlen(s));
		fitted.len = 0;
		if (width_fit(&fitted, s, 40, true))
			abort();
		no_hidden(fitted.data, fitted.len);
	}
	buf_free(&shown);
	buf_free(&fitted);
	free(utf8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool locale_set;
	char *name;

	if (!locale_set)
		locale_set = setlocale(LC_CTYPE, "C.UTF-8") != NULL;
	if (size < 1 || !(name = strndup((const char *)data + 1, size - 1)))
		return 0;
	for (int utf8 = 0; utf8 <= 1; utf8++) {
		struct buf out = { 0 };
		int columns = data[0] % 64;
		if (width_fit(&out, name, columns, utf8) != 0)
			abort();
		if (buf_append(&out, "", 1) != 0)
			abort();
		if (width_of(out.data, utf8) != columns)
			abort();
		for (size_t i = 0; i + 1 < out.len; i++)
			if ((unsigned char)out.data[i] < 0x20 || out.data[i] == 0x7F || (!utf8 && (unsigned char)out.data[i] >= 0x80))
				abort();
		if (utf8 && !text_is_utf8(out.data, out.len - 1))
			abort();
		buf_free(&out);
	}
	shown_holds_nothing_hidden(data, size);
	free(name);
	return 0;
}
