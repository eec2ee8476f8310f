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

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void entry_clear(struct cgroup_entry *entry)
{
	close_fd(&entry->limit_fd);
	close_fd(&entry->period_fd);
	close_fd(&entry->stat_fd);
	free(entry->rel);
	entry->rel = NULL;
	entry->seen = false;
	entry->waited_ns = 0;
	entry->limit_read = entry->unlimited_base = entry->stale = false;
	entry->reads = 0;
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

/* dir/name under the root ("" is the root itself), opened to be kept. */
static int open_in(const struct cgroup_set *set, const char *dir, const char *name)
{
	char path[DIR_MAX + 32];

	if (snprintf(path, sizeof(path), "%s%s%s", dir, *dir ? "/" : "", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return procfs_open_file(set->root_fd, path);
}

static int entry_open(struct cgroup_set *set, struct cgroup_entry *entry, const char *dir, bool v1)
{
	entry->v1 = v1;
	entry->quota = -1;
	entry->limit_fd = open_in(set, dir, v1 ? "cpu.cfs_quota_us" : "cpu.max");
	entry->stat_fd = open_in(set, dir, "cpu.stat");
	if (entry->limit_fd < 0 && (v1 || entry->limit_fd != -ENOENT))
		return -1; /* v2 without the cpu controller has no cpu.max: never limited */
	if (entry->stat_fd < 0 && entry->stat_fd != -ENOENT)
		return -1;
	entry->hash = text_hash(dir, strlen(dir));
	return (entry->rel = strdup(dir)) ? 0 : -1;
}

/* The slot of the cgroup dir: found, or made with its files opened.  -1
 * when they cannot be opened (or out of memory). */
static int entry_for(struct cgroup_set *set, const char *dir, bool v1)
{
	size_t free_slot = set->count;
	uint32_t hash = text_hash(dir, strlen(dir));
	struct cgroup_entry *entry;

	for (size_t i = 0; i < set->count; i++) {
		if (set->entries[i].rel && set->entries[i].hash == hash && strcmp(set->entries[i].rel, dir) == 0)
			return (int)i;
		if (!set->entries[i].rel && free_slot == set->count)
			free_slot = i;
	}
	if (free_slot == set->count) {
		if (set->count >= UINT16_MAX ||
		    array_reserve((void **)&set->entries, &set->cap, set->count + 1, sizeof(*set->entries)))
			return -1;
		set->entries[set->count++] = (struct cgroup_entry){ .limit_fd = -1, .period_fd = -1, .stat_fd = -1 };
	}
	entry = &set->entries[free_slot];
	entry->limit_fd = entry->period_fd = entry->stat_fd = -1;
	if (entry_open(set, entry, dir, v1)) {
		entry_clear(entry);
		return -1;
	}
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
	while (len > base_len) { /* up to the hierarchy's root, which cannot be limited */
		int id = links->count < CGROUP_DEPTH ? entry_for(set, dir, ref->v1) : -1;
		if (id < 0)
			return; /* too deep, or a cgroup whose figures cannot be read: no figure */
		links->ids[links->count] = (uint16_t)id;
		links->gens[links->count++] = set->entries[id].gen;
		char *slash = strrchr(dir + base_len, '/');
		len = slash ? (size_t)(slash - dir) : base_len;
		dir[len] = '\0';
	}
	links->known = true;
}

bool cgroup_links_current(const struct cgroup_set *set, const struct cgroup_links *links)
{
	for (uint8_t i = 0; i < links->count; i++)
		if (links->ids[i] >= set->count || !set->entries[links->ids[i]].rel ||
		    set->entries[links->ids[i]].gen != links->gens[i])
			return false;
	return true;
}

void cgroup_mark(struct cgroup_set *set, const struct cgroup_links *links, uint64_t waited_ns)
{
	for (uint8_t i = 0; i < links->count; i++)
		if (links->ids[i] < set->count && set->entries[links->ids[i]].gen == links->gens[i]) {
			struct cgroup_entry *entry = &set->entries[links->ids[i]];
			entry->seen = true;
			entry->waited_ns = waited_ns > UINT64_MAX - entry->waited_ns ? UINT64_MAX
										 : entry->waited_ns + waited_ns;
		}
}

/* The limit in CPUs (0: none); false when it cannot be read. */
static bool read_limit(const struct cgroup_set *set, struct cgroup_entry *entry, uint64_t period_every,
		       double *limit)
{
	char buf[64];
	int64_t quota;
	uint64_t period;
	ssize_t len;

	*limit = 0;
	if (entry->limit_fd < 0)
		return true; /* v2 without the cpu controller: no limit can be set */
	len = procfs_pread(entry->limit_fd, buf, sizeof(buf));
	if (!entry->v1) {
		if (len < 0 || parse_cpu_max(buf, (size_t)len, &quota, &period))
			return false;
		*limit = quota > 0 && period > 0 ? (double)quota / (double)period : 0;
		return true;
	}
	if (len < 0 || parse_cgroup_int(buf, (size_t)len, &quota))
		return false;
	if (quota > 0 && (quota != entry->quota || set->samples >= entry->period_at)) {
		int64_t p;
		if (entry->period_fd < 0 && (entry->period_fd = open_in(set, entry->rel, "cpu.cfs_period_us")) < 0)
			return false;
		len = procfs_pread(entry->period_fd, buf, sizeof(buf));
		if (len < 0 || parse_cgroup_int(buf, (size_t)len, &p) || p <= 0)
			return false;
		entry->period_us = (uint64_t)p;
		entry->period_at = set->samples + period_every;
	}
	entry->quota = quota;
	*limit = quota > 0 ? (double)quota / (double)entry->period_us : 0;
	return true;
}

/* Whether the throttled counter must be read this sample.  It grows only
 * while a limit is set and a thread in the cgroup waits, so it is read when
 * its vCPU threads waited quiet_ns or more in all, and once after a limit
 * went (the base it is then held at), besides its first two samples.  Below
 * quiet_ns (a tenth of a per cent of the tick) the throttling it could have
 * had is under that much: the next reading gives it to its own tick (see
 * placed).  A limit set and removed again between two reads of the limit
 * file is not seen. */
static bool counter_needed(const struct cgroup_entry *entry, uint64_t quiet_ns)
{
	if (entry->reads < 2)
		return true; /* its first two: the second may follow the first at once (the agent's baseline) */
	if (entry->limit_cpus == 0)
		return !entry->unlimited_base;
	return entry->waited_ns > 0 && entry->waited_ns >= quiet_ns;
}

/* Not read while limited and its vCPUs (nearly) did not wait, the counter
 * may still have grown meanwhile (its vCPUs' short waits, its other threads
 * throttled): growth since then is placed in this interval only where its
 * vCPUs' wait in this interval covers it (a throttled run queue holds at
 * least one waiting thread); more than that cannot be placed. */
static bool placed(const struct cgroup_entry *entry, uint64_t value)
{
	return !entry->stale || (value >= entry->throttled_ns && value - entry->throttled_ns <= entry->waited_ns);
}

static void sample_entry(const struct cgroup_set *set, struct cgroup_entry *entry, size_t slot,
			 uint64_t period_every, uint64_t quiet_ns, struct cgroup_sample *out)
{
	char buf[1024];
	ssize_t len;
	uint64_t value;

	out->valid = false;
	/* a limit every other sample (each slot on its own turn): cpu_limit_cpus follows within two
	 * ticks, and the split needs only the counter; none: every sample, the counter held meanwhile */
	if (!entry->limit_read || entry->limit_cpus == 0 || (set->samples + slot) % 2 == 0) {
		if (!read_limit(set, entry, period_every, &entry->limit_cpus))
			return;
		entry->limit_read = true;
	}
	out->limit_cpus = entry->limit_cpus;
	if (entry->stat_fd < 0) {
		out->valid = out->limit_cpus == 0; /* no counter, and nothing that could throttle */
		return;
	}
	if (!counter_needed(entry, quiet_ns)) {
		entry->stale |= entry->limit_cpus > 0;
		out->valid = true;
		out->throttled_ns = entry->throttled_ns;
		return;
	}
	len = procfs_pread(entry->stat_fd, buf, sizeof(buf));
	if (len < 0)
		return; /* removed */
	if (parse_cpu_stat(buf, (size_t)len, entry->v1 ? "throttled_time" : "throttled_usec", &value)) {
		/* v2 keeps no throttled counter where the cpu controller is off: nothing can throttle */
		out->valid = out->limit_cpus == 0 && !entry->v1;
		return;
	}
	value = entry->v1 ? value : value * 1000;
	out->valid = true;
	out->throttled_ns = value;
	out->unplaced = !placed(entry, value);
	entry->throttled_ns = value;
	entry->reads += entry->reads < 2;
	entry->stale = false;
	entry->unlimited_base = entry->limit_cpus == 0;
}

int cgroup_sample_all(struct cgroup_set *set, struct cgroup_sample **samples, size_t *count, size_t *cap,
		      struct buf *names, uint64_t period_every, uint64_t quiet_ns)
{
	*count = 0;
	if (array_reserve((void **)samples, cap, set->count, sizeof(**samples)))
		return -ENOMEM;
	for (size_t i = 0; i < set->count; i++) {
		struct cgroup_entry *entry = &set->entries[i];
		struct cgroup_sample *out = &(*samples)[i];
		*out = (struct cgroup_sample){ .gen = entry->gen, .path_off = names->len };
		/* a free slot's path is "": never the path of a cgroup under the root */
		if (buf_append(names, entry->rel ? entry->rel : "", entry->rel ? strlen(entry->rel) + 1 : 1))
			return -ENOMEM;
		if (entry->rel && entry->seen)
			sample_entry(set, entry, i, period_every, quiet_ns, out);
		if (entry->rel && (!entry->seen || !out->valid))
			entry_clear(entry); /* no vCPU thread is in it any more, or it is gone */
		entry->seen = false;
		entry->waited_ns = 0;
	}
	*count = set->count;
	set->samples++;
	return 0;
}
