/* kvmsteal: how much CPU time QEMU/KVM guests wait for, from /proc alone.
 *
 * main() reads like a table of contents: options, proc root, output, the
 * baseline sample, then one tick per interval on absolute monotonic deadlines
 * (sample, compute, emit, write) until --count ticks or SIGTERM/SIGINT. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "emit.h"
#include "output.h"
#include "procfs.h"
#include "prom.h"
#include "rate.h"
#include "sample.h"
#include "service.h"
#include "table.h"
#include "text.h"

#define HOST_NAME_BYTES 256

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

struct options {
	double interval_s;
	unsigned long count; /* 0: until a signal */
	const char *output_path;
	const char *proc_root;
	const char *host_name;
	const char *prom_path;
	bool text_format;    /* --format text: a table for a terminal */
	size_t max_line_bytes;
	bool vcpu_records;
};

/* Everything one run holds; main() frees it in one place. */
struct agent {
	struct options options;
	int root_fd;
	struct output output;
	struct sampler *sampler;
	struct snapshot snaps[2];
	int prev;
	struct tick_figures figures;
	struct buf lines;
	struct emitter *emitter;
	struct prom_state prom;
	char host_name[TEXT_UTF8_MAX(HOST_NAME_BYTES)];
	long clk_tck;
	struct diag_limit sample_limit, overrun_limit;
};

static void usage(FILE *stream)
{
	fprintf(stream,
		"Usage: kvmsteal [OPTION]...\n"
		"Report the CPU time QEMU/KVM guests' vCPUs wait for a host CPU (their steal\n"
		"time), per vCPU and per VM, as newline-delimited JSON, from /proc alone.\n"
		"\n"
		"  -i, --interval SEC       seconds between samples, decimals allowed (default 10, min 0.1)\n"
		"  -c, --count N            write N ticks of records after the baseline sample, then exit\n"
		"  -o, --output FILE        append records to FILE (created 0640; default standard output)\n"
		"  -p, --proc-root DIR      read processes from DIR instead of /proc\n"
		"  -H, --host-name NAME     host_name in every record (default: gethostname())\n"
		"  -f, --format FORMAT      json (default: NDJSON records) or text (a table per tick)\n"
		"      --max-line-bytes N   longest VM line before its vCPUs move to vcpu records (default 8000)\n"
		"      --vcpu-records       always write one vcpu record per vCPU instead of the vcpu array\n"
		"      --prom-file PATH     also keep PATH, a Prometheus textfile (node_exporter), up to date\n"
		"  -h, --help               show this help and exit\n"
		"  -V, --version            show the version and exit\n"
		"\n"
		"Examples:\n"
		"  kvmsteal --interval 1 --count 5          five one-second ticks on stdout\n"
		"  kvmsteal -o /var/log/kvmsteal/kvmsteal.ndjson   run as a daemon; SIGHUP reopens FILE\n"
		"\n"
		"Exit status: 0 done or stopped by SIGTERM/SIGINT, 64 usage error, 66 proc root\n"
		"unreadable, 73 output cannot be opened, 71 out of memory.\n");
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

/* Applies one option with a value; -1 to go on, or EX_USAGE. */
static int set_option(struct options *opt, int ch, const char *arg)
{
	unsigned long value;

	switch (ch) {
	case 'i':
		if (parse_double(arg, &opt->interval_s) || opt->interval_s < 0.1 || opt->interval_s > 86400)
			return usage_error("--interval wants seconds from 0.1 to 86400", arg);
		return -1;
	case 'c':
		if (parse_ulong(arg, ULONG_MAX, &opt->count) || opt->count == 0)
			return usage_error("--count wants a positive whole number", arg);
		return -1;
	case 'H':
		if (!*arg || strlen(arg) >= HOST_NAME_BYTES)
			return usage_error("--host-name wants 1 to 255 bytes", arg);
		opt->host_name = arg;
		return -1;
	case 'f':
		if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0)
			return usage_error("--format wants json or text", arg);
		opt->text_format = strcmp(arg, "text") == 0;
		return -1;
	case 'L':
		if (parse_ulong(arg, 1 << 30, &value) || value < 512)
			return usage_error("--max-line-bytes wants a number of bytes, at least 512", arg);
		opt->max_line_bytes = value;
		return -1;
	case 'P':
		if (!*arg)
			return usage_error("--prom-file wants a path", arg);
		opt->prom_path = arg;
		return -1;
	}
	if (ch == 'o')
		opt->output_path = arg;
	else
		opt->proc_root = arg;
	return -1;
}

/* Returns -1 to go on, or the exit status (0 after --help/--version). */
static int parse_options(int argc, char **argv, struct options *opt)
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, status;

	*opt = (struct options){ .interval_s = 10, .proc_root = "/proc",
				 .max_line_bytes = DEFAULT_MAX_LINE_BYTES };
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":i:c:o:p:H:f:hV", long_options, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			return 0;
		}
		if (ch == 'V') {
			printf("kvmsteal %s\n", KVMSTEAL_VERSION);
			return 0;
		}
		if (ch == 'R') {
			opt->vcpu_records = true;
			continue;
		}
		if (ch == ':')
			return usage_error("option needs a value", argv[optind - 1]);
		if (!strchr("icopHfLP", ch) || ch == 0)
			return usage_error("unknown option", argv[optind - 1]);
		if ((status = set_option(opt, ch, optarg)) >= 0)
			return status;
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	return -1;
}

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hangup(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* a write goes on; the sleep wakes (never restarted) */
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hangup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN; /* a closed pipe shows up as EPIPE from write */
	sigaction(SIGPIPE, &sa, NULL);
}

/* Each kept-open schedstat fd is one thread: let the hard limit decide. */
static void raise_fd_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
}

static double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_host_name(struct agent *a)
{
	char raw[HOST_NAME_BYTES] = "";
	const char *name = a->options.host_name;

	if (!name) {
		if (gethostname(raw, sizeof(raw) - 1) != 0 || raw[0] == '\0')
			snprintf(raw, sizeof(raw), "localhost");
		name = raw;
	}
	text_to_utf8(name, strlen(name), a->host_name);
}

/* Samples into the free slot; returns 0 or -errno (root unreadable). */
static int take_sample(struct agent *a, struct snapshot *snap)
{
	int err;

	snap->mono_s = monotonic_seconds();
	clock_gettime(CLOCK_REALTIME, &snap->real);
	err = sampler_take(a->sampler, snap);
	if (err && err != -ENOMEM)
		diag_limited(&a->sample_limit, 60, "cannot list processes under %s: %s",
			     a->options.proc_root, strerror(-err));
	return err;
}

static void reopen_if_asked(struct agent *a)
{
	int err;

	if (!reopen_requested)
		return;
	reopen_requested = 0;
	err = output_reopen(&a->output);
	if (err)
		diag("cannot reopen %s: %s; still writing to the old file", a->output.path, strerror(-err));
}

/* Waits up to left seconds; true when the output is a pipe whose reader has
 * gone (poll reports POLLERR on a pipe without readers), so that
 * `kvmsteal | head -1` ends as soon as head does, not a tick later. */
static bool reader_gone_within(const struct agent *a, double left)
{
	struct pollfd pipe_end = { .fd = a->output.fd, .events = 0 };
	struct timespec ts = { .tv_sec = (time_t)left };

	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	if (!a->output.pipe) {
		nanosleep(&ts, NULL);
		return false;
	}
	return ppoll(&pipe_end, 1, &ts, NULL) > 0 && (pipe_end.revents & (POLLERR | POLLHUP));
}

/* Sleeps until the absolute monotonic deadline (a signal or a SIGHUP wakes it
 * early: it goes back to sleep); false when it is time to stop. */
static bool sleep_until(struct agent *a, double deadline)
{
	while (!stop_requested) {
		double left;
		reopen_if_asked(a);
		left = deadline - monotonic_seconds();
		if (left <= 0)
			return true;
		if (reader_gone_within(a, left))
			return false;
	}
	return false;
}

/* Writes one tick's lines; returns 0, or -EPIPE when nobody reads any more. */
static int write_tick(struct agent *a)
{
	if (reopen_requested || output_was_moved(&a->output)) {
		int err = output_reopen(&a->output);
		reopen_requested = 0;
		if (err)
			diag_limited(&a->output.write_limit, 60, "cannot reopen %s: %s",
				     a->output.path, strerror(-err));
	}
	return output_write(&a->output, a->lines.data, a->lines.len);
}

/* One tick: sample, compute against the previous sample, emit, write. */
static int run_tick(struct agent *a)
{
	struct snapshot *prev = &a->snaps[a->prev], *cur = &a->snaps[!a->prev];
	int err = take_sample(a, cur);

	if (err)
		return err == -ENOMEM ? err : 0; /* keep prev: the next delta spans both */
	err = rate_compute(prev, cur, a->clk_tck, &a->figures);
	a->prev = !a->prev;
	if (err)
		return err == -ENOMEM ? err : 0;
	a->lines.len = 0;
	err = a->options.text_format ? table_tick(&a->figures, &a->lines)
				     : emit_tick(a->emitter, &a->figures, &a->lines);
	if (err)
		return err;
	err = write_tick(a);
	if (err == -EPIPE)
		return err;
	if (a->options.prom_path) {
		if (prom_update(&a->prom, &a->figures))
			return -ENOMEM;
		prom_write(&a->prom, a->options.prom_path);
	}
	return 0;
}

static int run_loop(struct agent *a)
{
	double interval = a->options.interval_s;
	double deadline = a->snaps[a->prev].mono_s + interval;

	for (unsigned long tick = 0; a->options.count == 0 || tick < a->options.count; tick++) {
		int err;
		if (!sleep_until(a, deadline))
			return 0; /* SIGTERM/SIGINT, or the reader of the pipe left */
		err = run_tick(a);
		if (err == -EPIPE)
			return 0; /* the reader left (kvmsteal | head): nothing to report */
		if (err)
			return EX_OSERR;
		deadline += interval;
		double now = monotonic_seconds();
		if (deadline <= now) {
			diag_limited(&a->overrun_limit, 300, "a tick took longer than --interval; skipping to the next deadline");
			deadline += ceil((now - deadline) / interval) * interval;
		}
	}
	return 0;
}

static int open_everything(struct agent *a)
{
	struct emit_options emit = { .host_name = a->host_name,
				     .max_line_bytes = a->options.max_line_bytes,
				     .vcpu_records = a->options.vcpu_records };
	int err;

	a->root_fd = procfs_open_dir(AT_FDCWD, a->options.proc_root);
	if (a->root_fd < 0) {
		diag("cannot open the proc root %s: %s", a->options.proc_root, strerror(-a->root_fd));
		return EX_NOINPUT;
	}
	err = output_open(&a->output, a->options.output_path);
	if (err) {
		diag("cannot open the output %s: %s", a->options.output_path, strerror(-err));
		return EX_CANTCREAT;
	}
	a->emitter = emitter_new(&emit);
	a->sampler = sampler_new(a->root_fd);
	if (!a->sampler || !a->emitter) {
		diag("out of memory at start");
		return EX_OSERR;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct agent agent = { .root_fd = -1, .output = { .fd = -1 } };
	int status = parse_options(argc, argv, &agent.options);

	if (status >= 0)
		return status;
	install_signals();
	raise_fd_limit();
	set_host_name(&agent);
	agent.clk_tck = sysconf(_SC_CLK_TCK);
	agent.prom.clk_tck = agent.clk_tck;
	status = open_everything(&agent);
	if (status >= 0)
		goto cleanup;
	service_check_hidepid(agent.root_fd, agent.options.proc_root);
	if (take_sample(&agent, &agent.snaps[agent.prev]) == -ENOMEM) {
		status = EX_OSERR;
		goto cleanup;
	}
	service_notify("READY=1\nSTATUS=first sample taken");
	status = run_loop(&agent);
	service_notify("STOPPING=1");
cleanup:
	sampler_free(agent.sampler);
	emitter_free(agent.emitter);
	snapshot_free(&agent.snaps[0]);
	snapshot_free(&agent.snaps[1]);
	tick_figures_free(&agent.figures);
	prom_free(&agent.prom);
	buf_free(&agent.lines);
	output_close(&agent.output);
	if (agent.root_fd >= 0)
		close(agent.root_fd);
	return status;
}
