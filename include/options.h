/* options: the command line, checked, into a struct options.  Nothing here
 * opens a file or starts anything. */
#ifndef KVMSTEAL_OPTIONS_H
#define KVMSTEAL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#define HOST_NAME_BYTES 256

struct options {
	double interval_s;
	unsigned long count; /* 0: until a signal */
	const char *output_path;
	const char *proc_root;
	const char *host_name;
	const char *prom_path;
	const char *cgroup_root; /* NULL: procfs only */
	bool text_format;    /* --format text: a table for a terminal */
	size_t max_line_bytes;
	bool vcpu_records;
};

/* Fills opt from argv.  True to run; false when the agent is to exit at
 * once with *status: 0 after --help or --version, EX_USAGE (64) after a
 * message on stderr. */
bool options_parse(int argc, char **argv, struct options *opt, int *status);

#endif
