/* timeline.h — how long a deploy or destroy took, from its stack events: the total, and
 * each resource's time in progress, slowest first — where the minutes went.
 */
#ifndef TIMELINE_H
#define TIMELINE_H

#include <stddef.h>
#include "cfn.h"

typedef struct timeline_entry {
	const char *logical_id, *type;   /* borrowed from the events */
	long long ms;                    /* time between *_IN_PROGRESS and its end, summed */
	const char *last_status;         /* the resource's last status (borrowed) */
} timeline_entry;

typedef struct timeline {
	long long total_ms;              /* first event to last event */
	timeline_entry *entries;         /* slowest first; malloc'd */
	size_t n;
} timeline;

/* Milliseconds since the epoch of an ISO 8601 UTC timestamp as CloudFormation writes it
 * ("2026-11-27T04:00:00.123Z", fraction optional); -1 when it is not one. */
long long timeline_parse_time(const char *ts);

/* The timeline of events (oldest first, as follow_log holds them) of stack_name; the
 * entries borrow the events' strings, so the events must outlive it. 0, or -1 when out of
 * memory. Free with timeline_free. */
int timeline_build(const cfn_event *ev, size_t n, const char *stack_name, timeline *out);
void timeline_free(timeline *t);

/* Prints "timeline: T in total" and one line per resource, slowest first (and the
 * "timeline" JSON line of stack with --json). */
void timeline_print(const timeline *t, const char *stack);

/* "4m12s", "38s", "0.4s" into buf. */
const char *timeline_duration(long long ms, char *buf, size_t len);

#endif
