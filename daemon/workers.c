/*
 * workers.c: see workers.h.  Under one mutex: two queues (FIFO), the scan
 * queue served by the scan threads and the classify queue served by a
 * thread of its own, so that a file waiting on the disk only to be told
 * from a model never waits behind a scan; and the done list (an eventfd
 * wakes the loop).  Jobs in flight are tracked so that stop can cancel
 * them.
 */
#include "workers.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "log.h"
#include "uring_reader.h"

struct list {
	struct pgd_job *head, *tail;
};

struct pgd_workers {
	pthread_mutex_t lock;
	pthread_cond_t wake_scan, wake_classify;
	struct list scans, classify, done;
	struct pgd_job **running; /* per thread, for stop */
	bool stopping;
	atomic_uint classifying;  /* classify jobs queued or in hand */
	int efd;
	unsigned n;		  /* threads: the last one classifies */
	pthread_t *threads;
};

struct worker {
	struct pgd_workers *pool;
	unsigned index;
	bool classifies;
};

static void list_push(struct list *l, struct pgd_job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct pgd_job *list_pop(struct list *l)
{
	struct pgd_job *j = l->head;

	if (j) {
		l->head = j->next;
		if (!l->head)
			l->tail = NULL;
		j->next = NULL;
	}
	return j;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static ssize_t ring_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	return pgd_uring_pread(ctx, buf, len, off);
}

/* Event fds come O_NONBLOCK (fan.c), which io_uring takes as "never
 * wait": a worker may wait, so the flag goes. */
static void allow_waiting(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* Is the job's file a model?  1 yes, 0 no, or -errno (a read error is
 * left to the scan, which meets it too and says so). */
static int classify(struct pgd_uring_file *file, struct pgd_job *job,
		    struct pgd_sniff_buf *sniff)
{
	struct pg_classifier *c = pg_classifier_new(&job->cfg->scan);
	int rc;

	if (!c)
		return -ENOMEM;
	rc = pgd_classify(c, sniff, job->size, ring_read, file, &job->candidate);
	pg_classifier_free(c);
	if (rc == -ECANCELED || rc == -ENOMEM)
		return rc;
	return rc < 0 || job->candidate;
}

static void scan(struct pgd_uring_file *file, struct pgd_job *job)
{
	struct pg_scan_config cfg = job->cfg->scan;
	struct pg_report rep;
	struct pg_reader rd;
	uint64_t start = now_us();
	int rc;

	cfg.cancel = &job->cancel;
	pgd_reader_from_uring(&rd, file, job->size);
	rc = pg_scan(&rd, &cfg, &rep);
	if (rc == 0 && !(job->res = pgd_result_from_report(&rep, now_us() - start)))
		rc = -ENOMEM;
	job->err = rc;
	pg_report_free(&rep);
}

/* One job on this thread.  ring: NULL when the thread has none (pread).
 * false when the ring failed during the job and must be given up.
 * *to_scan: a classify job found a model, for the scan queue. */
static bool run(const struct worker *self, struct io_uring *ring, struct pgd_job *job,
		struct pgd_sniff_buf *sniff, bool *to_scan)
{
	struct pgd_uring_file file = { .ring = ring, .fd = job->fd, .cancel = &job->cancel };
	int rc;

	*to_scan = false;
	allow_waiting(job->fd);
	job->candidate = true;
	if (!self->classifies) {
		scan(&file, job);
		return !file.ring_failed;
	}
	rc = classify(&file, job, sniff);
	if (rc < 0)
		job->err = rc;
	*to_scan = rc == 1;
	job->candidate = rc != 0;
	return !file.ring_failed;
}

static void finish(struct pgd_workers *w, struct pgd_job *job)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	list_push(&w->done, job);
	pthread_mutex_unlock(&w->lock);
	/* an eventfd write only fails when the counter would overflow */
	if (write(w->efd, &one, sizeof(one)) != sizeof(one))
		log_warn("workers: eventfd");
}

static struct pgd_job *next_job(struct pgd_workers *w, const struct worker *self)
{
	struct list *q = self->classifies ? &w->classify : &w->scans;
	pthread_cond_t *wake = self->classifies ? &w->wake_classify : &w->wake_scan;
	struct pgd_job *job = NULL;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping && !q->head)
		pthread_cond_wait(wake, &w->lock);
	if (!w->stopping) {
		job = list_pop(q);
		w->running[self->index] = job;
	}
	pthread_mutex_unlock(&w->lock);
	return job;
}

static void *worker_main(void *arg)
{
	struct worker *self = arg;
	struct pgd_workers *w = self->pool;
	struct pgd_sniff_buf *sniff = malloc(sizeof(*sniff));
	struct io_uring ring;
	int rc = io_uring_queue_init(4, &ring, 0);
	bool ring_ok = rc == 0;
	struct pgd_job *job;

	if (!ring_ok)
		log_warnx("worker %u: io_uring: %s; reading with pread", self->index,
			  strerror(-rc));
	while ((job = next_job(w, self))) {
		bool to_scan = false;

		if (!sniff) {
			job->err = -ENOMEM;
		} else if (!run(self, ring_ok ? &ring : NULL, job, sniff, &to_scan)) {
			log_warnx("worker %u: io_uring failed; reading with pread", self->index);
			ring_ok = false;
		}
		if (self->classifies)
			atomic_fetch_sub(&w->classifying, 1);
		pthread_mutex_lock(&w->lock);
		w->running[self->index] = NULL;
		if (to_scan) {
			list_push(&w->scans, job);
			pthread_cond_signal(&w->wake_scan);
		}
		pthread_mutex_unlock(&w->lock);
		if (!to_scan)
			finish(w, job);
	}
	if (rc == 0)
		io_uring_queue_exit(&ring);
	free(sniff);
	free(self);
	return NULL;
}

struct pgd_workers *pgd_workers_start(unsigned n)
{
	struct pgd_workers *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	n++; /* the classify thread */
	w->threads = calloc(n, sizeof(*w->threads));
	w->running = calloc(n, sizeof(*w->running));
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!w->threads || !w->running || w->efd < 0)
		goto fail;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake_scan, NULL);
	pthread_cond_init(&w->wake_classify, NULL);
	for (; w->n < n; w->n++) {
		struct worker *self = malloc(sizeof(*self));
		int rc;

		if (!self)
			goto stop;
		*self = (struct worker){ .pool = w, .index = w->n, .classifies = w->n == n - 1 };
		rc = pthread_create(&w->threads[w->n], NULL, worker_main, self);
		if (rc) {
			free(self);
			errno = rc;
			goto stop;
		}
	}
	return w;
stop:
	pgd_workers_stop(w);
	while (pgd_workers_done(w))
		;
	pgd_workers_free(w);
	return NULL;
fail:
	if (w->efd >= 0)
		close(w->efd);
	free(w->threads);
	free(w->running);
	free(w);
	return NULL;
}

int pgd_workers_fd(const struct pgd_workers *w)
{
	return w->efd;
}

void pgd_workers_submit(struct pgd_workers *w, struct pgd_job *job)
{
	if (job->classify)
		atomic_fetch_add(&w->classifying, 1);
	pthread_mutex_lock(&w->lock);
	list_push(job->classify ? &w->classify : &w->scans, job);
	pthread_cond_signal(job->classify ? &w->wake_classify : &w->wake_scan);
	pthread_mutex_unlock(&w->lock);
}

unsigned pgd_workers_classifying(struct pgd_workers *w)
{
	return atomic_load(&w->classifying);
}

struct pgd_job *pgd_workers_done(struct pgd_workers *w)
{
	struct pgd_job *all;
	uint64_t count;

	/* reset the counter first: a job finishing after this is signalled anew */
	if (read(w->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("workers: eventfd");
	pthread_mutex_lock(&w->lock);
	all = w->done.head;
	w->done.head = w->done.tail = NULL;
	pthread_mutex_unlock(&w->lock);
	return all;
}

void pgd_workers_stop(struct pgd_workers *w)
{
	struct pgd_job *job;

	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	for (unsigned i = 0; i < w->n; i++)
		if (w->running[i])
			atomic_store(&w->running[i]->cancel, 1);
	pthread_cond_broadcast(&w->wake_scan);
	pthread_cond_broadcast(&w->wake_classify);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->n; i++)
		pthread_join(w->threads[i], NULL);
	w->n = 0;
	while ((job = list_pop(&w->scans)) || (job = list_pop(&w->classify))) {
		job->err = -ECANCELED;
		list_push(&w->done, job);
	}
}

void pgd_workers_free(struct pgd_workers *w)
{
	if (!w)
		return;
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake_scan);
	pthread_cond_destroy(&w->wake_classify);
	close(w->efd);
	free(w->threads);
	free(w->running);
	free(w);
}
