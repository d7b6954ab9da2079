/* aws_creds_cache.c — credentials of roles guarded by MFA kept between runs, in the AWS CLI's
 * cache (~/.aws/cli/cache/<key>.json): a code is asked once per role session, not once per
 * command, and a code typed into `aws` serves showtablectl too, and back.
 *
 * Key and file are the CLI's (botocore's AssumeRoleCredentialFetcher with its JSONFileCache):
 * the key is the SHA-1 (hex) of the AssumeRole arguments the profile sets — RoleArn,
 * RoleSessionName, ExternalId, SerialNumber, DurationSeconds — as Python's
 * json.dumps(sort_keys=True) writes them; the file holds the AssumeRole answer,
 * {"Credentials": {AccessKeyId, SecretAccessKey, SessionToken, Expiration}}. Credentials are
 * used while at least 15 minutes remain, the CLI's window.
 *
 * A file is believed only when it is a regular file of this user that no one else can
 * write (aws_file_read_private: credentials planted by another user would make us act as
 * them). It is written
 * 0600 to a temporary file in the same folder (made 0700 when missing), synced and renamed
 * over the old one, so a reader never sees half of it. Secrets are wiped from our buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "aws_creds_internal.h"
#include "aws_crypto.h"
#include "aws_file.h"

#define ROLE_CACHE_MAX_BYTES (64 * 1024)

/* Strings the key is made of must be printable ASCII: jansson and Python escape other bytes
 * differently (\u00E9 against \u00e9), and a key that differs from the CLI's is no use. */
static int printable(const char *s)
{
	for (; s && *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

int aws_creds_role_cache_key(const aws_creds_assume_role *ar, char key[41])
{
	key[0] = '\0';
	if (!ar->role_arn || !printable(ar->role_arn) || !printable(ar->session_name) ||
	    !printable(ar->external_id) || !printable(ar->serial_number))
		return -1;
	json_t *args = json_object();
	int bad = !args || json_object_set_new(args, "RoleArn", json_string(ar->role_arn));
	if (ar->session_name)
		bad |= json_object_set_new(args, "RoleSessionName", json_string(ar->session_name));
	if (ar->external_id)
		bad |= json_object_set_new(args, "ExternalId", json_string(ar->external_id));
	if (ar->serial_number)
		bad |= json_object_set_new(args, "SerialNumber", json_string(ar->serial_number));
	if (ar->duration_s)
		bad |= json_object_set_new(args, "DurationSeconds", json_integer(ar->duration_s));
	/* No JSON_COMPACT: ", " and ": " between items, as json.dumps by default. */
	char *text = bad ? NULL : json_dumps(args, JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(args);
	if (!text)
		return -1;
	int rc = aws_creds_cli_cache_name(text, key);
	free(text);
	return rc;
}

int aws_creds_cli_cache_name(const char *text, char name[41])
{
	/* SHA-1 only names the file (the CLI's convention); it protects nothing. */
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	name[0] = '\0';
	if (EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
		return -1;
	aws_hex(md, mdlen, name);
	return 0;
}

void aws_creds_role_cache_dir(char *out, size_t len)
{
	char home[512];
	aws_creds_home(home, sizeof home);
	snprintf(out, len, "%s/.aws/cli/cache", home);
}

int aws_creds_role_cache_read(const char *dir, const char *key, time_t now, const char *source,
			      aws_credentials *out)
{
	char path[1024];
	if (!key || !*key || snprintf(path, sizeof path, "%s/%s.json", dir, key) >= (int)sizeof path)
		return -1;
	aws_buf text = AWS_BUF_INIT;
	int rc = -1;
	json_t *doc = aws_file_read_private(path, ROLE_CACHE_MAX_BYTES, &text, NULL) == AWS_FILE_READ
			      ? json_loadb(text.data, text.len, 0, NULL) : NULL;
	if (text.data)
		explicit_bzero(text.data, text.cap);
	aws_buf_free(&text);
	json_t *c = json_object_get(doc, "Credentials");
	const char *id = json_string_value(json_object_get(c, "AccessKeyId"));
	const char *secret = json_string_value(json_object_get(c, "SecretAccessKey"));
	const char *token = json_string_value(json_object_get(c, "SessionToken"));
	const char *exp = json_string_value(json_object_get(c, "Expiration"));
	time_t until;
	if (id && secret && token && *token && exp && aws_creds_parse_time(exp, &until) == 0 &&
	    until - now >= AWS_CREDS_ROLE_CACHE_WINDOW_S &&
	    aws_creds_fill(out, "cached role credentials", id, secret, token, until, source, NULL) == 0)
		rc = 0;
	json_decref(doc);
	return rc;
}

/* mkdir -p for the folders under home that make up dir, each new one 0700. */
static int make_dirs(const char *dir)
{
	char p[1024];
	if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p)
		return -1;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int aws_creds_role_cache_write(const char *dir, const char *key, const aws_credentials *c,
			       aws_error *err)
{
	char path[1024], tmp[1024], when[21];
	if (!key || !*key || snprintf(path, sizeof path, "%s/%s.json", dir, key) >= (int)sizeof path ||
	    snprintf(tmp, sizeof tmp, "%s/%s.XXXXXX.tmp", dir, key) >= (int)sizeof tmp)
		return aws_error_set(err, AWS_ERR_IO, "role credential cache: path too long under %s", dir);
	if (make_dirs(dir) != 0)
		return aws_error_set(err, AWS_ERR_IO, "role credential cache: cannot make %s: %s", dir,
				     strerror(errno));
	aws_creds_format_time(c->expiration, when);
	json_t *doc = json_pack("{s{ssssssss}}", "Credentials", "AccessKeyId", c->access_key_id,
				"SecretAccessKey", c->secret_access_key, "SessionToken", c->session_token,
				"Expiration", when);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!text)
		return aws_error_set(err, AWS_ERR_NOMEM, "role credential cache: out of memory");
	size_t len = strlen(text);
	int fd = mkstemps(tmp, 4);   /* 0600 */
	int e = fd < 0 ? errno : 0;
	for (size_t done = 0; !e && done < len;) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			e = w < 0 ? errno : EIO;
		else
			done += (size_t)w;
	}
	explicit_bzero(text, len);
	free(text);
	if (!e && fsync(fd) != 0)
		e = errno;
	if (fd >= 0 && close(fd) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) != 0)
		e = errno;
	if (!e)
		return 0;
	if (fd >= 0)
		unlink(tmp);
	return aws_error_set(err, AWS_ERR_IO, "role credential cache: cannot write %s: %s", path, strerror(e));
}
