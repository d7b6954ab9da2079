/* srv_export.h — /export.ndjson and /export.csv: the whole table (or what the filter keeps)
 * streamed page by page, in constant memory: as DynamoDB JSON one item per line (what
 * `showtablectl items load` reads), or as CSV (RFC 4180) with one column per attribute.
 *
 * CSV needs its header first, and the attributes are known only once every item was seen:
 * the CSV export scans twice — the first pass collects the attribute names (at most
 * SRV_EXPORT_CSV_COLS), the second writes the rows. Scalars are written as text (binary as
 * base64, NULL empty), maps, lists and sets as plain JSON; a text cell that begins with
 * = + - @ (or a tab or CR) is prefixed with ' so a spreadsheet never runs it as a formula.
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

typedef enum srv_export_format { SRV_EXPORT_NDJSON, SRV_EXPORT_CSV } srv_export_format;
#define SRV_EXPORT_CSV_COLS 1024

/* Appends one CSV field for the n bytes at s: quoted (quotes doubled) when it holds a comma,
 * quote, CR or LF; prefixed with ' when formula is set and s begins with = + - @ TAB CR. */
int srv_export_csv_field(aws_buf *out, const char *s, size_t n, int formula);


/* Called once when an export is over and freed (any thread). */
typedef void srv_export_done_fn(void *ctx);

/* Starts the export of table filtered by q and f (copied; f may be NULL), in format, for the request on
 * connection c, and returns the response to queue for it (a chunked body), which owns the
 * export from then on. NULL with err when out of memory or no thread can start (then done
 * is not called). */
struct MHD_Response *srv_export_start(aws_client *client, const char *table, const char *q, const srv_filter *f,
				      srv_export_format format, srv_conn *c, srv_export_done_fn *done, void *ctx,
				      aws_error *err);

#endif
