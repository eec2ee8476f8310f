/* kvmsteal: how much CPU time QEMU/KVM guests wait for, from /proc alone.
 *
 * main() reads like a table of contents: options, signals, the proc root and
 * the outputs, the baseline sample, the loop (loop.h), and one cleanup. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#include "loop.h"
#include "procfs.h"
#include "service.h"
#include "signals.h"

/* Each kept-open schedstat fd is one thread: let the hard limit decide. */
static void raise_fd_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
}

/* --host-name, or gethostname(), as valid UTF-8 in out. */
static void host_name(const struct options *o, char out[TEXT_UTF8_MAX(HOST_NAME_BYTES)])
{
	char raw[HOST_NAME_BYTES] = "";
	const char *name = o->host_name;

	if (!name) {
		if (gethostname(raw, sizeof(raw) - 1) != 0 || raw[0] == '\0')
			snprintf(raw, sizeof(raw), "localhost");
		name = raw;
	}
	text_to_utf8(name, strlen(name), out);
}

static int open_outputs(struct agent *a)
{
	int err = output_open(&a->output, a->options.output_path);

	if (err) {
		diag("cannot open the output %s: %s", a->options.output_path, loop_open_error(err));
		return EX_CANTCREAT;
	}
	if (a->options.prom_path && (err = prom_open(&a->prom, a->options.prom_path))) {
		diag("cannot keep the Prometheus textfile %s: %s%s", a->options.prom_path, loop_open_error(err),
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
	return 0;
}

/* The proc root, the outputs, the emitter and the sampler; 0 or an exit status. */
static int open_everything(struct agent *a, const char *host)
{
	struct emit_options emit = { .host_name = host, .max_line_bytes = a->options.max_line_bytes,
				     .vcpu_records = a->options.vcpu_records };
	int status, err;

	a->root_fd = procfs_open_dir(AT_FDCWD, a->options.proc_root);
	if (a->root_fd < 0) {
		diag("cannot open the proc root %s: %s", a->options.proc_root, strerror(-a->root_fd));
		return EX_NOINPUT;
	}
	if ((status = open_outputs(a)))
		return status;
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
	return 0;
}

static void close_everything(struct agent *a)
{
	view_close(&a->view, a->ended_by_count);
	sampler_free(a->sampler);
	emitter_free(a->emitter);
	snapshot_free(&a->snaps[0]);
	snapshot_free(&a->snaps[1]);
	tick_figures_free(&a->figures);
	prom_free(&a->prom);
	buf_free(&a->lines);
	output_close(&a->output);
	if (a->root_fd >= 0)
		close(a->root_fd);
}

int main(int argc, char **argv)
{
	struct agent agent = { .root_fd = -1, .output = { .fd = -1 } };
	char host[TEXT_UTF8_MAX(HOST_NAME_BYTES)];
	int status;

	if (!options_parse(argc, argv, &agent.options, &status))
		return status; /* --help, --version, or a usage error */
	signals_install();
	raise_fd_limit();
	host_name(&agent.options, host);
	agent.clk_tck = sysconf(_SC_CLK_TCK);
	agent.prom.clk_tck = agent.clk_tck;
	if ((status = open_everything(&agent, host)))
		goto cleanup;
	service_check_hidepid(agent.root_fd, agent.options.proc_root);
	if (loop_first_sample(&agent)) {
		status = EX_OSERR;
		goto cleanup;
	}
	service_notify("READY=1\nSTATUS=first sample taken");
	status = loop_run(&agent);
	service_notify("STOPPING=1");
cleanup:
	close_everything(&agent);
	return status;
}
