/*
 * fork_rate.c: processes started and reaped per second: fork, execve of
 * PROGRAM (with a few arguments, as real launches have), exit, waitpid;
 * N times in a row.
 *
 *   fork_rate N PROGRAM
 *
 * Prints: runs=.. seconds=.. per_s=..
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long n;
	double s;

	if (argc != 3 || (n = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: fork_rate N PROGRAM\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			execl(argv[2], argv[2], "--flag", "value", "a-longer-argument-like-a-path",
			      (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == 127) {
			fprintf(stderr, "fork_rate: %s did not run\n", argv[2]);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("runs=%ld seconds=%.3f per_s=%.0f\n", n, s, (double)n / s);
	return 0;
}
