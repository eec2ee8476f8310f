#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int files_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int files_lock(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
}

int files_open_append(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, mode);

	return fd < 0 ? -errno : fd;
}

int files_lock_beside(int dir_fd, const char *base, mode_t mode)
{
	char name[NAME_MAX + 1];
	int fd, err;

	if (snprintf(name, sizeof(name), ".%s.lock", base) >= (int)sizeof(name))
		return -ENAMETOOLONG;
	fd = openat(dir_fd, name, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if ((err = files_lock(fd))) {
		close(fd);
		return err;
	}
	return fd;
}

/* A name no other process can have planted: ".BASE." and 16 random hex digits. */
static int temp_name(const char *base, char *name, size_t size)
{
	uint64_t bits;

	if (getrandom(&bits, sizeof(bits), 0) != (ssize_t)sizeof(bits))
		return -errno;
	return snprintf(name, size, ".%s.%016llx", base, (unsigned long long)bits) < (int)size ? 0 : -ENAMETOOLONG;
}

int files_create_temp(int dir_fd, const char *base, mode_t mode, char *name, size_t size)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		int err = temp_name(base, name, size), fd;
		if (err)
			return err;
		/* 0600 until fchmod gives the mode: the umask never narrows it, nobody reads it early */
		fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 && fchmod(fd, mode) == 0)
			return fd;
		if (fd >= 0) {
			err = -errno;
			close(fd);
			unlinkat(dir_fd, name, 0);
			return err;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int files_replace(int dir_fd, const char *base, mode_t mode, const void *data, size_t len)
{
	char name[NAME_MAX + 1];
	int fd = files_create_temp(dir_fd, base, mode, name, sizeof(name));
	int err;

	if (fd < 0)
		return fd;
	err = files_write_all(fd, data, len);
	if (close(fd) != 0 && err == 0)
		err = -errno;
	if (err == 0 && renameat(dir_fd, name, dir_fd, base) != 0)
		err = -errno;
	if (err)
		unlinkat(dir_fd, name, 0);
	return err;
}
