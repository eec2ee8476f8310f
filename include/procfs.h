/* procfs: the one place that reads /proc (or a fake tree laid out like it).
 *
 * Every path is relative to a directory fd, so the real /proc and a fixture
 * tree under tests/fixtures/ go through the same code.  Functions return a
 * length or 0 on success and -errno on failure; they never print. */
#ifndef KVMSTEAL_PROCFS_H
#define KVMSTEAL_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/* A growable list of numeric directory entries (pids or tids). */
struct id_list {
	int *ids;
	size_t len;
	size_t cap;
};

/* Opens a directory (O_DIRECTORY|O_CLOEXEC) relative to dirfd; returns fd or -errno. */
int procfs_open_dir(int dirfd, const char *path);

/* Opens a file read-only (O_CLOEXEC|O_NOFOLLOW) relative to dirfd; fd or -errno. */
int procfs_open_file(int dirfd, const char *path);

/* Reads the whole file behind fd from offset 0 into buf (at most size-1 bytes),
 * always NUL-terminates, retries on EINTR.  Returns the length or -errno.  A
 * result of size-1 means the file may have been longer. */
ssize_t procfs_pread(int fd, char *buf, size_t size);

/* open + procfs_pread + close. */
ssize_t procfs_read_file(int dirfd, const char *path, char *buf, size_t size);

/* Lists the entries of the directory at dirfd/path whose names are positive
 * decimal integers, sorted ascending, into list (reset first; grown as needed).
 * Returns 0 or -errno. */
int procfs_list_ids(int dirfd, const char *path, struct id_list *list);

void id_list_free(struct id_list *list);

#endif
