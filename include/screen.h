/* screen: the terminal the text view redraws in place, like top.
 *
 * screen_open takes the terminal: the alternate screen (the shell's screen
 * comes back on exit), no cursor, keys read one by one without echo (ISIG
 * stays: Ctrl-C is SIGINT).  screen_close gives it back exactly as it was;
 * main calls it on every way out (q, --count, SIGINT, SIGTERM, SIGHUP, a
 * write error).  Nothing here installs signal handlers. */
#ifndef KVMSTEAL_SCREEN_H
#define KVMSTEAL_SCREEN_H

#include <stdbool.h>
#include <termios.h>

#include "text.h"

/* Keys that are not one byte: what screen_key returns for their sequences. */
enum screen_keys {
	KEY_UP = 0x100, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_PAGE_UP, KEY_PAGE_DOWN, KEY_HOME, KEY_END,
	KEY_ENTER, KEY_ESCAPE, KEY_BACKSPACE, KEY_UNKNOWN,
};

struct screen {
	int in_fd, out_fd;
	unsigned char pending[32]; /* bytes read and not yet decoded */
	size_t pending_len;
	bool has_saved;       /* in_fd is a terminal: its state is in saved */
	bool keys;            /* and we set it to read keys */
	bool open;
	struct termios saved;
	int rows, cols;
};

/* Takes the terminal on out_fd (keys from in_fd when it is one).  0 or -errno. */
int screen_open(struct screen *s, int in_fd, int out_fd);

/* Reads the window's size (after SIGWINCH); 80x24 when the terminal cannot say. */
void screen_measure(struct screen *s);

/* Draws frame ('\n'-separated lines, fitted by the caller) from the top
 * left, clearing what the last frame left.  0 or -errno. */
int screen_draw(struct screen *s, const struct buf *frame);

/* A key pressed since the last call (a byte, or KEY_*), or -1. */
int screen_key(struct screen *s);

/* The key at the start of buf (len > 0): a byte, or KEY_* for Enter,
 * Backspace, a lone Escape and the sequences of xterm, VT100 and the Linux
 * console (ESC [ A, ESC O A, ESC [ 5 ~, ESC [ H, ESC [ 1 ~ ...), KEY_UNKNOWN
 * for another escape sequence; *used is how many bytes it took.  Escape
 * followed by nothing is a lone Escape: a terminal sends a sequence's bytes
 * together. */
int screen_decode_key(const unsigned char *buf, size_t len, size_t *used);

/* Ctrl-Z: the terminal given back while the agent is stopped, then taken
 * again (the caller redraws).  0 or -errno. */
void screen_suspend(struct screen *s);
int screen_resume(struct screen *s);

/* Gives the terminal back; keep_frame writes frame on the normal screen
 * too (the agent ended by itself: its last figures stay in view). */
void screen_close(struct screen *s, const struct buf *keep_frame);

#endif
