#include "emit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* Why the record trees are kept: building, printing and freeing a fresh cJSON
 * tree for every record cost about 5 us a record, 2.5 ms a tick at 500 VMs
 * (a sixth of the agent's CPU), most of it in some 70 allocations and frees
 * per record.  A tree is built once per record shape (which optional keys it
 * has); its value items reference text the emitter owns (cJSON_IsReference:
 * cJSON neither copies nor frees it), so writing a record is formatting its
 * numbers into that text and printing the tree. */

#define NUMBER_TEXT FORMAT_TEXT
#define STRINGIFY(x) #x
#define DIGITS(x) STRINGIFY(x)

enum host_field {
	H_CPU_COUNT, H_VM_COUNT, H_VCPU_COUNT, H_USER, H_NICE, H_SYSTEM, H_IDLE,
	H_IOWAIT, H_IRQ, H_SOFTIRQ, H_STEAL, H_GUEST, H_GUEST_NICE, H_VM_CPU, HOST_FIELDS
};
static const char *const host_keys[HOST_FIELDS] = {
	"cpu_count", "vm_count", "vcpu_count", "cpu_user_pct", "cpu_nice_pct", "cpu_system_pct",
	"cpu_idle_pct", "cpu_iowait_pct", "cpu_irq_pct", "cpu_softirq_pct", "cpu_steal_pct",
	"cpu_guest_pct", "cpu_guest_nice_pct", "vm_cpu_pct"
};

enum vm_field {
	VM_PID, VM_VCPU_COUNT, VM_STEAL_AVG, VM_STEAL_MAX, VM_RUN_AVG, VM_OTHER_COUNT,
	VM_OTHER_WAIT, VM_GUEST, VM_USER, VM_SYSTEM, VM_THROTTLED, VM_CONTENTION, VM_LIMIT, VM_FIELDS
};
/* The numbers of a vm record after its identity, in the schema's order. */
static const struct {
	const char *key;
	enum vm_field field;
	int needs; /* 0 always; 1 only with vCPUs; 2 with vCPUs and --cgroup-root; 3 also a limit */
} vm_numbers[] = {
	{ "vcpu_count", VM_VCPU_COUNT, false },
	{ "vcpu_steal_pct_avg", VM_STEAL_AVG, true },
	{ "vcpu_steal_pct_max", VM_STEAL_MAX, true },
	{ "vcpu_run_pct_avg", VM_RUN_AVG, true },
	{ "other_thread_count", VM_OTHER_COUNT, false },
	{ "other_threads_wait_pct", VM_OTHER_WAIT, false },
	{ "process_guest_pct", VM_GUEST, false },
	{ "process_user_pct", VM_USER, false },
	{ "process_system_pct", VM_SYSTEM, false },
	{ "vcpu_throttled_pct_avg", VM_THROTTLED, 2 },
	{ "vcpu_contention_pct_avg", VM_CONTENTION, 2 },
	{ "cpu_limit_cpus", VM_LIMIT, 3 },
};

enum vcpu_field { V_ID, V_TID, V_STEAL, V_RUN, VCPU_FIELDS };
static const char *const vcpu_array_keys[VCPU_FIELDS] = { "id", "tid", "steal_pct", "run_pct" };
static const char *const vcpu_record_keys[VCPU_FIELDS] = { "vcpu_id", "thread_id", "steal_pct", "run_pct" };

/* The optional keys between a vm record's numbers and its vcpu array, in
 * the schema's order.  Made once, detached; attached to the tree that prints
 * only while it prints (a shape per combination would be 32 trees more). */
enum vm_tail { T_WAIT, T_CPUS, T_OWN, T_OTHER_VMS, T_HOST, T_IRQ, T_IDLE, TAIL_ITEMS };
static const char *const tail_keys[TAIL_ITEMS] = {
	"vcpu_wait_per_run_us_max", "vm_cpus", "vm_cpus_own_pct", "vm_cpus_other_vms_pct",
	"vm_cpus_host_pct", "vm_cpus_irq_pct", "vm_cpus_idle_pct",
};

/* An object of the vcpu array and the text its values point at.  Slots are
 * allocated one by one so that the text never moves. */
struct vcpu_slot {
	cJSON *object;
	cJSON *cpus;        /* the optional "cpus" item: in object, or owned here when detached */
	bool cpus_attached;
	cJSON *throttled;   /* the optional "throttled_pct" item, likewise */
	bool throttled_attached;
	cJSON *wait;        /* the optional "wait_per_run_us" item, likewise */
	bool wait_attached;
	char throttled_text[NUMBER_TEXT], wait_text[NUMBER_TEXT];
	char text[VCPU_FIELDS][NUMBER_TEXT];
};

/* A record tree of one shape, with the string items that change per VM. */
struct record_tree {
	cJSON *root; /* NULL until a record of this shape is first written */
	cJSON *name, *uuid, *id, *accel, *source, *cpus;
};

/* What a vm record says about vCPUs: nothing (none measured), only that
 * they cannot be told apart (vcpu_source "none"), or their figures. */
enum vcpu_shape { NO_VCPUS, VCPUS_UNKNOWN, WITH_VCPUS, WITH_THROTTLE, WITH_LIMIT, VCPU_SHAPES };

struct emitter {
	struct emit_options options;
	char timestamp[25], interval[32];
	char host_text[HOST_FIELDS][NUMBER_TEXT];
	char vm_text[VM_FIELDS][NUMBER_TEXT];
	char vcpu_text[VCPU_FIELDS][NUMBER_TEXT]; /* of a vcpu record */
	char vcpu_throttled_text[NUMBER_TEXT], vcpu_wait_text[NUMBER_TEXT];
	cJSON *host;
	struct record_tree vm[2][2][VCPU_SHAPES]; /* [has a UUID][has an id][vcpu_shape] */
	/* vcpu records, [has a UUID][has an id][has cpus][throttled][wait per run] */
	struct record_tree vcpu[2][2][2][2][2];
	cJSON *tail[TAIL_ITEMS];
	bool tail_attached[TAIL_ITEMS];
	char tail_text[TAIL_ITEMS][NUMBER_TEXT];
	/* Appended to a vm tree only while that tree prints; it holds the first
	 * slots_in_array slots' objects, the other slots own theirs. */
	cJSON *vcpu_array;
	struct vcpu_slot **slots;
	size_t slots_in_array, slot_count, slot_cap;
};

/* A value printed from the text it points at: cJSON_Raw for numbers
 * formatted here, cJSON_String for strings (escaped when printed). */
static cJSON *add_reference(cJSON *object, const char *literal_key, int type, const char *text)
{
	cJSON *item = cJSON_CreateStringReference(text);

	if (!item)
		return NULL;
	item->type = type | cJSON_IsReference;
	if (cJSON_AddItemToObjectCS(object, literal_key, item))
		return item;
	cJSON_Delete(item);
	return NULL;
}

static cJSON *add_raw_item(cJSON *object, const char *literal_key, const char *text)
{
	return add_reference(object, literal_key, cJSON_Raw, text);
}

static bool add_raw(cJSON *object, const char *literal_key, const char *text)
{
	return add_raw_item(object, literal_key, text) != NULL;
}

/* A string item whose text is pointed at each VM's before printing. */
static cJSON *add_string_slot(cJSON *object, const char *literal_key)
{
	return add_reference(object, literal_key, cJSON_String, "");
}

static cJSON *record_root(struct emitter *e, const char *kind)
{
	cJSON *root = cJSON_CreateObject();

	if (root && add_reference(root, "@timestamp", cJSON_String, e->timestamp) &&
	    add_reference(root, "record", cJSON_String, kind) &&
	    add_raw(root, "schema", DIGITS(SCHEMA_VERSION)) &&
	    add_reference(root, "host_name", cJSON_String, e->options.host_name) &&
	    add_raw(root, "interval_s", e->interval))
		return root;
	cJSON_Delete(root);
	return NULL;
}

/* vm_name, vm_uuid and vm_id when the command line had them, process_pid:
 * the VM's identity on both vm and vcpu records. */
static bool add_identity(struct emitter *e, struct record_tree *t, bool has_uuid, bool has_id)
{
	t->name = add_string_slot(t->root, "vm_name");
	if (!t->name || (has_uuid && !(t->uuid = add_string_slot(t->root, "vm_uuid"))) ||
	    (has_id && !(t->id = add_string_slot(t->root, "vm_id"))))
		return false;
	return add_raw(t->root, "process_pid", e->vm_text[VM_PID]);
}

/* Points a tree's identity items at vm's strings. */
static void point_identity(struct record_tree *t, const struct vm_figures *vm)
{
	t->name->valuestring = (char *)vm->name;
	if (t->uuid)
		t->uuid->valuestring = (char *)vm->vm->ident.uuid;
	if (t->id)
		t->id->valuestring = (char *)vm->vm->ident.id;
}

static int tree_failed(struct record_tree *t)
{
	cJSON_Delete(t->root);
	*t = (struct record_tree){ 0 };
	return -ENOMEM;
}

static int build_vm_tree(struct emitter *e, struct record_tree *t, bool has_uuid, bool has_id,
			 enum vcpu_shape shape)
{
	bool has_vcpus = shape >= WITH_VCPUS;
	int level = shape == WITH_LIMIT ? 3 : shape == WITH_THROTTLE ? 2 : has_vcpus ? 1 : 0;

	t->root = record_root(e, "vm");
	if (!t->root || !add_identity(e, t, has_uuid, has_id))
		return tree_failed(t);
	if (has_vcpus && !(t->accel = add_string_slot(t->root, "accel")))
		return tree_failed(t);
	if (shape != NO_VCPUS && !(t->source = add_string_slot(t->root, "vcpu_source")))
		return tree_failed(t);
	for (size_t i = 0; i < sizeof(vm_numbers) / sizeof(vm_numbers[0]); i++)
		if (vm_numbers[i].needs <= level &&
		    !add_raw(t->root, vm_numbers[i].key, e->vm_text[vm_numbers[i].field]))
			return tree_failed(t);
	return 0;
}

static int build_vcpu_tree(struct emitter *e, struct record_tree *t, bool has_uuid, bool has_id, bool has_cpus,
			   bool has_throttled, bool has_wait)
{
	t->root = record_root(e, "vcpu");
	if (!t->root || !add_identity(e, t, has_uuid, has_id))
		return tree_failed(t);
	for (int i = 0; i < VCPU_FIELDS; i++)
		if (!add_raw(t->root, vcpu_record_keys[i], e->vcpu_text[i]))
			return tree_failed(t);
	if (has_throttled && !add_raw(t->root, "throttled_pct", e->vcpu_throttled_text))
		return tree_failed(t);
	if (has_cpus && !(t->cpus = add_string_slot(t->root, "cpus")))
		return tree_failed(t);
	if (has_wait && !add_raw(t->root, "wait_per_run_us", e->vcpu_wait_text))
		return tree_failed(t);
	return 0;
}

static int build_host_tree(struct emitter *e)
{
	e->host = record_root(e, "host");
	for (int i = 0; e->host && i < HOST_FIELDS; i++)
		if (!add_raw(e->host, host_keys[i], e->host_text[i])) {
			cJSON_Delete(e->host);
			e->host = NULL;
		}
	return e->host ? 0 : -ENOMEM;
}

static void fill_vcpu_text(char text[VCPU_FIELDS][NUMBER_TEXT], const struct vcpu_figures *v)
{
	format_int(v->id, text[V_ID]);
	format_int(v->tid, text[V_TID]);
	format_pct(v->steal_pct, text[V_STEAL]);
	format_pct(v->run_pct, text[V_RUN]);
}

static void fill_vm_text(struct emitter *e, const struct vm_figures *vm)
{
	format_int(vm->vm->pid, e->vm_text[VM_PID]);
	format_int((long long)vm->vcpu_count, e->vm_text[VM_VCPU_COUNT]);
	format_pct(vm->steal_avg, e->vm_text[VM_STEAL_AVG]);
	format_pct(vm->steal_max, e->vm_text[VM_STEAL_MAX]);
	format_pct(vm->run_avg, e->vm_text[VM_RUN_AVG]);
	format_int((long long)vm->other_count, e->vm_text[VM_OTHER_COUNT]);
	format_pct(vm->other_wait_pct, e->vm_text[VM_OTHER_WAIT]);
	format_pct(vm->guest_pct, e->vm_text[VM_GUEST]);
	format_pct(vm->user_pct, e->vm_text[VM_USER]);
	format_pct(vm->system_pct, e->vm_text[VM_SYSTEM]);
	format_pct(vm->throttled_avg, e->vm_text[VM_THROTTLED]);
	format_pct(vm->contention_avg, e->vm_text[VM_CONTENTION]);
	/* CPUs, not a percentage: three decimals, never 0 for a limit that exists (printed only then) */
	if (vm->limit_cpus > 0)
		format_fixed(vm->limit_cpus < 0.001 ? 0.001 : vm->limit_cpus, 3, e->vm_text[VM_LIMIT]);
}

static void fill_host_text(struct emitter *e, const struct tick_figures *f)
{
	const struct host_figures *h = &f->host;
	const double pcts[] = { h->user, h->nice, h->system, h->idle, h->iowait,
				h->irq, h->softirq, h->steal, h->guest, h->guest_nice, h->vm_cpu };

	format_int(h->cpu_count, e->host_text[H_CPU_COUNT]);
	format_int((long long)f->vm_count, e->host_text[H_VM_COUNT]);
	format_int((long long)f->vcpu_total, e->host_text[H_VCPU_COUNT]);
	for (int i = 0; i < HOST_FIELDS - H_USER; i++)
		format_pct(pcts[i], e->host_text[H_USER + i]);
}

static const char *source_text(enum vcpu_source source)
{
	return source == VCPU_SOURCE_COMM ? "comm" : source == VCPU_SOURCE_GUEST_TIME ? "guest_time" : "none";
}

/* The tree for vm's shape, its string items pointed at vm's strings. */
static struct record_tree *vm_tree(struct emitter *e, const struct vm_figures *vm)
{
	bool has_uuid = vm->vm->ident.has_uuid, has_id = vm->vm->ident.id[0] != '\0';
	enum vcpu_shape shape = vm->vcpu_count == 0 ? (vm->vm->vcpu_source == VCPU_SOURCE_NONE ? VCPUS_UNKNOWN : NO_VCPUS)
			      : !vm->has_throttle ? WITH_VCPUS
			      : vm->limit_cpus > 0 ? WITH_LIMIT : WITH_THROTTLE;
	struct record_tree *t = &e->vm[has_uuid][has_id][shape];

	if (!t->root && build_vm_tree(e, t, has_uuid, has_id, shape))
		return NULL;
	point_identity(t, vm);
	if (t->accel)
		t->accel->valuestring = (char *)(vm->tcg ? "tcg" : "kvm");
	if (t->source)
		t->source->valuestring = (char *)source_text(vm->vm->vcpu_source);
	return t;
}

/* The "cpus" item, made once, kept detached while the slot's vCPU has none. */
static bool add_slot_cpus(struct vcpu_slot *slot)
{
	if (!(slot->throttled = add_raw_item(slot->object, "throttled_pct", slot->throttled_text)))
		return false;
	cJSON_DetachItemViaPointer(slot->object, slot->throttled);
	if (!(slot->cpus = add_string_slot(slot->object, "cpus")))
		return false;
	cJSON_DetachItemViaPointer(slot->object, slot->cpus);
	if (!(slot->wait = add_raw_item(slot->object, "wait_per_run_us", slot->wait_text)))
		return false;
	cJSON_DetachItemViaPointer(slot->object, slot->wait);
	return true;
}

static int add_slot(struct emitter *e)
{
	struct vcpu_slot *slot = calloc(1, sizeof(*slot));

	if (!slot || array_reserve((void **)&e->slots, &e->slot_cap, e->slot_count + 1, sizeof(*e->slots)))
		goto fail;
	slot->object = cJSON_CreateObject();
	for (int i = 0; slot->object && i < VCPU_FIELDS; i++)
		if (!add_raw(slot->object, vcpu_array_keys[i], slot->text[i]))
			goto fail;
	if (!slot->object || !add_slot_cpus(slot))
		goto fail;
	e->slots[e->slot_count++] = slot;
	return 0;
fail:
	if (slot)
		cJSON_Delete(slot->object);
	free(slot);
	return -ENOMEM;
}

/* Gives the slot the optional items its vCPU has, after the four always
 * there and in the schema's order: throttled_pct, cpus, wait_per_run_us. */
static void set_slot_optional(struct vcpu_slot *slot, const struct vcpu_figures *v)
{
	if (slot->throttled_attached)
		cJSON_DetachItemViaPointer(slot->object, slot->throttled);
	if (slot->cpus_attached)
		cJSON_DetachItemViaPointer(slot->object, slot->cpus);
	if (slot->wait_attached)
		cJSON_DetachItemViaPointer(slot->object, slot->wait);
	slot->throttled_attached = v->has_throttled;
	slot->cpus_attached = v->cpus != NULL;
	slot->wait_attached = v->has_wait_per_run;
	if (v->has_throttled) {
		format_pct(v->throttled_pct, slot->throttled_text);
		cJSON_AddItemToObjectCS(slot->object, "throttled_pct", slot->throttled);
	}
	if (v->cpus) {
		slot->cpus->valuestring = (char *)v->cpus;
		cJSON_AddItemToObjectCS(slot->object, "cpus", slot->cpus);
	}
	if (v->has_wait_per_run) {
		format_pct(v->wait_per_run_us, slot->wait_text);
		cJSON_AddItemToObjectCS(slot->object, "wait_per_run_us", slot->wait);
	}
}

/* Makes the vcpu array hold vm's vCPUs, with their figures. */
static int fill_vcpu_array(struct emitter *e, const struct tick_figures *f, const struct vm_figures *vm)
{
	while (e->slots_in_array > vm->vcpu_count)
		cJSON_DetachItemViaPointer(e->vcpu_array, e->slots[--e->slots_in_array]->object);
	while (e->slots_in_array < vm->vcpu_count) {
		if (e->slots_in_array == e->slot_count && add_slot(e))
			return -ENOMEM;
		cJSON_AddItemToArray(e->vcpu_array, e->slots[e->slots_in_array++]->object);
	}
	for (size_t k = 0; k < vm->vcpu_count; k++) {
		fill_vcpu_text(e->slots[k]->text, &f->vcpus[vm->vcpu_first + k]);
		set_slot_optional(e->slots[k], &f->vcpus[vm->vcpu_first + k]);
	}
	return 0;
}

/* Prints root as one line at the end of out; *line_len gets the line's
 * length with its '\n'.  cJSON prints straight into out's spare room (grown
 * until the line fits), so a line costs no allocation of its own. */
static int append_line(cJSON *root, struct buf *out, size_t *line_len)
{
	size_t room = 1024, len, start;

	for (;;) {
		if (buf_reserve(out, room))
			return -ENOMEM;
		/* cJSON asks for 5 bytes more than it writes; the '\n' takes one */
		if (cJSON_PrintPreallocated(root, out->data + out->len, (int)(out->cap - out->len - 1), 0))
			break;
		if (room > (1U << 30))
			return -ENOMEM;
		room = (out->cap - out->len) * 2;
	}
	len = strlen(out->data + out->len);
	start = out->len;
	out->len += len;
	/* terminal-safe: bidi and invisible characters as \uXXXX, the same value */
	if (text_json_escape_hidden(out, start) || buf_append(out, "\n", 1))
		return -ENOMEM;
	if (line_len)
		*line_len = out->len - start;
	return 0;
}

static int emit_host(struct emitter *e, const struct tick_figures *f, struct buf *out)
{
	if (!e->host && build_host_tree(e))
		return -ENOMEM;
	fill_host_text(e, f);
	return append_line(e->host, out, NULL);
}

static int emit_vcpu_records(struct emitter *e, const struct tick_figures *f, const struct vm_figures *vm,
			     struct buf *out)
{
	bool has_uuid = vm->vm->ident.has_uuid, has_id = vm->vm->ident.id[0] != '\0';

	for (size_t k = 0; k < vm->vcpu_count; k++) {
		const struct vcpu_figures *v = &f->vcpus[vm->vcpu_first + k];
		struct record_tree *t =
			&e->vcpu[has_uuid][has_id][v->cpus != NULL][v->has_throttled][v->has_wait_per_run];
		if (!t->root &&
		    build_vcpu_tree(e, t, has_uuid, has_id, v->cpus != NULL, v->has_throttled, v->has_wait_per_run))
			return -ENOMEM;
		format_pct(v->throttled_pct, e->vcpu_throttled_text);
		format_pct(v->wait_per_run_us, e->vcpu_wait_text);
		point_identity(t, vm);
		if (t->cpus)
			t->cpus->valuestring = (char *)v->cpus;
		fill_vcpu_text(e->vcpu_text, v);
		if (append_line(t->root, out, NULL))
			return -ENOMEM;
	}
	return 0;
}

static int print_vm(struct emitter *e, const struct tick_figures *f, const struct vm_figures *vm,
		    struct record_tree *t, struct buf *out);

/* The tail items, made once (emitter_new), held detached in between. */
static int make_tail(struct emitter *e)
{
	cJSON *holder = cJSON_CreateObject();
	int err = holder ? 0 : -ENOMEM;

	for (int i = 0; err == 0 && i < TAIL_ITEMS; i++) {
		e->tail[i] = i == T_CPUS ? add_string_slot(holder, tail_keys[i])
					 : add_raw_item(holder, tail_keys[i], e->tail_text[i]);
		if (!e->tail[i])
			err = -ENOMEM;
		else
			cJSON_DetachItemViaPointer(holder, e->tail[i]);
	}
	cJSON_Delete(holder);
	return err;
}

/* Attaches the tail items vm has to its tree, after its numbers. */
static void attach_tail(struct emitter *e, cJSON *root, const struct vm_figures *vm)
{
	const struct vm_holders *h = &vm->holders;
	const double pcts[] = { h->own_pct, h->other_vms_pct, h->host_pct, h->irq_pct, h->idle_pct };

	e->tail_attached[T_WAIT] = vm->vcpu_count > 0 && vm->has_wait_per_run;
	format_pct(vm->wait_per_run_max_us, e->tail_text[T_WAIT]);
	e->tail_attached[T_CPUS] = vm->vcpu_count > 0 && h->valid && h->has_cpus;
	e->tail[T_CPUS]->valuestring = (char *)h->cpus;
	for (int i = T_OWN; i < TAIL_ITEMS; i++) {
		e->tail_attached[i] = vm->vcpu_count > 0 && h->valid;
		format_pct(pcts[i - T_OWN], e->tail_text[i]);
	}
	for (int i = 0; i < TAIL_ITEMS; i++)
		if (e->tail_attached[i])
			cJSON_AddItemToObjectCS(root, tail_keys[i], e->tail[i]);
}

static void detach_tail(struct emitter *e, cJSON *root)
{
	for (int i = 0; i < TAIL_ITEMS; i++)
		if (e->tail_attached[i])
			cJSON_DetachItemViaPointer(root, e->tail[i]);
	memset(e->tail_attached, 0, sizeof(e->tail_attached));
}

/* A VM line over the limit (rsyslog cuts lines at 8096 bytes by default) is
 * written again without its vcpu array, followed by one vcpu record per vCPU. */
static int emit_vm(struct emitter *e, const struct tick_figures *f, const struct vm_figures *vm, struct buf *out)
{
	struct record_tree *t = vm_tree(e, vm);
	int err;

	if (!t)
		return -ENOMEM;
	fill_vm_text(e, vm);
	attach_tail(e, t->root, vm);
	err = print_vm(e, f, vm, t, out);
	detach_tail(e, t->root);
	return err;
}

static int print_vm(struct emitter *e, const struct tick_figures *f, const struct vm_figures *vm,
		    struct record_tree *t, struct buf *out)
{
	bool split = e->options.vcpu_records && vm->vcpu_count > 0;
	size_t mark = out->len, line_len = 0;
	int err;

	if (!split && vm->vcpu_count > 0) {
		if (fill_vcpu_array(e, f, vm))
			return -ENOMEM;
		cJSON_AddItemToObjectCS(t->root, "vcpu", e->vcpu_array);
		err = append_line(t->root, out, &line_len);
		cJSON_DetachItemViaPointer(t->root, e->vcpu_array);
		if (err || line_len <= e->options.max_line_bytes)
			return err;
		out->len = mark;
		split = true;
	}
	err = append_line(t->root, out, NULL);
	return err || !split ? err : emit_vcpu_records(e, f, vm, out);
}

struct emitter *emitter_new(const struct emit_options *options)
{
	struct emitter *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->options = *options;
	e->vcpu_array = cJSON_CreateArray();
	if (!e->vcpu_array || make_tail(e)) {
		emitter_free(e);
		return NULL;
	}
	return e;
}

void emitter_free(struct emitter *e)
{
	if (!e)
		return;
	cJSON_Delete(e->host);
	for (int u = 0; u < 2; u++)
		for (int i = 0; i < 2; i++) {
			for (int shape = 0; shape < VCPU_SHAPES; shape++)
				cJSON_Delete(e->vm[u][i][shape].root);
			for (int c = 0; c < 8; c++)
				cJSON_Delete(e->vcpu[u][i][c / 4][c / 2 % 2][c % 2].root);
		}
	for (int i = 0; i < TAIL_ITEMS; i++)
		cJSON_Delete(e->tail[i]);
	cJSON_Delete(e->vcpu_array); /* with the objects of the slots in it */
	for (size_t i = 0; i < e->slot_count; i++) {
		if (i >= e->slots_in_array)
			cJSON_Delete(e->slots[i]->object);
		if (!e->slots[i]->cpus_attached)
			cJSON_Delete(e->slots[i]->cpus);
		if (!e->slots[i]->throttled_attached)
			cJSON_Delete(e->slots[i]->throttled);
		if (!e->slots[i]->wait_attached)
			cJSON_Delete(e->slots[i]->wait);
		free(e->slots[i]);
	}
	free(e->slots);
	free(e);
}

int emit_tick(struct emitter *e, const struct tick_figures *figures, struct buf *out)
{
	size_t mark = out->len;
	int err = 0;

	format_timestamp(&figures->real, e->timestamp);
	snprintf(e->interval, sizeof(e->interval), "%.3f", figures->interval_s);
	if (figures->host.valid)
		err = emit_host(e, figures, out);
	for (size_t i = 0; err == 0 && i < figures->vm_count; i++)
		err = emit_vm(e, figures, &figures->vms[i], out);
	if (err)
		out->len = mark;
	return err;
}
