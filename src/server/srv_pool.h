/* srv_pool.h — the worker pool: a bounded queue of jobs and the threads that run them.
 *
 * Work that blocks (a Scan, an SSM read, checking a password hash) must not run on the
 * event loop, so the request pipeline hands it here. A job is the srv_job embedded in a
 * request's connection; every job is run by the one entry point the pool was started with
 * (the server starts it with srv_request_work, srv_request.h), in the order submitted.
 *
 * Ownership: the pool never owns a job. From srv_pool_submit until the entry point returns,
 * the job (and the connection around it) belongs to the worker running it; the entry point
 * gives it back to its owner (the server resumes the connection).
 */
#ifndef SRV_POOL_H
#define SRV_POOL_H

#include "aws_error.h"

typedef struct srv_job {
	struct srv_job *next;      /* the pool's queue link; nothing else touches it */
} srv_job;

/* The entry point: runs one job on a worker thread. */
typedef void srv_job_fn(srv_job *job);

typedef struct srv_pool srv_pool;

/* Starts workers threads running run on queued jobs; at most max_waiting jobs wait (queued,
 * not yet running). nice > 0 lowers the threads' CPU priority by that much (background
 * work that must yield to the rest). NULL with err when no thread could be started or out
 * of memory. name is used in messages ("page workers"). */
srv_pool *srv_pool_start(const char *name, long workers, long max_waiting, int nice, srv_job_fn *run,
			 aws_error *err);

typedef enum srv_pool_result {
	SRV_POOL_QUEUED,           /* a worker will run it */
	SRV_POOL_FULL,             /* max_waiting jobs already wait: not queued */
	SRV_POOL_STOPPING,         /* srv_pool_stop has begun: not queued */
} srv_pool_result;

/* Queues job (any thread). The check and the enqueue are one critical section, so a job
 * that is queued is always run, even when srv_pool_stop follows at once. */
srv_pool_result srv_pool_submit(srv_pool *p, srv_job *job);

/* Stops taking jobs, lets the workers finish every queued job, joins them and frees p. */
void srv_pool_stop(srv_pool *p);

#endif
