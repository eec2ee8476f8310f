#include "emit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

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

/* Percentages always print with two decimals: "0.00", never "0", or
 * Elasticsearch maps the field as an integer on first sight. */
static bool add_pct(cJSON *object, const char *key, double value)
{
	char text[32];

	if (!isfinite(value) || value < 0)
		value = 0;
	if (value > 1e9)
		value = 1e9;
	snprintf(text, sizeof(text), "%.2f", value);
	return cJSON_AddRawToObject(object, key, text) != NULL;
}

static bool add_int(cJSON *object, const char *key, long long value)
{
	return cJSON_AddNumberToObject(object, key, (double)value) != NULL;
}

static cJSON *record_new(const struct tick_context *tick, const char *kind)
{
	cJSON *object = cJSON_CreateObject();

	if (!object)
		return NULL;
	if (!cJSON_AddStringToObject(object, "@timestamp", tick->timestamp) ||
	    !cJSON_AddStringToObject(object, "record", kind) ||
	    !add_int(object, "schema", SCHEMA_VERSION) ||
	    !cJSON_AddStringToObject(object, "host_name", tick->options->host_name) ||
	    !cJSON_AddRawToObject(object, "interval_s", tick->interval)) {
		cJSON_Delete(object);
		return NULL;
	}
	return object;
}

/* Prints object as one line into out and frees it; returns the line length. */
static int append_line(cJSON *object, struct buf *out, size_t *line_len)
{
	char *text = cJSON_PrintUnformatted(object);
	size_t len;
	int err = 0;

	cJSON_Delete(object);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	if (buf_append(out, text, len) || buf_append(out, "\n", 1))
		err = -ENOMEM;
	cJSON_free(text);
	if (line_len)
		*line_len = len + 1;
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
	if (!cJSON_AddStringToObject(r, "vm_name", vm->name))
		return false;
	if (vm->vm->has_uuid && !cJSON_AddStringToObject(r, "vm_uuid", vm->vm->uuid))
		return false;
	return add_int(r, "process_pid", vm->vm->pid);
}

static bool add_vm_figures(cJSON *r, const struct vm_figures *vm)
{
	if (vm->vcpu_count > 0) {
		if (!cJSON_AddStringToObject(r, "accel", vm->tcg ? "tcg" : "kvm") ||
		    !cJSON_AddStringToObject(r, "vcpu_source", "comm"))
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
	cJSON *array = cJSON_AddArrayToObject(r, "vcpu");

	if (!array)
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
