/* Unit tests of the record formatting: percentages as printf's "%.2f" would
 * write them (ties included), timestamps. */
#include <stdint.h>
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "emit.h"
#include "rate.h"

static bool same_as_printf(double value)
{
	char fast[40], slow[40];

	emit_format_pct(value, fast);
	snprintf(slow, sizeof(slow), "%.2f", value);
	return strcmp(fast, slow) == 0;
}

static void pct_matches_printf_on_ties_and_edges(void)
{
	/* exact binary halves (k/8) and values one ulp around them */
	for (int k = 0; k < 8000; k++) {
		double v = k / 800.0;
		CHECK(same_as_printf(v));
		CHECK(same_as_printf(nextafter(v, 0)));
		CHECK(same_as_printf(nextafter(v, 1e9)));
	}
	CHECK(same_as_printf(0.125) && same_as_printf(0.375) && same_as_printf(2.675) && same_as_printf(1.005));
	CHECK(same_as_printf(99.995) && same_as_printf(99.99499999) && same_as_printf(100.0));
	CHECK(same_as_printf(51200.0) && same_as_printf(123456.789) && same_as_printf(9.999e8));
}

static void pct_matches_printf_on_random_values(void)
{
	uint64_t x = 88172645463325252ULL;
	int mismatches = 0;

	for (int i = 0; i < 1000000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		double v = (double)(x % 100000000ULL) / 1000000.0 * ((i % 3) ? 1.0 : 100.0);
		mismatches += !same_as_printf(v);
	}
	CHECK(mismatches == 0);
}

static void pct_clamps_what_is_not_a_percentage(void)
{
	char out[40];

	emit_format_pct(-0.001, out);
	CHECK_STR(out, "0.00");
	emit_format_pct(NAN, out);
	CHECK_STR(out, "0.00");
	emit_format_pct(INFINITY, out);
	CHECK_STR(out, "0.00");
}

static void timestamp_is_utc_with_milliseconds(void)
{
	struct timespec t = { .tv_sec = 1780315210, .tv_nsec = 999999999 };
	char out[25];

	emit_format_timestamp(&t, out);
	CHECK_STR(out, "2026-06-01T12:00:10.999Z");
	t.tv_nsec = 5000000;
	emit_format_timestamp(&t, out);
	CHECK_STR(out, "2026-06-01T12:00:10.005Z");
}

/* Figures for one VM: n vCPUs whose numbers depend on seed. */
struct fake_tick {
	struct vm_sample vms[4];
	struct vm_figures vf[4];
	struct vcpu_figures vc[16];
	struct tick_figures f;
};

static void add_fake_vm(struct fake_tick *t, int pid, uint64_t starttime, size_t vcpus, double seed, bool uuid)
{
	size_t i = t->f.vm_count++;
	struct vm_sample *vm = &t->vms[i];
	struct vm_figures *f = &t->vf[i];

	memset(vm, 0, sizeof(*vm));
	vm->pid = pid;
	vm->starttime = starttime;
	vm->has_uuid = uuid;
	strcpy(vm->uuid, "6f2ade4b-2732-4202-b750-48daee771b06");
	*f = (struct vm_figures){ .vm = vm, .name = pid % 20 ? "vm \"odd\"" : "caf\xc3\xa9", .tcg = pid == 30,
				  .vcpu_count = vcpus, .vcpu_first = t->f.vcpu_total, .steal_avg = seed,
				  .steal_max = seed * 2, .run_avg = 100 - seed, .other_count = 3,
				  .other_wait_pct = seed / 7, .guest_pct = seed * 9, .user_pct = 1.005,
				  .system_pct = 99.995 };
	for (size_t k = 0; k < vcpus; k++)
		t->vc[t->f.vcpu_total++] = (struct vcpu_figures){ .id = (int)k, .tid = pid * 10 + (int)k + (int)seed,
								  .steal_pct = seed + (double)k, .run_pct = 50.0 / (double)(k + 1) };
}

static void fake_tick_init(struct fake_tick *t, double interval)
{
	memset(&t->f, 0, sizeof(t->f));
	t->f.vms = t->vf;
	t->f.vcpus = t->vc;
	t->f.interval_s = interval;
	t->f.real.tv_sec = 1780315200 + (time_t)interval * 100;
}

/* The emitter keeps trees across ticks and rewrites them: every tick must
 * print exactly what a fresh emitter prints for it, whatever changed. */
static bool same_as_fresh(struct emitter *kept, const struct fake_tick *t, const struct emit_options *o)
{
	struct emitter *fresh = emitter_new();
	struct buf a = { 0 }, b = { 0 };
	bool same = fresh && emit_tick(kept, &t->f, o, &a) == 0 && emit_tick(fresh, &t->f, o, &b) == 0 &&
		    a.len == b.len && a.len > 0 && memcmp(a.data, b.data, a.len) == 0;

	emitter_free(fresh);
	buf_free(&a);
	buf_free(&b);
	return same;
}

static void kept_trees_print_what_fresh_ones_do(void)
{
	struct emit_options o = { .host_name = "hv", .max_line_bytes = DEFAULT_MAX_LINE_BYTES };
	struct emitter *kept = emitter_new();
	struct fake_tick t;

	fake_tick_init(&t, 10.0);
	add_fake_vm(&t, 10, 1, 2, 4.35, true);
	add_fake_vm(&t, 20, 1, 0, 1.0, false);
	add_fake_vm(&t, 30, 1, 4, 7.8, true);
	add_fake_vm(&t, 50, 1, 1, 2.5, false);
	CHECK(same_as_fresh(kept, &t, &o));
	/* new values and tids; VM 20 gains a vCPU; 30 is gone; 40 is new; pid 50 reused */
	fake_tick_init(&t, 9.999);
	add_fake_vm(&t, 10, 1, 2, 12.5, true);
	add_fake_vm(&t, 20, 1, 1, 0.005, false);
	add_fake_vm(&t, 40, 1, 3, 33.333, true);
	add_fake_vm(&t, 50, 2, 1, 100.0, true);
	CHECK(same_as_fresh(kept, &t, &o));
	/* VM 10 goes from 2 to 3 vCPUs, VM 40 back to none */
	fake_tick_init(&t, 10.001);
	add_fake_vm(&t, 10, 1, 3, 0.0, true);
	add_fake_vm(&t, 40, 1, 0, 1e9, true);
	CHECK(same_as_fresh(kept, &t, &o));
	o.vcpu_records = true; /* then the split form, and back */
	CHECK(same_as_fresh(kept, &t, &o));
	o.vcpu_records = false;
	CHECK(same_as_fresh(kept, &t, &o));
	emitter_free(kept);
}

int main(void)
{
	RUN(pct_matches_printf_on_ties_and_edges);
	RUN(pct_matches_printf_on_random_values);
	RUN(pct_clamps_what_is_not_a_percentage);
	RUN(timestamp_is_utc_with_milliseconds);
	RUN(kept_trees_print_what_fresh_ones_do);
	return check_report("test_emit");
}
