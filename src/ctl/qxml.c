/* qxml.c — AWS Query-protocol XML responses read with aws_xml (see qxml.h): the root's name
 * and namespace are checked here, and children are looked up within their parent's
 * namespace. aws_xml refuses DOCTYPEs (so no entity is loaded) and bounds size and depth. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qxml.h"
#include "aws_client.h"

int qxml_form_add(aws_buf *b, const char *key, const char *value)
{
	if (b->len && aws_buf_putc(b, '&') != 0)
		return -1;
	if (aws_form_encode(b, key) != 0 || aws_buf_putc(b, '=') != 0)
		return -1;
	return aws_form_encode(b, value ? value : "");
}

int qxml_form_addf(aws_buf *b, const char *value, const char *keyfmt, ...)
{
	char key[256];
	va_list ap;
	va_start(ap, keyfmt);
	int n = vsnprintf(key, sizeof key, keyfmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof key)
		return -1;
	return qxml_form_add(b, key, value);
}

/* Whether n is an element named `name` in namespace ns ("" for none): a lookup by local
 * name alone would also accept an element from another vocabulary that happens to share it. */
static int is_elem(const aws_xml_node *n, const char *name, const char *ns)
{
	return strcmp(aws_xml_name(n), name) == 0 && strcmp(aws_xml_ns(n), ns) == 0;
}

int qxml_parse(const char *xml, size_t len, const char *operation, const char *ns,
	       qxml_doc *out, aws_error *err)
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
	if (strcmp(aws_xml_ns(root), ns) != 0) {
		aws_error_set(err, AWS_ERR_PROTOCOL, "%s: response namespace is \"%s\", expected \"%s\"",
			      operation, aws_xml_ns(root), ns);
		aws_xml_free(doc);
		return -1;
	}
	snprintf(want, sizeof want, "%sResult", operation);
	out->doc = doc;
	out->result = qxml_child(root, want);
	return 0;
}

void qxml_free(qxml_doc *d)
{
	aws_xml_free(d->doc);
	d->doc = NULL;
	d->result = NULL;
}

const aws_xml_node *qxml_child(const aws_xml_node *parent, const char *name)
{
	const char *ns = aws_xml_ns(parent);
	for (const aws_xml_node *c = aws_xml_first(parent); c; c = aws_xml_sibling(c))
		if (is_elem(c, name, ns))
			return c;
	return NULL;
}

const aws_xml_node *qxml_next(const aws_xml_node *n)
{
	const char *ns = aws_xml_ns(n);
	for (const aws_xml_node *c = aws_xml_next(n); c; c = aws_xml_next(c))
		if (strcmp(aws_xml_ns(c), ns) == 0)
			return c;
	return NULL;
}

const aws_xml_node *qxml_members(const aws_xml_node *parent, const char *list)
{
	return qxml_child(qxml_child(parent, list), "member");
}

char *qxml_dup(const aws_xml_node *parent, const char *name, int *oom)
{
	const aws_xml_node *c = qxml_child(parent, name);
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

int qxml_copy(const aws_xml_node *parent, const char *name, char *out, size_t len)
{
	const aws_xml_node *c = qxml_child(parent, name);
	if (len)
		out[0] = '\0';
	if (c == NULL)
		return 0;
	if (len)
		snprintf(out, len, "%s", aws_xml_text(c, NULL));
	return 1;
}
