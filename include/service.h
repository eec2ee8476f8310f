/* service: what running under systemd asks of the agent, without libsystemd:
 * the sd_notify datagram (READY=1 once the first sample is taken), and one
 * clear warning when /proc hides other users' processes (hidepid=). */
#ifndef KVMSTEAL_SERVICE_H
#define KVMSTEAL_SERVICE_H

/* Sends text to $NOTIFY_SOCKET when it is set (a path, or @name for the
 * abstract namespace).  Returns 0, or -errno; nothing to do is 0. */
int service_notify(const char *text);

/* Looks up how the proc root is mounted (in root_fd's self/mounts); when it
 * is a proc mount with hidepid=, this process is not root and cannot in fact
 * read another user's process there (it is not in the mount's gid= group),
 * says once on stderr what that hides and how to fix it.  Returns 1 when it
 * warned. */
int service_check_hidepid(int root_fd, const char *root_path);

#endif
