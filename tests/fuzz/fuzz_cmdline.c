/* libFuzzer target: the QEMU command-line parser and the UTF-8 guard its
 * name goes through.  Invariants: no crash, the name is never longer than the
 * input, and the guarded name is valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>

#include "parse.h"
#include "qemu_args.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qemu_args args;
	char *safe;

	parse_qemu_cmdline((const char *)data, size, &args);
	parse_is_qemu_argv0((const char *)data, size);
	if (args.name) {
		if (args.name_len > size)
			abort();
		safe = malloc(TEXT_UTF8_MAX(args.name_len));
		if (safe && !text_is_utf8(safe, text_to_utf8(args.name, args.name_len, safe)))
			abort();
		free(safe);
	}
	qemu_args_free(&args);
	return 0;
}
