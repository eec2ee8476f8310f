#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"
#include "text.h"

#define DIR_MAX (CGROUP_CONTROLLERS_MAX + CGROUP_PATH_MAX + 2)

int cgroup_set_open(struct cgroup_set *set, const char *root)
{
	memset(set, 0, sizeof(*set));
	set->root_fd = procfs_open_dir(AT_FDCWD, root);
	if (set->root_fd < 0) {
		int err = set->root_fd;
		set->root_fd = -1;
		return err;
	}
	return 0;
}

static void entry_clear(struct cgroup_entry *entry)
{
	if (entry->stat_fd >= 0)
		close(entry->stat_fd);
	free(entry->rel);
	entry->rel = NULL;
	entry->stat_fd = -1;
	entry->seen = false;
	entry->gen++;
}

void cgroup_set_free(struct cgroup_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->entries[i].rel)
			entry_clear(&set->entries[i]);
	free(set->entries);
	if (set->root_fd >= 0)
		close(set->root_fd);
	memset(set, 0, sizeof(*set));
	set->root_fd = -1;
}

/* dir/name under the root ("" is the root itself). */
static ssize_t read_in(const struct cgroup_set *set, const char *dir, const char *name, char *buf, size_t size)
{
	char path[DIR_MAX + 32];

	if (snprintf(path, sizeof(path), "%s%s%s", dir, *dir ? "/" : "", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return procfs_read_file(set->root_fd, path, buf, size);
}

/* The CFS bandwidth limit set on dir itself, in CPUs; 0 when none. */
static double limit_of(const struct cgroup_set *set, const char *dir, bool v1)
{
	char buf[64];
	int64_t quota, period;
	uint64_t v2_period;
	ssize_t len;

	if (!v1) {
		len = read_in(set, dir, "cpu.max", buf, sizeof(buf));
		if (len < 0 || parse_cpu_max(buf, (size_t)len, &quota, &v2_period) || quota <= 0)
			return 0;
		return (double)quota / (double)v2_period;
	}
	len = read_in(set, dir, "cpu.cfs_quota_us", buf, sizeof(buf));
	if (len < 0 || parse_cgroup_int(buf, (size_t)len, &quota) || quota <= 0)
		return 0;
	len = read_in(set, dir, "cpu.cfs_period_us", buf, sizeof(buf));
	if (len < 0 || parse_cgroup_int(buf, (size_t)len, &period) || period <= 0)
		return 0;
	return (double)quota / (double)period;
}

static int open_stat(const struct cgroup_set *set, const char *dir)
{
	char path[DIR_MAX + 16];

	if (snprintf(path, sizeof(path), "%s%scpu.stat", dir, *dir ? "/" : "") >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return procfs_open_file(set->root_fd, path);
}

/* The slot of the limited cgroup dir: found, or made with its cpu.stat
 * opened.  -1 when its cpu.stat cannot be opened (or out of memory). */
static int entry_for(struct cgroup_set *set, const char *dir, bool v1, double limit)
{
	size_t free_slot = set->count;
	struct cgroup_entry *entry;

	for (size_t i = 0; i < set->count; i++) {
		if (set->entries[i].rel && strcmp(set->entries[i].rel, dir) == 0) {
			set->entries[i].limit_cpus = limit; /* limits change at run time */
			return (int)i;
		}
		if (!set->entries[i].rel && free_slot == set->count)
			free_slot = i;
	}
	if (free_slot == set->count) {
		if (set->count >= UINT16_MAX ||
		    array_reserve((void **)&set->entries, &set->cap, set->count + 1, sizeof(*set->entries)))
			return -1;
		set->entries[set->count++] = (struct cgroup_entry){ .stat_fd = -1 };
	}
	entry = &set->entries[free_slot];
	entry->stat_fd = open_stat(set, dir);
	if (entry->stat_fd < 0 || !(entry->rel = strdup(dir))) {
		entry_clear(entry);
		return -1;
	}
	entry->v1 = v1;
	entry->limit_cpus = limit;
	return (int)free_slot;
}

/* The thread's cgroup directory under the root: a v1 hierarchy is the
 * directory named by its controller list ("cpu,cpuacct"). */
static size_t own_dir(const struct cgroup_ref *ref, char dir[DIR_MAX], size_t *base_len)
{
	size_t len;

	*base_len = ref->v1 ? strlen(ref->controllers) : 0;
	snprintf(dir, DIR_MAX, "%s%s", ref->v1 ? ref->controllers : "", ref->v1 ? ref->path : ref->path + 1);
	len = strlen(dir);
	while (len > *base_len && dir[len - 1] == '/')
		dir[--len] = '\0';
	return len;
}

static bool dir_exists(const struct cgroup_set *set, const char *dir)
{
	struct stat st;

	return fstatat(set->root_fd, *dir ? dir : ".", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

void cgroup_link(struct cgroup_set *set, const struct cgroup_ref *ref, struct cgroup_links *links)
{
	char dir[DIR_MAX];
	size_t base_len, len;

	memset(links, 0, sizeof(*links));
	if (set->root_fd < 0)
		return;
	len = own_dir(ref, dir, &base_len);
	if (!dir_exists(set, dir))
		return; /* not under this root (another mount, a cgroup just removed) */
	links->known = true;
	for (bool leaf = true;; leaf = false) {
		double limit = limit_of(set, dir, ref->v1);
		if (limit > 0 && links->count < CGROUP_DEPTH) {
			int id = entry_for(set, dir, ref->v1, limit);
			if (id < 0) {
				links->known = false; /* a limit whose throttling cannot be read: no figure */
				return;
			}
			links->ids[links->count] = (uint16_t)id;
			links->gens[links->count++] = set->entries[id].gen;
			links->own_limited = links->own_limited || leaf;
		}
		if (len <= base_len)
			return; /* the hierarchy's root */
		char *slash = strrchr(dir + base_len, '/');
		len = slash ? (size_t)(slash - dir) : base_len;
		dir[len] = '\0';
	}
}

bool cgroup_links_current(const struct cgroup_set *set, const struct cgroup_links *links)
{
	for (uint8_t i = 0; i < links->count; i++)
		if (links->ids[i] >= set->count || !set->entries[links->ids[i]].rel ||
		    set->entries[links->ids[i]].gen != links->gens[i])
			return false;
	return true;
}

void cgroup_mark(struct cgroup_set *set, const struct cgroup_links *links)
{
	for (uint8_t i = 0; i < links->count; i++)
		if (links->ids[i] < set->count && set->entries[links->ids[i]].gen == links->gens[i])
			set->entries[links->ids[i]].seen = true;
}

static void sample_entry(const struct cgroup_entry *entry, struct cgroup_sample *out)
{
	char buf[1024];
	ssize_t len = procfs_pread(entry->stat_fd, buf, sizeof(buf));
	uint64_t value;

	out->limit_cpus = entry->limit_cpus;
	out->valid = false;
	if (len < 0 || parse_cpu_stat(buf, (size_t)len, entry->v1 ? "throttled_time" : "throttled_usec", &value))
		return;
	out->valid = true;
	out->throttled_ns = entry->v1 ? value : value * 1000;
}

int cgroup_sample_all(struct cgroup_set *set, struct cgroup_sample **samples, size_t *count, size_t *cap,
		      struct buf *names)
{
	*count = 0;
	if (array_reserve((void **)samples, cap, set->count, sizeof(**samples)))
		return -ENOMEM;
	for (size_t i = 0; i < set->count; i++) {
		struct cgroup_entry *entry = &set->entries[i];
		struct cgroup_sample *out = &(*samples)[i];
		*out = (struct cgroup_sample){ .gen = entry->gen, .path_off = names->len };
		if (entry->rel && buf_append(names, entry->rel, strlen(entry->rel) + 1))
			return -ENOMEM;
		if (entry->rel && entry->seen)
			sample_entry(entry, out);
		if (entry->rel && (!entry->seen || !out->valid))
			entry_clear(entry); /* no vCPU thread is in it any more, or it is gone */
		entry->seen = false;
	}
	*count = set->count;
	return 0;
}
