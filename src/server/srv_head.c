/* srv_head.c — request head checks (see srv_head.h). Counting while the fields go by and
 * deciding at the end keeps the order of the rules independent of the order of the fields.
 */
#include "srv_head.h"

#include <string.h>
#include <strings.h>

void srv_head_init(srv_head *h)
{
	memset(h, 0, sizeof *h);
}

/* RFC 9110 §5.6.2 token characters. */
static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return 0;
	return 1;
}

/* Field values: visible characters, spaces, tabs and bytes from 0x80 (obs-text). */
static int is_field_value(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

static int is_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

void srv_head_field(srv_head *h, const char *name, const char *value)
{
	if (!name || !is_token(name)) {
		h->bad_name = 1;
		return;
	}
	if (!value)
		value = "";
	if (!is_field_value(value))
		h->bad_value = 1;
	if (strcasecmp(name, "Content-Length") == 0) {
		h->content_length++;
		if (!is_digits(value) || strlen(value) > 15)
			h->bad_length = 1;
	} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
		h->transfer_encoding++;
		if (strcasecmp(value, "chunked") != 0)
			h->bad_coding = 1;
	} else if (strcasecmp(name, "Host") == 0) {
		h->host++;
	} else if (strcasecmp(name, "Authorization") == 0) {
		h->authorization++;
	}
}

int srv_head_verdict(const srv_head *h, const char *version, const char **why)
{
	if (h->bad_name)
		*why = "a header field name is malformed (empty, or with spaces, a colon or a line fold)";
	else if (h->bad_value)
		*why = "a header field value holds a control character";
	else if (h->content_length && h->transfer_encoding)
		*why = "Content-Length and Transfer-Encoding together";
	else if (h->content_length > 1)
		*why = "Content-Length given more than once";
	else if (h->bad_length)
		*why = "Content-Length is not a number";
	else if (h->transfer_encoding > 1 || h->bad_coding) {
		*why = "only Transfer-Encoding: chunked is implemented";
		return 501;
	} else if (h->host > 1)
		*why = "Host given more than once";
	else if (h->host == 0 && version && strcmp(version, "HTTP/1.1") == 0)
		*why = "an HTTP/1.1 request without Host";
	else if (h->authorization > 1)
		*why = "Authorization given more than once";
	else
		return 0;
	return 400;
}
