/* emit: one tick's figures as NDJSON lines, schema version 1.
 *
 * Records are libcjson trees (cJSON escapes quotes, backslashes and control
 * bytes; every string given to it is already valid UTF-8) with keys in the
 * schema's order, printed by cJSON; percentages are formatted here as "%.2f"
 * so they always carry a decimal point.  The emitter keeps one tree per
 * record shape from tick to tick and points its values at each record's
 * text.  Lines are appended to a buffer that the caller writes with one
 * write(2). */
#ifndef KVMSTEAL_EMIT_H
#define KVMSTEAL_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "rate.h"
#include "text.h"

#define SCHEMA_VERSION 1
#define DEFAULT_MAX_LINE_BYTES 8000

struct emit_options {
	const char *host_name;  /* valid UTF-8, not empty */
	size_t max_line_bytes;  /* a longer VM line loses its vcpu array to vcpu records */
	bool vcpu_records;      /* always write vcpu records instead of the array */
};

struct emitter;

/* NULL when out of memory.  options is copied; its host_name is not, and
 * must outlive the emitter.  The caller frees it with emitter_free. */
struct emitter *emitter_new(const struct emit_options *options);
void emitter_free(struct emitter *emitter);

/* Appends the host record (when the host figures are valid) and one record
 * per VM, each line ending in '\n'.  Returns 0 or -ENOMEM (out keeps only
 * whole lines: it is cut back to its length at entry on failure). */
int emit_tick(struct emitter *emitter, const struct tick_figures *figures, struct buf *out);

#endif
