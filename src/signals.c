#include "signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t flags[SIGNAL_COUNT];

static void on_signal(int sig)
{
	switch (sig) {
	case SIGHUP: flags[SIGNAL_HANGUP] = 1; break;
	case SIGWINCH: flags[SIGNAL_RESIZE] = 1; break;
	case SIGTSTP: flags[SIGNAL_SUSPEND] = 1; break;
	default: flags[SIGNAL_STOP] = 1;
	}
}

static void set_handler(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* a write goes on; the sleep wakes (never restarted) */
	sa.sa_handler = handler;
	sigaction(sig, &sa, NULL);
}

void signals_install(void)
{
	set_handler(SIGTERM, on_signal);
	set_handler(SIGINT, on_signal);
	set_handler(SIGHUP, on_signal);
	set_handler(SIGWINCH, on_signal);
	set_handler(SIGPIPE, SIG_IGN);
}

void signals_take_suspend(void)
{
	set_handler(SIGTSTP, on_signal);
}

bool signals_pending(enum signal_flag flag)
{
	return flags[flag] != 0;
}

void signals_clear(enum signal_flag flag)
{
	flags[flag] = 0;
}

bool signals_take(enum signal_flag flag)
{
	bool set = flags[flag] != 0;

	flags[flag] = 0;
	return set;
}
