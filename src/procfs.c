#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

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
	/* seq_file hands out at most a page per call: loop until EOF. */
	while (len < size - 1) {
		ssize_t n = pread(fd, buf + len, size - 1 - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf[len] = '\0';
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
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

static int id_list_push(struct id_list *list, int id)
{
	if (list->len == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 64;
		int *ids = realloc(list->ids, cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		list->ids = ids;
		list->cap = cap;
	}
	list->ids[list->len++] = id;
	return 0;
}

static int compare_ids(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int procfs_list_ids(int dirfd, const char *path, struct id_list *list)
{
	int fd = procfs_open_dir(dirfd, path);
	DIR *dir;
	struct dirent *entry;
	int err = 0;

	list->len = 0;
	if (fd < 0)
		return fd;
	dir = fdopendir(fd);
	if (!dir) {
		err = -errno;
		close(fd);
		return err;
	}
	while (err == 0 && (entry = readdir(dir)) != NULL) {
		int id = parse_id(entry->d_name);
		if (id > 0)
			err = id_list_push(list, id);
	}
	closedir(dir);
	/* /proc lists in pid order, a fixture tree in hash order: sort both. */
	qsort(list->ids, list->len, sizeof(*list->ids), compare_ids);
	return err;
}

void id_list_free(struct id_list *list)
{
	free(list->ids);
	list->ids = NULL;
	list->len = list->cap = 0;
}
