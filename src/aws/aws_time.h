/* aws_time.h — sleeping, retry backoff and the monotonic clock, once for the library and
 * both programs: every retry loop and every poll (CloudFormation events, table status,
 * registry uploads, credential helpers) waits through these.
 */
#ifndef AWS_TIME_H
#define AWS_TIME_H

#include <time.h>

/* Sleeps ms milliseconds (<= 0: not at all), resuming after a signal interrupts it. */
void aws_sleep_ms(long ms);

/* Milliseconds on CLOCK_MONOTONIC: for intervals only (timeouts, durations), never dates. */
double aws_monotonic_ms(void);
/* Milliseconds on CLOCK_MONOTONIC since start, a reading of clock_gettime(CLOCK_MONOTONIC). */
double aws_monotonic_since_ms(const struct timespec *start);

/* A retry delay with "full jitter" (as the AWS SDKs' standard retry mode): uniform in
 * [0, min(cap_ms, base_ms * 2^attempt)] milliseconds; attempt 0 is the first retry. The
 * randomness is a per-thread generator seeded from the system's: jitter needs no more. */
long aws_backoff_ms(int attempt, long base_ms, long cap_ms);

#endif
