/* qxml.c — AWS Query-protocol XML responses read with libxml2 (see qxml.h).
 * Parsing never touches the network or expands external entities (XML_PARSE_NONET,
 * no XML_PARSE_NOENT), and a response is bounded by the HTTP layer's size limit. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
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

static int is_elem(const xmlNode *n, const char *name, const xmlNs *ns)
{
	if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
		return 0;
	if (ns == NULL)
		return n->ns == NULL;
	return n->ns != NULL && n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, (const char *)ns->href) == 0;
}

int qxml_parse(const char *xml, size_t len, const char *operation, const char *ns,
	       qxml_doc *out, aws_error *err)
{
	memset(out, 0, sizeof *out);
	if (xml == NULL || len == 0 || len > (size_t)0x7fffffff)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "%s: empty response body", operation);
	xmlDoc *doc = xmlReadMemory(xml, (int)len, "response.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "%s: response is not well-formed XML",
				     operation);
	xmlNode *root = xmlDocGetRootElement(doc);
	char want[128];
	snprintf(want, sizeof want, "%sResponse", operation);
	if (root == NULL || strcmp((const char *)root->name, want) != 0) {
		aws_error_set(err, AWS_ERR_PROTOCOL, "%s: expected <%s>, got <%s>", operation, want,
			      root ? (const char *)root->name : "nothing");
		xmlFreeDoc(doc);
		return -1;
	}
	if (root->ns == NULL || root->ns->href == NULL ||
	    strcmp((const char *)root->ns->href, ns) != 0) {
		aws_error_set(err, AWS_ERR_PROTOCOL, "%s: response namespace is \"%s\", expected \"%s\"",
			      operation, root->ns && root->ns->href ? (const char *)root->ns->href : "",
			      ns);
		xmlFreeDoc(doc);
		return -1;
	}
	snprintf(want, sizeof want, "%sResult", operation);
	out->doc = doc;
	out->result = qxml_child(root, want);
	return 0;
}

void qxml_free(qxml_doc *d)
{
	if (d->doc)
		xmlFreeDoc(d->doc);
	d->doc = NULL;
	d->result = NULL;
}

xmlNode *qxml_child(const xmlNode *parent, const char *name)
{
	if (parent == NULL)
		return NULL;
	for (xmlNode *c = parent->children; c; c = c->next)
		if (is_elem(c, name, parent->ns))
			return c;
	return NULL;
}

xmlNode *qxml_next(const xmlNode *n)
{
	if (n == NULL)
		return NULL;
	for (xmlNode *c = n->next; c; c = c->next)
		if (is_elem(c, (const char *)n->name, n->ns))
			return c;
	return NULL;
}

xmlNode *qxml_members(const xmlNode *parent, const char *list)
{
	return qxml_child(qxml_child(parent, list), "member");
}

char *qxml_dup(const xmlNode *parent, const char *name, int *oom)
{
	xmlNode *c = qxml_child(parent, name);
	if (c == NULL)
		return NULL;
	xmlChar *t = xmlNodeGetContent(c);
	char *s = strdup(t ? (const char *)t : "");
	if (t)
		xmlFree(t);
	if (s == NULL && oom)
		*oom = 1;
	return s;
}

int qxml_copy(const xmlNode *parent, const char *name, char *out, size_t len)
{
	xmlNode *c = qxml_child(parent, name);
	if (len)
		out[0] = '\0';
	if (c == NULL)
		return 0;
	xmlChar *t = xmlNodeGetContent(c);
	if (t && len)
		snprintf(out, len, "%s", (const char *)t);
	if (t)
		xmlFree(t);
	return 1;
}
