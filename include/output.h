/* output: where the NDJSON lines go, written whole.
 *
 * A file is opened O_APPEND (mode 0640 when created) and reopened when
 * logrotate has moved it away; each tick is one write(2).  A short write to a
 * regular file (disk full) is cut back so no partial line stays behind. */
#ifndef KVMSTEAL_OUTPUT_H
#define KVMSTEAL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "diag.h"

struct output {
	const char *path; /* NULL: standard output (borrowed, not closed) */
	int fd;
	dev_t dev;
	ino_t ino;
	bool regular;
	bool pipe;        /* a pipe or FIFO: its reader can go away */
	bool tty;         /* standard output is a terminal, which can hang up */
	struct diag_limit write_limit;
	unsigned long dropped; /* ticks not written since the last that was: said when writing works again */
};

/* Opens path (or stdout when path is NULL), never through a symbolic link
 * (-ELOOP), and locks a regular file (-EWOULDBLOCK: another agent holds it).
 * If an existing file does not end in '\n' (an earlier crash), one is
 * written first so the torn line stays alone.  Returns 0 or -errno. */
int output_open(struct output *out, const char *path);

/* Reopens the path: on SIGHUP, or when the path no longer names the open file
 * (logrotate renamed it; a tailer stops reading the renamed file).  On
 * failure the old file stays open and in use. */
int output_reopen(struct output *out);
bool output_was_moved(const struct output *out);

/* Writes len bytes of whole lines.  Returns 0; -EPIPE when the reader is gone
 * (a pipe or FIFO without reader, or EIO from a terminal that hung up);
 * another -errno when the lines could not be written (already reported on
 * stderr, rate-limited) and were dropped whole. */
int output_write(struct output *out, const char *data, size_t len);

void output_close(struct output *out);

#endif
