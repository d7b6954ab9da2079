/* aws_query.c — the Query protocol's request bodies, responses and error bodies (see
 * aws_query.h). Children are looked up within their parent's namespace, so an element of
 * another vocabulary that shares a local name is never taken for the one wanted. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aws_query.h"
#include "aws_sigv4.h"

int aws_query_form_encode(aws_buf *out, const char *s)
{
	if (!out || !s)
		return -1;
	return aws_uri_encode(out, s, strlen(s), 0);
}

int aws_query_form_add(aws_buf *b, const char *key, const char *value)
{
	if (b->len && aws_buf_putc(b, '&') != 0)
		return -1;
	if (aws_query_form_encode(b, key) != 0 || aws_buf_putc(b, '=') != 0)
		return -1;
	return aws_query_form_encode(b, value ? value : "");
}

int aws_query_form_addf(aws_buf *b, const char *value, const char *keyfmt, ...)
{
	char key[256];
	va_list ap;
	va_start(ap, keyfmt);
	int n = vsnprintf(key, sizeof key, keyfmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof key)
		return -1;
	return aws_query_form_add(b, key, value);
}

int aws_query_body(aws_buf *out, const char *action, const char *version, const char *params)
{
	if (aws_query_form_add(out, "Action", action) < 0 ||
	    aws_query_form_add(out, "Version", version) < 0)
		return -1;
	if (params && *params && (aws_buf_putc(out, '&') < 0 || aws_buf_puts(out, params) < 0))
		return -1;
	return 0;
}

/* Whether n is an element named `name` in namespace ns ("" for none): a lookup by local
 * name alone would also accept an element from another vocabulary that happens to share it. */
static int is_elem(const aws_xml_node *n, const char *name, const char *ns)
{
	return strcmp(aws_xml_name(n), name) == 0 && strcmp(aws_xml_ns(n), ns) == 0;
}

int aws_query_parse(const char *xml, size_t len, const char *operation, const char *ns,
		    aws_query_doc *out, aws_error *err)
{
	memset(out, 0, sizeof *out);
	if (xml == NULL || len == 0)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "%s: empty response body", operation);
	aws_xml_doc *doc;
	if (aws_xml_parse(xml, len, &doc, err) != 0)
		return aws_error_prefix(err, "%s response", operation);
	const aws_xml_node *root = aws_xml_root(doc);
	char want[128];
	snprintf(want, sizeof want, "%sResponse", operation);
	if (strcmp(aws_xml_name(root), want) != 0) {
		aws_error_set(err, AWS_ERR_PROTOCOL, "%s: expected <%s>, got <%s>", operation, want,
			      aws_xml_name(root));
		aws_xml_free(doc);
		return -1;
	}
	if (ns && strcmp(aws_xml_ns(root), ns) != 0) {
		aws_error_set(err, AWS_ERR_PROTOCOL, "%s: response namespace is \"%s\", expected \"%s\"",
			      operation, aws_xml_ns(root), ns);
		aws_xml_free(doc);
		return -1;
	}
	snprintf(want, sizeof want, "%sResult", operation);
	out->doc = doc;
	out->result = aws_query_child(root, want);
	return 0;
}

void aws_query_free(aws_query_doc *d)
{
	aws_xml_free(d->doc);
	d->doc = NULL;
	d->result = NULL;
}

const aws_xml_node *aws_query_child(const aws_xml_node *parent, const char *name)
{
	const char *ns = aws_xml_ns(parent);
	for (const aws_xml_node *c = aws_xml_first(parent); c; c = aws_xml_sibling(c))
		if (is_elem(c, name, ns))
			return c;
	return NULL;
}

const aws_xml_node *aws_query_next(const aws_xml_node *n)
{
	const char *ns = aws_xml_ns(n);
	for (const aws_xml_node *c = aws_xml_next(n); c; c = aws_xml_next(c))
		if (strcmp(aws_xml_ns(c), ns) == 0)
			return c;
	return NULL;
}

const aws_xml_node *aws_query_members(const aws_xml_node *parent, const char *list)
{
	return aws_query_child(aws_query_child(parent, list), "member");
}

char *aws_query_dup(const aws_xml_node *parent, const char *name, int *oom)
{
	const aws_xml_node *c = aws_query_child(parent, name);
	if (c == NULL)
		return NULL;
	size_t len;
	const char *t = aws_xml_text(c, &len);
	char *s = malloc(len + 1);
	if (s == NULL) {
		if (oom)
			*oom = 1;
		return NULL;
	}
	memcpy(s, t, len + 1);
	return s;
}

int aws_query_copy(const aws_xml_node *parent, const char *name, char *out, size_t len)
{
	const aws_xml_node *c = aws_query_child(parent, name);
	if (len)
		out[0] = '\0';
	if (c == NULL)
		return 0;
	if (len)
		snprintf(out, len, "%s", aws_xml_text(c, NULL));
	return 1;
}

/* The trimmed, printable text of the first element `name` anywhere under root, into out
 * unless out is already filled. */
static void error_field(const aws_xml_node *root, const char *name, char *out, size_t len)
{
	const aws_xml_node *n = aws_xml_search(root, name);
	if (!n || out[0])
		return;
	size_t l;
	const char *s = aws_xml_text(n, &l);
	while (l > 0 && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r'))
		s++, l--;
	while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\n' || s[l - 1] == '\t' ||
			 s[l - 1] == '\r'))
		l--;
	aws_error_snippet(s, l, out, len);
}

int aws_query_error_parse(const char *xml, size_t len, aws_error *e)
{
	aws_xml_doc *doc;
	if (len == 0 || aws_xml_parse(xml, len, &doc, NULL) != 0)
		return -1;
	const aws_xml_node *root = aws_xml_root(doc);
	error_field(root, "Code", e->type, sizeof e->type);
	error_field(root, "Message", e->message, sizeof e->message);
	error_field(root, "RequestId", e->request_id, sizeof e->request_id);
	error_field(root, "RequestID", e->request_id, sizeof e->request_id);
	aws_xml_free(doc);
	return 0;
}
