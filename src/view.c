#include "view.h"

#include <errno.h>
#include <langinfo.h>
#include <poll.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signals.h"

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
	struct table_shown shown;

	v->frame.len = 0;
	v->table.width = v->screen.cols;
	v->table.height = v->screen.rows;
	if (v->shown) {
		if (table_render(v->shown, &v->history, &v->table, &v->frame, &shown))
			return -ENOMEM;
		table_nav_follow(&v->nav, &shown);
	}
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
	v->table.nav = &v->nav;
	v->table.vcpu_history = &v->vcpu_history;
	if ((err = screen_open(&v->screen, in_fd, out_fd)))
		return err;
	signals_take_suspend(); /* elsewhere Ctrl-Z stops the agent as it stops any program */
	snprintf(waiting, sizeof(waiting), "kvmsteal: the first figures come after one interval (%.1f s)  q: quit",
		 interval_s);
	return buf_append(&v->frame, waiting, strlen(waiting)) || screen_draw(&v->screen, &v->frame) ? -EIO : 0;
}

int view_tick(struct view *v, const struct tick_figures *figures, struct buf *out)
{
	if (history_update(&v->history, figures))
		return -ENOMEM;
	if (v->live && v->nav.chosen && vcpu_history_update(&v->vcpu_history, figures, v->nav.pid, v->nav.starttime))
		return -ENOMEM;
	if (!v->live)
		return table_render(figures, &v->history, &v->table, out, NULL);
	v->shown = figures;
	return draw(v);
}

/* After SIGWINCH: measured again and redrawn.  0 or -EIO. */
static int resize(struct view *v)
{
	screen_measure(&v->screen);
	return v->shown ? draw(v) : 0;
}

/* Ctrl-Z: the terminal given back, the agent stopped until SIGCONT, the
 * terminal taken again and redrawn.  0 or -EIO. */
static int suspend(struct view *v)
{
	screen_suspend(&v->screen);
	raise(SIGSTOP);
	if (screen_resume(&v->screen))
		return -EIO;
	return v->shown ? draw(v) : screen_draw(&v->screen, &v->frame) ? -EIO : 0;
}

/* A key while the filter is typed: printable ASCII is added, Backspace
 * takes one back, Enter keeps the filter, Escape clears it. */
static void filter_key(struct table_nav *nav, int k)
{
	size_t len = strlen(nav->filter);

	if (k == KEY_ENTER || k == KEY_ESCAPE)
		nav->editing = false;
	if (k == KEY_ESCAPE)
		nav->filter[0] = '\0';
	else if (k == KEY_BACKSPACE && len > 0)
		nav->filter[len - 1] = '\0';
	else if (k >= 0x20 && k < 0x7f && len + 1 < sizeof(nav->filter)) {
		nav->filter[len] = (char)k;
		nav->filter[len + 1] = '\0';
	}
	nav->top = 0;
}

/* Past any list: Home and End, and the most moves add up to. */
#define MOVE_FAR (1L << 40)

/* How far a key moves the selection; 0 for other keys. */
static long move_of(const struct table_nav *nav, int k)
{
	long page = nav->shown_rows > 1 ? (long)nav->shown_rows : 1;

	switch (k) {
	case KEY_UP: case 'k': return -1;
	case KEY_DOWN: case 'j': return 1;
	case KEY_PAGE_UP: return -page;
	case KEY_PAGE_DOWN: return page;
	case KEY_HOME: return -MOVE_FAR;
	case KEY_END: return MOVE_FAR;
	default: return 0;
	}
}

/* A key read from the terminal: true when it asks to quit. */
static bool key(struct view *v, int k)
{
	struct table_nav *nav = &v->nav;
	long move = move_of(nav, k);

	if (nav->help)
		nav->help = false; /* any key returns from the help */
	else if (nav->editing)
		filter_key(nav, k);
	else if (k == 'q' || k == 'Q')
		return true;
	else if (nav->vm_open && (k == KEY_ESCAPE || k == KEY_LEFT))
		nav->vm_open = false; /* back to the list, the selection kept */
	else if (nav->vm_open && (k == '?' || k == 'h'))
		nav->help = true;
	else if (nav->vm_open)
		; /* the list's keys wait for the list */
	else if ((k == KEY_ENTER || k == KEY_RIGHT) && nav->chosen)
		nav->vm_open = true;
	else if (k == 's' || k == 'S')
		v->table.sort = (enum table_sort)((v->table.sort + 1) % TABLE_SORT_COUNT);
	else if (k == '/') {
		nav->editing = true;
		nav->filter[0] = '\0';
		nav->top = 0;
	} else if (k == KEY_ESCAPE)
		nav->filter[0] = '\0';
	else if (k == '?' || k == 'h')
		nav->help = true;
	else if (move) {
		/* a page moves the rows shown with the selection, as less and htop do */
		if (k == KEY_PAGE_DOWN)
			nav->top += (size_t)move;
		else if (k == KEY_PAGE_UP)
			nav->top = nav->top > (size_t)-move ? nav->top - (size_t)-move : 0;
		nav->move = nav->move + move > MOVE_FAR ? MOVE_FAR : nav->move + move < -MOVE_FAR ? -MOVE_FAR : nav->move + move;
	}
	if (v->shown)
		draw(v);
	return false;
}

/* A terminal that hangs up ends the agent as SIGHUP does. */
int view_wait(struct view *v, double left_s)
{
	struct pollfd keys = { .fd = v->screen.keys ? v->screen.in_fd : -1, .events = POLLIN };
	struct timespec ts = { .tv_sec = (time_t)left_s };
	int ready;

	ts.tv_nsec = (long)((left_s - (double)ts.tv_sec) * 1e9);
	ready = ppoll(&keys, 1, &ts, NULL);
	if (signals_take(SIGNAL_RESIZE) && resize(v))
		return VIEW_QUIT;
	if (signals_take(SIGNAL_SUSPEND) && suspend(v))
		return VIEW_QUIT;
	if (ready > 0 && (keys.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(keys.revents & POLLIN))
		return VIEW_QUIT;
	for (int k; ready > 0 && (k = screen_key(&v->screen)) >= 0;)
		if (key(v, k))
			return VIEW_QUIT;
	return 0;
}

void view_close(struct view *v, bool keep_last)
{
	if (v->live) {
		if (keep_last && v->frame.len)
			buf_append(&v->frame, "\n", 1);
		screen_close(&v->screen, keep_last ? &v->frame : NULL);
	}
	history_free(&v->history);
	vcpu_history_free(&v->vcpu_history);
	buf_free(&v->frame);
}
