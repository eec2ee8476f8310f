#include "loop.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "holders.h"
#include "signals.h"

static double clock_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Samples into snap; returns 0 or -errno (root unreadable). */
static int take_sample(struct agent *a, struct snapshot *snap)
{
	int err;

	snap->mono_s = clock_seconds(CLOCK_MONOTONIC);
	clock_gettime(CLOCK_REALTIME, &snap->real);
	err = sampler_take(a->sampler, snap);
	if (err && err != -ENOMEM)
		diag_limited(&a->sample_limit, 60, "cannot list processes under %s: %s",
			     a->options.proc_root, strerror(-err));
	return err;
}

/* A sample's time is taken as it starts, and its counters are read in the
 * moments after.  The very first sample also finds every VM (command lines,
 * names, fds opened): its counters are read up to hundreds of ms after its
 * time (seen under the sanitizers), which would shorten the first interval's
 * counted time against its measured length (7 % low in one CI run).  So the
 * first sample finds, and a second one, read as every later one is, is the
 * baseline. */
int loop_first_sample(struct agent *a)
{
	if (take_sample(a, &a->snaps[a->prev]) == -ENOMEM)
		return -ENOMEM;
	return take_sample(a, &a->snaps[a->prev]) == -ENOMEM ? -ENOMEM : 0;
}

const char *loop_open_error(int err)
{
	if (err == -ELOOP)
		return "it is a symbolic link, and kvmsteal writes only through the real path";
	if (err == -EWOULDBLOCK)
		return "another kvmsteal is writing it (it holds its lock)";
	return strerror(-err);
}

/* SIGHUP on a file output, or its path renamed (logrotate): reopen it.
 * Asked by SIGHUP, a failure is always said; found at a tick, once a minute. */
static void reopen(struct agent *a, bool asked)
{
	int err = output_reopen(&a->output);

	if (err && asked)
		diag("cannot reopen %s: %s; still writing to the old file", a->output.path, loop_open_error(err));
	else if (err)
		diag_limited(&a->output.write_limit, 60, "cannot reopen %s: %s; still writing to the old file",
			     a->output.path, loop_open_error(err));
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

enum wake { WAKE_TICK, WAKE_STOP, WAKE_READER_GONE };

/* Sleeps until the absolute monotonic deadline (a signal wakes it early: it
 * goes back to sleep).  SIGHUP with standard output as the output (a
 * terminal, a pipe) means the session is gone: stop, as an interactive
 * program does; with a file it means reopen. */
static enum wake sleep_until(struct agent *a, double deadline)
{
	while (!signals_pending(SIGNAL_STOP)) {
		double left;
		if (signals_pending(SIGNAL_HANGUP) && !a->output.path)
			return WAKE_STOP;
		if (a->output.path && signals_take(SIGNAL_HANGUP))
			reopen(a, true);
		left = deadline - clock_seconds(CLOCK_MONOTONIC);
		if (left <= 0)
			return WAKE_TICK;
		if (a->view.live) {
			if (view_wait(&a->view, left) == VIEW_QUIT)
				return WAKE_STOP;
		} else if (reader_gone_within(a, left)) {
			return WAKE_READER_GONE;
		}
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
	if ((a->output.path && signals_take(SIGNAL_HANGUP)) || output_was_moved(&a->output))
		reopen(a, false);
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
	err = err ? err : holders_compute(prev, cur, a->clk_tck, &a->figures);
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

int loop_run(struct agent *a)
{
	double interval = a->options.interval_s;
	double deadline = a->snaps[a->prev].mono_s + interval;

	for (unsigned long tick = 0; a->options.count == 0 || tick < a->options.count; tick++) {
		enum wake wake = sleep_until(a, deadline);
		double start, cpu0, now;
		int err;
		if (wake != WAKE_TICK)
			return wake == WAKE_READER_GONE ? reader_gone_status(a) : 0;
		start = clock_seconds(CLOCK_MONOTONIC);
		cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
		err = run_tick(a);
		if (err == -EPIPE)
			return reader_gone_status(a);
		if (err)
			return EX_OSERR;
		now = clock_seconds(CLOCK_MONOTONIC);
		if (deadline + interval <= now) {
			report_overrun(a, start - deadline, now - start, clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
			deadline += ceil((now - deadline) / interval) * interval;
		} else {
			deadline += interval;
		}
	}
	a->ended_by_count = true;
	return 0;
}
