#include "emit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* What every record of one tick shares. */
struct tick_context {
	const struct emit_options *options;
	const struct tick_figures *figures;
	char timestamp[25];
	char interval[32];
};

void emit_format_timestamp(const struct timespec *real, char out[25])
{
	struct tm tm;
	time_t seconds = real->tv_sec;
	unsigned millis = (unsigned)(real->tv_nsec / 1000000) % 1000;

	gmtime_r(&seconds, &tm);
	if (strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm) != 19)
		memcpy(out, "1970-01-01T00:00:00", 20);
	out[19] = '.';
	out[20] = (char)('0' + millis / 100);
	out[21] = (char)('0' + millis / 10 % 10);
	out[22] = (char)('0' + millis % 10);
	out[23] = 'Z';
	out[24] = '\0';
}

/* Adds an item under a key that is a string literal: cJSON keeps the pointer
 * instead of a copy (the "CS" calls).  The object owns the item from here;
 * on failure the item is freed. */
static bool add_item(cJSON *object, const char *literal_key, cJSON *item)
{
	if (item && cJSON_AddItemToObjectCS(object, literal_key, item))
		return true;
	cJSON_Delete(item);
	return false;
}

static char *format_uint(uint64_t value, char *end)
{
	*--end = '\0';
	do {
		*--end = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	return end;
}

/* "%.2f" without printf's cost (it was the largest part of a tick).  The
 * result is the same: only a value whose hundredfold lies within 1e-6 of a
 * half can round either way, and that one is left to printf. */
void emit_format_pct(double value, char out[40])
{
	double scaled, whole, frac;
	uint64_t cents;
	char digits[24], *p;

	if (!isfinite(value) || value < 0)
		value = 0;
	if (value > 1e9)
		value = 1e9;
	scaled = value * 100.0;
	whole = floor(scaled);
	frac = scaled - whole;
	if (scaled >= 1e7 || fabs(frac - 0.5) < 1e-6) {
		snprintf(out, 40, "%.2f", value);
		return;
	}
	cents = (uint64_t)whole + (frac > 0.5);
	p = format_uint(cents / 100, digits + sizeof(digits) - 3);
	digits[sizeof(digits) - 4] = '.';
	digits[sizeof(digits) - 3] = (char)('0' + cents % 100 / 10);
	digits[sizeof(digits) - 2] = (char)('0' + cents % 10);
	digits[sizeof(digits) - 1] = '\0';
	memcpy(out, p, (size_t)(digits + sizeof(digits) - p));
}

/* Percentages always print with two decimals: "0.00", never "0", or
 * Elasticsearch maps the field as an integer on first sight. */
static bool add_pct(cJSON *object, const char *key, double value)
{
	char text[40];

	emit_format_pct(value, text);
	return add_item(object, key, cJSON_CreateRaw(text));
}

/* Integers as text too: cJSON prints numbers through "%1.15g" and a sscanf. */
static bool add_int(cJSON *object, const char *key, long long value)
{
	char digits[24];
	char *text = format_uint((uint64_t)(value < 0 ? -value : value), digits + sizeof(digits));

	if (value < 0)
		*--text = '-';
	return add_item(object, key, cJSON_CreateRaw(text));
}

static bool add_string(cJSON *object, const char *key, const char *value)
{
	return add_item(object, key, cJSON_CreateString(value));
}

static cJSON *record_new(const struct tick_context *tick, const char *kind)
{
	cJSON *object = cJSON_CreateObject();

	if (!object)
		return NULL;
	if (!add_string(object, "@timestamp", tick->timestamp) || !add_string(object, "record", kind) ||
	    !add_int(object, "schema", SCHEMA_VERSION) ||
	    !add_string(object, "host_name", tick->options->host_name) ||
	    !add_item(object, "interval_s", cJSON_CreateRaw(tick->interval))) {
		cJSON_Delete(object);
		return NULL;
	}
	return object;
}

/* Prints object as one line at the end of out and frees it; *line_len gets
 * the line's length with its '\n'.  cJSON prints straight into out's spare
 * room (grown until the line fits), so a line costs no allocation of its own. */
static int append_line(cJSON *object, struct buf *out, size_t *line_len)
{
	size_t room = 1024;
	int err = 0;

	for (;;) {
		if (buf_reserve(out, room)) {
			err = -ENOMEM;
			break;
		}
		/* cJSON asks for 5 bytes more than it writes; the '\n' takes one */
		if (cJSON_PrintPreallocated(object, out->data + out->len, (int)(out->cap - out->len - 1), 0))
			break;
		if (room > (1U << 30)) {
			err = -ENOMEM;
			break;
		}
		room = (out->cap - out->len) * 2;
	}
	if (err == 0) {
		size_t len = strlen(out->data + out->len);
		out->data[out->len + len] = '\n';
		out->len += len + 1;
		if (line_len)
			*line_len = len + 1;
	}
	cJSON_Delete(object);
	return err;
}

static int emit_host(const struct tick_context *tick, struct buf *out)
{
	const struct tick_figures *f = tick->figures;
	const struct host_figures *h = &f->host;
	cJSON *r = record_new(tick, "host");

	if (!r)
		return -ENOMEM;
	if (!add_int(r, "cpu_count", h->cpu_count) || !add_int(r, "vm_count", (long long)f->vm_count) ||
	    !add_int(r, "vcpu_count", (long long)f->vcpu_total) ||
	    !add_pct(r, "cpu_user_pct", h->user) || !add_pct(r, "cpu_nice_pct", h->nice) ||
	    !add_pct(r, "cpu_system_pct", h->system) || !add_pct(r, "cpu_idle_pct", h->idle) ||
	    !add_pct(r, "cpu_iowait_pct", h->iowait) || !add_pct(r, "cpu_irq_pct", h->irq) ||
	    !add_pct(r, "cpu_softirq_pct", h->softirq) || !add_pct(r, "cpu_steal_pct", h->steal) ||
	    !add_pct(r, "cpu_guest_pct", h->guest) || !add_pct(r, "cpu_guest_nice_pct", h->guest_nice)) {
		cJSON_Delete(r);
		return -ENOMEM;
	}
	return append_line(r, out, NULL);
}

/* vm_name, and vm_uuid when the command line had one: the VM's identity on
 * both vm and vcpu records. */
static bool add_vm_identity(cJSON *r, const struct vm_figures *vm)
{
	if (!add_string(r, "vm_name", vm->name))
		return false;
	if (vm->vm->has_uuid && !add_string(r, "vm_uuid", vm->vm->uuid))
		return false;
	return add_int(r, "process_pid", vm->vm->pid);
}

static bool add_vm_figures(cJSON *r, const struct vm_figures *vm)
{
	if (vm->vcpu_count > 0) {
		if (!add_string(r, "accel", vm->tcg ? "tcg" : "kvm") ||
		    !add_string(r, "vcpu_source", vm->vm->vcpus_by_guest_time ? "guest_time" : "comm"))
			return false;
	}
	if (!add_int(r, "vcpu_count", (long long)vm->vcpu_count))
		return false;
	if (vm->vcpu_count > 0 &&
	    (!add_pct(r, "vcpu_steal_pct_avg", vm->steal_avg) || !add_pct(r, "vcpu_steal_pct_max", vm->steal_max) ||
	     !add_pct(r, "vcpu_run_pct_avg", vm->run_avg)))
		return false;
	return add_int(r, "other_thread_count", (long long)vm->other_count) &&
	       add_pct(r, "other_threads_wait_pct", vm->other_wait_pct) &&
	       add_pct(r, "process_guest_pct", vm->guest_pct) &&
	       add_pct(r, "process_user_pct", vm->user_pct) &&
	       add_pct(r, "process_system_pct", vm->system_pct);
}

static bool add_vcpu_array(cJSON *r, const struct tick_figures *f, const struct vm_figures *vm)
{
	cJSON *array = cJSON_CreateArray();

	if (!add_item(r, "vcpu", array))
		return false;
	for (size_t k = 0; k < vm->vcpu_count; k++) {
		const struct vcpu_figures *v = &f->vcpus[vm->vcpu_first + k];
		cJSON *item = cJSON_CreateObject();
		if (!item)
			return false;
		cJSON_AddItemToArray(array, item); /* the array owns it from here */
		if (!add_int(item, "id", v->id) || !add_int(item, "tid", v->tid) ||
		    !add_pct(item, "steal_pct", v->steal_pct) || !add_pct(item, "run_pct", v->run_pct))
			return false;
	}
	return true;
}

static int emit_vcpu_records(const struct tick_context *tick, const struct vm_figures *vm, struct buf *out)
{
	const struct tick_figures *f = tick->figures;

	for (size_t k = 0; k < vm->vcpu_count; k++) {
		const struct vcpu_figures *v = &f->vcpus[vm->vcpu_first + k];
		cJSON *r = record_new(tick, "vcpu");
		if (!r)
			return -ENOMEM;
		if (!add_vm_identity(r, vm) || !add_int(r, "vcpu_id", v->id) ||
		    !add_int(r, "thread_id", v->tid) || !add_pct(r, "steal_pct", v->steal_pct) ||
		    !add_pct(r, "run_pct", v->run_pct)) {
			cJSON_Delete(r);
			return -ENOMEM;
		}
		if (append_line(r, out, NULL))
			return -ENOMEM;
	}
	return 0;
}

static cJSON *vm_record(const struct tick_context *tick, const struct vm_figures *vm, bool with_array)
{
	cJSON *r = record_new(tick, "vm");

	if (r && add_vm_identity(r, vm) && add_vm_figures(r, vm) &&
	    (!with_array || vm->vcpu_count == 0 || add_vcpu_array(r, tick->figures, vm)))
		return r;
	cJSON_Delete(r);
	return NULL;
}

/* A VM line over the limit (rsyslog cuts lines at 8096 bytes by default) is
 * written again without its vcpu array, followed by one vcpu record per vCPU. */
static int emit_vm(const struct tick_context *tick, const struct vm_figures *vm, struct buf *out)
{
	size_t mark = out->len, line_len = 0;
	bool split = tick->options->vcpu_records && vm->vcpu_count > 0;
	cJSON *r = vm_record(tick, vm, !split);

	if (!r || append_line(r, out, &line_len))
		return -ENOMEM;
	if (!split && vm->vcpu_count > 0 && line_len > tick->options->max_line_bytes) {
		out->len = mark;
		split = true;
		r = vm_record(tick, vm, false);
		if (!r || append_line(r, out, &line_len))
			return -ENOMEM;
	}
	return split ? emit_vcpu_records(tick, vm, out) : 0;
}

int emit_tick(const struct tick_figures *figures, const struct emit_options *options, struct buf *out)
{
	struct tick_context tick = { .options = options, .figures = figures };
	size_t mark = out->len;
	int err = 0;

	emit_format_timestamp(&figures->real, tick.timestamp);
	snprintf(tick.interval, sizeof(tick.interval), "%.3f", figures->interval_s);
	if (figures->host.valid)
		err = emit_host(&tick, out);
	for (size_t i = 0; err == 0 && i < figures->vm_count; i++)
		err = emit_vm(&tick, &figures->vms[i], out);
	if (err)
		out->len = mark;
	return err;
}
