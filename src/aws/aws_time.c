/* aws_time.c — sleeping, full-jitter backoff and the monotonic clock (see aws_time.h). */
#include <errno.h>
#include <stdint.h>
#include <time.h>
#include "aws_crypto.h"
#include "aws_time.h"

void aws_sleep_ms(long ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

double aws_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

double aws_monotonic_since_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* Backoff jitter needs no cryptographic quality: a per-thread xorshift seeded once. */
static uint64_t jitter_random(void)
{
	static _Thread_local uint64_t s;
	if (s == 0) {
		if (aws_random_bytes(&s, sizeof s) != 0 || s == 0)
			s = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&s ^ 0x9E3779B97F4A7C15ULL;
	}
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return s * 2685821657736338717ULL;
}

long aws_backoff_ms(int attempt, long base_ms, long cap_ms)
{
	long ceil = base_ms;
	for (int i = 0; i < attempt && ceil < cap_ms; i++)
		ceil *= 2;
	if (ceil > cap_ms || ceil <= 0)
		ceil = cap_ms;
	return (long)(jitter_random() % (uint64_t)(ceil + 1));
}
