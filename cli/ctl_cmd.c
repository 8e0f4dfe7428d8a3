/*
 * ctl_cmd.c: `pickleguard status` and `pickleguard reload`: one request
 * on the daemon's control socket, its answer to stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_SOCKET "/run/pickleguard/ctl.sock"

static const char ctl_usage[] =
	"usage: pickleguard status [--json] [--socket PATH]\n"
	"       pickleguard reload [--socket PATH]\n"
	"\n"
	"status: the running pickleguardd's mode, guarded filesystems and counters.\n"
	"reload: make it read its configuration again (as SIGHUP does); a bad\n"
	"        configuration is refused and the one in use stays.\n"
	"  --json          status as one JSON object\n"
	"  --socket PATH   control socket (default " DEFAULT_SOCKET ")\n"
	"exit status: 0 done, 1 reload refused, 2 usage or no daemon to talk to\n";

/* Send one request line; the whole answer in *out (NUL-terminated). */
static int request(const char *path, const char *line, char **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return -ENOMEM;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		free(buf);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		free(buf);
		return -e;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			char *grown = realloc(buf, cap * 2);

			if (!grown) {
				close(fd);
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int pg_cmd_ctl(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = DEFAULT_SOCKET, *cmd = argv[0];
	bool json = false, reload = !strcmp(cmd, "reload");
	char *answer = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "js:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 's': path = optarg; break;
		case 'h': fputs(ctl_usage, stdout); return 0;
		default: fputs(ctl_usage, stderr); return 2;
		}
	}
	if (optind < argc || (reload && json)) {
		fputs(ctl_usage, stderr);
		return 2;
	}
	rc = request(path, reload ? "reload\n" : json ? "status-json\n" : "status\n", &answer);
	if (rc) {
		fprintf(stderr, "pickleguard %s: %s: %s (is pickleguardd running?)\n", cmd, path,
			strerror(-rc));
		return 2;
	}
	fputs(answer, stdout);
	rc = reload && !strstr(answer, "\"ok\":true") ? 1 : 0;
	free(answer);
	return rc;
}
