/* srv_params.c — a request's parameters and its client, read on the event loop (see
 * srv_params.h). GET parameters come from libmicrohttpd, which keeps repeated ones in
 * order; a POST form is read with srv_form_get. Condition rows are paired by position.
 */
#include "srv_params.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_cursor.h"
#include "srv_filter.h"
#include "srv_page.h"

/* Copies a request parameter (query for GET, form for POST). -1: malformed or too long. */
static int param(srv_conn *c, const char *name, char *out, size_t outlen)
{
	if (c->route.is_post)
		return srv_form_get(c->form.data ? c->form.data : "", c->form.len, name, out, outlen);
	const char *v = MHD_lookup_connection_value(c->mc, MHD_GET_ARGUMENT_KIND, name);
	if (!v)
		return 0;
	if (strlen(v) >= outlen)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 1;
}

/* The nth occurrence of a GET parameter (libmicrohttpd keeps repeated ones, in order). */
typedef struct nth_arg {
	const char *name;
	int nth;
	const char *found;
} nth_arg;

static enum MHD_Result nth_arg_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	nth_arg *a = cls;
	(void)kind;
	if (strcmp(key, a->name) == 0 && a->nth-- == 0) {
		a->found = value ? value : "";
		return MHD_NO;
	}
	return MHD_YES;
}

/* param for the nth occurrence of name. */
static int param_nth(srv_conn *c, const char *name, int nth, char *out, size_t outlen)
{
	if (c->route.is_post)
		return srv_form_get_nth(c->form.data ? c->form.data : "", c->form.len, name, nth, out, outlen);
	nth_arg a = {name, nth, NULL};
	MHD_get_connection_values(c->mc, MHD_GET_ARGUMENT_KIND, nth_arg_cb, &a);
	if (!a.found)
		return 0;
	if (strlen(a.found) >= outlen)
		return -1;
	memcpy(out, a.found, strlen(a.found) + 1);
	return 1;
}

/* The attribute conditions: rows of attr, op, type, value (repeated parameters, matched by
 * position; a row without attr is skipped) into c->filter. 1 when unusable, with why. */
static int read_filter(srv_conn *c)
{
	static char scratch[4][SRV_FILTER_VALUE_MAX + 2];   /* event loop only */
	static const char *const names[4] = {"attr", "op", "type", "value"};
	aws_error e;
	aws_error_clear(&e);
	for (int row = 0; row < 4 * SRV_FILTER_MAX; row++) {
		const char *v[4];
		int any = 0;
		for (int k = 0; k < 4; k++) {
			int r = param_nth(c, names[k], row, scratch[k], sizeof scratch[k]);
			if (r < 0) {
				snprintf(c->bad_why, sizeof c->bad_why, "the %s of condition %d is too long or malformed",
					 names[k], row + 1);
				return 1;
			}
			v[k] = r ? scratch[k] : NULL;
			any |= r;
		}
		if (!any)
			return 0;
		if (!v[0] || !*v[0])
			continue;
		if (!c->filter && !(c->filter = calloc(1, sizeof *c->filter))) {
			snprintf(c->bad_why, sizeof c->bad_why, "out of memory");
			return 1;
		}
		if (srv_filter_add(c->filter, v[0], v[1], v[2], v[3], &e) != 0) {
			snprintf(c->bad_why, sizeof c->bad_why, "Filter condition %d: %.200s.", row + 1, e.message);
			return 1;
		}
	}
	snprintf(c->bad_why, sizeof c->bad_why, "a filter has at most %d conditions", SRV_FILTER_MAX);
	return 1;
}

/* The columns chosen: repeated col= parameters into c->show. 1 when unusable, with why. */
static int read_columns(srv_conn *c)
{
	char name[SRV_FILTER_NAME_MAX + 2];
	for (int i = 0;; i++) {
		int r = param_nth(c, "col", i, name, sizeof name);
		if (r == 0)
			return 0;
		if (r < 0 || i == SRV_PAGE_SHOW_MAX) {
			snprintf(c->bad_why, sizeof c->bad_why, "at most %d columns of at most %d bytes can be chosen",
				 SRV_PAGE_SHOW_MAX, SRV_FILTER_NAME_MAX);
			return 1;
		}
		if (!name[0])
			continue;
		if (!c->show && !(c->show = calloc(SRV_PAGE_SHOW_MAX, sizeof *c->show)))
			return 1;
		if (!(c->show[c->nshow] = strdup(name)))
			return 1;
		c->nshow++;
	}
}

static char *param_dup(srv_conn *c, const char *name, size_t max, int *bad)
{
	char *buf = malloc(max + 1);
	if (!buf) {
		*bad = 1;
		return NULL;
	}
	int r = param(c, name, buf, max + 1);
	if (r <= 0) {
		free(buf);
		if (r < 0)
			*bad = 1;
		return NULL;
	}
	return buf;
}

/* A cursor over the maximum is a damaged link, the rest bad input. */
int srv_params_read(srv_conn *c)
{
	int bad = 0;
	char mode[16];
	int mr = param(c, "mode", mode, sizeof mode);
	c->exact = mr > 0 && strcmp(mode, "exact") == 0;
	bad = mr < 0 || (mr > 0 && !c->exact && strcmp(mode, "contains") != 0);
	c->q = param_dup(c, "q", 4 * SRV_PAGE_Q_MAX, &bad);
	c->cursor = param_dup(c, "cursor", SRV_CURSOR_MAX, &bad);
	int lr = param(c, "limit", c->limit_text, sizeof c->limit_text);
	if (lr <= 0)
		c->limit_text[0] = '\0';
	if (bad || lr < 0)
		return 1;
	if (read_filter(c) || read_columns(c))
		return 1;
	if (c->exact && c->filter) {
		snprintf(c->bad_why, sizeof c->bad_why, "The exact itemID lookup reads one item by its key: "
			 "it takes no attribute conditions (use \"contains\" to combine them).");
		return 1;
	}
	return 0;
}

void srv_params_keep_target(srv_conn *c, const char *uri)
{
	free(c->item_target);
	c->item_target = NULL;
	if (strncmp(uri, "/item/", 6) == 0 || strncmp(uri, "/api/item/", 10) == 0)
		c->item_target = strndup(uri, strcspn(uri, "?"));   /* NULL: the decoded path serves */
}

static int hex_digit(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
		: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

char *srv_params_item_id(srv_conn *c, const char *url, size_t *len)
{
	size_t arg = c->route.arg;
	const char *t = c->item_target;
	char *d = t ? malloc(strlen(t) + 1) : NULL;
	size_t n = 0;
	for (size_t i = 0; d && t[i]; i++) {
		int hi, lo;
		if (t[i] == '%' && (hi = hex_digit(t[i + 1])) >= 0 && (lo = hex_digit(t[i + 2])) >= 0) {
			d[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			d[n++] = t[i];
		}
	}
	if (d && n >= arg && memcmp(d, url, arg) == 0) {
		memmove(d, d + arg, n - arg);
		d[n - arg] = '\0';
		*len = n - arg;
		return d;
	}
	free(d);
	*len = strlen(url + arg);
	return strdup(url + arg);
}

void srv_params_free(srv_conn *c)
{
	free(c->q);
	free(c->cursor);
	free(c->item_id);
	free(c->item_target);
	free(c->filter);
	for (int i = 0; i < c->nshow; i++)
		free(c->show[i]);
	free(c->show);
	c->q = c->cursor = c->item_id = c->item_target = NULL;
	c->item_id_len = 0;
	c->filter = NULL;
	c->show = NULL;
	c->nshow = 0;
}

void srv_params_find_client(srv_conn *c, const srv_config *cfg)
{
	if (!c->peer_trusted)
		return;
	const char *xff = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "X-Forwarded-For");
	if (!xff)
		return;
	const char *end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end;
		while (start > xff && start[-1] != ',')
			start--;
		const char *s = start, *e = end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		char one[64];
		unsigned char a[16];
		int fam = 0;
		if (e > s && (size_t)(e - s) < sizeof one) {
			memcpy(one, s, (size_t)(e - s));
			one[e - s] = '\0';
			if (inet_pton(AF_INET, one, a) == 1)
				fam = AF_INET;
			else if (inet_pton(AF_INET6, one, a) == 1)
				fam = AF_INET6;
		}
		if (!fam)
			return; /* garbage: keep the last address we could trust */
		snprintf(c->client, sizeof c->client, "%s", one);
		if (!srv_cidr_match(cfg->proxies, cfg->nproxies, fam, a))
			return;
		end = start > xff ? start - 1 : xff;
	}
}
