/* libFuzzer target: the JSON string path of a VM name.  Arbitrary bytes go
 * through the UTF-8 guard into a cJSON string; the printed record must be
 * valid UTF-8 without raw control bytes, and parse back to the same string. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *safe = malloc(TEXT_UTF8_MAX(size));
	cJSON *object = cJSON_CreateObject(), *back;
	char *line;
	size_t len;

	if (!safe || !object)
		abort();
	len = text_to_utf8((const char *)data, size, safe);
	if (!text_is_utf8(safe, len) || !cJSON_AddStringToObject(object, "vm_name", safe))
		abort();
	line = cJSON_PrintUnformatted(object);
	if (!line || !text_is_utf8(line, strlen(line)))
		abort();
	for (const char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20)
			abort();
	back = cJSON_Parse(line);
	if (!back || strcmp(cJSON_GetObjectItemCaseSensitive(back, "vm_name")->valuestring, safe) != 0)
		abort();
	cJSON_Delete(back);
	cJSON_free(line);
	cJSON_Delete(object);
	free(safe);
	return 0;
}
