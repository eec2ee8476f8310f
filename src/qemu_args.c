#include "qemu_args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A cursor over bytes that are not NUL-terminated. */
struct cursor {
	const char *p;
	const char *end;
};

bool parse_is_qemu_program(const char *name, size_t len)
{
	static const char prefix[] = "qemu-system-";
	size_t plen = sizeof(prefix) - 1;

	if (len == 8 && memcmp(name, "qemu-kvm", 8) == 0)
		return true;
	if (len == 3 && memcmp(name, "kvm", 3) == 0)
		return true;
	if (len == 9 && memcmp(name, "kvm-spice", 9) == 0)
		return true;
	return len > plen && memcmp(name, prefix, plen) == 0;
}

bool parse_is_qemu_argv0(const char *cmdline, size_t len)
{
	const char *nul = memchr(cmdline, '\0', len);
	size_t arg_len = nul ? (size_t)(nul - cmdline) : len;
	const char *slash = memrchr(cmdline, '/', arg_len);
	const char *base = slash ? slash + 1 : cmdline;

	return parse_is_qemu_program(base, arg_len - (size_t)(base - cmdline));
}

bool parse_vcpu_comm(const char *comm, size_t len, struct vcpu_name *out)
{
	struct cursor c = { comm, comm + len };
	long id = 0;
	const char *digits;

	if (len < 4 || memcmp(comm, "CPU ", 4) != 0)
		return false;
	c.p += 4;
	digits = c.p;
	while (c.p < c.end && *c.p >= '0' && *c.p <= '9' && c.p - digits < 7)
		id = id * 10 + (*c.p++ - '0');
	if (c.p == digits || (c.p - digits > 1 && *digits == '0'))
		return false;
	if (c.end - c.p != 4 || c.p[0] != '/')
		return false;
	if (memcmp(c.p + 1, "KVM", 3) == 0)
		out->tcg = false;
	else if (memcmp(c.p + 1, "TCG", 3) == 0)
		out->tcg = true;
	else
		return false;
	out->id = (int)id;
	return true;
}

/* One argv element: [p, end) of the cmdline buffer. */
struct arg {
	const char *p;
	const char *end;
};

/* Moves to the next NUL-separated element; the last may lack its NUL
 * (a truncated read, or a process that rewrote its argv). */
static bool next_arg(struct cursor *c, struct arg *arg)
{
	const char *nul;

	if (c->p >= c->end)
		return false;
	nul = memchr(c->p, '\0', (size_t)(c->end - c->p));
	arg->p = c->p;
	arg->end = nul ? nul : c->end;
	c->p = nul ? nul + 1 : c->end;
	return true;
}

static bool arg_is(const struct arg *arg, const char *text)
{
	size_t n = strlen(text);
	return (size_t)(arg->end - arg->p) == n && memcmp(arg->p, text, n) == 0;
}

/* QEMU option values end at a single ',' and spell a literal comma ",,".
 * Copies the unescaped value into out (room for end-p bytes) and returns
 * where the next parameter starts. */
static const char *copy_opt_value(const char *p, const char *end, char *out, size_t *out_len)
{
	size_t n = 0;

	while (p < end) {
		if (*p == ',') {
			if (p + 1 < end && p[1] == ',') {
				out[n++] = ',';
				p += 2;
				continue;
			}
			p++;
			break;
		}
		out[n++] = *p++;
	}
	*out_len = n;
	return p;
}

/* "-name [guest=]NAME[,process=P][,debug-threads=on]": like QEMU's option
 * parser, the first parameter is the implied "guest" key when no '=' comes
 * before its first ','. Returns a malloc'd name or NULL when there is none. */
static char *parse_name_option(const struct arg *value, size_t *name_len)
{
	const char *p = value->p;
	char *scratch = malloc((size_t)(value->end - value->p) + 1);
	char *name = NULL;
	bool first = true;

	if (!scratch)
		return NULL;
	while (p < value->end || first) {
		size_t key_len = 0, len;
		while (p + key_len < value->end && p[key_len] != '=' && p[key_len] != ',')
			key_len++;
		bool has_equals = p + key_len < value->end && p[key_len] == '=';
		bool implied = first && !has_equals;
		bool is_guest = has_equals && key_len == 5 && memcmp(p, "guest", 5) == 0;
		first = false;
		if (!implied && !has_equals) { /* a bare flag such as "foo" in "a,foo" */
			p += key_len + (p + key_len < value->end);
			continue;
		}
		p = copy_opt_value(implied ? p : p + key_len + 1, value->end, scratch, &len);
		if (implied || is_guest) {
			free(name);
			name = malloc(len + 1);
			if (!name)
				break;
			memcpy(name, scratch, len);
			name[len] = '\0';
			*name_len = len;
		}
	}
	free(scratch);
	return name;
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* QEMU accepts only the 36-character 8-4-4-4-12 form; we print it lowercase. */
static bool copy_uuid(const struct arg *value, char out[UUID_TEXT_LEN + 1])
{
	if (value->end - value->p != UUID_TEXT_LEN)
		return false;
	for (int i = 0; i < UUID_TEXT_LEN; i++) {
		char ch = value->p[i];
		bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash_pos ? ch != '-' : hex_value(ch) < 0)
			return false;
		out[i] = dash_pos ? '-' : "0123456789abcdef"[hex_value(ch)];
	}
	out[UUID_TEXT_LEN] = '\0';
	return true;
}

/* "-smbios type=1,manufacturer=...,uuid=U": the UUID Proxmox VE passes (it
 * gives no -uuid).  Keys are QEMU option syntax, ",," a literal comma; only
 * type 1 (the system) has the machine's UUID.  Returns false when there is
 * none; sets *malformed when it is there but not a UUID. */
static bool smbios_uuid(const struct arg *value, char out[UUID_TEXT_LEN + 1], bool *malformed)
{
	char *scratch = malloc((size_t)(value->end - value->p) + 1);
	const char *p = value->p;
	bool type1 = false, found = false, valid = false;
	char uuid[UUID_TEXT_LEN + 1];

	if (!scratch)
		return false;
	while (p < value->end) {
		const char *eq = memchr(p, '=', (size_t)(value->end - p));
		const char *comma = memchr(p, ',', (size_t)(value->end - p));
		size_t key_len, len;
		if (!eq || (comma && comma < eq)) { /* a bare flag */
			p = comma ? comma + 1 : value->end;
			continue;
		}
		key_len = (size_t)(eq - p);
		bool is_type = key_len == 4 && memcmp(p, "type", 4) == 0;
		bool is_uuid = key_len == 4 && memcmp(p, "uuid", 4) == 0;
		p = copy_opt_value(eq + 1, value->end, scratch, &len);
		if (is_type)
			type1 = len == 1 && scratch[0] == '1';
		if (is_uuid) {
			struct arg text = { scratch, scratch + len };
			found = true;
			valid = copy_uuid(&text, uuid);
		}
	}
	free(scratch);
	if (!type1 || !found)
		return false;
	*malformed = !valid;
	if (valid)
		memcpy(out, uuid, sizeof(uuid));
	return valid;
}

/* Proxmox VE's "-id VMID" (a patch of its QEMU build): kept when it is a
 * short token, so that it can go into JSON and labels as it is. */
static bool copy_vm_id(const struct arg *value, char out[VM_ID_MAX + 1])
{
	size_t len = (size_t)(value->end - value->p);

	if (len == 0 || len > VM_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = value->p[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	memcpy(out, value->p, len);
	out[len] = '\0';
	return true;
}

static void take_name(const struct arg *value, struct qemu_args *out)
{
	size_t name_len = 0;
	char *name = parse_name_option(value, &name_len);

	if (name) { /* a later -name overrides, as in QEMU */
		free(out->name);
		out->name = name;
		out->name_len = name_len;
	}
}

int parse_qemu_cmdline(const char *buf, size_t len, struct qemu_args *out)
{
	struct cursor c = { buf, buf + len };
	struct arg arg, value;
	bool uuid_given = false, smbios_malformed = false, have_smbios = false;
	char smbios[UUID_TEXT_LEN + 1];

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return -EINVAL;
	while (next_arg(&c, &arg)) {
		bool is_name = arg_is(&arg, "-name") || arg_is(&arg, "--name");
		bool is_uuid = arg_is(&arg, "-uuid") || arg_is(&arg, "--uuid");
		bool is_smbios = arg_is(&arg, "-smbios") || arg_is(&arg, "--smbios");
		bool is_id = arg_is(&arg, "-id") || arg_is(&arg, "--id");
		if (!is_name && !is_uuid && !is_smbios && !is_id)
			continue;
		if (!next_arg(&c, &value))
			break;
		if (is_name) {
			take_name(&value, out);
		} else if (is_uuid) {
			uuid_given = true;
			out->has_uuid = copy_uuid(&value, out->uuid);
			out->uuid_malformed = !out->has_uuid;
		} else if (is_smbios) {
			bool malformed = false;
			if (smbios_uuid(&value, smbios, &malformed))
				have_smbios = true;
			smbios_malformed = smbios_malformed || malformed;
		} else {
			out->id_malformed = !copy_vm_id(&value, out->id);
			if (out->id_malformed)
				out->id[0] = '\0';
		}
	}
	/* -uuid wins; the SMBIOS one stands in only when there is no -uuid */
	if (!uuid_given && have_smbios) {
		out->has_uuid = true;
		memcpy(out->uuid, smbios, sizeof(smbios));
	}
	if (!uuid_given && !have_smbios)
		out->uuid_malformed = smbios_malformed;
	return 0;
}

void qemu_args_free(struct qemu_args *args)
{
	free(args->name);
	args->name = NULL;
	args->name_len = 0;
}
