/* srv_static.h — the web assets (under /css/ and /js/, and /favicon.ico), loaded into memory at start.
 *
 * Only regular files under <dir>/css and <dir>/js (and <dir>/favicon.ico) are loaded; symlinks
 * and dot-files are skipped. A request is answered only when its path equals a loaded
 * asset's path exactly, so `..`, %2e%2e or any other spelling can never reach a file outside
 * the folder: there is no path joining at request time. Each asset carries its ETag and, when
 * it compresses well, a gzip copy made once with zlib.
 */
#ifndef SRV_STATIC_H
#define SRV_STATIC_H

#include <stddef.h>
#include "aws_error.h"

typedef struct srv_asset {
	char path[256];          /* URL path, e.g. "/css/showtable.css" */
	const char *type;        /* Content-Type */
	unsigned char *data;     /* owned */
	size_t len;
	unsigned char *gz;       /* owned gzip copy, NULL when gzip does not pay */
	size_t gz_len;
	char etag[24];           /* "\"<16 hex of SHA-256>\"" */
	void *resp[3];           /* for the HTTP glue: prebuilt responses (plain, gzip, 304) */
} srv_asset;

typedef struct srv_static srv_static;

/* Loads dir. A missing css/ or js/ folder is fine (nothing served from it); an unreadable
 * dir, a file over 8 MiB or over 64 MiB in total is -1 with AWS_ERR_IO/INVALID. */
srv_static *srv_static_load(const char *dir, aws_error *err);
void srv_static_free(srv_static *s);

size_t srv_static_count(const srv_static *s);
srv_asset *srv_static_at(srv_static *s, size_t i);
/* The asset at exactly path (as the client sent it, percent-decoded), or NULL. */
srv_asset *srv_static_find(srv_static *s, const char *path);
/* 1 when path is in the static namespace (/css/, /js/, /favicon.ico): a miss there is 404. */
int srv_static_is_static_path(const char *path);

/* 1 when an Accept-Encoding value allows gzip (a "gzip" token without q=0). */
int srv_static_accepts_gzip(const char *accept_encoding);

#endif
