/* check_ndjson: validates NDJSON on stdin against kvmsteal's schema v1.
 *
 * Stricter than the JSON Schema: keys must come in the schema's order (so no
 * key is repeated or unknown), percentages must be written with exactly two
 * decimals and interval_s with three, every line must be valid UTF-8 ending
 * in '\n'.  Prints one line per problem and a summary; exits 1 on any. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

enum kind { STR, ID, CPULIST, CPUS_NUM, INT, PCT, PCT100, UUID, TIMESTAMP, INTERVAL, RECORD, SCHEMA, ACCEL, SOURCE, VCPUS };

struct key_spec {
	const char *key;
	enum kind kind;
	bool optional;
};

static const struct key_spec common_keys[] = {
	{ "@timestamp", TIMESTAMP, false }, { "record", RECORD, false }, { "schema", SCHEMA, false },
	{ "host_name", STR, false },        { "interval_s", INTERVAL, false },
};

static const struct key_spec host_keys[] = {
	{ "cpu_count", INT, false },        { "vm_count", INT, false },
	{ "vcpu_count", INT, false },       { "cpu_user_pct", PCT100, false },
	{ "cpu_nice_pct", PCT100, false },  { "cpu_system_pct", PCT100, false },
	{ "cpu_idle_pct", PCT100, false },  { "cpu_iowait_pct", PCT100, false },
	{ "cpu_irq_pct", PCT100, false },   { "cpu_softirq_pct", PCT100, false },
	{ "cpu_steal_pct", PCT100, false }, { "cpu_guest_pct", PCT100, false },
	{ "cpu_guest_nice_pct", PCT100, false }, { "vm_cpu_pct", PCT100, true },
};

static const struct key_spec vm_keys[] = {
	{ "vm_name", STR, false },
	{ "vm_uuid", UUID, true },
	{ "vm_id", ID, true },
	{ "process_pid", INT, false },
	{ "accel", ACCEL, true },
	{ "vcpu_source", SOURCE, true },
	{ "vcpu_count", INT, false },
	{ "vcpu_steal_pct_avg", PCT100, true },
	{ "vcpu_steal_pct_max", PCT100, true },
	{ "vcpu_run_pct_avg", PCT100, true },
	{ "other_thread_count", INT, false },
	{ "other_threads_wait_pct", PCT, false },
	{ "process_guest_pct", PCT, false },
	{ "process_user_pct", PCT, false },
	{ "process_system_pct", PCT, false },
	{ "vcpu_throttled_pct_avg", PCT100, true },
	{ "vcpu_contention_pct_avg", PCT100, true },
	{ "cpu_limit_cpus", CPUS_NUM, true },
	{ "vcpu_wait_per_run_us_max", PCT, true },
	{ "vm_cpus", CPULIST, true },
	{ "vm_cpus_own_pct", PCT100, true },
	{ "vm_cpus_other_vms_pct", PCT100, true },
	{ "vm_cpus_host_pct", PCT100, true },
	{ "vm_cpus_irq_pct", PCT100, true },
	{ "vm_cpus_idle_pct", PCT100, true },
	{ "vcpu", VCPUS, true },
};

static const struct key_spec vcpu_record_keys[] = {
	{ "vm_name", STR, false },     { "vm_uuid", UUID, true },    { "vm_id", ID, true },
	{ "process_pid", INT, false },
	{ "vcpu_id", INT, false },     { "thread_id", INT, false },  { "steal_pct", PCT100, false },
	{ "run_pct", PCT100, false },  { "throttled_pct", PCT100, true }, { "cpus", CPULIST, true },
	{ "wait_per_run_us", PCT, true },
};

static const struct key_spec vcpu_item_keys[] = {
	{ "id", INT, false }, { "tid", INT, false }, { "steal_pct", PCT100, false }, { "run_pct", PCT100, false },
	{ "throttled_pct", PCT100, true }, { "cpus", CPULIST, true }, { "wait_per_run_us", PCT, true },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct line_ctx {
	const char *text; /* the raw line, to check number formatting */
	long number;
	int errors;
};

static void fail(struct line_ctx *ctx, const char *key, const char *what)
{
	if (ctx->errors++ < 50)
		fprintf(stderr, "line %ld: %s: %s\n", ctx->number, key, what);
}

/* The raw text of every value of key must be digits, '.', and exactly
 * `decimals` digits (vcpu items repeat their keys: all are checked). */
static bool raw_decimals(const char *line, const char *key, int decimals)
{
	char needle[64];
	const char *p = line;
	bool found = false;

	snprintf(needle, sizeof(needle), "\"%s\":", key);
	while ((p = strstr(p, needle)) != NULL) {
		int n = 0;
		found = true;
		p += strlen(needle);
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p++ != '.')
			return false;
		while (isdigit((unsigned char)p[n]))
			n++;
		if (n != decimals || (p[n] != ',' && p[n] != '}'))
			return false;
	}
	return found;
}

static bool matches(const char *s, const char *pattern)
{
	/* pattern: 'd' digit, 'x' lowercase hex, anything else literal */
	for (; *pattern; pattern++, s++) {
		if (*pattern == 'd' ? !isdigit((unsigned char)*s)
		    : *pattern == 'x' ? !(isdigit((unsigned char)*s) || (*s >= 'a' && *s <= 'f'))
				      : *s != *pattern)
			return false;
	}
	return *s == '\0';
}

/* "N" or "N-M", comma-separated, as the schema's cpulist pattern says. */
static bool cpu_list(const char *p)
{
	for (;;) {
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '-') {
			if (!isdigit((unsigned char)*++p))
				return false;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == '\0')
			return true;
		if (*p++ != ',')
			return false;
	}
}

static bool is_int(const cJSON *item, double min)
{
	return cJSON_IsNumber(item) && item->valuedouble == floor(item->valuedouble) && item->valuedouble >= min;
}

static const cJSON *check_keys(const cJSON *item, const struct key_spec *specs, size_t count,
			       struct line_ctx *ctx);
static void check_no_more(const cJSON *item, struct line_ctx *ctx);

static void check_value(const cJSON *item, const struct key_spec *spec, struct line_ctx *ctx)
{
	const char *k = spec->key;
	double v = item->valuedouble;

	switch (spec->kind) {
	case STR: if (!cJSON_IsString(item) || (strcmp(k, "host_name") == 0 && !*item->valuestring)) fail(ctx, k, "not a (non-empty) string"); break;
	case INT: if (!is_int(item, strstr(k, "pid") || strcmp(k, "tid") == 0 || strcmp(k, "thread_id") == 0 ? 1 : 0)) fail(ctx, k, "not an integer in range"); break;
	case PCT: case PCT100:
		if (!cJSON_IsNumber(item) || v < 0 || (spec->kind == PCT100 && v > 100))
			fail(ctx, k, "percentage out of range");
		if (!raw_decimals(ctx->text, k, 2))
			fail(ctx, k, "not written with exactly 2 decimals");
		break;
	case UUID: if (!cJSON_IsString(item) || !matches(item->valuestring, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")) fail(ctx, k, "not a lowercase UUID"); break;
	case TIMESTAMP: if (!cJSON_IsString(item) || !matches(item->valuestring, "dddd-dd-ddTdd:dd:dd.dddZ")) fail(ctx, k, "bad timestamp"); break;
	case INTERVAL: if (!cJSON_IsNumber(item) || v <= 0 || !raw_decimals(ctx->text, k, 3)) fail(ctx, k, "bad interval"); break;
	case RECORD: break; /* dispatched on by the caller */
	case SCHEMA: if (!is_int(item, 1) || v != 1) fail(ctx, k, "not 1"); break;
	case ACCEL: if (!cJSON_IsString(item) || (strcmp(item->valuestring, "kvm") && strcmp(item->valuestring, "tcg"))) fail(ctx, k, "not kvm/tcg"); break;
	case SOURCE: if (!cJSON_IsString(item) || (strcmp(item->valuestring, "comm") && strcmp(item->valuestring, "guest_time") && strcmp(item->valuestring, "none"))) fail(ctx, k, "not comm/guest_time/none"); break;
	case ID: if (!cJSON_IsString(item) || !item->valuestring[0]) fail(ctx, k, "not a non-empty string"); break;
	case CPUS_NUM: if (!cJSON_IsNumber(item) || v <= 0) fail(ctx, k, "not a number of CPUs above 0"); break;
	case CPULIST: if (!cJSON_IsString(item) || !cpu_list(item->valuestring)) fail(ctx, k, "not a CPU list (2-3,8)"); break;
	case VCPUS:
		if (!cJSON_IsArray(item)) {
			fail(ctx, k, "not an array");
			break;
		}
		for (const cJSON *e = item->child; e; e = e->next) {
			if (!cJSON_IsObject(e))
				fail(ctx, k, "an element is not an object");
			else
				check_no_more(check_keys(e->child, vcpu_item_keys, COUNT(vcpu_item_keys), ctx), ctx);
		}
		break;
	}
}

/* Walks the keys from item and the spec side by side: order, presence,
 * types.  Returns the first key after the spec's. */
static const cJSON *check_keys(const cJSON *item, const struct key_spec *specs, size_t count,
			       struct line_ctx *ctx)
{
	for (size_t i = 0; i < count; i++) {
		if (item && strcmp(item->string, specs[i].key) == 0) {
			check_value(item, &specs[i], ctx);
			item = item->next;
		} else if (!specs[i].optional) {
			fail(ctx, specs[i].key, item ? "missing or out of order" : "missing");
		}
	}
	return item;
}

static void check_no_more(const cJSON *item, struct line_ctx *ctx)
{
	if (item)
		fail(ctx, item->string, "unexpected key (or out of order)");
}

/* The five vm_cpus_*_pct come together, only with vCPUs, and sum to 100
 * (each rounded to 0.005: the sum to 0.025). */
static void check_holders(const cJSON *r, bool has_vcpus, struct line_ctx *ctx)
{
	static const char *const keys[] = { "vm_cpus_own_pct", "vm_cpus_other_vms_pct", "vm_cpus_host_pct",
					    "vm_cpus_irq_pct", "vm_cpus_idle_pct" };
	double sum = 0;
	int present = 0;

	for (size_t i = 0; i < COUNT(keys); i++) {
		const cJSON *item = cJSON_GetObjectItemCaseSensitive(r, keys[i]);
		present += item != NULL;
		sum += cJSON_IsNumber(item) ? item->valuedouble : 0;
	}
	if (present != 0 && (present != (int)COUNT(keys) || !has_vcpus))
		fail(ctx, "vm_cpus_own_pct", "the five vm_cpus shares come together, and only with vCPUs");
	if (present == (int)COUNT(keys) && fabs(sum - 100.0) > 0.025 + 1e-9)
		fail(ctx, "vm_cpus_own_pct", "the five vm_cpus shares do not sum to 100");
	if (cJSON_GetObjectItemCaseSensitive(r, "vm_cpus") && present == 0)
		fail(ctx, "vm_cpus", "without its shares");
}

/* vcpu_count decides whether the per-vCPU keys are there. */
static void check_vm_consistency(const cJSON *r, struct line_ctx *ctx)
{
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(r, "vcpu_count");
	const cJSON *array = cJSON_GetObjectItemCaseSensitive(r, "vcpu");
	bool has_vcpus = cJSON_IsNumber(count) && count->valuedouble >= 1;
	bool has_avg = cJSON_GetObjectItemCaseSensitive(r, "vcpu_steal_pct_avg") != NULL;

	if (has_vcpus != has_avg || (!has_vcpus && array))
		fail(ctx, "vcpu_count", "vCPU figures present without vCPUs, or missing with them");
	if (array && cJSON_GetArraySize(array) != (int)count->valuedouble)
		fail(ctx, "vcpu", "array length differs from vcpu_count");
	check_holders(r, has_vcpus, ctx);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long counts[3] = { 0 };
	struct line_ctx ctx = { 0 };

	while ((len = getline(&line, &cap, stdin)) > 0) {
		cJSON *r, *record;
		ctx.number++;
		ctx.text = line;
		if (line[len - 1] != '\n')
			fail(&ctx, "(line)", "no final newline: a partial line");
		if (!text_is_utf8(line, (size_t)len) || memchr(line, '\r', (size_t)len))
			fail(&ctx, "(line)", "invalid UTF-8, NUL or CR");
		r = cJSON_Parse(line);
		record = cJSON_GetObjectItemCaseSensitive(r, "record");
		if (!r || !cJSON_IsString(record)) {
			fail(&ctx, "(line)", "not a JSON object with a record key");
			cJSON_Delete(r);
			continue;
		}
		const cJSON *rest = check_keys(r->child, common_keys, COUNT(common_keys), &ctx);
		if (strcmp(record->valuestring, "host") == 0) {
			counts[0]++;
			check_no_more(check_keys(rest, host_keys, COUNT(host_keys), &ctx), &ctx);
		} else if (strcmp(record->valuestring, "vm") == 0) {
			counts[1]++;
			check_no_more(check_keys(rest, vm_keys, COUNT(vm_keys), &ctx), &ctx);
			check_vm_consistency(r, &ctx);
		} else if (strcmp(record->valuestring, "vcpu") == 0) {
			counts[2]++;
			check_no_more(check_keys(rest, vcpu_record_keys, COUNT(vcpu_record_keys), &ctx), &ctx);
		} else {
			fail(&ctx, "record", "not host, vm or vcpu");
		}
		cJSON_Delete(r);
	}
	free(line);
	printf("check_ndjson: %ld lines (host %ld, vm %ld, vcpu %ld), %d problems\n", ctx.number,
	       counts[0], counts[1], counts[2], ctx.errors);
	return ctx.errors || ctx.number == 0 ? 1 : 0;
}
