/* evhttp_min.c — the smallest libevent evhttp server for the library comparison: GET /ping
 * and one static file held in memory (evbuffer reference, no copy), one event loop thread.
 * Usage: evhttp_min PORT FILE */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char data[1 << 20];
static size_t data_len;
static const char pong[] = "{\"message\":\"pong\"}";

static void handler(struct evhttp_request *req, void *arg)
{
	(void)arg;
	const char *uri = evhttp_request_get_uri(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	if (strcmp(uri, "/ping") == 0) {
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add_reference(out, pong, sizeof pong - 1, NULL, NULL);
		evhttp_send_reply(req, 200, "OK", NULL);
	} else if (strcmp(uri, "/css/app.css") == 0) {
		evhttp_add_header(h, "Content-Type", "text/css; charset=utf-8");
		evbuffer_add_reference(out, data, data_len, NULL, NULL);
		evhttp_send_reply(req, 200, "OK", NULL);
	} else {
		evhttp_send_error(req, 404, NULL);
	}
}

static void on_sig(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd; (void)ev;
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	if (argc != 3) { fprintf(stderr, "usage: evhttp_min PORT FILE\n"); return 2; }
	FILE *f = fopen(argv[2], "rb");
	if (!f) { perror(argv[2]); return 1; }
	data_len = fread(data, 1, sizeof data, f);
	fclose(f);
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	evhttp_set_gencb(http, handler, NULL);
	if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)atoi(argv[1])) != 0) {
		fprintf(stderr, "bind failed\n"); return 1;
	}
	struct event *s1 = evsignal_new(base, SIGTERM, on_sig, base);
	struct event *s2 = evsignal_new(base, SIGINT, on_sig, base);
	event_add(s1, NULL); event_add(s2, NULL);
	event_base_dispatch(base);
	event_free(s1); event_free(s2);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
