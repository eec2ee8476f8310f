#include "screen.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "files.h"

#define ENTER "\033[?1049h\033[?25l" /* alternate screen, cursor hidden */
#define LEAVE "\033[?25h\033[?1049l"

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
	return files_write_all(out_fd, ENTER, strlen(ENTER));
}

void screen_suspend(struct screen *s)
{
	if (s->keys)
		tcsetattr(s->in_fd, TCSAFLUSH, &s->saved);
	files_write_all(s->out_fd, LEAVE, strlen(LEAVE));
}

int screen_resume(struct screen *s)
{
	if (s->has_saved)
		take_keys(s);
	screen_measure(s);
	return files_write_all(s->out_fd, ENTER, strlen(ENTER));
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
		err = files_write_all(s->out_fd, out.data, out.len);
	buf_free(&out);
	return err;
}

/* ESC [ N ~: the key of N. */
static int tilde_key(unsigned n)
{
	switch (n) {
	case 1: case 7: return KEY_HOME;
	case 4: case 8: return KEY_END;
	case 5: return KEY_PAGE_UP;
	case 6: return KEY_PAGE_DOWN;
	default: return KEY_UNKNOWN;
	}
}

static int final_key(unsigned char c)
{
	switch (c) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	default: return KEY_UNKNOWN;
	}
}

int screen_decode_key(const unsigned char *buf, size_t len, size_t *used)
{
	size_t i = 2;
	unsigned n = 0;

	*used = 1;
	if (buf[0] == '\r' || buf[0] == '\n')
		return KEY_ENTER;
	if (buf[0] == 0x7f || buf[0] == 0x08)
		return KEY_BACKSPACE;
	if (buf[0] != 0x1b)
		return buf[0];
	if (len < 2 || (buf[1] != '[' && buf[1] != 'O'))
		return KEY_ESCAPE;
	if (len < 3) {
		*used = len;
		return KEY_UNKNOWN;
	}
	if (buf[1] == 'O') {
		*used = 3;
		return final_key(buf[2]);
	}
	/* CSI: parameters, then one final byte (0x40-0x7e) */
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		n = n < 1000 ? n * 10 + (unsigned)(buf[i] - '0') : n;
		i++;
	}
	while (i < len && (buf[i] < 0x40 || buf[i] > 0x7e))
		i++;
	*used = i < len ? i + 1 : len;
	if (i >= len)
		return KEY_UNKNOWN;
	return buf[i] == '~' ? tilde_key(n) : i == 2 ? final_key(buf[i]) : KEY_UNKNOWN;
}

int screen_key(struct screen *s)
{
	size_t used;
	int key;

	if (!s->keys)
		return -1;
	if (s->pending_len == 0) {
		ssize_t n = read(s->in_fd, s->pending, sizeof(s->pending));
		if (n <= 0)
			return -1;
		s->pending_len = (size_t)n;
	}
	key = screen_decode_key(s->pending, s->pending_len, &used);
	memmove(s->pending, s->pending + used, s->pending_len - used);
	s->pending_len -= used;
	return key;
}

void screen_close(struct screen *s, const struct buf *keep_frame)
{
	if (!s->open)
		return;
	screen_suspend(s);
	if (keep_frame && keep_frame->len)
		files_write_all(s->out_fd, keep_frame->data, keep_frame->len);
	s->open = false;
}
