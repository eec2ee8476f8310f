#include "emit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
 * instead of a copy (the "CS" calls), and a cached tree can be checked key
 * by key with a pointer comparison.  The object owns the item from here; on
 * failure the item is freed. */
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

/* A writer fills one record.  It either builds a new cJSON object, or walks
 * a VM's tree kept from the previous tick and rewrites its values in place:
 * the same add_* calls do both, so the two cannot drift apart.  Any difference
 * in shape (a key out of place, an item more or less, a string of another
 * length) fails the update, and the tree is built anew.  Keeping the trees
 * saves building and freeing ~60 cJSON items per VM per tick. */
struct writer {
	cJSON *object;
	cJSON *next;   /* updating: the item the next add_* must find */
	bool updating;
	bool failed;   /* building: out of memory; updating: another shape */
};

/* Raw number items are made with this much room, so that every later value
 * fits in place: "%.2f" of at most 1e9 and 20-digit integers are shorter. */
#define RAW_ROOM 31
static const char raw_room[RAW_ROOM + 1] = "                               ";

static void writer_build(struct writer *w, cJSON *object)
{
	*w = (struct writer){ .object = object, .failed = object == NULL };
}

static void writer_update(struct writer *w, cJSON *object)
{
	*w = (struct writer){ .object = object, .next = object->child, .updating = true };
}

/* True when the record is complete: nothing failed, no item left over. */
static bool writer_done(struct writer *w)
{
	if (w->updating && w->next)
		w->failed = true;
	return !w->failed;
}

static cJSON *next_item(struct writer *w, const char *literal_key)
{
	cJSON *item = w->next;

	if (w->failed || !item || item->string != literal_key) {
		w->failed = true;
		return NULL;
	}
	w->next = item->next;
	return item;
}

static void add_raw(struct writer *w, const char *key, const char *text)
{
	cJSON *item;

	if (w->failed || strlen(text) > RAW_ROOM) {
		w->failed = true;
		return;
	}
	if (w->updating) {
		if ((item = next_item(w, key)) != NULL)
			strcpy(item->valuestring, text);
		return;
	}
	item = cJSON_CreateRaw(raw_room);
	if (item)
		strcpy(item->valuestring, text);
	if (!add_item(w->object, key, item))
		w->failed = true;
}

static void add_string(struct writer *w, const char *key, const char *value)
{
	cJSON *item;

	if (w->failed)
		return;
	if (!w->updating) {
		if (!add_item(w->object, key, cJSON_CreateString(value)))
			w->failed = true;
		return;
	}
	item = next_item(w, key);
	if (item && strcmp(item->valuestring, value) != 0) {
		if (strlen(item->valuestring) == strlen(value))
			strcpy(item->valuestring, value); /* the timestamp, every tick */
		else
			w->failed = true;
	}
}

/* Percentages always print with two decimals: "0.00", never "0", or
 * Elasticsearch maps the field as an integer on first sight. */
static void add_pct(struct writer *w, const char *key, double value)
{
	char text[40];

	emit_format_pct(value, text);
	add_raw(w, key, text);
}

/* Integers as text too: cJSON prints numbers through "%1.15g" and a sscanf. */
static void add_int(struct writer *w, const char *key, long long value)
{
	char digits[24];
	char *text = format_uint((uint64_t)(value < 0 ? -value : value), digits + sizeof(digits));

	if (value < 0)
		*--text = '-';
	add_raw(w, key, text);
}

static void add_common(struct writer *w, const struct tick_context *tick, const char *kind)
{
	add_string(w, "@timestamp", tick->timestamp);
	add_string(w, "record", kind);
	add_int(w, "schema", SCHEMA_VERSION);
	add_string(w, "host_name", tick->options->host_name);
	add_raw(w, "interval_s", tick->interval);
}

/* Prints object as one line at the end of out; *line_len gets the line's
 * length with its '\n'.  cJSON prints straight into out's spare room (grown
 * until the line fits), so a line costs no allocation of its own. */
static int print_line(const cJSON *object, struct buf *out, size_t *line_len)
{
	size_t room = 1024, len;

	for (;;) {
		if (buf_reserve(out, room))
			return -ENOMEM;
		/* cJSON asks for 5 bytes more than it writes; the '\n' takes one */
		if (cJSON_PrintPreallocated((cJSON *)object, out->data + out->len, (int)(out->cap - out->len - 1), 0))
			break;
		if (room > (1U << 30))
			return -ENOMEM;
		room = (out->cap - out->len) * 2;
	}
	len = strlen(out->data + out->len);
	out->data[out->len + len] = '\n';
	out->len += len + 1;
	if (line_len)
		*line_len = len + 1;
	return 0;
}

/* Builds a record with fill(), prints it and frees it. */
static int emit_once(const struct tick_context *tick, const void *what,
		     void (*fill)(struct writer *, const struct tick_context *, const void *), struct buf *out)
{
	struct writer w;
	int err;

	writer_build(&w, cJSON_CreateObject());
	fill(&w, tick, what);
	err = writer_done(&w) ? print_line(w.object, out, NULL) : -ENOMEM;
	cJSON_Delete(w.object);
	return err;
}

static void fill_host(struct writer *w, const struct tick_context *tick, const void *unused)
{
	const struct tick_figures *f = tick->figures;
	const struct host_figures *h = &f->host;

	(void)unused;
	add_common(w, tick, "host");
	add_int(w, "cpu_count", h->cpu_count);
	add_int(w, "vm_count", (long long)f->vm_count);
	add_int(w, "vcpu_count", (long long)f->vcpu_total);
	add_pct(w, "cpu_user_pct", h->user);
	add_pct(w, "cpu_nice_pct", h->nice);
	add_pct(w, "cpu_system_pct", h->system);
	add_pct(w, "cpu_idle_pct", h->idle);
	add_pct(w, "cpu_iowait_pct", h->iowait);
	add_pct(w, "cpu_irq_pct", h->irq);
	add_pct(w, "cpu_softirq_pct", h->softirq);
	add_pct(w, "cpu_steal_pct", h->steal);
	add_pct(w, "cpu_guest_pct", h->guest);
	add_pct(w, "cpu_guest_nice_pct", h->guest_nice);
}

/* vm_name, and vm_uuid when the command line had one: the VM's identity on
 * both vm and vcpu records. */
static void add_vm_identity(struct writer *w, const struct vm_figures *vm)
{
	add_string(w, "vm_name", vm->name);
	if (vm->vm->has_uuid)
		add_string(w, "vm_uuid", vm->vm->uuid);
	add_int(w, "process_pid", vm->vm->pid);
}

static void add_vm_figures(struct writer *w, const struct vm_figures *vm)
{
	if (vm->vcpu_count > 0) {
		add_string(w, "accel", vm->tcg ? "tcg" : "kvm");
		add_string(w, "vcpu_source", vm->vm->vcpus_by_guest_time ? "guest_time" : "comm");
	}
	add_int(w, "vcpu_count", (long long)vm->vcpu_count);
	if (vm->vcpu_count > 0) {
		add_pct(w, "vcpu_steal_pct_avg", vm->steal_avg);
		add_pct(w, "vcpu_steal_pct_max", vm->steal_max);
		add_pct(w, "vcpu_run_pct_avg", vm->run_avg);
	}
	add_int(w, "other_thread_count", (long long)vm->other_count);
	add_pct(w, "other_threads_wait_pct", vm->other_wait_pct);
	add_pct(w, "process_guest_pct", vm->guest_pct);
	add_pct(w, "process_user_pct", vm->user_pct);
	add_pct(w, "process_system_pct", vm->system_pct);
}

static void add_vcpu(struct writer *w, const struct vcpu_figures *v)
{
	add_int(w, "id", v->id);
	add_int(w, "tid", v->tid);
	add_pct(w, "steal_pct", v->steal_pct);
	add_pct(w, "run_pct", v->run_pct);
}

static void add_vcpu_array(struct writer *w, const struct tick_figures *f, const struct vm_figures *vm)
{
	cJSON *array, *element = NULL;

	if (w->updating) {
		array = next_item(w, "vcpu");
		element = array ? array->child : NULL;
	} else {
		array = cJSON_CreateArray();
		if (!add_item(w->object, "vcpu", array))
			w->failed = true;
	}
	for (size_t k = 0; k < vm->vcpu_count && !w->failed; k++) {
		struct writer inner;
		if (!w->updating) {
			writer_build(&inner, cJSON_CreateObject());
			if (inner.object)
				cJSON_AddItemToArray(array, inner.object); /* the array owns it */
		} else if (element) {
			writer_update(&inner, element);
			element = element->next;
		} else {
			w->failed = true; /* fewer elements than vCPUs */
			break;
		}
		add_vcpu(&inner, &f->vcpus[vm->vcpu_first + k]);
		if (!writer_done(&inner))
			w->failed = true;
	}
	if (element)
		w->failed = true; /* more elements than vCPUs */
}

struct vm_with_array {
	const struct vm_figures *vm;
	bool with_array;
};

static void fill_vm(struct writer *w, const struct tick_context *tick, const void *what)
{
	const struct vm_with_array *v = what;

	add_common(w, tick, "vm");
	add_vm_identity(w, v->vm);
	add_vm_figures(w, v->vm);
	if (v->with_array && v->vm->vcpu_count > 0)
		add_vcpu_array(w, tick->figures, v->vm);
}

struct one_vcpu {
	const struct vm_figures *vm;
	const struct vcpu_figures *vcpu;
};

static void fill_vcpu_record(struct writer *w, const struct tick_context *tick, const void *what)
{
	const struct one_vcpu *v = what;

	add_common(w, tick, "vcpu");
	add_vm_identity(w, v->vm);
	add_int(w, "vcpu_id", v->vcpu->id);
	add_int(w, "thread_id", v->vcpu->tid);
	add_pct(w, "steal_pct", v->vcpu->steal_pct);
	add_pct(w, "run_pct", v->vcpu->run_pct);
}

/* The VM line without its array, then one vcpu record per vCPU. */
static int emit_split(const struct tick_context *tick, const struct vm_figures *vm, struct buf *out)
{
	struct vm_with_array line = { vm, false };
	int err = emit_once(tick, &line, fill_vm, out);

	for (size_t k = 0; err == 0 && k < vm->vcpu_count; k++) {
		struct one_vcpu record = { vm, &tick->figures->vcpus[vm->vcpu_first + k] };
		err = emit_once(tick, &record, fill_vcpu_record, out);
	}
	return err;
}

/* A VM's line from its cached tree (updated in place) or a new one, which is
 * then kept in *tree.  A line over the limit (rsyslog cuts lines at 8096 bytes
 * by default) is written again without its vcpu array, followed by one vcpu
 * record per vCPU; such a VM keeps no tree. */
static int emit_vm(const struct tick_context *tick, const struct vm_figures *vm, cJSON **tree, struct buf *out)
{
	struct vm_with_array line = { vm, true };
	size_t mark = out->len, line_len = 0;
	struct writer w;
	int err;

	if (tick->options->vcpu_records && vm->vcpu_count > 0) {
		cJSON_Delete(*tree);
		*tree = NULL;
		return emit_split(tick, vm, out);
	}
	if (*tree) {
		writer_update(&w, *tree);
		fill_vm(&w, tick, &line);
		if (!writer_done(&w)) {
			cJSON_Delete(*tree);
			*tree = NULL;
		}
	}
	if (!*tree) {
		writer_build(&w, cJSON_CreateObject());
		fill_vm(&w, tick, &line);
		if (!writer_done(&w)) {
			cJSON_Delete(w.object);
			return -ENOMEM;
		}
		*tree = w.object;
	}
	err = print_line(*tree, out, &line_len);
	if (err || vm->vcpu_count == 0 || line_len <= tick->options->max_line_bytes)
		return err;
	out->len = mark;
	cJSON_Delete(*tree);
	*tree = NULL;
	return emit_split(tick, vm, out);
}

struct cached_tree {
	int pid;
	uint64_t starttime;
	cJSON *tree;
};

struct emitter {
	struct cached_tree *trees; /* sorted by pid */
	size_t count, cap;
	struct cached_tree *next;  /* this tick's, swapped in at the end */
	size_t next_cap;
};

struct emitter *emitter_new(void)
{
	return calloc(1, sizeof(struct emitter));
}

void emitter_free(struct emitter *emitter)
{
	if (!emitter)
		return;
	for (size_t i = 0; i < emitter->count; i++)
		cJSON_Delete(emitter->trees[i].tree);
	free(emitter->trees);
	free(emitter->next);
	free(emitter);
}

/* Takes the cached tree of vm out of the old list (both go in pid order),
 * freeing the trees of VMs that are gone. */
static cJSON *take_tree(struct emitter *e, size_t *old, const struct vm_sample *vm)
{
	cJSON *tree = NULL;

	while (*old < e->count && e->trees[*old].pid < vm->pid)
		cJSON_Delete(e->trees[(*old)++].tree);
	if (*old < e->count && e->trees[*old].pid == vm->pid) {
		if (e->trees[*old].starttime == vm->starttime)
			tree = e->trees[*old].tree;
		else
			cJSON_Delete(e->trees[*old].tree);
		(*old)++;
	}
	return tree;
}

static void swap_trees(struct emitter *e, size_t old, size_t kept)
{
	struct cached_tree *spare = e->trees;
	size_t spare_cap = e->cap;

	while (old < e->count)
		cJSON_Delete(e->trees[old++].tree);
	e->trees = e->next;
	e->cap = e->next_cap;
	e->count = kept;
	e->next = spare;
	e->next_cap = spare_cap;
}

int emit_tick(struct emitter *emitter, const struct tick_figures *figures, const struct emit_options *options,
	      struct buf *out)
{
	struct tick_context tick = { .options = options, .figures = figures };
	size_t mark = out->len, old = 0, kept = 0;
	int err = 0;

	if (array_reserve((void **)&emitter->next, &emitter->next_cap, figures->vm_count, sizeof(*emitter->next)))
		return -ENOMEM;
	emit_format_timestamp(&figures->real, tick.timestamp);
	snprintf(tick.interval, sizeof(tick.interval), "%.3f", figures->interval_s);
	if (figures->host.valid)
		err = emit_once(&tick, NULL, fill_host, out);
	for (size_t i = 0; i < figures->vm_count; i++) {
		const struct vm_figures *vm = &figures->vms[i];
		cJSON *tree = take_tree(emitter, &old, vm->vm);
		if (err == 0)
			err = emit_vm(&tick, vm, &tree, out);
		if (tree)
			emitter->next[kept++] = (struct cached_tree){ vm->vm->pid, vm->vm->starttime, tree };
	}
	swap_trees(emitter, old, kept);
	if (err)
		out->len = mark;
	return err;
}
