/* srv_pool.c — a fixed set of worker threads over one FIFO queue (see srv_pool.h).
 *
 * A mutex and a condition variable guard an intrusive list of jobs: submitting allocates
 * nothing, and a full queue is refused at once (the caller answers 503) instead of letting
 * waits grow without bound.
 */
#include "srv_pool.h"

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

struct srv_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	srv_job *head, *tail;
	long waiting;
	long max_waiting;
	int quit;
	int nice;
	srv_job_fn *run;
	pthread_t *threads;
	long nthreads;
};

static void *worker_main(void *arg)
{
	srv_pool *p = arg;
	if (p->nice > 0) {   /* this thread only: Linux keeps a nice value per thread */
		id_t self = (id_t)gettid();
		errno = 0;
		int now = getpriority(PRIO_PROCESS, self);
		if (errno == 0)
			(void)setpriority(PRIO_PROCESS, self, now + p->nice > 19 ? 19 : now + p->nice);
	}
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->head && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		srv_job *job = p->head;
		if (!job) {   /* quit, and nothing left to run */
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		p->head = job->next;
		if (!p->head)
			p->tail = NULL;
		p->waiting--;
		pthread_mutex_unlock(&p->mu);
		job->next = NULL;
		p->run(job);
	}
}

static void join_all(srv_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (long i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->threads);
	free(p);
}

srv_pool *srv_pool_start(const char *name, long workers, long max_waiting, int nice, srv_job_fn *run,
			 aws_error *err)
{
	srv_pool *p = calloc(1, sizeof *p);
	if (!p || workers < 1 || !(p->threads = calloc((size_t)workers, sizeof *p->threads))) {
		free(p);
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory starting the %s", name);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->max_waiting = max_waiting;
	p->nice = nice;
	p->run = run;
	for (long i = 0; i < workers; i++) {
		if (pthread_create(&p->threads[i], NULL, worker_main, p))
			break;
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		join_all(p);
		aws_error_set(err, AWS_ERR_IO, "cannot start threads for the %s", name);
		return NULL;
	}
	return p;
}

srv_pool_result srv_pool_submit(srv_pool *p, srv_job *job)
{
	pthread_mutex_lock(&p->mu);
	if (p->quit || p->waiting >= p->max_waiting) {
		srv_pool_result r = p->quit ? SRV_POOL_STOPPING : SRV_POOL_FULL;
		pthread_mutex_unlock(&p->mu);
		return r;
	}
	job->next = NULL;
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->waiting++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return SRV_POOL_QUEUED;
}

void srv_pool_stop(srv_pool *p)
{
	if (p)
		join_all(p);
}
