/* mhd_min.c — the smallest libmicrohttpd server for the library comparison: GET /ping and
 * one static file held in memory, prebuilt responses, one internal epoll thread (the
 * configuration showtable would use when pinned to one core). Usage: mhd_min PORT FILE
 * Env MHD_POLL=1 uses poll() instead of epoll (see bench/README.md for why that matters). */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct MHD_Response *ping_resp, *file_resp, *nf_resp;
static int marker;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_len, void **con_cls)
{
	(void)cls; (void)method; (void)version; (void)upload; (void)upload_len;
	if (*con_cls == NULL) { /* the documented idiom: answer on the second call */
		*con_cls = &marker;
		return MHD_YES;
	}
	if (strcmp(url, "/ping") == 0)
		return MHD_queue_response(c, 200, ping_resp);
	if (strcmp(url, "/css/app.css") == 0)
		return MHD_queue_response(c, 200, file_resp);
	return MHD_queue_response(c, 404, nf_resp);
}

int main(int argc, char **argv)
{
	if (argc != 3) { fprintf(stderr, "usage: mhd_min PORT FILE\n"); return 2; }
	FILE *f = fopen(argv[2], "rb");
	if (!f) { perror(argv[2]); return 1; }
	static char data[1 << 20];
	size_t n = fread(data, 1, sizeof data, f);
	fclose(f);
	static const char pong[] = "{\"message\":\"pong\"}";
	ping_resp = MHD_create_response_from_buffer(sizeof pong - 1, (void *)pong, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(ping_resp, "Content-Type", "application/json");
	file_resp = MHD_create_response_from_buffer(n, data, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(file_resp, "Content-Type", "text/css; charset=utf-8");
	nf_resp = MHD_create_response_from_buffer(9, (void *)"not found", MHD_RESPMEM_PERSISTENT);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | (getenv("MHD_POLL") ? MHD_USE_POLL : MHD_USE_EPOLL) | MHD_USE_TURBO,
		(uint16_t)atoi(argv[1]), NULL, NULL, handler, NULL,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!d) { fprintf(stderr, "MHD_start_daemon failed\n"); return 1; }
	sigset_t s; sigemptyset(&s); sigaddset(&s, SIGTERM); sigaddset(&s, SIGINT);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	int sig; sigwait(&s, &sig);
	MHD_stop_daemon(d);
	return 0;
}
