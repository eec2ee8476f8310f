#include "service.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "diag.h"
#include "procfs.h"

int service_notify(const char *text)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len;
	int fd, err = 0;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path))
		return -EINVAL;
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&addr,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The hidepid= mode of the proc mount at mount_point in a mounts table as
 * the kernel names it (noaccess, invisible, ptraceable; older kernels print
 * 1, 2, 4), and its gid= ("" when none); NULL when not found, or no hidepid. */
static const char *find_hidepid(char *mounts, const char *mount_point, char *mode, size_t size, char gid[16])
{
	static const char *const numbered[] = { "off", "noaccess", "invisible", "", "ptraceable" };

	for (char *line = strtok(mounts, "\n"); line; line = strtok(NULL, "\n")) {
		char dev[256], dir[PATH_MAX], type[64], opts[1024];
		const char *h, *g;
		if (sscanf(line, "%255s %4095s %63s %1023s", dev, dir, type, opts) != 4)
			continue;
		if (strcmp(type, "proc") != 0 || strcmp(dir, mount_point) != 0 || !(h = strstr(opts, "hidepid=")))
			continue;
		snprintf(mode, size, "%.*s", (int)strcspn(h + 8, ","), h + 8);
		if (strlen(mode) == 1 && mode[0] >= '0' && mode[0] <= '4')
			snprintf(mode, size, "%s", numbered[mode[0] - '0']);
		g = strstr(opts, ",gid=");
		snprintf(gid, 16, "%.*s", g ? (int)strcspn(g + 5, ",") : 0, g ? g + 5 : "");
		if (strcmp(mode, "off") != 0 && mode[0])
			return mode;
	}
	return NULL;
}

/* What the mode hides, and what to do: gid= lets a group see everything,
 * except under ptraceable, where the kernel ignores it. */
static void say_hidepid(const char *dir, const char *mode, const char *gid)
{
	const char *what = strcmp(mode, "noaccess") == 0
				   ? "listed, but their files cannot be read"
				   : strcmp(mode, "ptraceable") == 0 ? "hidden unless this user may ptrace them"
								     : "invisible";

	if (strcmp(mode, "ptraceable") == 0)
		diag("%s is mounted with hidepid=%s: processes of other users (QEMU runs as its own user) are %s, "
		     "so their VMs cannot be reported; the kernel ignores gid= in this mode: run kvmsteal as root "
		     "(or with CAP_SYS_PTRACE), or mount %s with hidepid=invisible,gid=GROUP", dir, mode, what, dir);
	else if (gid[0])
		diag("%s is mounted with hidepid=%s,gid=%s: processes of other users (QEMU runs as its own user) are "
		     "%s, so their VMs cannot be reported; add this user to group %s (the mount's gid=), or mount %s "
		     "without hidepid", dir, mode, gid, what, gid, dir);
	else
		diag("%s is mounted with hidepid=%s and no gid=: processes of other users (QEMU runs as its own "
		     "user) are %s, so their VMs cannot be reported; mount %s with gid=GROUP and add this user to "
		     "GROUP, or without hidepid", dir, mode, what, dir);
}

/* Whether this process can read another user's process under the root: the
 * direct test of what hidepid= hides, which also covers membership in the
 * mount's gid= group (and hidepid=1, which lists but denies). */
static bool sees_other_users(int root_fd)
{
	struct id_list ids = { 0 };
	bool sees = false;

	if (procfs_list_ids(root_fd, false, &ids) == 0)
		for (size_t i = 0; i < ids.len; i++) {
			char path[32], buf[512];
			struct stat st;
			snprintf(path, sizeof(path), "%d", ids.entries[i].id);
			if (fstatat(root_fd, path, &st, 0) != 0 || st.st_uid == geteuid())
				continue;
			snprintf(path, sizeof(path), "%d/stat", ids.entries[i].id);
			sees = procfs_read_file(root_fd, path, buf, sizeof(buf)) > 0;
			break;
		}
	id_list_free(&ids);
	return sees;
}

int service_check_hidepid(int root_fd, const char *root_path)
{
	char resolved[PATH_MAX], value[64], gid[16];
	char *mounts = malloc(256 * 1024);
	ssize_t len;
	int warned = 0;

	if (!mounts)
		return 0;
	len = procfs_read_file(root_fd, "self/mounts", mounts, 256 * 1024);
	if (len > 0 && geteuid() != 0 && realpath(root_path, resolved) &&
	    find_hidepid(mounts, resolved, value, sizeof(value), gid) && !sees_other_users(root_fd)) {
		say_hidepid(resolved, value, gid);
		warned = 1;
	}
	free(mounts);
	return warned;
}
