/* aws_http.c — one HTTP attempt over libcurl, with connections shared across threads.
 *
 * A curl share handle holds the connection pool, DNS cache and TLS sessions (guarded by
 * one mutex per data kind); each thread keeps its own easy handle in a pthread key, so
 * parallel calls never contend on a handle and still reuse each other's connections.
 * Response size is capped in the write callback; failures become aws_error values.
 */
#include "aws_http.h"
#include "aws_http_internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_DEFAULT_CONNECT_MS 3000L
#define HTTP_DEFAULT_TIMEOUT_MS 15000L
#define HTTP_DEFAULT_MAX_BYTES  ((size_t)64 * 1024 * 1024)
#define HTTP_MAX_HEADER_BYTES   ((size_t)64 * 1024)
#define HTTP_MAX_HEADERS        64

/* One thread's easy handle, listed in its aws_http so aws_http_free can detach them all
 * from the share (curl refuses to free a share still in use). */
typedef struct http_slot {
	CURL *easy;
	struct aws_http *owner;
	struct http_slot *prev, *next;
} http_slot;

struct aws_http {
	CURLSH *share;
	pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
	pthread_key_t key;
	pthread_mutex_t slots_mu;
	http_slot *slots;
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_response_bytes;
	char *ca_file;
	char user_agent[96];
	char no_proxy[1024]; /* metadata and loopback hosts never go through a proxy */
	atomic_int cancelled;
};

static pthread_once_t http_once = PTHREAD_ONCE_INIT;

void aws_http_cancel(aws_http *h)
{
	atomic_store(&h->cancelled, 1);
}

int aws_http_cancelled(const aws_http *h)
{
	return atomic_load(&((aws_http *)h)->cancelled);
}

static int http_on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			    curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return aws_http_cancelled(userp);   /* non-zero aborts the transfer */
}
static CURLcode http_global_rc = CURLE_OK;

static void http_global_init(void)
{
	http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void http_lock(CURL *easy, curl_lock_data data, curl_lock_access access, void *userp)
{
	(void)easy;
	(void)access;
	struct aws_http *h = userp;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&h->locks[data]);
}

static void http_unlock(CURL *easy, curl_lock_data data, void *userp)
{
	(void)easy;
	struct aws_http *h = userp;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&h->locks[data]);
}

static void http_slot_destroy(http_slot *s)
{
	curl_easy_setopt(s->easy, CURLOPT_SHARE, NULL);
	curl_easy_cleanup(s->easy);
	free(s);
}

/* Thread-exit destructor of the pthread key: unlists and frees the thread's handle. */
static void http_slot_release(void *p)
{
	http_slot *s = p;
	struct aws_http *h = s->owner;
	pthread_mutex_lock(&h->slots_mu);
	if (s->prev)
		s->prev->next = s->next;
	else
		h->slots = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&h->slots_mu);
	http_slot_destroy(s);
}

aws_http *aws_http_new(const aws_http_opts *opts, aws_error *err)
{
	pthread_once(&http_once, http_global_init);
	if (http_global_rc != CURLE_OK) {
		aws_error_set(err, AWS_ERR_TRANSPORT, "cannot initialise libcurl: %s",
			      curl_easy_strerror(http_global_rc));
		return NULL;
	}
	struct aws_http *h = calloc(1, sizeof *h);
	if (!h) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory creating the HTTP transport");
		return NULL;
	}
	h->connect_timeout_ms = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
								    : HTTP_DEFAULT_CONNECT_MS;
	h->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	h->max_response_bytes = opts && opts->max_response_bytes > 0 ? opts->max_response_bytes
								      : HTTP_DEFAULT_MAX_BYTES;
	/* libcurl uses its compiled-in CA bundle and ignores these variables; honour them
	 * as the curl tool and OpenSSL do, so a private CA can be configured. */
	const char *ca = opts && opts->ca_file ? opts->ca_file : NULL;
	if (!ca) {
		ca = getenv("CURL_CA_BUNDLE");
		if (!ca || !*ca)
			ca = getenv("SSL_CERT_FILE");
		if (ca && !*ca)
			ca = NULL;
	}
	if (ca && !(h->ca_file = strdup(ca))) {
		free(h);
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory creating the HTTP transport");
		return NULL;
	}
	curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
	/* The SDKs never send instance/container metadata or loopback traffic through an
	 * http_proxy; CURLOPT_NOPROXY replaces NO_PROXY, so keep the user's list too. */
	const char *np = getenv("NO_PROXY");
	if (!np || !*np)
		np = getenv("no_proxy");
	snprintf(h->no_proxy, sizeof h->no_proxy,
		 "169.254.169.254,169.254.170.2,169.254.170.23,fd00:ec2::23,fd00:ec2::254,"
		 "localhost,127.0.0.1,::1%s%s", np && *np ? "," : "", np && *np ? np : "");
	snprintf(h->user_agent, sizeof h->user_agent, "showtable/%s libcurl/%s",
#ifdef SHOWTABLE_VERSION
		 SHOWTABLE_VERSION,
#else
		 "dev",
#endif
		 vi && vi->version ? vi->version : "?");
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&h->locks[i], NULL);
	pthread_mutex_init(&h->slots_mu, NULL);
	if (pthread_key_create(&h->key, http_slot_release) != 0) {
		aws_error_set(err, AWS_ERR_NOMEM, "cannot create a thread key for the HTTP transport");
		goto fail_key;
	}
	h->share = curl_share_init();
	if (!h->share) {
		aws_error_set(err, AWS_ERR_NOMEM, "cannot create the curl share handle");
		goto fail_share;
	}
	if (curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, http_lock) != CURLSHE_OK ||
	    curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, http_unlock) != CURLSHE_OK ||
	    curl_share_setopt(h->share, CURLSHOPT_USERDATA, h) != CURLSHE_OK ||
	    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		aws_error_set(err, AWS_ERR_TRANSPORT, "this libcurl cannot share connections "
			      "between threads (needs 7.57 or newer)");
		curl_share_cleanup(h->share);
		goto fail_share;
	}
	return h;
fail_share:
	pthread_key_delete(h->key);
fail_key:
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&h->locks[i]);
	pthread_mutex_destroy(&h->slots_mu);
	free(h->ca_file);
	free(h);
	return NULL;
}

void aws_http_free(aws_http *h)
{
	if (!h)
		return;
	/* No call is in flight (contract), so every listed handle is idle. */
	pthread_setspecific(h->key, NULL);
	pthread_key_delete(h->key);
	pthread_mutex_lock(&h->slots_mu);
	http_slot *s = h->slots;
	h->slots = NULL;
	pthread_mutex_unlock(&h->slots_mu);
	while (s) {
		http_slot *next = s->next;
		http_slot_destroy(s);
		s = next;
	}
	curl_share_cleanup(h->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&h->locks[i]);
	pthread_mutex_destroy(&h->slots_mu);
	free(h->ca_file);
	free(h);
}

static CURL *http_easy(struct aws_http *h, aws_error *err)
{
	http_slot *s = pthread_getspecific(h->key);
	if (s)
		return s->easy;
	s = calloc(1, sizeof *s);
	if (!s || !(s->easy = curl_easy_init())) {
		free(s);
		aws_error_set(err, AWS_ERR_NOMEM, "cannot create a curl handle");
		return NULL;
	}
	s->owner = h;
	curl_easy_setopt(s->easy, CURLOPT_SHARE, h->share);
	if (pthread_setspecific(h->key, s) != 0) {
		http_slot_destroy(s);
		aws_error_set(err, AWS_ERR_NOMEM, "cannot store the thread's curl handle");
		return NULL;
	}
	pthread_mutex_lock(&h->slots_mu);
	s->next = h->slots;
	if (h->slots)
		h->slots->prev = s;
	h->slots = s;
	pthread_mutex_unlock(&h->slots_mu);
	return s->easy;
}

static size_t http_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	aws_http_xfer *x = userp;
	size_t n = size * nmemb;
	if (n > x->limit - x->resp->body.len) {
		x->too_big = 1;
		return 0;   /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (aws_buf_append(&x->resp->body, data, n) < 0)
		return 0;
	return n;
}

static size_t http_on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	aws_http_xfer *x = userp;
	size_t n = size * nmemb;
	/* A new status line starts a new response (e.g. after "100 Continue"): keep only
	 * the final response's headers. */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		aws_buf_reset(&x->resp->headers);
	if (x->resp->headers.len + n > HTTP_MAX_HEADER_BYTES) {
		x->headers_too_big = 1;
		return 0;
	}
	if (aws_buf_append(&x->resp->headers, data, n) < 0)
		return 0;
	/* Size the body buffer once from Content-Length; refuse early what cannot fit. */
	if (n > 15 && strncasecmp(data, "content-length:", 15) == 0) {
		char tmp[32];
		size_t l = n - 15 < sizeof tmp - 1 ? n - 15 : sizeof tmp - 1;
		memcpy(tmp, data + 15, l);
		tmp[l] = '\0';
		char *end;
		unsigned long long cl = strtoull(tmp, &end, 10);
		if (end != tmp) {
			if (cl > x->limit) {
				x->too_big = 1;
				return 0;
			}
			if (cl > 0)
				aws_buf_reserve(&x->resp->body, (size_t)cl);
		}
	}
	return n;
}

/* host[:port] of a URL, for messages. */
static void http_host_of(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t n = strcspn(p, "/?#");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static int http_header_ok(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			return 0;
	return 1;
}

#define HTTP_HEADER_LINE_MAX 8192

int aws_http_check(const aws_http_request *req, char *host, size_t host_len, aws_error *err)
{
	if (!req || !req->url || !req->method || (req->nheaders && !req->headers) || (req->body_len && !req->body))
		return aws_error_set(err, AWS_ERR_INVALID, "HTTP request: missing argument");
	http_host_of(req->url, host, host_len);
	if (strncasecmp(req->url, "http://", 7) != 0 && strncasecmp(req->url, "https://", 8) != 0)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "URL '%.200s' is neither http:// nor https://", req->url);
	if (req->nheaders > HTTP_MAX_HEADERS)
		return aws_error_set(err, AWS_ERR_INVALID, "too many request headers (%zu)",
				     req->nheaders);
	for (size_t i = 0; i < req->nheaders; i++) {
		const char *name = req->headers[i].name, *value = req->headers[i].value;
		if (!name || !*name || !value || !http_header_ok(name) || !http_header_ok(value) ||
		    strchr(name, ':'))
			return aws_error_set(err, AWS_ERR_INVALID, "invalid request header '%.100s'",
					     name ? name : "(null)");
		if (strlen(name) + strlen(value) + 2 >= HTTP_HEADER_LINE_MAX)
			return aws_error_set(err, AWS_ERR_INVALID, "request header %.100s is too long",
					     name);
	}
	return 0;
}

/* The request's headers (checked by aws_http_check) as curl wants them, plus "Expect:" (no
 * 100-continue round trip: AWS does not need it). Returns 0 with *out set (the caller frees
 * it with curl_slist_free_all), or -1 with err when out of memory. */
static int http_header_list(const aws_http_request *req, const char *host,
			    struct curl_slist **out, aws_error *err)
{
	struct curl_slist *hl = NULL, *tmp;
	char line[HTTP_HEADER_LINE_MAX];
	*out = NULL;
	for (size_t i = 0; i < req->nheaders; i++) {
		const char *name = req->headers[i].name, *value = req->headers[i].value;
		/* curl sends "Name;" as an empty header and drops "Name:" entirely. */
		if (*value)
			snprintf(line, sizeof line, "%s: %s", name, value);
		else
			snprintf(line, sizeof line, "%s;", name);
		if (!(tmp = curl_slist_append(hl, line)))
			goto nomem;
		hl = tmp;
	}
	if (!(tmp = curl_slist_append(hl, "Expect:")))
		goto nomem;
	*out = tmp;
	return 0;
nomem:
	curl_slist_free_all(hl);
	return aws_error_set(err, AWS_ERR_NOMEM, "out of memory building the request to %s", host);
}

/* Sets every option of one transfer on e: limits, TLS checks, callbacks, method, body. */
static void http_set_options(const aws_http *h, CURL *e, const aws_http_request *req,
			     struct curl_slist *hl, aws_http_xfer *x, char *errbuf, long timeout,
			     long ctimeout)
{
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ctimeout);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 128L * 1024);
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(e, CURLOPT_NOPROXY, h->no_proxy);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, http_on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);

	const void *body = req->body ? req->body : "";
	if (strcmp(req->method, "GET") == 0 && req->body_len == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	}
}

/* The error for a transfer that ended with cc: cancelled, too large, timed out, out of
 * memory, or a transport failure named for what a person can check. Returns -1. */
static int http_failure(const aws_http *h, const char *method, const char *host, CURLcode cc,
			    const aws_http_xfer *x, const char *why, long timeout, long ctimeout, aws_error *err)
{
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return aws_error_set(err, AWS_ERR_CANCELLED, "%s %s: cancelled, the program is "
				     "stopping", method, host);
	if (x->too_big)
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "response from %s larger than %zu bytes (the configured "
				     "limit); transfer aborted", host, h->max_response_bytes);
	if (x->headers_too_big)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "response headers from %s larger than "
				     "%zu bytes", host, HTTP_MAX_HEADER_BYTES);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return aws_error_set(err, AWS_ERR_TIMEOUT, "%s %s: no complete answer within %ld ms "
				     "(connect limit %ld ms): %s", method, host, timeout,
				     ctimeout, why);
	if (cc == CURLE_OUT_OF_MEMORY || cc == CURLE_WRITE_ERROR)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory receiving the response "
				     "from %s", host);
	const char *what = "cannot talk to";
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST: what = "cannot resolve"; break;
	case CURLE_COULDNT_CONNECT: what = "cannot connect to"; break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE: what = "TLS failed with"; break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE: what = "connection broke with"; break;
	default: break;
	}
	return aws_error_set(err, AWS_ERR_TRANSPORT, "%s %s: %s", what, host, why);
}

int aws_http_begin(aws_http *h, CURL *e, const aws_http_request *req, aws_http_response *resp,
		   aws_http_xfer *x, aws_error *err)
{
	memset(x, 0, sizeof *x);
	if (!h || !resp)
		return aws_error_set(err, AWS_ERR_INVALID, "HTTP request: missing argument");
	memset(resp, 0, sizeof *resp);
	if (aws_http_check(req, x->host, sizeof x->host, err) < 0)
		return -1;
	curl_easy_reset(e);   /* options only: the share and live connections are kept */
	if (http_header_list(req, x->host, &x->hl, err) < 0)
		return -1;
	x->resp = resp;
	x->limit = h->max_response_bytes;
	x->timeout = req->timeout_ms > 0 ? req->timeout_ms : h->timeout_ms;
	x->ctimeout = h->connect_timeout_ms < x->timeout ? h->connect_timeout_ms : x->timeout;
	snprintf(x->method, sizeof x->method, "%s", req->method);
	http_set_options(h, e, req, x->hl, x, x->errbuf, x->timeout, x->ctimeout);
	return 0;
}

int aws_http_end(const aws_http *h, CURL *e, int code, aws_http_xfer *x, aws_error *err)
{
	CURLcode cc = (CURLcode)code;
	/* The header list must outlive the transfer only: clear it before freeing. */
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(x->hl);
	x->hl = NULL;
	if (cc != CURLE_OK) {
		http_failure(h, x->method, x->host, cc, x, x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc),
				 x->timeout, x->ctimeout, err);
		aws_http_response_free(x->resp);
		return -1;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x->resp->status);
	if (!x->resp->body.data)
		aws_buf_append(&x->resp->body, "", 0);
	return 0;
}

int aws_http_do(aws_http *h, const aws_http_request *req, aws_http_response *resp,
		aws_error *err)
{
	if (!h)
		return aws_error_set(err, AWS_ERR_INVALID, "aws_http_do: missing argument");
	CURL *e = http_easy(h, err);
	if (!e)
		return -1;
	aws_http_xfer x;
	if (aws_http_begin(h, e, req, resp, &x, err) < 0)
		return -1;
	return aws_http_end(h, e, (int)curl_easy_perform(e), &x, err);
}

int aws_http_header(const aws_http_response *resp, const char *name, char *out, size_t len)
{
	if (!resp || !name || !resp->headers.data)
		return 0;
	size_t nl = strlen(name);
	const char *p = resp->headers.data, *end = p + resp->headers.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1, *ve = eol;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (out && len > 0) {
				size_t n = (size_t)(ve - v) < len - 1 ? (size_t)(ve - v) : len - 1;
				memcpy(out, v, n);
				out[n] = '\0';
			}
			return 1;
		}
		p = eol + 1;
	}
	return 0;
}

void aws_http_response_free(aws_http_response *resp)
{
	if (!resp)
		return;
	aws_buf_free(&resp->body);
	aws_buf_free(&resp->headers);
	resp->status = 0;
}
