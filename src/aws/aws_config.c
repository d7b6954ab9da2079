/* aws_config.c — the shared config/credentials files, region and endpoint resolution.
 *
 * Parses the INI dialect the AWS SDKs read (comments, "[profile x]" in config, "[x]" in
 * credentials, "[sso-session x]", indented sub-properties) strictly enough to name the file
 * and line of a malformed entry, and resolves region and endpoints in the SDKs' order.
 */
#include "aws_config.h"
#include "aws_file.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Profile files are small; a bigger one is a mistake (or not a profile file). */
#define CFG_MAX_FILE_BYTES (1024 * 1024)
#define CFG_MAX_ENTRIES 512

typedef struct cfg_kv {
	char *key;
	char *value;
} cfg_kv;

struct aws_profile {
	char *name;
	int exists;
	size_t n;
	cfg_kv kv[CFG_MAX_ENTRIES];
};

/* Which sections of a file belong to the wanted profile. */
typedef enum cfg_kind { CFG_CONFIG, CFG_CREDENTIALS, CFG_SSO_SESSION, CFG_SERVICES } cfg_kind;

const char *aws_env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* Resolves the path of a profile file: the env override (with "~/" expanded) or
 * ~/.aws/<base>. Returns 0, or -1 when no home directory can be found. */
static int cfg_path(const char *env_name, const char *base, char *out, size_t len,
		    aws_error *err)
{
	const char *p = aws_env_nonempty(env_name);
	const char *home = aws_env_nonempty("HOME");
	if (!home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	int n;
	if (p && !(p[0] == '~' && p[1] == '/')) {
		n = snprintf(out, len, "%s", p);
	} else {
		if (!home)
			return aws_error_set(err, AWS_ERR_CONFIG,
					     "cannot find the home directory for %s: set HOME or %s",
					     base, env_name);
		n = p ? snprintf(out, len, "%s/%s", home, p + 2)
		      : snprintf(out, len, "%s/.aws/%s", home, base);
	}
	if (n < 0 || (size_t)n >= len)
		return aws_error_set(err, AWS_ERR_CONFIG, "path of the AWS %s file is too long", base);
	return 0;
}

static char *cfg_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

static cfg_kv *cfg_find(aws_profile *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->kv[i].key, key) == 0)
			return &p->kv[i];
	return NULL;
}

/* Sets key (already lower-case) to value; with keep_existing an existing key is left
 * alone (the credentials file is read first and wins over the config file). Returns 1
 * when set, 0 when kept, -1 on error. */
static int cfg_set(aws_profile *p, const char *key, const char *value, int keep_existing,
		   const char *path, int line, aws_error *err)
{
	cfg_kv *kv = cfg_find(p, key);
	if (kv && keep_existing)
		return 0;   /* kept: not set here */
	char *v = strdup(value);
	if (!v)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading %s", path);
	if (kv) {
		free(kv->value);
		kv->value = v;
		return 1;
	}
	if (p->n >= CFG_MAX_ENTRIES) {
		free(v);
		return aws_error_set(err, AWS_ERR_CONFIG, "%s:%d: more than %d settings in profile %s",
				     path, line, CFG_MAX_ENTRIES, p->name);
	}
	char *k = strdup(key);
	if (!k) {
		free(v);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading %s", path);
	}
	p->kv[p->n].key = k;
	p->kv[p->n].value = v;
	p->n++;
	return 1;
}

/* Does section header text (between the brackets, trimmed) name the wanted profile? */
static int cfg_section_matches(const char *sec, cfg_kind kind, const char *want)
{
	switch (kind) {
	case CFG_CREDENTIALS:
		return strcmp(sec, want) == 0;
	case CFG_SSO_SESSION:
	case CFG_SERVICES: {
		const char *type = kind == CFG_SSO_SESSION ? "sso-session" : "services";
		size_t tl = strlen(type);
		if (strncmp(sec, type, tl) != 0 || (sec[tl] != ' ' && sec[tl] != '\t'))
			return 0;
		sec += tl;
		while (*sec == ' ' || *sec == '\t')
			sec++;
		return strcmp(sec, want) == 0;
	}
	case CFG_CONFIG:
		/* "[default]" and "[profile default]" both name default; other profiles
		 * need the "profile " prefix in the config file (the SDKs ignore "[x]"). */
		if (strcmp(want, "default") == 0 && strcmp(sec, "default") == 0)
			return 1;
		if (strncmp(sec, "profile", 7) != 0 || (sec[7] != ' ' && sec[7] != '\t'))
			return 0;
		sec += 7;
		while (*sec == ' ' || *sec == '\t')
			sec++;
		return strcmp(sec, want) == 0;
	}
	return 0;
}

/* Reads the whole file into memory (bounded). Returns 1 read, 0 missing, -1 error. */
static int cfg_read_file(const char *path, char **out, aws_error *err)
{
	aws_buf b = AWS_BUF_INIT;
	int e;
	switch (aws_file_read(path, CFG_MAX_FILE_BYTES, &b, &e)) {
	case AWS_FILE_READ:
		break;
	case AWS_FILE_NOT_OPENED:
		if (e == ENOENT || e == ENOTDIR)
			return 0;
		return aws_error_set(err, AWS_ERR_CONFIG, "cannot open %s: %s", path, strerror(e));
	case AWS_FILE_READ_FAILED:
		aws_buf_free(&b);
		return aws_error_set(err, AWS_ERR_CONFIG, "cannot read %s (is it a directory?)", path);
	case AWS_FILE_TOO_LARGE:
		aws_buf_free(&b);
		return aws_error_set(err, AWS_ERR_CONFIG, "%s is larger than %d bytes: not a profile file?",
				     path, CFG_MAX_FILE_BYTES);
	case AWS_FILE_NO_MEMORY:
		aws_buf_free(&b);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading %s", path);
	}
	if (memchr(b.data, '\0', b.len)) {
		aws_buf_free(&b);
		return aws_error_set(err, AWS_ERR_CONFIG, "%s contains NUL bytes: not a profile file", path);
	}
	*out = aws_buf_steal(&b, NULL);
	if (!*out)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading %s", path);
	return 1;
}

/* Reading one file, line by line. The last key set in the current section and whether
 * its value was empty decide what an indented line is: after an empty value a
 * sub-property (kept as "key.sub", e.g. "dynamodb.endpoint_url" in a [services] section),
 * after a non-empty value a continuation (appended, as the SDKs do). */
typedef struct cfg_reader {
	const char *path;
	cfg_kind kind;
	aws_profile *p;
	int keep_existing;
	int line, in_section, matched;
	char last_key[128];
	int last_empty, last_set;
} cfg_reader;

/* "[name]" (s trimmed, starting with '['): starts a section, the wanted one or not. */
static int cfg_section(cfg_reader *r, char *s, aws_error *err)
{
	char *end = strchr(s, ']');
	if (!end)
		return aws_error_set(err, AWS_ERR_CONFIG, "%s:%d: section header without ']': %.60s",
				     r->path, r->line, s);
	char *rest = cfg_trim(end + 1);
	if (*rest && *rest != '#' && *rest != ';')
		return aws_error_set(err, AWS_ERR_CONFIG,
				     "%s:%d: unexpected text after section header: %.60s",
				     r->path, r->line, rest);
	*end = '\0';
	char *sec = cfg_trim(s + 1);
	if (*sec == '\0')
		return aws_error_set(err, AWS_ERR_CONFIG, "%s:%d: empty section name '[]'", r->path,
				     r->line);
	r->in_section = 1;
	r->matched = cfg_section_matches(sec, r->kind, r->p->name);
	if (r->matched)
		r->p->exists = 1;
	r->last_key[0] = '\0';
	r->last_set = 0;
	return 0;
}

/* An indented "sub = value" under a key with an empty value. */
static int cfg_sub_property(cfg_reader *r, char *s, aws_error *err)
{
	char *seq = strchr(s, '=');
	if (!r->matched || !seq)
		return 0;
	*seq = '\0';
	char *sub = cfg_trim(s), full[sizeof r->last_key * 2];
	if (!*sub || snprintf(full, sizeof full, "%s.%s", r->last_key, sub) >= (int)sizeof full)
		return 0;
	for (char *k = full; *k; k++)
		*k = (char)tolower((unsigned char)*k);
	return cfg_set(r->p, full, cfg_trim(seq + 1), r->keep_existing, r->path, r->line, err) < 0
		       ? -1 : 0;
}

/* An indented line under a key with a value: appended to it on a new line. */
static int cfg_continuation(cfg_reader *r, const char *s, aws_error *err)
{
	if (!r->matched || !r->last_set)
		return 0;   /* the other file's value wins */
	cfg_kv *kv = cfg_find(r->p, r->last_key);
	if (!kv)
		return 0;
	size_t ol = strlen(kv->value), al = strlen(s);
	char *nv = realloc(kv->value, ol + 1 + al + 1);
	if (!nv)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading %s", r->path);
	nv[ol] = '\n';
	memcpy(nv + ol + 1, s, al + 1);
	kv->value = nv;
	return 0;
}

/* "key = value": kept when the section is the wanted one. */
static int cfg_setting(cfg_reader *r, char *s, aws_error *err)
{
	char *eq = strchr(s, '=');
	if (!eq)
		return aws_error_set(err, AWS_ERR_CONFIG,
				     "%s:%d: expected 'key = value' or '[section]'"
				     " (the line is not shown: it may hold a secret)", r->path, r->line);
	if (!r->in_section)
		return aws_error_set(err, AWS_ERR_CONFIG, "%s:%d: setting before any [section] header",
				     r->path, r->line);
	*eq = '\0';
	char *key = cfg_trim(s);
	char *val = cfg_trim(eq + 1);
	if (*key == '\0')
		return aws_error_set(err, AWS_ERR_CONFIG, "%s:%d: setting with an empty name",
				     r->path, r->line);
	if (strlen(key) >= sizeof r->last_key)
		return aws_error_set(err, AWS_ERR_CONFIG, "%s:%d: setting name too long", r->path,
				     r->line);
	for (char *k = key; *k; k++)
		*k = (char)tolower((unsigned char)*k);
	snprintf(r->last_key, sizeof r->last_key, "%s", key);
	r->last_empty = (*val == '\0');
	r->last_set = 0;
	if (r->matched) {
		r->last_set = cfg_set(r->p, key, val, r->keep_existing, r->path, r->line, err);
		if (r->last_set < 0)
			return -1;
	}
	return 0;
}

/* Parses one file, collecting the keys of the wanted section into p. The whole file is
 * checked for syntax, not only the wanted section, so a broken file is reported early. */
static int cfg_parse(const char *path, cfg_kind kind, aws_profile *p, int keep_existing,
		     aws_error *err)
{
	char *text = NULL;
	int rc = cfg_read_file(path, &text, err);
	if (rc <= 0)
		return rc;   /* missing (0) or unreadable (-1) */
	rc = 0;
	cfg_reader r = {.path = path, .kind = kind, .p = p, .keep_existing = keep_existing};
	char *save = NULL;
	for (char *ln = text; ln && rc == 0; ln = save) {
		char *nl = strchr(ln, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		r.line++;
		int indented = (*ln == ' ' || *ln == '\t');
		char *s = cfg_trim(ln);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[')
			rc = cfg_section(&r, s, err);
		else if (indented && r.last_key[0] && r.last_empty)
			rc = cfg_sub_property(&r, s, err);
		else if (indented && r.last_key[0])
			rc = cfg_continuation(&r, s, err);
		else
			rc = cfg_setting(&r, s, err);
	}
	free(text);
	return rc < 0 ? -1 : 0;
}

static aws_profile *cfg_profile_new(const char *name, aws_error *err)
{
	aws_profile *p = calloc(1, sizeof *p);
	if (!p || !(p->name = strdup(name))) {
		free(p);
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory loading profile %s", name);
		return NULL;
	}
	return p;
}

aws_profile *aws_profile_load(const char *name, aws_error *err)
{
	if (!name || !*name)
		name = aws_env_nonempty("AWS_PROFILE");
	if (!name)
		name = "default";
	char path[4096];
	aws_profile *p = cfg_profile_new(name, err);
	if (!p)
		return NULL;
	/* The credentials file wins over the config file for a key set in both. */
	if (cfg_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path, err) < 0 ||
	    cfg_parse(path, CFG_CREDENTIALS, p, 0, err) < 0 ||
	    cfg_path("AWS_CONFIG_FILE", "config", path, sizeof path, err) < 0 ||
	    cfg_parse(path, CFG_CONFIG, p, 1, err) < 0) {
		aws_profile_free(p);
		return NULL;
	}
	return p;
}

/* Section "[<kind's word> NAME]" of the config file, alone (no credentials file). */
static aws_profile *cfg_load_section(const char *name, cfg_kind kind, const char *what, aws_error *err)
{
	if (!name || !*name) {
		aws_error_set(err, AWS_ERR_INVALID, "no %s name given", what);
		return NULL;
	}
	char path[4096];
	aws_profile *p = cfg_profile_new(name, err);
	if (!p)
		return NULL;
	if (cfg_path("AWS_CONFIG_FILE", "config", path, sizeof path, err) < 0 ||
	    cfg_parse(path, kind, p, 0, err) < 0) {
		aws_profile_free(p);
		return NULL;
	}
	return p;
}

aws_profile *aws_profile_load_sso_session(const char *name, aws_error *err)
{
	return cfg_load_section(name, CFG_SSO_SESSION, "sso-session", err);
}

aws_profile *aws_profile_load_services(const char *name, aws_error *err)
{
	return cfg_load_section(name, CFG_SERVICES, "services section", err);
}

void aws_profile_free(aws_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->kv[i].key);
		free(p->kv[i].value);
	}
	free(p->name);
	free(p);
}

int aws_profile_exists(const aws_profile *p)
{
	return p && p->exists;
}

const char *aws_profile_name(const aws_profile *p)
{
	return p ? p->name : NULL;
}

const char *aws_profile_get(const aws_profile *p, const char *key)
{
	if (!p || !key)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->kv[i].key, key) == 0)
			return p->kv[i].value;
	return NULL;
}

/* A region goes into host names: allow only what region names are made of. */
static int cfg_region_valid(const char *r)
{
	size_t n = strlen(r);
	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)r[i];
		if (!(islower(ch) || isdigit(ch) || ch == '-'))
			return 0;
	}
	return r[0] != '-' && r[n - 1] != '-';
}

int aws_region_resolve(const aws_profile *profile, char *out, size_t len, aws_error *err)
{
	const char *src = "AWS_REGION";
	const char *r = aws_env_nonempty("AWS_REGION");
	aws_profile *loaded = NULL;
	char srcbuf[160];
	if (!r) {
		src = "AWS_DEFAULT_REGION";
		r = aws_env_nonempty("AWS_DEFAULT_REGION");
	}
	if (!r) {
		if (!profile) {
			loaded = aws_profile_load(NULL, err);
			if (!loaded)
				return -1;
			profile = loaded;
		}
		r = aws_profile_get(profile, "region");
		snprintf(srcbuf, sizeof srcbuf, "`region` in profile %s", aws_profile_name(profile));
		src = srcbuf;
		if (!r || !*r) {
			aws_error_set(err, AWS_ERR_CONFIG,
				      "no AWS region configured: set AWS_REGION or `region` in profile %s",
				      aws_profile_name(profile));
			aws_profile_free(loaded);
			return -1;
		}
	}
	int rc = 0;
	if (!cfg_region_valid(r))
		rc = aws_error_set(err, AWS_ERR_CONFIG,
				   "invalid AWS region '%.64s' from %s: expected something like eu-central-1",
				   r, src);
	else if (strlen(r) >= len)
		rc = aws_error_set(err, AWS_ERR_INVALID, "region buffer too small");
	else
		memcpy(out, r, strlen(r) + 1);
	aws_profile_free(loaded);
	return rc;
}

/* Checks an endpoint override and copies it without trailing slashes. The SDKs accept a
 * scheme, a host, an optional port and an optional path. */
static int cfg_endpoint_copy(const char *url, const char *var, char *out, size_t len,
			     aws_error *err)
{
	size_t skip;
	if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return aws_error_set(err, AWS_ERR_CONFIG,
				     "%s='%.100s' is not a valid endpoint URL: it must start with "
				     "http:// or https://, e.g. http://127.0.0.1:8000", var, url);
	const char *host = url + skip;
	size_t hlen = strcspn(host, "/");
	if (hlen == 0 || host[0] == ':')
		return aws_error_set(err, AWS_ERR_CONFIG,
				     "%s='%.100s' is not a valid endpoint URL: no host name", var, url);
	for (const char *q = url; *q; q++) {
		unsigned char ch = (unsigned char)*q;
		if (ch <= ' ' || ch == 0x7f || ch == '?' || ch == '#' || ch == '@' || ch == '\\')
			return aws_error_set(err, AWS_ERR_CONFIG,
					     "%s='%.100s' is not a valid endpoint URL: no spaces, control "
					     "characters, user info, query or fragment allowed", var, url);
	}
	const char *colon = memchr(host, ']', hlen) ? NULL : memchr(host, ':', hlen);
	if (host[0] == '[') {
		const char *rb = memchr(host, ']', hlen);
		colon = rb && rb + 1 < host + hlen && rb[1] == ':' ? rb + 1 : NULL;
	}
	if (colon) {
		const char *d = colon + 1;
		size_t plen = (size_t)(host + hlen - d);
		long port = 0;
		for (size_t i = 0; i < plen; i++) {
			if (!isdigit((unsigned char)d[i]) || port > 65535)
				return aws_error_set(err, AWS_ERR_CONFIG,
						     "%s='%.100s' is not a valid endpoint URL: bad port",
						     var, url);
			port = port * 10 + (d[i] - '0');
		}
		if (plen == 0 || port < 1 || port > 65535)
			return aws_error_set(err, AWS_ERR_CONFIG,
					     "%s='%.100s' is not a valid endpoint URL: bad port", var, url);
	}
	size_t n = strlen(url);
	while (n > skip + hlen && url[n - 1] == '/')
		n--;
	if (n >= len)
		return aws_error_set(err, AWS_ERR_CONFIG, "%s is too long (%zu bytes)", var, n);
	memcpy(out, url, n);
	out[n] = '\0';
	return 0;
}

int aws_endpoint_resolve(const char *service_id, const char *endpoint_prefix,
			 const char *region, char *out, size_t len, aws_error *err)
{
	return aws_endpoint_resolve_profile(NULL, service_id, endpoint_prefix, region, out, len, err);
}

/* service_id as the SDKs spell it in names: "CloudWatch Logs" is CLOUDWATCH_LOGS in the
 * environment (upper = 1) and cloudwatch_logs in a [services] section. */
static void cfg_service_key(const char *service_id, int upper, char *out, size_t len)
{
	size_t o = 0;
	for (const char *s = service_id; *s && o + 1 < len; s++) {
		unsigned char ch = (unsigned char)*s;
		out[o++] = (ch == ' ' || ch == '-') ? '_' : (char)(upper ? toupper(ch) : tolower(ch));
	}
	out[o] = '\0';
}

static int cfg_true(const char *v) { return v && strcasecmp(v, "true") == 0; }

int aws_endpoint_resolve_profile(const aws_profile *profile, const char *service_id,
				 const char *endpoint_prefix, const char *region, char *out, size_t len,
				 aws_error *err)
{
	if (!service_id || !endpoint_prefix || !out || len == 0)
		return aws_error_set(err, AWS_ERR_INVALID, "aws_endpoint_resolve: missing argument");
	int ignore = cfg_true(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) ||
		     (profile && cfg_true(aws_profile_get(profile, "ignore_configured_endpoint_urls")));
	if (!ignore) {
		/* The SDKs' order: AWS_ENDPOINT_URL_<ID>, AWS_ENDPOINT_URL, the profile's
		 * [services] section for this service, the profile's endpoint_url. */
		char var[128] = "AWS_ENDPOINT_URL_", key[128];
		size_t o = strlen(var);
		cfg_service_key(service_id, 1, var + o, sizeof var - o);
		const char *v = aws_env_nonempty(var);
		if (v)
			return cfg_endpoint_copy(v, var, out, len, err);
		v = aws_env_nonempty("AWS_ENDPOINT_URL");
		if (v)
			return cfg_endpoint_copy(v, "AWS_ENDPOINT_URL", out, len, err);
		const char *services = profile ? aws_profile_get(profile, "services") : NULL;
		if (services && *services) {
			aws_profile *sec = aws_profile_load_services(services, err);
			if (!sec)
				return -1;
			cfg_service_key(service_id, 0, key, sizeof key - 14);
			strcat(key, ".endpoint_url");
			v = aws_profile_get(sec, key);
			if (v && *v) {
				char what[300];
				snprintf(what, sizeof what, "%s in [services %s] of the config file", key, services);
				int rc = cfg_endpoint_copy(v, what, out, len, err);
				aws_profile_free(sec);
				return rc;
			}
			aws_profile_free(sec);
		}
		v = profile ? aws_profile_get(profile, "endpoint_url") : NULL;
		if (v && *v) {
			char what[300];
			snprintf(what, sizeof what, "endpoint_url of profile %s", aws_profile_name(profile));
			return cfg_endpoint_copy(v, what, out, len, err);
		}
	}
	if (!region || !cfg_region_valid(region))
		return aws_error_set(err, AWS_ERR_CONFIG,
				     "cannot build the %s endpoint: invalid region '%.64s'", service_id,
				     region ? region : "(none)");
	const char *suffix = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
	int n = snprintf(out, len, "https://%s.%s.%s", endpoint_prefix, region, suffix);
	if (n < 0 || (size_t)n >= len)
		return aws_error_set(err, AWS_ERR_INVALID, "endpoint buffer too small");
	return 0;
}
