#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "text.h"

int procfs_open_dir(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int procfs_open_file(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

ssize_t procfs_pread(int fd, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return -EINVAL;
	/* A short read is the end: true of regular files, and of proc's
	 * seq_files, which hand out all they have up to the size asked for.
	 * So a file that fits takes one pread, not a second one to see EOF. */
	while (len < size - 1) {
		size_t want = size - 1 - len;
		ssize_t n = pread(fd, buf + len, want, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf[len] = '\0';
			return -errno;
		}
		len += (size_t)n;
		if ((size_t)n < want)
			break;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t procfs_read_file(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = procfs_open_file(dirfd, path);
	ssize_t len;

	if (fd < 0) {
		if (size > 0)
			buf[0] = '\0';
		return fd;
	}
	len = procfs_pread(fd, buf, size);
	close(fd);
	return len;
}

static int parse_id(const char *name)
{
	long value = 0;

	if (*name < '1' || *name > '9')
		return -1;
	for (; *name; name++) {
		if (*name < '0' || *name > '9')
			return -1;
		value = value * 10 + (*name - '0');
		if (value > INT_MAX)
			return -1;
	}
	return (int)value;
}

static int id_list_push(struct id_list *list, int id, uint64_t ino)
{
	if (array_reserve((void **)&list->entries, &list->cap, list->len + 1, sizeof(*list->entries)))
		return -ENOMEM;
	list->entries[list->len++] = (struct id_entry){ .id = id, .ino = ino };
	return 0;
}

static int compare_ids(const void *a, const void *b)
{
	int x = ((const struct id_entry *)a)->id, y = ((const struct id_entry *)b)->id;
	return (x > y) - (x < y);
}

static bool sorted(const struct id_list *list)
{
	for (size_t i = 1; i < list->len; i++)
		if (list->entries[i - 1].id > list->entries[i].id)
			return false;
	return true;
}

/* Room for any entry of a proc directory ("sysrq-trigger" is the longest). */
#define PROC_DIRENT_MAX 64

int procfs_list_ids(int dir_fd, bool on_procfs, struct id_list *list)
{
	char buf[16384];
	ssize_t n;

	list->len = 0;
	if (lseek(dir_fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = getdents64(dir_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *entry = (const struct dirent64 *)(buf + off);
			int id = parse_id(entry->d_name);
			if (id > 0 && id_list_push(list, id, entry->d_ino))
				return -ENOMEM;
			off += entry->d_reclen;
		}
		if (on_procfs && (size_t)n + PROC_DIRENT_MAX <= sizeof(buf))
			break;
	}
	if (n < 0)
		return -errno;
	/* /proc lists in pid order, a fixture tree in hash order. */
	if (!sorted(list))
		qsort(list->entries, list->len, sizeof(*list->entries), compare_ids);
	return 0;
}

void id_list_free(struct id_list *list)
{
	free(list->entries);
	list->entries = NULL;
	list->len = list->cap = 0;
}

bool procfs_is_procfs(int fd)
{
	struct statfs fs;

	return fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}
