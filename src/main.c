/* kvmsteal: how much CPU time QEMU/KVM guests wait for, from /proc alone.
 *
 * main() reads like a table of contents: options, proc root, output, the
 * baseline sample, then one tick per interval on absolute monotonic deadlines
 * (sample, compute, emit, write) until --count ticks or SIGTERM/SIGINT. */
#include <errno.h>
#include <fcntl.h>
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
#include "options.h"
#include "output.h"
#include "procfs.h"
#include "prom.h"
#include "rate.h"
#include "sample.h"
#include "service.h"
#include "text.h"
#include "view.h"


static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t hangup_requested;
static volatile sig_atomic_t resize_requested;
static volatile sig_atomic_t suspend_requested;

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
	struct view view;
	bool ended_by_count;
	char host_name[TEXT_UTF8_MAX(HOST_NAME_BYTES)];
	long clk_tck;
	struct diag_limit sample_limit, overrun_limit, stopped_limit;
};

/* Every handler only sets the flag the main loop reads. */
static void on_signal(int sig)
{
	switch (sig) {
	case SIGHUP: hangup_requested = 1; break;
	case SIGWINCH: resize_requested = 1; break;
	case SIGTSTP: suspend_requested = 1; break;
	default: stop_requested = 1;
	}
}

static void set_handler(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* a write goes on; the sleep wakes (never restarted) */
	sa.sa_handler = handler;
	sigaction(sig, &sa, NULL);
}

static void install_signals(void)
{
	set_handler(SIGTERM, on_signal);
	set_handler(SIGINT, on_signal);
	set_handler(SIGHUP, on_signal);
	set_handler(SIGWINCH, on_signal);
	set_handler(SIGPIPE, SIG_IGN); /* a closed pipe shows up as EPIPE from write */
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

/* Why a file cannot be opened, in the words an operator needs. */
static const char *open_error(int err)
{
	if (err == -ELOOP)
		return "it is a symbolic link, and kvmsteal writes only through the real path";
	if (err == -EWOULDBLOCK)
		return "another kvmsteal is writing it (it holds its lock)";
	return strerror(-err);
}

/* SIGHUP on a file output: reopen it (logrotate's postrotate). */
static void reopen_if_asked(struct agent *a)
{
	int err;

	if (!hangup_requested || !a->output.path)
		return;
	hangup_requested = 0;
	err = output_reopen(&a->output);
	if (err)
		diag("cannot reopen %s: %s; still writing to the old file", a->output.path, open_error(err));
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

enum wake { WAKE_TICK, WAKE_STOP, WAKE_READER_GONE, WAKE_AGAIN };

/* The live view's wait: keys and window resizes are handled as they come
 * (a redraw of the last figures), ticks stay on their deadlines.  q quits;
 * a terminal that hangs up ends the agent as SIGHUP does. */
static enum wake wait_live(struct agent *a, double left)
{
	struct pollfd keys = { .fd = a->view.screen.keys ? a->view.screen.in_fd : -1, .events = POLLIN };
	struct timespec ts = { .tv_sec = (time_t)left };
	int ready;

	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	ready = ppoll(&keys, 1, &ts, NULL);
	if (resize_requested) {
		resize_requested = 0;
		if (view_resize(&a->view))
			return WAKE_STOP;
	}
	if (suspend_requested) {
		suspend_requested = 0;
		if (view_suspend(&a->view))
			return WAKE_STOP;
	}
	if (ready > 0 && (keys.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(keys.revents & POLLIN))
		return WAKE_STOP;
	for (int key; ready > 0 && (key = screen_key(&a->view.screen)) >= 0;)
		if (view_key(&a->view, key))
			return WAKE_STOP;
	return WAKE_AGAIN;
}

/* Sleeps until the absolute monotonic deadline (a signal wakes it early: it
 * goes back to sleep).  SIGHUP with standard output as the output (a
 * terminal, a pipe) means the session is gone: stop, as an interactive
 * program does; with a file it means reopen. */
static enum wake sleep_until(struct agent *a, double deadline)
{
	while (!stop_requested) {
		double left;
		if (hangup_requested && !a->output.path)
			return WAKE_STOP;
		reopen_if_asked(a);
		left = deadline - monotonic_seconds();
		if (left <= 0)
			return WAKE_TICK;
		if (a->view.live) {
			if (wait_live(a, left) == WAKE_STOP)
				return WAKE_STOP;
			continue;
		}
		if (reader_gone_within(a, left))
			return WAKE_READER_GONE;
	}
	return WAKE_STOP;
}

/* `kvmsteal | head` ends with 0: nothing is wrong.  A FIFO given as --output
 * is a pipeline a supervisor set up: its reader leaving is an error, so that
 * Restart=on-failure brings the agent back once a reader is there. */
static int reader_gone_status(const struct agent *a)
{
	if (!a->output.path)
		return 0;
	diag("the reader of %s went away; exiting with status %d so that a supervisor restarts kvmsteal",
	     a->output.path, EX_IOERR);
	return EX_IOERR;
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A tick ended past the next deadline: was the time lost in the tick
 * (reading took too long) or before it (the agent stopped by SIGSTOP, not
 * scheduled, the host suspended)?  The figures are right either way: they
 * cover the measured interval. */
static void report_overrun(struct agent *a, double late_by, double tick_s, double tick_cpu_s)
{
	if (tick_s >= a->options.interval_s || late_by < tick_s)
		diag_limited(&a->overrun_limit, 300, "a tick took %.2f s (%.2f s of CPU), longer than --interval %.2f; "
			     "skipping to the next deadline", tick_s, tick_cpu_s, a->options.interval_s);
	else
		diag_limited(&a->stopped_limit, 300, "the agent did not run for %.1f s (stopped by SIGSTOP, or the host "
			     "suspended); the tick's figures cover the measured interval; skipping to the next deadline",
			     late_by);
}

/* Writes one tick's lines; returns 0, or -EPIPE when nobody reads any more. */
static int write_tick(struct agent *a)
{
	if ((hangup_requested && a->output.path) || output_was_moved(&a->output)) {
		int err = output_reopen(&a->output);
		hangup_requested = 0;
		if (err)
			diag_limited(&a->output.write_limit, 60, "cannot reopen %s: %s; still writing to the old file",
				     a->output.path, open_error(err));
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
	err = a->options.text_format ? view_tick(&a->view, &a->figures, &a->lines)
				     : emit_tick(a->emitter, &a->figures, &a->lines);
	if (err)
		return err == -EIO ? -EPIPE : err; /* the terminal is gone */
	err = a->view.live ? 0 : write_tick(a);
	if (err == -EPIPE)
		return err;
	if (a->options.prom_path) {
		if (prom_update(&a->prom, &a->figures))
			return -ENOMEM;
		prom_write(&a->prom);
	}
	return 0;
}

static int run_loop(struct agent *a)
{
	double interval = a->options.interval_s;
	double deadline = a->snaps[a->prev].mono_s + interval;

	for (unsigned long tick = 0; a->options.count == 0 || tick < a->options.count; tick++) {
		enum wake wake = sleep_until(a, deadline);
		double start, cpu0, now;
		int err;
		if (wake != WAKE_TICK)
			return wake == WAKE_READER_GONE ? reader_gone_status(a) : 0;
		start = monotonic_seconds();
		cpu0 = cpu_seconds();
		err = run_tick(a);
		if (err == -EPIPE)
			return reader_gone_status(a);
		if (err)
			return EX_OSERR;
		now = monotonic_seconds();
		if (deadline + interval <= now) {
			report_overrun(a, start - deadline, now - start, cpu_seconds() - cpu0);
			deadline += ceil((now - deadline) / interval) * interval;
		} else {
			deadline += interval;
		}
	}
	a->ended_by_count = true;
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
		diag("cannot open the output %s: %s", a->options.output_path, open_error(err));
		return EX_CANTCREAT;
	}
	if (a->options.prom_path && (err = prom_open(&a->prom, a->options.prom_path))) {
		diag("cannot keep the Prometheus textfile %s: %s%s", a->options.prom_path, open_error(err),
		     err == -EACCES ? " (the agent's user must be able to create files in its directory: "
				      "see kvmsteal(8) and the README's Prometheus recipe)" : "");
		return EX_CANTCREAT;
	}
	if (a->options.text_format &&
	    view_open(&a->view, !a->options.output_path && isatty(a->output.fd), STDIN_FILENO, a->output.fd,
		      a->options.interval_s)) {
		diag("cannot take the terminal for the text view");
		return EX_IOERR;
	}
	if (a->view.live) /* elsewhere Ctrl-Z stops the agent as it stops any program */
		set_handler(SIGTSTP, on_signal);
	a->emitter = emitter_new(&emit);
	a->sampler = sampler_new(a->root_fd);
	if (!a->sampler || !a->emitter) {
		diag("out of memory at start");
		return EX_OSERR;
	}
	if (a->options.cgroup_root && (err = sampler_use_cgroups(a->sampler, a->options.cgroup_root))) {
		diag("cannot open the cgroup root %s: %s", a->options.cgroup_root, strerror(-err));
		return EX_NOINPUT;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct agent agent = { .root_fd = -1, .output = { .fd = -1 } };
	int status = options_parse(argc, argv, &agent.options);

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
	view_close(&agent.view, agent.ended_by_count);
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
