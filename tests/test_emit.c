/* Unit tests of the record formatting: percentages as printf's "%.2f" would
 * write them (ties included), timestamps, and records written from the
 * emitter's kept trees whatever the order of VM shapes. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "emit.h"
#include "format.h"

static bool same_as_printf(double value)
{
	char fast[40], slow[40], fast3[40], slow3[40];

	format_pct(value, fast);
	snprintf(slow, sizeof(slow), "%.2f", value);
	format_fixed(value, 3, fast3); /* cpu_limit_cpus */
	snprintf(slow3, sizeof(slow3), "%.3f", value);
	return strcmp(fast, slow) == 0 && strcmp(fast3, slow3) == 0;
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
	CHECK(same_as_printf(0.0005) && same_as_printf(0.0015) && same_as_printf(0.3) && same_as_printf(2.0625));
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

	format_pct(-0.001, out);
	CHECK_STR(out, "0.00");
	format_pct(NAN, out);
	CHECK_STR(out, "0.00");
	format_pct(INFINITY, out);
	CHECK_STR(out, "0.00");
}

static void timestamp_is_utc_with_milliseconds(void)
{
	struct timespec t = { .tv_sec = 1780315210, .tv_nsec = 999999999 };
	char out[25];

	format_timestamp(&t, out);
	CHECK_STR(out, "2026-06-01T12:00:10.999Z");
	t.tv_nsec = 5000000;
	format_timestamp(&t, out);
	CHECK_STR(out, "2026-06-01T12:00:10.005Z");
}

/* VMs of every shape, in an order that changes shape at each VM: UUID or
 * not, a Proxmox id or not, vCPUs or none, vCPUs that cannot be told apart,
 * TCG, vCPUs by guest time, an array that shrinks and grows, one VM too
 * wide for the line limit (written as vcpu records). */
enum { SHAPE_VMS = 10, SHAPE_VCPUS = 120 };
static const struct {
	const char *name;
	bool has_uuid, tcg;
	enum vcpu_source source;
	const char *id;
	size_t vcpus;
} shapes[SHAPE_VMS] = {
	{ "web \"1\"", true, false, VCPU_SOURCE_COMM, "", 4 },
	{ "db", false, false, VCPU_SOURCE_COMM, "101", 2 },
	{ "no vcpu", true, false, VCPU_SOURCE_COMM, "", 0 },
	{ "tcg", false, true, VCPU_SOURCE_COMM, "", 3 },
	{ "wide", true, false, VCPU_SOURCE_COMM, "102", 100 },
	{ "unknown", true, false, VCPU_SOURCE_NONE, "103", 0 },
	{ "one", true, false, VCPU_SOURCE_GUEST_TIME, "", 1 },
	{ "none again", false, false, VCPU_SOURCE_COMM, "", 0 },
	{ "unknown 2", false, false, VCPU_SOURCE_NONE, "", 0 },
	{ "last", false, false, VCPU_SOURCE_COMM, "104", 4 },
};

struct shape_tick {
	struct vm_sample samples[SHAPE_VMS];
	struct vm_figures vms[SHAPE_VMS];
	struct vcpu_figures vcpus[SHAPE_VCPUS];
	struct tick_figures figures;
};

static void shape_tick_init(struct shape_tick *t)
{
	size_t next_vcpu = 0;

	memset(t, 0, sizeof(*t));
	t->figures = (struct tick_figures){ .interval_s = 10.0, .real = { .tv_sec = 1780315210 },
					    .vms = t->vms, .vm_count = SHAPE_VMS, .vcpus = t->vcpus };
	for (int i = 0; i < SHAPE_VMS; i++) {
		struct vm_sample *s = &t->samples[i];
		struct vm_figures *vm = &t->vms[i];
		s->pid = 1000 + i;
		s->ident.has_uuid = shapes[i].has_uuid;
		s->vcpu_source = shapes[i].source;
		snprintf(s->ident.id, sizeof(s->ident.id), "%s", shapes[i].id);
		snprintf(s->ident.uuid, sizeof(s->ident.uuid), "00000000-0000-4000-8000-%012d", i);
		*vm = (struct vm_figures){ .vm = s, .name = shapes[i].name, .tcg = shapes[i].tcg,
					   .vcpu_count = shapes[i].vcpus, .steal_avg = i + 0.25,
					   .steal_max = i + 0.5, .run_avg = 10.0 * i, .other_count = (size_t)i,
					   .other_wait_pct = 0.125 * i, .guest_pct = 7.0, .user_pct = 0.5,
					   .system_pct = 1.0 / 3, .vcpu_first = next_vcpu };
		for (size_t k = 0; k < shapes[i].vcpus; k++)
			t->vcpus[next_vcpu++] = (struct vcpu_figures){ .id = (int)k, .tid = s->pid * 1000 + (int)k,
								       .steal_pct = (double)k / 7,
								       .run_pct = 100.0 - (double)k,
								       /* affinity known for some only */
								       .cpus = k % 3 == 1 ? NULL : "0-3,8" };
	}
}

/* The lines of one VM written alone by an emitter of its own. */
static int emit_alone(const struct shape_tick *t, int i, const struct emit_options *options, struct buf *out)
{
	struct tick_figures one = t->figures;
	struct emitter *fresh = emitter_new(options);
	int err;

	one.vms = (struct vm_figures *)&t->vms[i];
	one.vm_count = 1;
	err = fresh ? emit_tick(fresh, &one, out) : -1;
	emitter_free(fresh);
	return err;
}

/* Every record's vcpu array (or vcpu records) matches its own VM. */
static void check_vcpus_belong(const char *lines, size_t len)
{
	for (const char *p = lines, *end = lines + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		cJSON *r = cJSON_ParseWithLength(p, (size_t)(nl - p));
		const cJSON *pid = cJSON_GetObjectItemCaseSensitive(r, "process_pid");
		const cJSON *count = cJSON_GetObjectItemCaseSensitive(r, "vcpu_count");
		const cJSON *array = cJSON_GetObjectItemCaseSensitive(r, "vcpu"), *v;

		CHECK(r && cJSON_IsNumber(pid));
		if (array)
			CHECK(cJSON_GetArraySize(array) == count->valueint);
		cJSON_ArrayForEach(v, array)
			CHECK(cJSON_GetObjectItemCaseSensitive(v, "tid")->valueint / 1000 == pid->valueint);
		v = cJSON_GetObjectItemCaseSensitive(r, "thread_id");
		if (v)
			CHECK(v->valueint / 1000 == pid->valueint);
		cJSON_Delete(r);
		p = nl + 1;
	}
}

static void kept_trees_write_what_fresh_ones_write(void)
{
	static struct shape_tick t;
	struct emit_options options = { .host_name = "hv", .max_line_bytes = 2000 };
	struct emitter *kept = emitter_new(&options);
	struct buf together = { 0 }, alone = { 0 }, again = { 0 };

	shape_tick_init(&t);
	CHECK(kept && emit_tick(kept, &t.figures, &together) == 0);
	for (int i = 0; i < SHAPE_VMS; i++)
		CHECK(emit_alone(&t, i, &options, &alone) == 0);
	CHECK(together.len == alone.len && memcmp(together.data, alone.data, alone.len) == 0);
	CHECK(kept && emit_tick(kept, &t.figures, &again) == 0);
	CHECK(again.len == together.len && memcmp(again.data, together.data, together.len) == 0);
	/* 10 vm lines, the wide one's 100 vcpu records */
	CHECK(memchr(together.data, '\0', together.len) == NULL);
	check_vcpus_belong(together.data, together.len);
	CHECK(strstr(together.data, "\"vm_name\":\"web \\\"1\\\"\"") != NULL);
	CHECK(strstr(together.data, "\"record\":\"vcpu\",\"schema\":1,\"host_name\":\"hv\",\"interval_s\":10.000,"
				    "\"vm_name\":\"wide\",\"vm_uuid\":\"00000000-0000-4000-8000-000000000004\","
				    "\"vm_id\":\"102\",\"process_pid\":1004,\"vcpu_id\":99,\"thread_id\":1004099,"
				    "\"steal_pct\":14.14,\"run_pct\":1.00,\"cpus\":\"0-3,8\"}") != NULL);
	CHECK(strstr(together.data, "{\"id\":1,\"tid\":1000001,\"steal_pct\":0.14,\"run_pct\":99.00},"
				    "{\"id\":2,\"tid\":1000002,\"steal_pct\":0.29,\"run_pct\":98.00,\"cpus\":\"0-3,8\"}") != NULL);
	CHECK(strstr(together.data, "\"vm_name\":\"no vcpu\",\"vm_uuid\":\"00000000-0000-4000-8000-000000000002\","
				    "\"process_pid\":1002,\"vcpu_count\":0,\"other_thread_count\":2,") != NULL);
	CHECK(strstr(together.data, "\"accel\":\"tcg\",\"vcpu_source\":\"comm\",\"vcpu_count\":3,") != NULL);
	CHECK(strstr(together.data, "\"accel\":\"kvm\",\"vcpu_source\":\"guest_time\",\"vcpu_count\":1,") != NULL);
	CHECK(strstr(together.data, "\"vm_name\":\"wide\",\"vm_uuid\":\"00000000-0000-4000-8000-000000000004\","
				    "\"vm_id\":\"102\",\"process_pid\":1004,\"vcpu_id\":0,") != NULL);
	CHECK(strstr(together.data, "\"vm_name\":\"unknown\",\"vm_uuid\":\"00000000-0000-4000-8000-000000000005\","
				    "\"vm_id\":\"103\",\"process_pid\":1005,\"vcpu_source\":\"none\",\"vcpu_count\":0,"
				    "\"other_thread_count\":5,") != NULL);
	CHECK(strstr(together.data, "\"vm_name\":\"unknown 2\",\"process_pid\":1008,\"vcpu_source\":\"none\",") != NULL);
	CHECK(strstr(together.data, "\"vm_name\":\"db\",\"vm_id\":\"101\",\"process_pid\":1001,\"accel\":\"kvm\",") != NULL);
	{
		size_t lines = 0;
		for (size_t k = 0; k < together.len; k++)
			lines += together.data[k] == '\n';
		CHECK(lines == SHAPE_VMS + 100);
	}
	emitter_free(kept);
	buf_free(&together);
	buf_free(&alone);
	buf_free(&again);
}

int main(void)
{
	RUN(pct_matches_printf_on_ties_and_edges);
	RUN(pct_matches_printf_on_random_values);
	RUN(pct_clamps_what_is_not_a_percentage);
	RUN(timestamp_is_utc_with_milliseconds);
	RUN(kept_trees_write_what_fresh_ones_write);
	return check_report("test_emit");
}
