/* The text view's pieces on exact inputs: display widths (CJK, emoji,
 * combining marks, control bytes, ASCII fallback), names cut in the middle
 * without splitting a character, the per-VM history across PID reuse, and
 * tables fitted to a width (every line within it, columns given up in
 * order, the rows that fit and the count of the others). */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "history.h"
#include "names.h"
#include "screen.h"
#include "table.h"
#include "width.h"

static char fitted[256];

static const char *fit(const char *s, int columns, bool utf8)
{
	struct buf out = { 0 };

	CHECK(width_fit(&out, s, columns, utf8) == 0);
	snprintf(fitted, sizeof(fitted), "%.*s", (int)out.len, out.data ? out.data : "");
	buf_free(&out);
	return fitted;
}

static void test_widths(void)
{
	CHECK(width_of("web01", true) == 5);
	CHECK(width_of("データベース", true) == 12);    /* wide: two columns each */
	CHECK(width_of("web-🚀-01", true) == 9);       /* the emoji is wide */
	CHECK(width_of("cafe\xcc\x81", true) == 4);    /* e + combining acute: no column */
	CHECK(width_of("a\tb\x1b[31m", true) == 8);    /* controls become one '?' each */
	CHECK(width_of("データ", false) == 3);          /* ASCII fallback: one '?' a character */
	CHECK(width_of("\xc2\x85x", true) == 2);       /* C1 control NEL: '?' */
}

static void test_fit(void)
{
	CHECK_STR(fit("web01", 8, true), "web01   ");
	CHECK_STR(fit("production-database-server-01", 12, true), "produc…er-01");
	CHECK_STR(fit("production-database-server-02", 12, true), "produc…er-02");
	CHECK_STR(fit("production-database-server-01", 12, false), "produc~er-01");
	/* a wide character that would straddle the cut is left out, the gap padded */
	CHECK_STR(fit("データベース-01", 9, true), "デー…-01 ");
	CHECK(width_of(fit("データベース-01", 9, true), true) == 9);
	CHECK_STR(fit("a\x1b[2Jb", 6, true), "a?[2Jb");
	CHECK_STR(fit("データ", 6, false), "???   ");
	CHECK_STR(fit("x", 0, true), "");
	CHECK_STR(fit("abc", 1, true), "…");
}

static struct vm_sample vms[3];

/* names_shown on n names; the shown form of name i. */
static const char *shown(const char *const *names, size_t n, size_t i)
{
	static struct buf out;
	size_t offs[8];

	out.len = 0;
	if (n > 8 || names_shown(names, n, &out, offs))
		return NULL;
	return out.data + offs[i];
}

static void test_names_shown(void)
{
	const char *bidi[] = { "invoice\u202egpj.exe" };
	const char *twins[] = { "fb-db", "fb-db\u200b", "fb-d\u200db" };
	const char *lookalike[] = { "paypal", "p\u0430ypal" };
	const char *cyrillic[] = { "\u0430\u0440\u0440\u04cf\u0435", "apple" };
	const char *plain[] = { "\u0434\u0430\u0442\u0430", "web-01", "\u30c7\u30fc\u30bf-01", "\u0394\u03b9\u03ba" };
	const char *controls[] = { "x\x1b]0;owned\x07", "c1\xc2\x9b", "tag\U000E0041", "f\u3164", "s\u2028p" };

	CHECK_STR(shown(bidi, 1, 0), "invoice<U+202E>gpj.exe");
	CHECK_STR(shown(twins, 3, 0), "fb-db");
	CHECK_STR(shown(twins, 3, 1), "fb-db<U+200B>");
	CHECK_STR(shown(twins, 3, 2), "fb-d<U+200D>b");
	CHECK_STR(shown(lookalike, 2, 0), "paypal");
	CHECK_STR(shown(lookalike, 2, 1), "p<U+0430>ypal");
	/* all Cyrillic, so not mixed: marked only beside the Latin name it folds to */
	CHECK_STR(shown(cyrillic, 1, 0), "\u0430\u0440\u0440\u04cf\u0435");
	CHECK_STR(shown(cyrillic, 2, 0), "<U+0430><U+0440><U+0440><U+04CF><U+0435>");
	CHECK_STR(shown(cyrillic, 2, 1), "apple");
	/* one script each (Cyrillic, Latin, Japanese with digits, Greek): as they are */
	for (size_t i = 0; i < 4; i++)
		CHECK_STR(shown(plain, 4, i), plain[i]);
	CHECK_STR(shown(controls, 5, 0), "x<U+001B>]0;owned<U+0007>");
	CHECK_STR(shown(controls, 5, 1), "c1<U+009B>");
	CHECK_STR(shown(controls, 5, 2), "tag<U+E0041>");
	CHECK_STR(shown(controls, 5, 3), "f<U+3164>");
	CHECK_STR(shown(controls, 5, 4), "s<U+2028>p");
}

static void test_json_escape(void)
{
	struct buf b = { 0 };
	const char *line = "{\"vm_name\":\"a\u202eb\u00e9\U000E0041\xc2\x9b\"}";

	buf_append(&b, "keep", 4);
	buf_append(&b, line, strlen(line));
	CHECK(text_json_escape_hidden(&b, 4) == 0);
	buf_append(&b, "", 1);
	CHECK_STR(b.data, "keep{\"vm_name\":\"a\\u202eb\u00e9\\udb40\\udc41\\u009b\"}");
	b.len = 0;
	buf_append(&b, "{\"plain\":\"caf\u00e9\"}", strlen("{\"plain\":\"caf\u00e9\"}") + 1);
	CHECK(text_json_escape_hidden(&b, 0) == 0 && strcmp(b.data, "{\"plain\":\"caf\u00e9\"}") == 0);
	buf_free(&b);
}

static void one_tick(struct history *h, struct tick_figures *f, double steal)
{
	for (size_t i = 0; i < f->vm_count; i++) {
		f->vms[i].vcpu_count = 2;
		f->vms[i].steal_avg = steal + (double)i;
	}
	CHECK(history_update(h, f) == 0);
}

static void test_history(void)
{
	struct vm_figures figs[3] = { { .vm = &vms[0] }, { .vm = &vms[1] }, { .vm = &vms[2] } };
	struct tick_figures f = { .vms = figs, .vm_count = 2 };
	struct history h = { 0 };
	const struct vm_history *a;

	vms[0] = (struct vm_sample){ .pid = 100, .starttime = 5 };
	vms[1] = (struct vm_sample){ .pid = 200, .starttime = 7 };
	for (int t = 0; t < 3; t++)
		one_tick(&h, &f, 10.0 * t);
	a = history_find(&h, 100, 5);
	CHECK(a && a->count == 3 && history_at(a, 0) == 20.0f && history_at(a, 2) == 0.0f && history_at(a, 3) < 0);
	a = history_find(&h, 200, 7);
	CHECK(a && history_at(a, 0) == 21.0f);
	/* pid 200 reused by a new VM: its history starts again; pid 150 joins */
	vms[1] = (struct vm_sample){ .pid = 150, .starttime = 9 };
	vms[2] = (struct vm_sample){ .pid = 200, .starttime = 11 };
	f.vm_count = 3;
	one_tick(&h, &f, 50.0);
	CHECK(history_find(&h, 200, 7) == NULL);
	a = history_find(&h, 200, 11);
	CHECK(a && a->count == 1 && history_at(a, 0) == 52.0f);
	CHECK(history_find(&h, 100, 5)->count == 4);
	for (int t = 0; t < HISTORY_TICKS + 5; t++)
		one_tick(&h, &f, 1.0);
	CHECK(history_find(&h, 100, 5)->count == HISTORY_TICKS);
	history_free(&h);
}

/* Renders into out as a C string (strstr must not read a longer frame's tail). */
static int render(const struct tick_figures *f, const struct history *h, const struct table_view *v, struct buf *out)
{
	int err;

	struct table_shown shown;

	out->len = 0;
	err = table_render(f, h, v, out, &shown);
	if (err == 0 && v->nav)
		table_nav_follow((struct table_nav *)v->nav, &shown); /* as the view does after each render */
	if (err == 0 && (err = buf_append(out, "", 1)) == 0)
		out->len--;
	if (getenv("SHOW_VIEW"))
		printf("%s\n", out->data);
	return err;
}

/* Every line of the frame within width columns; the number of lines. */
static int lines_within(const struct buf *frame, int width, bool utf8)
{
	char *copy = strndup(frame->data, frame->len), *line = copy;
	int lines = 0;

	for (char *nl; line; line = nl ? nl + 1 : NULL, lines++) {
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		if (width_of(line, utf8) > width)
			lines = -1000;
	}
	free(copy);
	return lines;
}

static void test_table(void)
{
	static const char *const names[3] = { "production-database-server-01", "データベース-01", "web-🚀-01" };
	struct vm_figures figs[3];
	struct vcpu_figures vcpus[6];
	struct tick_figures f = { .vms = figs, .vm_count = 3, .vcpus = vcpus, .vcpu_total = 6,
				  .host = { .valid = true, .cpu_count = 2, .idle = 10 } };
	struct history h = { 0 };
	struct buf out = { 0 };

	for (int i = 0; i < 3; i++) {
		vms[i] = (struct vm_sample){ .pid = 1000 + i, .starttime = 1 };
		figs[i] = (struct vm_figures){ .vm = &vms[i], .name = names[i], .vcpu_count = 2, .vcpu_first = (size_t)(2 * i),
					       .steal_avg = 30.0 - 10 * i, .steal_max = 40.0 - 10 * i, .run_avg = 50 };
		vcpus[2 * i] = (struct vcpu_figures){ .id = 0, .steal_pct = 20.0 - 10 * i, .cpus = "0-1" };
		vcpus[2 * i + 1] = (struct vcpu_figures){ .id = 1, .steal_pct = 40.0 - 10 * i, .cpus = "0-1" };
	}
	/* who holds its CPUs and the worst wait per run, for the first VM only */
	figs[0].has_wait_per_run = true;
	figs[0].wait_per_run_max_us = 3949.0;
	figs[0].holders = (struct vm_holders){ .valid = true, .own_pct = 40, .other_vms_pct = 8, .host_pct = 49.6,
					      .irq_pct = 0.4, .idle_pct = 2 };
	CHECK(history_update(&h, &f) == 0);
	for (int width = 20; width <= 200; width += 3) {
		struct table_view v = { .width = width, .height = 24, .utf8 = true };
		CHECK(render(&f, &h, &v, &out) == 0);
		int lines = lines_within(&out, width, true);
		CHECK(lines == 24);
		if (lines != 24)
			fprintf(stderr, "width %d: %d lines\n", width, lines);
	}
	for (int width = 1; width < 20; width++) { /* rows that fit, or a line saying they cannot */
		struct table_view v = { .width = width, .height = 24, .utf8 = true };
		int lines;
		CHECK(render(&f, &h, &v, &out) == 0);
		lines = lines_within(&out, width, true);
		CHECK(lines == (width >= 18 ? 24 : 2)); /* these rows fit from 18 columns on (measured once, then fixed) */
		if (width == 12)
			CHECK(lines == 2 && strstr(out.data, "\nthe window") != NULL);
	}
	{
		struct table_view v = { .width = 80, .height = 4, .utf8 = true };
		CHECK(render(&f, &h, &v, &out) == 0);
		/* at 80 the long name would be cut: OTHER gives way first, then the name is cut in its middle */
		CHECK(strstr(out.data, "\nproduction-…-server-01 1000     2  30.0 40.0  1 50.0 3.9ms host 50 0-1 ") != NULL);
		CHECK(strstr(out.data, " OTHER") == NULL);
		CHECK(strstr(out.data, "2 more VMs not shown") != NULL); /* one row fits in 4 lines */
		CHECK(strstr(out.data, "データ") == NULL);
	}
	{ /* a long pinning list: cut on a screen (marked), whole when piped */
		static const char *const long_list = "0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44,46,48,50,52";
		struct table_view screen = { .width = 132, .height = 10, .utf8 = true }, piped = { .utf8 = true };
		vcpus[1].cpus = long_list;
		CHECK(render(&f, &h, &screen, &out) == 0);
		CHECK(strstr(out.data, " 0,2,4,6,8,10,…   ") != NULL); /* 16 columns, whole entries */
		CHECK(render(&f, &h, &piped, &out) == 0);
		CHECK(strstr(out.data, long_list) != NULL);
		vcpus[1].cpus = "0-1";
	}
	{
		struct table_view v = { .width = 40, .height = 10, .utf8 = true };
		CHECK(render(&f, &h, &v, &out) == 0);
		CHECK(strstr(out.data, " CPUS") == NULL && strstr(out.data, " OTHER") == NULL); /* given up first */
		CHECK(strstr(out.data, "STEAL") != NULL);
	}
	{
		struct table_view v = { .width = 0, .sort = TABLE_SORT_NAME, .utf8 = true };
		CHECK(render(&f, &h, &v, &out) == 0);
		/* piped: every column, names whole, two decimals, ASCII names as ? when not UTF-8 */
		CHECK(strstr(out.data, "NAME                          ID  PID VCPUS STEAL   MAX ON   RUN OTHER THROT CONT  WAIT HELD    CPUS HISTORY\n") != NULL);
		CHECK(strstr(out.data, "\nproduction-database-server-01 -  1000     2 30.00 40.00  1 50.00  0.00     -    - 3.9ms host 50 0-1  ▆\n") != NULL);
		CHECK(strstr(out.data, "\nweb-🚀-01                     -  1002     2 10.00 20.00  1 50.00  0.00     -    -     - -       0-1  ▅\n") != NULL);
		CHECK(strstr(out.data, "\x1b") == NULL);
	}
	{ /* the host summary against figures worked out by hand: busy = 100 - idle
	   * - iowait; steal, contention and throttled are means over vCPUs (the
	   * last two over the VMs that have them) */
		struct table_view v = { .width = 0, .utf8 = true };
		const char *want = "1970-01-01T00:00:00.000Z 2 CPUs 85% busy, VMs 42%; 3 VMs 6 vCPUs; steal 20.0%\n";
		f.host.iowait = 5;
		f.host.vm_cpu = 42;
		CHECK(render(&f, &h, &v, &out) == 0);
		CHECK(strncmp(out.data, want, strlen(want)) == 0);
		f.cgroups_on = true;
		figs[0].has_throttle = figs[1].has_throttle = true;
		figs[0].throttled_avg = 20, figs[0].contention_avg = 10;
		figs[1].throttled_avg = 0, figs[1].contention_avg = 20;
		CHECK(render(&f, &h, &v, &out) == 0);
		CHECK(strstr(out.data, "; steal 20.0% cont 15.0 thr 10.0\n") != NULL);
	}
	buf_free(&out);
	history_free(&h);
}

static int decode(const char *bytes, size_t *used)
{
	return screen_decode_key((const unsigned char *)bytes, strlen(bytes), used);
}

static void test_keys(void)
{
	size_t used;

	CHECK(decode("q", &used) == 'q' && used == 1);
	CHECK(decode("\r", &used) == KEY_ENTER && decode("\n", &used) == KEY_ENTER);
	CHECK(decode("\x7f", &used) == KEY_BACKSPACE && decode("\b", &used) == KEY_BACKSPACE);
	CHECK(decode("\x1b", &used) == KEY_ESCAPE && used == 1);
	CHECK(decode("\x1bq", &used) == KEY_ESCAPE && used == 1); /* Escape, then q */
	CHECK(decode("\x1b[A", &used) == KEY_UP && used == 3);
	CHECK(decode("\x1b[Bj", &used) == KEY_DOWN && used == 3); /* the next key stays */
	CHECK(decode("\x1bOC", &used) == KEY_RIGHT && used == 3);  /* application mode */
	CHECK(decode("\x1b[D", &used) == KEY_LEFT);
	CHECK(decode("\x1b[5~", &used) == KEY_PAGE_UP && used == 4);
	CHECK(decode("\x1b[6~", &used) == KEY_PAGE_DOWN);
	CHECK(decode("\x1b[H", &used) == KEY_HOME && decode("\x1b[1~", &used) == KEY_HOME &&
	      decode("\x1b[7~", &used) == KEY_HOME && decode("\x1bOH", &used) == KEY_HOME);
	CHECK(decode("\x1b[F", &used) == KEY_END && decode("\x1b[4~", &used) == KEY_END &&
	      decode("\x1b[8~", &used) == KEY_END);
	CHECK(decode("\x1b[1;5A", &used) == KEY_UNKNOWN && used == 6); /* Ctrl-Up: taken whole, ignored */
	CHECK(decode("\x1b[99999999999~", &used) == KEY_UNKNOWN);
	CHECK(decode("\x1b[12", &used) == KEY_UNKNOWN && used == 4);   /* cut: all of it taken */
}

/* 30 VMs at 100x14: pages, the ends, the filter, the help. */
static void test_navigation(void)
{
	enum { N = 30 };
	static struct vm_sample samples[N];
	static struct vm_figures figs[N];
	static struct vcpu_figures vcpus[N];
	static char names[N][16];
	struct tick_figures f = { .vms = figs, .vm_count = N, .vcpus = vcpus, .vcpu_total = N,
				  .host = { .valid = true, .cpu_count = 2 } };
	struct table_nav nav = { 0 };
	struct table_view v = { .width = 100, .height = 14, .utf8 = true, .sort = TABLE_SORT_PID, .nav = &nav };
	struct buf out = { 0 };

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "%s-%02d", i % 3 == 0 ? "db" : "web", i);
		samples[i] = (struct vm_sample){ .pid = 100 + i, .starttime = 1 };
		figs[i] = (struct vm_figures){ .vm = &samples[i], .name = names[i], .vcpu_count = 1, .vcpu_first = (size_t)i,
					       .steal_avg = i, .steal_max = i };
		vcpus[i] = (struct vcpu_figures){ .id = 0, .steal_pct = i };
	}
	CHECK(render(&f, NULL, &v, &out) == 0);
	CHECK(strstr(out.data, "rows 1-11 of 30") != NULL && strstr(out.data, "\x1b[7mdb-00") != NULL);
	CHECK(strstr(out.data, "web-11") == NULL);
	nav.move = (long)nav.shown_rows; /* PageDown, as the view does it */
	nav.top += nav.shown_rows;
	CHECK(render(&f, NULL, &v, &out) == 0);
	CHECK(strstr(out.data, "\x1b[7mweb-11") != NULL && strstr(out.data, "rows 12-22 of 30") != NULL);
	nav.move = 1L << 40; /* End */
	CHECK(render(&f, NULL, &v, &out) == 0);
	CHECK(strstr(out.data, "\x1b[7mweb-29") != NULL && strstr(out.data, "rows 20-30 of 30") != NULL);
	nav.move = -3;
	CHECK(render(&f, NULL, &v, &out) == 0);
	CHECK(strstr(out.data, "\x1b[7mweb-26") != NULL && strstr(out.data, "rows 20-30 of 30") != NULL);
	strcpy(nav.filter, "DB");
	CHECK(render(&f, NULL, &v, &out) == 0); /* the selected VM filtered out: the first that is left */
	CHECK(strstr(out.data, "rows 1-10 of 10  /DB") != NULL && strstr(out.data, "web-") == NULL);
	CHECK(strstr(out.data, "\x1b[7mdb-00") != NULL);
	nav.help = true;
	CHECK(render(&f, NULL, &v, &out) == 0);
	CHECK(strstr(out.data, "PageUp / PageDown") != NULL && strstr(out.data, "db-00") == NULL);
	CHECK(lines_within(&out, 100, true) <= 14);
	buf_free(&out);
}

/* The VM screen: identity, a row per vCPU with its thread id, the other
 * threads by name (a hostile one made visible), fitted at every width. */
static void test_vm_screen(void)
{
	static struct vm_sample sample = { .pid = 4242, .starttime = 7,
					   .ident = { .has_uuid = true, .uuid = "6f1c2a8e-3b7d-4c1e-9a55-0e2f4b6d8c10",
						      .id = "100" } };
	struct vcpu_figures vcpus[2] = {
		{ .id = 0, .tid = 4250, .steal_pct = 12.5, .run_pct = 40, .cpus = "0-3", .has_wait_per_run = true,
		  .wait_per_run_us = 3949 },
		{ .id = 1, .tid = 4251, .steal_pct = 0.4, .run_pct = 2, .cpus = "2" },
	};
	struct thread_figures threads[2] = {
		{ .tid = 4243, .comm = "IO mon_iothread", .wait_pct = 0.1, .run_pct = 0.3 },
		{ .tid = 4244, .comm = "evil\xe2\x80\xae", .wait_pct = 0, .run_pct = 0 }, /* U+202E */
	};
	struct vm_figures vm = { .vm = &sample, .name = "pve-web", .vcpu_count = 2, .steal_avg = 6.45, .steal_max = 12.5,
				 .thread_count = 2, .holders = { .valid = true, .has_cpus = true, .cpus = "0-3",
				 .own_pct = 40, .other_vms_pct = 30, .host_pct = 20, .irq_pct = 1, .idle_pct = 9 } };
	struct tick_figures f = { .vms = &vm, .vm_count = 1, .vcpus = vcpus, .vcpu_total = 2, .threads = threads,
				  .thread_total = 2, .host = { .valid = true, .cpu_count = 4 } };
	struct table_nav nav = { .chosen = true, .pid = 4242, .starttime = 7, .vm_open = true };
	struct buf out = { 0 };

	for (int width = 20; width <= 200; width += 3) {
		struct table_view v = { .width = width, .height = 14, .utf8 = true, .nav = &nav };
		CHECK(render(&f, NULL, &v, &out) == 0);
		CHECK(lines_within(&out, width, true) == 14);
		if (width == 101) {
			CHECK(strstr(out.data, "VM pve-web  pid 4242  uuid 6f1c2a8e-3b7d-4c1e-9a55-0e2f4b6d8c10  id 100") != NULL);
			CHECK(strstr(out.data, "CPUs 0-3: own 40  other VMs 30  host 20  irq 1  idle 9") != NULL);
			CHECK(strstr(out.data, "\n   0    4250  12.5  40.0     - 3.9ms 0-3") != NULL);
			CHECK(strstr(out.data, "\n   1    4251   0.4   2.0     -     - 2") != NULL);
			CHECK(strstr(out.data, "\nIO mon_iothread     4243   0.1   0.3") != NULL);
			CHECK(strstr(out.data, "evil<U+202E>") != NULL && strstr(out.data, "\xe2\x80\xae") == NULL);
			CHECK(strstr(out.data, "Escape: back to the list") != NULL);
		}
	}
	nav.pid = 1; /* gone */
	{
		struct table_view v = { .width = 80, .height = 14, .utf8 = true, .nav = &nav };
		CHECK(render(&f, NULL, &v, &out) == 0);
		CHECK(strstr(out.data, "the VM is gone") != NULL);
	}
	buf_free(&out);
}

/* The CPU strip: 256 CPUs fit 80 columns, a hot CPU stays visible folded. */
static void test_cpu_strip(void)
{
	static struct host_cpu_figures cpus[256];
	static struct vm_sample sample = { .pid = 1, .starttime = 1 };
	struct vcpu_figures vcpu = { .id = 0, .steal_pct = 1 };
	struct vm_figures vm = { .vm = &sample, .name = "vm", .vcpu_count = 1, .steal_avg = 1, .steal_max = 1 };
	struct tick_figures f = { .vms = &vm, .vm_count = 1, .vcpus = &vcpu, .vcpu_total = 1, .cpus = cpus,
				  .cpu_total = 256, .host = { .valid = true, .cpu_count = 256 } };
	struct buf out = { 0 };

	for (unsigned i = 0; i < 256; i++)
		cpus[i] = (struct host_cpu_figures){ .id = i, .busy_pct = 5, .vms_pct = 1 };
	cpus[200].busy_pct = 99;
	cpus[200].vms_pct = 60;
	for (int width = 20; width <= 300; width += 7) {
		struct table_view v = { .width = width, .height = 24, .utf8 = true };
		CHECK(render(&f, NULL, &v, &out) == 0);
		CHECK(lines_within(&out, width, true) == 24);
	}
	{
		struct table_view v = { .width = 80, .height = 24, .utf8 = true };
		CHECK(render(&f, NULL, &v, &out) == 0);
		/* 4 CPUs a cell: 64 cells, the 51st holds CPU 200 */
		CHECK(strstr(out.data, "\nbusy ▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁█▁▁▁▁▁▁▁▁▁▁▁▁▁\n") != NULL);
		CHECK(strstr(out.data, "\nVMs  ▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▅▁▁▁▁▁▁▁▁▁▁▁▁▁\n") != NULL);
	}
	{
		struct table_view v = { .width = 300, .height = 24, .utf8 = false };
		f.cpu_total = 2;
		CHECK(render(&f, NULL, &v, &out) == 0);
		CHECK(strstr(out.data, "\nbusy __\nVMs  __\n") != NULL); /* ASCII, one cell a CPU */
		v.height = 11;
		CHECK(render(&f, NULL, &v, &out) == 0);
		CHECK(strstr(out.data, "\nbusy ") == NULL); /* a small window keeps its rows */
	}
	buf_free(&out);
}

int main(void)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8")) {
		fprintf(stderr, "test_view: no C.UTF-8 locale\n");
		return 1;
	}
	RUN(test_widths);
	RUN(test_fit);
	RUN(test_names_shown);
	RUN(test_json_escape);
	RUN(test_history);
	RUN(test_table);
	RUN(test_keys);
	RUN(test_navigation);
	RUN(test_vm_screen);
	RUN(test_cpu_strip);
	return check_report("test_view");
}
