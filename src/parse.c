#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cursor over bytes that are not NUL-terminated. */
struct cursor {
	const char *p;
	const char *end;
};

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* Reads one unsigned decimal; fails on no digit, overflow, or a glued suffix.
 * In one pass, as it runs three times per thread each tick: up to 19
 * digits cannot overflow 64 bits, so only a 20th is checked. */
static int read_u64(struct cursor *c, uint64_t *out)
{
	uint64_t value = 0;
	const char *start, *safe;

	skip_blanks(c);
	start = c->p;
	safe = c->end - start > 19 ? start + 19 : c->end;
	while (c->p < safe && (unsigned)(*c->p - '0') <= 9)
		value = value * 10 + (uint64_t)(*c->p++ - '0');
	if (c->p == start)
		return -EINVAL;
	if (c->p < c->end && (unsigned)(*c->p - '0') <= 9) { /* a 20th digit */
		unsigned last = (unsigned)(*c->p++ - '0');
		if (value > (UINT64_MAX - last) / 10 || (c->p < c->end && (unsigned)(*c->p - '0') <= 9))
			return -EINVAL;
		value = value * 10 + last;
	}
	if (c->p < c->end && *c->p != ' ' && *c->p != '\t' && *c->p != '\n')
		return -EINVAL;
	*out = value;
	return 0;
}

/* Skips count blank-separated tokens of any content; a line that ends
 * first is an error.  A plain loop: the tokens are short, and one memchr
 * call per token cost more than the bytes it skipped. */
static int skip_tokens(struct cursor *c, int count)
{
	for (; count > 0; count--) {
		skip_blanks(c);
		if (c->p == c->end || *c->p == '\n')
			return -EINVAL;
		while (c->p < c->end && *c->p != ' ' && *c->p != '\t' && *c->p != '\n')
			c->p++;
	}
	return 0;
}

/* Nothing but blanks and one optional newline may follow the last field. */
static bool at_line_end(struct cursor *c)
{
	skip_blanks(c);
	if (c->p < c->end && *c->p == '\n')
		c->p++;
	return c->p == c->end;
}

int parse_schedstat(const char *buf, size_t len, struct schedstat *out)
{
	struct cursor c = { buf, buf + len };

	if (read_u64(&c, &out->cpu_ns) || read_u64(&c, &out->wait_ns) ||
	    read_u64(&c, &out->timeslices) || !at_line_end(&c))
		return -EINVAL;
	return 0;
}

/* Fields are numbered as in proc(5); the comm (2) may hold spaces and ')',
 * so the fields after it are counted from the last ')'. */
int parse_pid_stat(const char *buf, size_t len, struct pid_stat *out)
{
	const char *open = memchr(buf, '(', len);
	const char *close = memrchr(buf, ')', len);
	const struct {
		int field;
		uint64_t *out;
	} wanted[] = { { 14, &out->utime }, { 15, &out->stime }, { 20, &out->num_threads },
		       { 22, &out->starttime }, { 43, &out->guest_time } };
	int field = 3; /* the state, read below as a character */
	struct cursor c;
	size_t comm_len;

	if (!open || !close || close < open)
		return -EINVAL;
	comm_len = (size_t)(close - open - 1);
	if (comm_len > COMM_MAX - 1)
		comm_len = COMM_MAX - 1;
	memcpy(out->comm, open + 1, comm_len);
	out->comm[comm_len] = '\0';

	c.p = close + 1;
	c.end = buf + len;
	skip_blanks(&c);
	if (c.p == c.end)
		return -EINVAL;
	out->state = *c.p;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		if (skip_tokens(&c, wanted[i].field - field) || read_u64(&c, wanted[i].out))
			return -EINVAL;
		field = wanted[i].field + 1;
	}
	return 0;
}

static bool starts_with(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);
	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* "cpu  user nice system idle iowait irq softirq steal guest guest_nice";
 * kernels before 2.6.33 stop early, so missing trailing fields read as 0. */
static int parse_cpu_line(struct cursor *c, struct cpu_times *out)
{
	uint64_t *fields[] = { &out->user, &out->nice, &out->system, &out->idle,
			       &out->iowait, &out->irq, &out->softirq, &out->steal,
			       &out->guest, &out->guest_nice };
	size_t count = sizeof(fields) / sizeof(fields[0]);

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < count; i++) {
		skip_blanks(c);
		if (c->p == c->end || *c->p == '\n')
			return i >= 4 ? 0 : -EINVAL;
		if (read_u64(c, fields[i]))
			return -EINVAL;
	}
	return 0;
}

static const char *next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl + 1 : end;
}

static bool is_cpu_n_line(const char *p, const char *end)
{
	if (!starts_with(p, end, "cpu"))
		return false;
	p += 3;
	if (p == end || *p < '0' || *p > '9')
		return false;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p < end && *p == ' ';
}

int parse_proc_stat(const char *buf, size_t len, struct host_stat *out)
{
	const char *end = buf + len;
	const char *line = buf;
	struct cursor c;

	if (!starts_with(buf, end, "cpu "))
		return -EINVAL;
	c.p = buf + 4;
	c.end = next_line(buf, end);
	if (parse_cpu_line(&c, &out->cpu))
		return -EINVAL;
	out->cpu_count = 0;
	for (line = c.end; line < end && is_cpu_n_line(line, end); line = next_line(line, end))
		out->cpu_count++;
	/* A file cut inside the per-CPU lines would under-count CPUs. */
	if (line == end && len > 0 && end[-1] != '\n')
		return -EINVAL;
	return out->cpu_count > 0 ? 0 : -EINVAL;
}

int parse_proc_stat_cpus(const char *buf, size_t len, struct cpu_line *out, size_t cap)
{
	const char *end = buf + len, *line = next_line(buf, end);
	size_t n = 0;

	for (; line < end && is_cpu_n_line(line, end); line = next_line(line, end), n++) {
		struct cursor c = { line + 3, next_line(line, end) };
		uint64_t id;
		if (n == cap)
			return -ENOSPC;
		if (read_u64(&c, &id) || id > UINT32_MAX - 1 || (n > 0 && id <= out[n - 1].id) ||
		    parse_cpu_line(&c, &out[n].t))
			return -EINVAL;
		out[n].id = (unsigned)id;
	}
	return (int)n;
}

/* "N" or "N-M", comma-separated: what the kernel prints for a cpumask list. */
static bool is_cpu_list(const char *p, const char *end)
{
	bool need_digit = true, in_range = false;

	if (p == end)
		return false;
	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9') {
			need_digit = false;
		} else if (need_digit) {
			return false;
		} else if (*p == '-' && !in_range) {
			in_range = need_digit = true;
		} else if (*p == ',') {
			in_range = false;
			need_digit = true;
		} else {
			return false;
		}
	}
	return !need_digit;
}

int parse_status_cpus(const char *buf, size_t len, char out[CPU_LIST_MAX + 1])
{
	static const char key[] = "Cpus_allowed_list:";
	const char *end = buf + len;

	for (const char *line = buf; line < end; line = next_line(line, end)) {
		const char *value, *eol;
		if (!starts_with(line, end, key))
			continue;
		value = line + sizeof(key) - 1;
		while (value < end && (*value == '\t' || *value == ' '))
			value++;
		eol = memchr(value, '\n', (size_t)(end - value));
		eol = eol ? eol : end;
		if (eol - value > CPU_LIST_MAX || !is_cpu_list(value, eol))
			return -EINVAL;
		memcpy(out, value, (size_t)(eol - value));
		out[eol - value] = '\0';
		return 0;
	}
	return -EINVAL;
}

/* A cgroup path as /proc prints it: absolute, and no component "." or ".."
 * (that would name a directory outside the hierarchy given). */
static bool safe_cgroup_path(const char *p, const char *end)
{
	if (p == end || *p != '/' || end - p >= CGROUP_PATH_MAX)
		return false;
	while (p < end) {
		const char *slash = memchr(p + 1, '/', (size_t)(end - p - 1));
		const char *next = slash ? slash : end;
		size_t n = (size_t)(next - p - 1);
		if ((n == 1 && p[1] == '.') || (n == 2 && p[1] == '.' && p[2] == '.'))
			return false;
		for (const char *q = p + 1; q < next; q++)
			if ((unsigned char)*q < 0x20)
				return false;
		p = next;
	}
	return true;
}

static bool list_has_cpu(const char *p, const char *end)
{
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *item_end = comma ? comma : end;
		if (item_end - p == 3 && memcmp(p, "cpu", 3) == 0)
			return true;
		p = item_end + 1;
	}
	return false;
}

static void set_cgroup_ref(struct cgroup_ref *out, bool v1, const char *list, const char *list_end,
			   const char *path, const char *path_end)
{
	out->v1 = v1;
	memcpy(out->controllers, list, (size_t)(list_end - list));
	out->controllers[list_end - list] = '\0';
	memcpy(out->path, path, (size_t)(path_end - path));
	out->path[path_end - path] = '\0';
}

int parse_proc_cgroup(const char *buf, size_t len, struct cgroup_ref *out)
{
	const char *end = buf + len;
	bool have_v2 = false;

	memset(out, 0, sizeof(*out));
	for (const char *line = buf; line < end; line = next_line(line, end)) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *c1 = memchr(line, ':', (size_t)((eol ? eol : end) - line)), *c2;
		eol = eol ? eol : end;
		if (!c1 || !(c2 = memchr(c1 + 1, ':', (size_t)(eol - c1 - 1))))
			continue;
		if (!safe_cgroup_path(c2 + 1, eol))
			continue;
		if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1 && !have_v2) {
			set_cgroup_ref(out, false, c1, c1, c2 + 1, eol);
			have_v2 = true;
		} else if (c2 - c1 - 1 < CGROUP_CONTROLLERS_MAX && list_has_cpu(c1 + 1, c2)) {
			set_cgroup_ref(out, true, c1 + 1, c2, c2 + 1, eol);
			return 0; /* the v1 cpu controller is where limits act, when it exists */
		}
	}
	return have_v2 ? 0 : -EINVAL;
}

static int read_i64(struct cursor *c, int64_t *out)
{
	uint64_t value;
	bool negative;

	skip_blanks(c);
	negative = c->p < c->end && *c->p == '-';
	if (negative)
		c->p++;
	if (read_u64(c, &value) || value > (uint64_t)INT64_MAX)
		return -EINVAL;
	*out = negative ? -(int64_t)value : (int64_t)value;
	return 0;
}

int parse_cpu_max(const char *buf, size_t len, int64_t *quota_us, uint64_t *period_us)
{
	struct cursor c = { buf, buf + len };

	skip_blanks(&c);
	if (starts_with(c.p, c.end, "max") && (c.end - c.p == 3 || c.p[3] == ' ')) {
		*quota_us = -1;
		c.p += 3;
	} else if (read_i64(&c, quota_us) || *quota_us <= 0) {
		return -EINVAL;
	}
	if (read_u64(&c, period_us) || *period_us == 0 || !at_line_end(&c))
		return -EINVAL;
	return 0;
}

int parse_cgroup_int(const char *buf, size_t len, int64_t *out)
{
	struct cursor c = { buf, buf + len };

	return read_i64(&c, out) || !at_line_end(&c) ? -EINVAL : 0;
}

int parse_cpu_stat(const char *buf, size_t len, const char *key, uint64_t *out)
{
	const char *end = buf + len;
	size_t key_len = strlen(key);

	for (const char *line = buf; line < end; line = next_line(line, end)) {
		struct cursor c = { line + key_len, next_line(line, end) };
		if ((size_t)(end - line) <= key_len || memcmp(line, key, key_len) != 0 || line[key_len] != ' ')
			continue;
		return read_u64(&c, out) || !at_line_end(&c) ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* Reads a decimal CPU number at p; false past UINT32_MAX or on no digit. */
static bool read_cpu(const char **p, uint64_t *out)
{
	const char *start = *p;

	*out = 0;
	while (**p >= '0' && **p <= '9') {
		*out = *out * 10 + (uint64_t)(**p - '0');
		if (*out > UINT32_MAX)
			return false;
		(*p)++;
	}
	return *p > start;
}

int parse_cpu_list(const char *list, unsigned char *mask, size_t ncpus)
{
	const char *p = list;

	memset(mask, 0, (ncpus + 7) / 8);
	for (;;) {
		uint64_t first, last;
		if (!read_cpu(&p, &first))
			return -EINVAL;
		last = first;
		if (*p == '-' && (p++, !read_cpu(&p, &last) || last < first))
			return -EINVAL;
		for (uint64_t cpu = first; cpu <= last && cpu < ncpus; cpu++)
			mask[cpu / 8] |= (unsigned char)(1u << (cpu % 8));
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return -EINVAL;
	}
}

static bool cpu_in(const unsigned char *mask, size_t cpu)
{
	return mask[cpu / 8] & (1u << (cpu % 8));
}

/* Appends a separator (when not first) and value to out; printf-free, as
 * every vCPU's list is formatted again every 10 s.  False when it does not fit. */
static bool append_number(char *out, size_t *len, char sep, size_t value)
{
	char digits[24], *p = digits + sizeof(digits);

	do {
		*--p = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	if ((size_t)(digits + sizeof(digits) - p) + (sep != 0) > CPU_LIST_MAX - *len)
		return false;
	if (sep)
		out[(*len)++] = sep;
	memcpy(out + *len, p, (size_t)(digits + sizeof(digits) - p));
	*len += (size_t)(digits + sizeof(digits) - p);
	out[*len] = '\0';
	return true;
}

int format_cpu_list(const unsigned char *mask, size_t ncpus, char out[CPU_LIST_MAX + 1])
{
	size_t len = 0;

	for (size_t cpu = 0; cpu < ncpus; cpu++) {
		size_t last = cpu;
		if (!cpu_in(mask, cpu))
			continue;
		while (last + 1 < ncpus && cpu_in(mask, last + 1))
			last++;
		if (!append_number(out, &len, len ? ',' : 0, cpu) || (last != cpu && !append_number(out, &len, '-', last)))
			return -ENOSPC;
		cpu = last;
	}
	return len ? 0 : -EINVAL;
}
