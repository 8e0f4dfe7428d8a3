/*
 * bench_scan.c FILE [RUNS]: scan FILE RUNS times (best time kept) and, as
 * the baseline in the same run, read it start to end with pread in the
 * scanner's chunk size.  Prints one line of key=value figures for
 * run_bench.sh to tabulate.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pg_scan.h"
#include "policy.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ssize_t fd_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(*(int *)ctx, buf, len, (off_t)off);

	return n < 0 ? -errno : n;
}

static double read_all(int fd, uint64_t size, size_t chunk)
{
	char *buf = malloc(chunk);
	double t0 = now();
	uint64_t sum = 0;

	if (!buf)
		exit(2);
	for (uint64_t off = 0; off < size;) {
		ssize_t n = pread(fd, buf, chunk, (off_t)off);

		if (n <= 0)
			exit(2);
		sum += (uint8_t)buf[0];
		off += (uint64_t)n;
	}
	t0 = now() - t0;
	free(buf);
	return sum == UINT64_MAX ? 0 : t0;
}

int main(int argc, char **argv)
{
	struct pg_allowlist *al = pg_allowlist_new();
	struct pg_scan_config cfg = { .allow = al };
	struct pg_report rep;
	struct stat st;
	double best = 1e30, best_read = 1e30;
	int runs = argc > 2 ? atoi(argv[2]) : 5, fd;
	char err[256];

	if (argc < 2 || !al || pg_policy_add(al, "all", err, sizeof(err))) {
		fprintf(stderr, "usage: bench_scan FILE [RUNS]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 2;
	}
	pg_limits_default(&cfg.limits);
	memset(&rep, 0, sizeof(rep));
	for (int i = 0; i < runs; i++) {
		struct pg_reader rd = { fd_pread, &fd, (uint64_t)st.st_size };
		double t, r;

		pg_report_free(&rep);
		t = now();
		if (pg_scan(&rd, &cfg, &rep))
			return 2;
		t = now() - t;
		if (t < best)
			best = t;
		r = read_all(fd, (uint64_t)st.st_size, cfg.limits.read_chunk);
		if (r < best_read)
			best_read = r;
	}
	printf("size=%" PRIu64 " verdict=%s scan_s=%.6f read_s=%.6f bytes_read=%" PRIu64
	       " opcodes=%" PRIu64 " scan_mbs=%.1f read_mbs=%.1f mops=%.1f\n",
	       (uint64_t)st.st_size, pg_verdict_name(rep.verdict), best, best_read,
	       rep.bytes_read, rep.opcodes, (double)st.st_size / best / 1e6,
	       (double)st.st_size / best_read / 1e6, (double)rep.opcodes / best / 1e6);
	pg_report_free(&rep);
	pg_allowlist_free(al);
	close(fd);
	return 0;
}
