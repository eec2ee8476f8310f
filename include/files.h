/* files: the files the agent writes as root on production hosts, one way.
 *
 * Every file it creates is created with an explicit mode and never through
 * a symbolic link: the NDJSON log appended to with O_NOFOLLOW (a link
 * planted at the path fails with -ELOOP), the textfile replaced through a
 * temporary file of a random name created O_EXCL|O_NOFOLLOW relative to a
 * directory fd kept since start, then renamed over the path.  A file an
 * agent writes is locked (flock) so that a second agent on it refuses to
 * start. */
#ifndef KVMSTEAL_FILES_H
#define KVMSTEAL_FILES_H

#include <stddef.h>
#include <sys/types.h>

/* Writes all of data, going on after EINTR; 0, or -errno (-EIO when a
 * write took nothing). */
int files_write_all(int fd, const void *data, size_t len);

/* Takes the exclusive lock of fd without waiting: 0, -EWOULDBLOCK when
 * another process holds it, or -errno. */
int files_lock(int fd);

/* Opens path to append to it, made with mode when absent, never through a
 * symbolic link; the fd or -errno. */
int files_open_append(const char *path, mode_t mode);

/* Opens (made with mode when absent) and locks ".BASE.lock" in the
 * directory: the lock of the file BASE that is replaced by rename, which
 * cannot be locked itself.  The fd (the lock goes with it) or -errno. */
int files_lock_beside(int dir_fd, const char *base, mode_t mode);

/* Makes a new file of a random name ".BASE.<16 hex digits>" in the
 * directory with exactly mode (whatever the umask); its name in name and its
 * fd, or -errno. */
int files_create_temp(int dir_fd, const char *base, mode_t mode, char *name, size_t size);

/* Replaces BASE in the directory with data, atomically: a reader sees the
 * old file or the new one, never a part; the new file has exactly mode.
 * 0 or -errno (nothing left behind). */
int files_replace(int dir_fd, const char *base, mode_t mode, const void *data, size_t len);

#endif
