/* registry.h — a client of the OCI distribution API v2 (Docker registry, ECR, ...), for
 * pushing an image layout.
 *
 * Over aws_http (libcurl). Auth as the distribution spec's token flow: a request answered
 * 401 with WWW-Authenticate "Basic" is retried with the given credentials; "Bearer
 * realm,service,scope" fetches a token from the realm (with the credentials, if any) and
 * retries. Blobs the registry already has (HEAD) are skipped; the others are uploaded
 * monolithically (POST then PUT ?digest=) or, above chunk_size, in PATCH chunks then PUT.
 * A failed upload is retried: the blob is HEADed again (the failed attempt may have
 * completed), a broken chunked session resumes from the registry's Range when it still
 * answers, otherwise a new session starts. Each completed blob is checked with HEAD, and
 * the manifest is PUT only after all its blobs are there, so a failure never leaves a
 * manifest pointing at a missing or partial blob.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include "aws_error.h"
#include "aws_http.h"
#include "image_layout.h"

typedef struct registry registry;

typedef struct registry_opts {
	const char *base_url;     /* "https://host[:port]" or "http://host:port" (no path) */
	const char *repository;   /* "showtable" or "team/showtable" */
	const char *username;     /* basic credentials for Basic or for the token realm; NULL = none */
	const char *password;
	const char *login_hint;   /* what to tell a person on 401, NULL = "--username/--password-stdin" */
	size_t chunk_size;        /* blobs larger than this go in PATCH chunks of this size; 0 = 5 MiB */
	int max_attempts;         /* per blob and per idempotent request; 0 = 4 */
	long retry_base_ms;       /* the first wait's ceiling; 0 = 250 ms (doubling, capped at 4 s;
				     each wait drawn uniformly up to its ceiling) */
	long timeout_ms;          /* per request; 0 = 300000 (uploads can be slow) */
} registry_opts;

/* What a push did, for the caller to print and for tests to check. */
typedef struct registry_stats {
	size_t blobs_uploaded;
	size_t blobs_skipped;     /* already in the registry */
	uint64_t bytes_uploaded;
	size_t retries;           /* attempts beyond the first, all kinds */
	uint64_t backoff_ms;      /* time waited before them */
	size_t requests;
	int manifest_skipped;     /* the manifest was already there under that digest */
} registry_stats;

/* Creates a client; borrows http (must outlive it). Strings are copied. */
registry *registry_new(aws_http *http, const registry_opts *o, aws_error *err);
void registry_free(registry *r);
const registry_stats *registry_get_stats(const registry *r);

/* GET /v2/: checks that base_url speaks the API and that the login works (401 →
 * AWS_ERR_CREDENTIALS with what to do; no answer → AWS_ERR_TRANSPORT). */
int registry_ping(registry *r, aws_error *err);

/* Uploads one blob whose bytes hash to digest (the caller checked), with the retries
 * described above. Skips it (and counts it) when the registry already has it. */
int registry_blob_push(registry *r, const char *digest, const void *data, size_t len,
		       aws_error *err);

/* PUT /v2/<name>/manifests/<reference> with Content-Type media_type. When the registry
 * answers with Docker-Content-Digest, it must equal expect_digest (if given). */
int registry_manifest_put(registry *r, const char *reference, const char *media_type,
			  const void *data, size_t len, const char *expect_digest, aws_error *err);

/* Pushes a whole layout: every blob (skipping those present); for an image index each
 * manifest it lists, under its digest — an SBOM artifact's subject learns of it from the
 * registry itself (the PUT answered with OCI-Subject: the referrers API) or else through the
 * referrers tag "sha256-<subject hex>", an image index the artifact is added to —; then the
 * image (index or manifest) under `tag` (NULL = "sha256-<hex of its digest>"). progress (may
 * be NULL) gets one line per blob ("sha256:… 8.2 MB uploaded" / "… exists, skipped") and
 * per listed manifest ("sha256:… manifest linux/arm64", "sha256:… SBOM of sha256:…"). */
int registry_push_layout(registry *r, const image_layout *lay, const char *tag,
			 void (*progress)(void *ud, const char *line), void *ud, aws_error *err);

/* Splits "WWW-Authenticate" into scheme and the realm/service/scope parameters (exposed
 * for unit tests). Returns 0, or -1 when the header is not a challenge. */
typedef struct registry_challenge {
	char scheme[16];          /* "Basic" or "Bearer" */
	char realm[1024];
	char service[256];
	char scope[512];
} registry_challenge;
int registry_parse_challenge(const char *header, registry_challenge *out);

#endif
