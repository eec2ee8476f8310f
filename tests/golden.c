/* golden: the computation on two fixture trees, with fixed clocks.
 *
 *   golden T0DIR T1DIR [--vcpu-records | --text] [--prom FILE] [--interval SEC]
 *
 * Samples T0DIR, then T1DIR (each with a sampler of its own: nothing carries
 * over but what the snapshots hold), pretends they were taken 10 s apart at
 * 2026-06-01T12:00:00Z (or --interval apart: a tree from
 * scripts/capture-fixture) with USER_HZ 100, and writes the tick's NDJSON to
 * stdout, for tests/cli.sh to compare with the case's expected.ndjson. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"
#include "holders.h"
#include "procfs.h"
#include "prom.h"
#include "rate.h"
#include "table.h"
#include "sample.h"
#include "table.h"

#define GOLDEN_T0_REALTIME 1780315200 /* 2026-06-01T12:00:00Z */
#define GOLDEN_INTERVAL_S 10
#define GOLDEN_CLK_TCK 100

static int take(const char *root, const char *cgroup_root, double offset_s, struct snapshot *snap)
{
	int root_fd = procfs_open_dir(AT_FDCWD, root);
	struct sampler *sampler;
	int err;

	if (root_fd < 0) {
		fprintf(stderr, "golden: cannot open %s\n", root);
		return -1;
	}
	sampler = sampler_new(root_fd);
	err = sampler ? 0 : -1;
	if (err == 0 && cgroup_root && sampler_use_cgroups(sampler, cgroup_root)) {
		fprintf(stderr, "golden: cannot open %s\n", cgroup_root);
		err = -1;
	}
	err = err ? err : sampler_take(sampler, snap);
	snap->mono_s = 1000.0 + offset_s;
	snap->real.tv_sec = GOLDEN_T0_REALTIME + (time_t)offset_s;
	snap->real.tv_nsec = (long)((offset_s - (double)(time_t)offset_s) * 1e9);
	sampler_free(sampler);
	close(root_fd);
	return err;
}

struct golden_args {
	const char *t0, *t1, *prom_path, *cg0, *cg1;
	bool vcpu_records, text;
	double interval_s;
};

static int parse_args(int argc, char **argv, struct golden_args *g)
{
	*g = (struct golden_args){ .interval_s = GOLDEN_INTERVAL_S };
	if (argc < 3)
		return -1;
	g->t0 = argv[1];
	g->t1 = argv[2];
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--vcpu-records") == 0)
			g->vcpu_records = true;
		else if (strcmp(argv[i], "--text") == 0)
			g->text = true;
		else if (strcmp(argv[i], "--prom") == 0 && i + 1 < argc)
			g->prom_path = argv[++i];
		else if (strcmp(argv[i], "--cgroup-roots") == 0 && i + 2 < argc) {
			g->cg0 = argv[++i];
			g->cg1 = argv[++i];
		}
		else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc && (g->interval_s = atof(argv[++i])) > 0)
			continue;
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct snapshot t0 = { 0 }, t1 = { 0 };
	struct tick_figures figures = { 0 };
	struct buf lines = { 0 };
	struct emit_options options = { .host_name = "hv-test", .max_line_bytes = DEFAULT_MAX_LINE_BYTES };
	struct emitter *emitter = NULL;
	struct prom_state prom = { .clk_tck = GOLDEN_CLK_TCK };
	struct golden_args g;
	struct table_view piped = { 0 }; /* the piped form, ASCII names */
	int status = 1;

	if (parse_args(argc, argv, &g)) {
		fprintf(stderr, "usage: golden T0DIR T1DIR [--vcpu-records | --text] [--prom FILE] [--interval SEC] [--cgroup-roots CG0 CG1]\n");
		return 2;
	}
	options.vcpu_records = g.vcpu_records;
	emitter = emitter_new(&options);
	if (emitter && take(g.t0, g.cg0, 0, &t0) == 0 && take(g.t1, g.cg1, g.interval_s, &t1) == 0 &&
	    rate_compute(&t0, &t1, GOLDEN_CLK_TCK, &figures) == 0 && holders_compute(&t0, &t1, GOLDEN_CLK_TCK, &figures) == 0 &&
	    (g.text ? table_render(&figures, NULL, &piped, &lines, NULL) : emit_tick(emitter, &figures, &lines)) == 0 &&
	    fwrite(lines.data, 1, lines.len, stdout) == lines.len)
		status = 0;
	if (status == 0 && g.prom_path && (prom_open(&prom, g.prom_path) || prom_update(&prom, &figures) || prom_write(&prom)))
		status = 1;
	prom_free(&prom);
	emitter_free(emitter);
	snapshot_free(&t0);
	snapshot_free(&t1);
	tick_figures_free(&figures);
	buf_free(&lines);
	return status;
}
