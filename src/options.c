#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "diag.h"
#include "emit.h"

static void usage(FILE *stream)
{
	fprintf(stream,
		"Usage: kvmsteal [OPTION]...\n"
		"Report the CPU time QEMU/KVM guests' vCPUs wait for a host CPU (their steal\n"
		"time), per vCPU and per VM, as newline-delimited JSON, from /proc alone.\n"
		"\n"
		"  -i, --interval SEC       seconds between samples, decimals allowed (default 10, min 0.1)\n"
		"  -c, --count N            write N ticks of records after the baseline sample, then exit\n"
		"  -o, --output FILE        append records to FILE (created 0640, never through a symlink;\n"
		"                           default standard output)\n"
		"  -p, --proc-root DIR      read processes from DIR instead of /proc\n"
		"      --cgroup-root DIR    also read the vCPUs' cgroups under DIR (normally /sys/fs/cgroup)\n"
		"                           to tell CPU-limit throttling from contention\n"
		"  -H, --host-name NAME     host_name in every record (default: gethostname())\n"
		"  -f, --format FORMAT      json (default: NDJSON records) or text (at a terminal, a screen\n"
		"                           redrawn each tick, q quits, s sorts; else a table per tick)\n"
		"      --max-line-bytes N   longest VM line before its vCPUs move to vcpu records (default 8000)\n"
		"      --vcpu-records       always write one vcpu record per vCPU instead of the vcpu array\n"
		"      --prom-file PATH     also keep PATH, a Prometheus textfile (node_exporter), up to date\n"
		"                           (mode 0644)\n"
		"  -h, --help               show this help and exit\n"
		"  -V, --version            show the version and exit\n"
		"\n"
		"Examples:\n"
		"  kvmsteal --interval 1 --count 5          five one-second ticks on stdout\n"
		"  kvmsteal -o /var/log/kvmsteal/kvmsteal.ndjson   run as a daemon; SIGHUP reopens FILE\n"
		"\n"
		"SIGHUP reopens --output FILE; with standard output (a terminal, a pipe) it ends kvmsteal.\n"
		"\n"
		"Exit status: 0 done, stopped by SIGTERM/SIGINT/SIGHUP, or the reader of standard output\n"
		"left; 64 usage error; 66 proc root or cgroup root unreadable; 71 out of memory; 73 output\n"
		"or textfile cannot be opened (or another kvmsteal holds it); 74 the reader of an --output\n"
		"FIFO left, or the terminal cannot be taken for the view.  Reference: kvmsteal(8).\n");
}

static int parse_double(const char *text, double *out)
{
	char *end;
	double value;

	errno = 0;
	value = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(value))
		return -1;
	*out = value;
	return 0;
}

static int parse_ulong(const char *text, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long value;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || *end || value > max)
		return -1;
	*out = value;
	return 0;
}

static int usage_error(const char *message, const char *value)
{
	diag("%s: '%s' (see kvmsteal --help)", message, value ? value : "");
	return EX_USAGE;
}

/* Applies one option with a value; 0, or EX_USAGE after a message. */
static int set_option(struct options *opt, int ch, const char *arg)
{
	unsigned long value;

	switch (ch) {
	case 'i':
		if (parse_double(arg, &opt->interval_s) || opt->interval_s < 0.1 || opt->interval_s > 86400)
			return usage_error("--interval wants seconds from 0.1 to 86400", arg);
		return 0;
	case 'c':
		if (parse_ulong(arg, ULONG_MAX, &opt->count) || opt->count == 0)
			return usage_error("--count wants a positive whole number", arg);
		return 0;
	case 'H':
		if (!*arg || strlen(arg) >= HOST_NAME_BYTES)
			return usage_error("--host-name wants 1 to 255 bytes", arg);
		opt->host_name = arg;
		return 0;
	case 'f':
		if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0)
			return usage_error("--format wants json or text", arg);
		opt->text_format = strcmp(arg, "text") == 0;
		return 0;
	case 'L':
		if (parse_ulong(arg, 1 << 30, &value) || value < 512)
			return usage_error("--max-line-bytes wants a number of bytes, at least 512", arg);
		opt->max_line_bytes = value;
		return 0;
	case 'P':
		if (!*arg)
			return usage_error("--prom-file wants a path", arg);
		opt->prom_path = arg;
		return 0;
	case 'G':
		if (!*arg)
			return usage_error("--cgroup-root wants the cgroup filesystem's directory", arg);
		opt->cgroup_root = arg;
		return 0;
	}
	if (ch == 'o')
		opt->output_path = arg;
	else
		opt->proc_root = arg;
	return 0;
}

bool options_parse(int argc, char **argv, struct options *opt, int *status)
{
	static const struct option long_options[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "proc-root", required_argument, NULL, 'p' },
		{ "host-name", required_argument, NULL, 'H' },
		{ "format", required_argument, NULL, 'f' },
		{ "max-line-bytes", required_argument, NULL, 'L' },
		{ "vcpu-records", no_argument, NULL, 'R' },
		{ "prom-file", required_argument, NULL, 'P' },
		{ "cgroup-root", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*status = 0;
	*opt = (struct options){ .interval_s = 10, .proc_root = "/proc",
				 .max_line_bytes = DEFAULT_MAX_LINE_BYTES };
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":i:c:o:p:H:f:hV", long_options, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			return false;
		}
		if (ch == 'V') {
			printf("kvmsteal %s\n", KVMSTEAL_VERSION);
			return false;
		}
		if (ch == 'R') {
			opt->vcpu_records = true;
			continue;
		}
		if (ch == ':')
			*status = usage_error("option needs a value", argv[optind - 1]);
		else if (!strchr("icopHfLPG", ch) || ch == 0)
			*status = usage_error("unknown option", argv[optind - 1]);
		else
			*status = set_option(opt, ch, optarg);
		if (*status)
			return false;
	}
	if (optind < argc) {
		*status = usage_error("unexpected argument", argv[optind]);
		return false;
	}
	return true;
}
