/*
 * floor_responder.c: the least a fanotify permission guard can do, as the
 * benchmark's floor: mark the filesystem of PATH, then read events in a
 * blocking loop and allow each one at once.  Prints "ready" when marked.
 *
 *   floor_responder PATH
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/fanotify.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[64 * 1024] __attribute__((aligned(8)));
	int fan;

	if (argc != 2) {
		fprintf(stderr, "usage: floor_responder PATH\n");
		return 2;
	}
	fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE);
	if (fan < 0 || fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_PERM,
				     AT_FDCWD, argv[1]) < 0) {
		perror("fanotify");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = read(fan, buf, sizeof(buf));
		struct fanotify_event_metadata *md = (void *)buf;

		if (n <= 0) {
			perror("read");
			return 1;
		}
		for (; FAN_EVENT_OK(md, n); md = FAN_EVENT_NEXT(md, n)) {
			struct fanotify_response r = { .fd = md->fd, .response = FAN_ALLOW };

			if (md->fd < 0)
				continue;
			if (write(fan, &r, sizeof(r)) != sizeof(r))
				perror("write");
			close(md->fd);
		}
	}
}
