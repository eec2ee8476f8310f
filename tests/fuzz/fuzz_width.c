/* libFuzzer target: the terminal view's text fitting on any name (the
 * agent's names are valid UTF-8, but the fitting must hold on any bytes):
 * width_fit gives exactly the columns asked for, never a control byte, and
 * under UTF-8 never an invalid sequence (a character is never split). */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "width.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	free(name);
	return 0;
}
