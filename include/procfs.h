/* procfs: the one place that reads /proc (or a fake tree laid out like it).
 *
 * Every path is relative to a directory fd, so the real /proc and a fixture
 * tree under tests/fixtures/ go through the same code.  Functions return a
 * length or 0 on success and -errno on failure; they never print. */
#ifndef KVMSTEAL_PROCFS_H
#define KVMSTEAL_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A numeric directory entry: a pid or tid, and the inode number the
 * directory listing gave it (a new process behind a reused pid gets a new
 * /proc/PID inode). */
struct id_entry {
	int id;
	uint64_t ino;
};

/* A growable list of numeric directory entries, sorted by id. */
struct id_list {
	struct id_entry *entries;
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

/* Lists the entries of the open directory dir_fd whose names are positive
 * decimal integers, sorted by id, into list (reset first; grown as needed).
 * The fd is rewound first, so a directory kept open is re-listed with one
 * lseek and one or two getdents64.  on_procfs: the directory is on the real
 * proc filesystem, whose readdir stops only at the end or when the buffer is
 * full, so a listing that left room in the buffer is complete without a
 * second getdents64 to see the end.  Returns 0 or -errno. */
int procfs_list_ids(int dir_fd, bool on_procfs, struct id_list *list);

/* True when fd is on the proc filesystem (not a fixture tree). */
bool procfs_is_procfs(int fd);

void id_list_free(struct id_list *list);

#endif
