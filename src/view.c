#include "view.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* UTF-8 output when the user's locale is UTF-8; measured under C.UTF-8. */
static bool choose_utf8(void)
{
	bool utf8 = setlocale(LC_CTYPE, "") && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;

	if (!utf8) {
		setlocale(LC_CTYPE, "C");
		return false;
	}
	setlocale(LC_CTYPE, "C.UTF-8"); /* when absent, the user's UTF-8 locale stays */
	return true;
}

static bool colour_wanted(void)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

	return !(no_color && *no_color) && !(term && strcmp(term, "dumb") == 0);
}

static int draw(struct view *v)
{
	v->frame.len = 0;
	v->table.width = v->screen.cols;
	v->table.height = v->screen.rows;
	if (v->shown && table_render(v->shown, &v->history, &v->table, &v->frame))
		return -ENOMEM;
	return screen_draw(&v->screen, &v->frame) ? -EIO : 0;
}

int view_open(struct view *v, bool live, int in_fd, int out_fd, double interval_s)
{
	char waiting[128];
	int err;

	memset(v, 0, sizeof(*v));
	v->live = live;
	v->table.utf8 = choose_utf8();
	if (!live)
		return 0;
	v->table.colour = colour_wanted();
	if ((err = screen_open(&v->screen, in_fd, out_fd)))
		return err;
	snprintf(waiting, sizeof(waiting), "kvmsteal: the first figures come after one interval (%.1f s)  q: quit",
		 interval_s);
	return buf_append(&v->frame, waiting, strlen(waiting)) || screen_draw(&v->screen, &v->frame) ? -EIO : 0;
}

int view_tick(struct view *v, const struct tick_figures *figures, struct buf *out)
{
	if (history_update(&v->history, figures))
		return -ENOMEM;
	if (!v->live)
		return table_render(figures, &v->history, &v->table, out);
	v->shown = figures;
	return draw(v);
}

int view_resize(struct view *v)
{
	screen_measure(&v->screen);
	return v->shown ? draw(v) : 0;
}

int view_suspend(struct view *v)
{
	screen_suspend(&v->screen);
	raise(SIGSTOP);
	if (screen_resume(&v->screen))
		return -EIO;
	return v->shown ? draw(v) : screen_draw(&v->screen, &v->frame) ? -EIO : 0;
}

bool view_key(struct view *v, int key)
{
	if (key == 'q' || key == 'Q')
		return true;
	if (key == 's' || key == 'S') {
		v->table.sort = (enum table_sort)((v->table.sort + 1) % TABLE_SORT_COUNT);
		if (v->shown)
			draw(v);
	}
	return false;
}

void view_close(struct view *v, bool keep_last)
{
	if (v->live) {
		if (keep_last && v->frame.len)
			buf_append(&v->frame, "\n", 1);
		screen_close(&v->screen, keep_last ? &v->frame : NULL);
	}
	history_free(&v->history);
	buf_free(&v->frame);
}
