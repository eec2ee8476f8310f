#include "screen.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define ENTER "\033[?1049h\033[?25l" /* alternate screen, cursor hidden */
#define LEAVE "\033[?25h\033[?1049l"

/* Writes it all; a terminal that went away (EIO) is the caller's to tell. */
static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Keys one by one, no echo; the saved state is what screen_suspend and
 * screen_close put back. */
static void take_keys(struct screen *s)
{
	struct termios raw = s->saved;

	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	s->keys = tcsetattr(s->in_fd, TCSAFLUSH, &raw) == 0;
}

int screen_open(struct screen *s, int in_fd, int out_fd)
{
	memset(s, 0, sizeof(*s));
	s->in_fd = in_fd;
	s->out_fd = out_fd;
	s->has_saved = isatty(in_fd) && tcgetattr(in_fd, &s->saved) == 0;
	if (s->has_saved)
		take_keys(s);
	s->open = true;
	screen_measure(s);
	return write_all(out_fd, ENTER, strlen(ENTER));
}

void screen_suspend(struct screen *s)
{
	if (s->keys)
		tcsetattr(s->in_fd, TCSAFLUSH, &s->saved);
	write_all(s->out_fd, LEAVE, strlen(LEAVE));
}

int screen_resume(struct screen *s)
{
	if (s->has_saved)
		take_keys(s);
	screen_measure(s);
	return write_all(s->out_fd, ENTER, strlen(ENTER));
}

void screen_measure(struct screen *s)
{
	struct winsize ws;

	s->rows = 24;
	s->cols = 80;
	if (ioctl(s->out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
		s->rows = ws.ws_row;
		s->cols = ws.ws_col;
	}
}

/* Each line ends with "erase to the end of the line"; the last is not
 * followed by a newline and lines past the window's height are left out,
 * so the screen never scrolls. */
static int compose(struct buf *out, const struct buf *frame, int rows)
{
	const char *p = frame->data, *end = frame->data + frame->len;
	int err = buf_append(out, "\033[H", 3);

	for (int line = 0; !err && p < end && line < rows; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		err = buf_append(out, p, (size_t)(line_end - p)) || buf_append(out, "\033[K", 3);
		p = nl ? nl + 1 : end;
		if (!err && p < end && line + 1 < rows)
			err = buf_append(out, "\r\n", 2);
	}
	return err || buf_append(out, "\033[J", 3) ? -ENOMEM : 0;
}

int screen_draw(struct screen *s, const struct buf *frame)
{
	struct buf out = { 0 };
	int err = compose(&out, frame, s->rows);

	if (!err)
		err = write_all(s->out_fd, out.data, out.len);
	buf_free(&out);
	return err;
}

int screen_key(struct screen *s)
{
	unsigned char c;

	if (!s->keys)
		return -1;
	return read(s->in_fd, &c, 1) == 1 ? c : -1;
}

void screen_close(struct screen *s, const struct buf *keep_frame)
{
	if (!s->open)
		return;
	screen_suspend(s);
	if (keep_frame && keep_frame->len)
		write_all(s->out_fd, keep_frame->data, keep_frame->len);
	s->open = false;
}
