/*
 * open_lat.c: per-open latency, the way a model loader meets the guard:
 * open(O_RDONLY) + close of DIR/PREFIX000000 .. DIR/PREFIX<N-1>, each
 * REPEAT times in a row, every call timed on its own.
 *
 *   open_lat DIR PREFIX N REPEAT
 *
 * Prints: opens=.. failed=.. mean_us=.. p50_us=.. p90_us=.. p99_us=..
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n, repeat;
	uint64_t *lat, sum = 0;
	size_t k = 0, failed = 0;

	if (argc != 5 || (n = atol(argv[3])) <= 0 || (repeat = atol(argv[4])) <= 0) {
		fprintf(stderr, "usage: open_lat DIR PREFIX N REPEAT\n");
		return 2;
	}
	lat = malloc((size_t)n * (size_t)repeat * sizeof(*lat));
	if (!lat)
		return 1;
	for (long i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s%06ld", argv[1], argv[2], i);
		for (long r = 0; r < repeat; r++) {
			uint64_t t0 = now_ns();
			int fd = open(path, O_RDONLY | O_CLOEXEC);

			if (fd >= 0)
				close(fd);
			else
				failed++;
			lat[k] = now_ns() - t0;
			sum += lat[k++];
		}
	}
	qsort(lat, k, sizeof(*lat), cmp);
	printf("opens=%zu failed=%zu mean_us=%.2f p50_us=%.2f p90_us=%.2f p99_us=%.2f\n", k,
	       failed, sum / 1e3 / (double)k, lat[k / 2] / 1e3, lat[k * 9 / 10] / 1e3,
	       lat[k * 99 / 100] / 1e3);
	free(lat);
	return 0;
}
