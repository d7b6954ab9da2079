/* aws_creds_process.c — the credential_process source: run the profile's command and read
 * the JSON credentials it prints.
 *
 * The command runs through /bin/sh -c, as the AWS SDKs for Go, Rust and Java do on Unix
 * (so quoting, ~ and $VARS behave as users expect from their shell; the profile file is
 * the user's own, trusted input). stdin and stderr are inherited so a helper can prompt
 * (MFA) or explain a failure; only stdout is captured, capped in size and time, and never
 * echoed into an error message because it carries the secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "aws_creds_internal.h"
#include "aws_time.h"

extern char **environ;

static long ms_since(double t0)
{
	return (long)(aws_monotonic_ms() - t0);
}

/* Reaps pid, waiting at most wait_ms; kills it when still running. Returns its status,
 * or -1 when it had to be killed. */
static int reap(pid_t pid, long wait_ms, int *status)
{
	double t0 = aws_monotonic_ms();
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno == ECHILD) {
			/* SIGCHLD is ignored in this process: the child was reaped for us and its
			 * status is lost. Judge it by its output alone. */
			*status = 0;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -1;
		if (ms_since(t0) >= wait_ms)
			break;
		aws_sleep_ms(5);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return -1;
}

int aws_creds_process_run(const char *command, long timeout_ms, size_t max_bytes,
			  aws_buf *out, aws_error *err)
{
	if (!command || !*command)
		return aws_error_set(err, AWS_ERR_IO, "the command is empty");
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return aws_error_set(err, AWS_ERR_IO, "cannot create a pipe: %s", strerror(errno));

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);  /* dup2 clears CLOEXEC */
	char *argv[] = {"sh", "-c", (char *)command, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return aws_error_set(err, AWS_ERR_IO, "cannot start /bin/sh: %s", strerror(rc));
	}

	double t0 = aws_monotonic_ms();
	aws_buf_reset(out);
	const char *fail = NULL;
	char chunk[4096];
	for (;;) {
		long left = timeout_ms - ms_since(t0);
		if (left <= 0) {
			fail = "timeout";
			break;
		}
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		int pr = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			fail = "poll";
			break;
		}
		if (pr == 0)
			continue;
		ssize_t n = read(fds[0], chunk, sizeof chunk);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail = "read";
			break;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max_bytes || aws_buf_append(out, chunk, (size_t)n) != 0) {
			fail = "size";
			break;
		}
	}
	close(fds[0]);

	int status = 0;
	long left = timeout_ms - ms_since(t0);
	int reaped = reap(pid, fail ? 0 : (left > 0 ? left : 0), &status);
	if (fail && strcmp(fail, "timeout") == 0)
		return aws_error_set(err, AWS_ERR_IO, "did not finish within %ld ms and was killed",
				     timeout_ms);
	if (fail && strcmp(fail, "size") == 0)
		return aws_error_set(err, AWS_ERR_IO,
				     "printed more than %zu bytes on stdout and was killed", max_bytes);
	if (fail)
		return aws_error_set(err, AWS_ERR_IO, "reading its output failed: %s",
				     strerror(errno));
	if (reaped != 0)
		return aws_error_set(err, AWS_ERR_IO,
				     "closed its stdout but did not exit within %ld ms; killed",
				     timeout_ms);
	if (WIFSIGNALED(status))
		return aws_error_set(err, AWS_ERR_IO, "was killed by signal %d", WTERMSIG(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		if (WEXITSTATUS(status) == 127)
			return aws_error_set(err, AWS_ERR_IO,
					     "exited with status 127 (command not found?)");
		return aws_error_set(err, AWS_ERR_IO, "exited with status %d (see its messages "
				     "on stderr)", WEXITSTATUS(status));
	}
	return 0;
}

static const char *json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int aws_creds_process_parse(const char *json, size_t len, time_t now, aws_credentials *out,
			    aws_error *err)
{
	json_error_t je;
	if (len == 0)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "printed nothing on stdout; expected {\"Version\": 1, ...}");
	json_t *root = json_loadb(json, len, 0, &je);
	/* Only the position goes into the message: the text may hold the secret. */
	if (!root)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "output is not JSON (line %d, column %d); expected "
				     "{\"Version\": 1, \"AccessKeyId\": ..., ...}", je.line, je.column);
	int rc = -1;
	if (!json_is_object(root)) {
		aws_error_set(err, AWS_ERR_CREDENTIALS, "output is JSON but not an object");
		goto out;
	}
	json_t *ver = json_object_get(root, "Version");
	if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      ver ? "\"Version\" must be the number 1 (the only version defined)"
				  : "\"Version\": 1 is missing from the output");
		goto out;
	}
	const char *id = json_str(root, "AccessKeyId");
	const char *secret = json_str(root, "SecretAccessKey");
	const char *token = json_str(root, "SessionToken");
	json_t *jexp = json_object_get(root, "Expiration");
	if (!id || !*id || !secret || !*secret) {
		aws_error_set(err, AWS_ERR_CREDENTIALS, "output has no string \"%s\"",
			      !id || !*id ? "AccessKeyId" : "SecretAccessKey");
		goto out;
	}
	time_t exp = 0;
	if (jexp && !json_is_null(jexp)) {
		if (!json_is_string(jexp) || aws_creds_parse_time(json_string_value(jexp), &exp)) {
			aws_error_set(err, AWS_ERR_CREDENTIALS,
				      "\"Expiration\" is not an ISO 8601 time like "
				      "\"2024-05-01T12:00:00Z\"");
			goto out;
		}
		if (exp <= now) {
			char t[21];
			aws_creds_format_time(exp, t);
			aws_error_set(err, AWS_ERR_CREDENTIALS,
				      "returned credentials that expired at %s; it must print fresh "
				      "ones", t);
			goto out;
		}
	}
	rc = aws_creds_fill(out, "credential_process output", id, secret, token && *token ? token : NULL,
			    exp, "credential_process", err);
out:
	json_decref(root);
	return rc;
}

int aws_creds_process_fetch(const char *command, time_t now, aws_credentials *out,
			    aws_error *err)
{
	aws_buf b = AWS_BUF_INIT;
	int rc = aws_creds_process_run(command, AWS_CREDS_PROCESS_TIMEOUT_MS,
				       AWS_CREDS_PROCESS_MAX_BYTES, &b, err);
	if (rc == 0)
		rc = aws_creds_process_parse(b.data ? b.data : "", b.len, now, out, err);
	if (b.data)
		explicit_bzero(b.data, b.len);
	aws_buf_free(&b);
	return rc;
}
