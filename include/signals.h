/* signals: the only globals of the agent, one flag per signal it acts on.
 * Each handler sets its flag and nothing else; the loop and the view read
 * (and clear) them where it is safe to act. */
#ifndef KVMSTEAL_SIGNALS_H
#define KVMSTEAL_SIGNALS_H

#include <stdbool.h>

enum signal_flag {
	SIGNAL_STOP,    /* SIGTERM, SIGINT */
	SIGNAL_HANGUP,  /* SIGHUP: reopen a file output; end a run on standard output */
	SIGNAL_RESIZE,  /* SIGWINCH */
	SIGNAL_SUSPEND, /* SIGTSTP, only while the live view holds the terminal */
	SIGNAL_COUNT
};

/* SIGTERM, SIGINT, SIGHUP, SIGWINCH handled, SIGPIPE ignored (a closed pipe
 * shows up as EPIPE from write). */
void signals_install(void);

/* From now on Ctrl-Z is the live view's to handle (it gives the terminal back first). */
void signals_take_suspend(void);

/* Whether the flag is set; signals_clear clears it. */
bool signals_pending(enum signal_flag flag);
void signals_clear(enum signal_flag flag);

/* Pending, and cleared: for the flags acted on once each time. */
bool signals_take(enum signal_flag flag);

#endif
