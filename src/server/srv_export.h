/* srv_export.h — /export.ndjson: the whole table (or what the filter keeps) streamed page by
 * page, in constant memory, as DynamoDB JSON one item per line (what `showtablectl items
 * load` reads).
 *
 * A producer thread per export makes the Scan calls and formats each page into a buffer;
 * the event loop sends it through libmicrohttpd's content-reader callback (chunked
 * encoding). At most two pages are held: the one being sent and the next; the producer waits
 * while both are full, and the connection is suspended while both are empty, so neither side
 * spins. When the client goes away libmicrohttpd frees the response, which cancels the
 * producer before its next Scan call; at shutdown the AWS calls are cut at the end of the
 * grace period (the stream then ends unfinished, never as a complete-looking file).
 *
 * Ownership: an export is shared by its producer thread and its response; the last of the
 * two to let go frees it and calls done (for the pipeline's per-user accounting).
 */
#ifndef SRV_EXPORT_H
#define SRV_EXPORT_H

#include "aws_client.h"
#include "srv_filter.h"

/* Items asked for per Scan call: pages of ~1000 items keep the two buffers small (peak
 * RssAnon 3.6–4.9 MiB exporting 20,000 items of ~220 B; DynamoDB's own 1 MB pages took it to
 * 8.3 MiB and were no faster against dynalite). */
#define SRV_EXPORT_PAGE 1000

struct MHD_Response;
typedef struct srv_conn srv_conn;
typedef struct srv_export srv_export;


/* Called once when an export is over and freed (any thread). */
typedef void srv_export_done_fn(void *ctx);

/* Starts the export of table filtered by q and f (copied; f may be NULL) for the request on
 * connection c, and returns the response to queue for it (a chunked body), which owns the
 * export from then on. NULL with err when out of memory or no thread can start (then done
 * is not called). */
struct MHD_Response *srv_export_start(aws_client *client, const char *table, const char *q, const srv_filter *f,
				      srv_conn *c, srv_export_done_fn *done, void *ctx, aws_error *err);

#endif
