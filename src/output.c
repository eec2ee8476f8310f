#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

/* True when the regular file readable as rfd is not empty and its last byte
 * is not '\n'.  A descriptor we cannot read (stdout opened write-only) says
 * nothing: false. */
static bool torn_last_line(int rfd)
{
	struct stat st;
	char last;

	return fstat(rfd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	       pread(rfd, &last, 1, st.st_size - 1) == 1 && last != '\n';
}

/* Ends an earlier crash's torn line, so that it stays one bad line. */
static void close_torn_line(int fd, int rfd)
{
	if (torn_last_line(rfd) && write(fd, "\n", 1) != 1)
		diag("cannot end the torn last line of the output: %s", strerror(errno));
}

/* A regular file is locked while the agent writes it, so that a second
 * agent given the same --output refuses to start instead of interleaving
 * its ticks. */
static int lock_regular(int fd, const struct stat *st)
{
	return S_ISREG(st->st_mode) ? files_lock(fd) : 0;
}

/* O_NOFOLLOW: the output path is the agent's own; a symbolic link planted
 * there (or at a rotated path) fails with ELOOP instead of being written
 * through.  A FIFO blocks the open until it has a reader, as for any
 * writer. */
static int open_path(struct output *out)
{
	struct stat st;
	int fd = files_open_append(out->path, 0640);
	int rfd, err = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) || (err = lock_regular(fd, &st))) {
		err = err ? err : -errno;
		close(fd);
		return err;
	}
	rfd = open(out->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (rfd >= 0) {
		close_torn_line(fd, rfd);
		close(rfd);
	}
	out->fd = fd;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->regular = S_ISREG(st.st_mode);
	out->pipe = S_ISFIFO(st.st_mode);
	return 0;
}

int output_open(struct output *out, const char *path)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->path = path;
	out->fd = STDOUT_FILENO;
	if (path)
		return open_path(out);
	if (fstat(out->fd, &st))
		return -errno;
	out->regular = S_ISREG(st.st_mode);
	out->pipe = S_ISFIFO(st.st_mode);
	out->tty = isatty(out->fd);
	close_torn_line(out->fd, out->fd);
	return 0;
}

int output_reopen(struct output *out)
{
	int old = out->fd;
	int err;

	if (!out->path)
		return 0;
	err = open_path(out);
	if (err == 0)
		close(old);
	return err;
}

bool output_was_moved(const struct output *out)
{
	struct stat st;

	if (!out->path)
		return false;
	if (stat(out->path, &st))
		return true;
	return st.st_dev != out->dev || st.st_ino != out->ino;
}

/* A regular file that took only part of the lines is cut back to where they
 * started, so a full disk leaves no torn line behind. */
static void undo_partial(struct output *out, off_t start)
{
	if (start >= 0 && ftruncate(out->fd, start) != 0)
		diag_limited(&out->write_limit, 60, "cannot remove a partial line from %s: %s",
			     out->path ? out->path : "standard output", strerror(errno));
}

int output_write(struct output *out, const char *data, size_t len)
{
	off_t start = out->regular ? lseek(out->fd, 0, SEEK_END) : -1;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(out->fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || (errno == EIO && out->tty)))
			return -EPIPE; /* nobody reads any more */
		if (n <= 0 || (out->regular && (size_t)n < len - done)) {
			int err = n < 0 ? errno : ENOSPC;
			if (done + (n > 0 ? (size_t)n : 0) > 0 && out->regular)
				undo_partial(out, start);
			diag_limited(&out->write_limit, 60, "cannot write to %s: %s; this tick's records are dropped, sampling goes on",
				     out->path ? out->path : "standard output", strerror(err));
			out->dropped++;
			return -err;
		}
		done += (size_t)n;
	}
	if (out->dropped)
		diag("writing to %s again; %lu tick%s dropped while it failed", out->path ? out->path : "standard output",
		     out->dropped, out->dropped == 1 ? " was" : "s were");
	out->dropped = 0;
	return 0;
}

void output_close(struct output *out)
{
	if (out->path && out->fd >= 0)
		close(out->fd);
	out->fd = -1;
}
