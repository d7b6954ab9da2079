/* aws_xml.c — AWS XML answers read with expat into a compact tree (see aws_xml.h).
 *
 * One pass of expat's callbacks builds the tree in a per-document arena: nodes and strings
 * are bump-allocated from a few chunks and freed (wiped first) all at once. Text is
 * gathered in one scratch buffer used as a stack: an element's text starts where the
 * scratch stood when it opened, its children's text is cut off again when they close, so
 * mixed content still ends up contiguous. Expat's own memory goes through wiping
 * allocators too, because an STS answer's secret key passes through its buffers.
 */
#include "aws_xml.h"

#include <expat.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct aws_xml_node {
	const char *name;            /* local name */
	const char *ns;              /* namespace URI or "" */
	const char *text;            /* direct character data, decoded; "" when none */
	size_t text_len;
	aws_xml_node *first;         /* first child element */
	aws_xml_node *next;          /* next sibling element */
};

typedef struct xml_chunk {
	struct xml_chunk *next;
	size_t size;                 /* bytes usable in data */
	size_t used;
	alignas(max_align_t) unsigned char data[];
} xml_chunk;

struct aws_xml_doc {
	xml_chunk *chunks;           /* newest first */
	aws_xml_node *root;
};

#define XML_CHUNK_MIN 4096
#define XML_CHUNK_MAX ((size_t)1 << 20)
/* Separates namespace URI and local name in the names expat reports. A local name cannot
 * hold a space, so the part after the last one is always the whole local name. */
#define XML_NS_SEP ' '

typedef struct xml_parse_state {
	XML_Parser p;
	aws_xml_doc *doc;
	char *text;                                /* the text stack (see the file comment) */
	size_t text_len, text_cap;
	size_t depth;
	size_t elements;
	aws_xml_node *open[AWS_XML_MAX_DEPTH];     /* open elements, outermost first */
	aws_xml_node *last[AWS_XML_MAX_DEPTH];     /* last child so far of each open element */
	size_t text_at[AWS_XML_MAX_DEPTH];         /* scratch length when each one opened */
	const char *refused;                       /* why we stopped the parser, or NULL */
	int nomem;
} xml_parse_state;

/* ---- Arena */

static void *xml_alloc(aws_xml_doc *d, size_t n, size_t align)
{
	xml_chunk *c = d->chunks;
	if (c) {
		size_t at = (c->used + align - 1) & ~(align - 1);
		if (at <= c->size && n <= c->size - at) {
			c->used = at + n;
			return c->data + at;
		}
	}
	size_t size = c && c->size < XML_CHUNK_MAX ? c->size * 2 : XML_CHUNK_MIN;
	if (size < n)
		size = n;
	xml_chunk *nc = malloc(sizeof *nc + size);
	if (!nc)
		return NULL;
	nc->next = c;
	nc->size = size;
	nc->used = n;
	d->chunks = nc;
	return nc->data;
}

static const char *xml_strdup(aws_xml_doc *d, const char *s, size_t n)
{
	if (n == 0)
		return "";
	char *r = xml_alloc(d, n + 1, 1);
	if (r) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

void aws_xml_free(aws_xml_doc *doc)
{
	if (!doc)
		return;
	for (xml_chunk *c = doc->chunks, *next; c; c = next) {
		next = c->next;
		explicit_bzero(c->data, c->used);
		free(c);
	}
	free(doc);
}

/* ---- Expat's memory: size-prefixed blocks, wiped when freed or moved. */

typedef union xml_mm_head {
	size_t size;
	max_align_t align;
} xml_mm_head;

static void *xml_mm_malloc(size_t n)
{
	if (n > SIZE_MAX - sizeof(xml_mm_head))
		return NULL;
	xml_mm_head *h = malloc(sizeof *h + n);
	if (!h)
		return NULL;
	h->size = n;
	return h + 1;
}

static void xml_mm_free(void *p)
{
	if (!p)
		return;
	xml_mm_head *h = (xml_mm_head *)p - 1;
	explicit_bzero(p, h->size);
	free(h);
}

static void *xml_mm_realloc(void *p, size_t n)
{
	if (!p)
		return xml_mm_malloc(n);
	void *q = xml_mm_malloc(n);
	if (!q)
		return NULL;
	size_t old = ((xml_mm_head *)p - 1)->size;
	memcpy(q, p, old < n ? old : n);
	xml_mm_free(p);
	return q;
}

static const XML_Memory_Handling_Suite xml_mm = {xml_mm_malloc, xml_mm_realloc, xml_mm_free};

/* ---- Callbacks */

static void xml_refuse(xml_parse_state *st, const char *why)
{
	if (!st->refused && !st->nomem)
		st->refused = why;
	XML_StopParser(st->p, XML_FALSE);
}

static void xml_oom(xml_parse_state *st)
{
	st->nomem = 1;
	XML_StopParser(st->p, XML_FALSE);
}

static int xml_stopped(const xml_parse_state *st)
{
	return st->refused || st->nomem;
}

static void XMLCALL xml_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	(void)atts;
	xml_parse_state *st = ud;
	if (xml_stopped(st))
		return;
	if (st->depth >= AWS_XML_MAX_DEPTH) {
		xml_refuse(st, "elements are nested too deeply");
		return;
	}
	if (st->elements >= AWS_XML_MAX_ELEMENTS) {
		xml_refuse(st, "the document has too many elements");
		return;
	}
	aws_xml_doc *d = st->doc;
	aws_xml_node *n = xml_alloc(d, sizeof *n, alignof(aws_xml_node));
	if (!n) {
		xml_oom(st);
		return;
	}
	memset(n, 0, sizeof *n);
	aws_xml_node *parent = st->depth ? st->open[st->depth - 1] : NULL;
	const char *sep = strrchr(name, XML_NS_SEP);
	const char *local = sep ? sep + 1 : name;
	size_t nslen = sep ? (size_t)(sep - name) : 0;
	/* Children usually share their parent's namespace: share its string too. */
	if (parent && strlen(parent->ns) == nslen && memcmp(parent->ns, name, nslen) == 0)
		n->ns = parent->ns;
	else
		n->ns = xml_strdup(d, name, nslen);
	n->name = xml_strdup(d, local, strlen(local));
	n->text = "";
	if (!n->ns || !n->name) {
		xml_oom(st);
		return;
	}
	if (!parent)
		d->root = n;
	else if (st->last[st->depth - 1])
		st->last[st->depth - 1]->next = n;
	else
		parent->first = n;
	if (parent)
		st->last[st->depth - 1] = n;
	st->open[st->depth] = n;
	st->last[st->depth] = NULL;
	st->text_at[st->depth] = st->text_len;
	st->depth++;
	st->elements++;
}

static void XMLCALL xml_end(void *ud, const XML_Char *name)
{
	(void)name;
	xml_parse_state *st = ud;
	if (xml_stopped(st) || st->depth == 0)
		return;
	st->depth--;
	aws_xml_node *n = st->open[st->depth];
	size_t at = st->text_at[st->depth];
	n->text_len = st->text_len - at;
	n->text = xml_strdup(st->doc, st->text ? st->text + at : "", n->text_len);
	if (!n->text) {
		xml_oom(st);
		return;
	}
	if (st->text)
		explicit_bzero(st->text + at, n->text_len);
	st->text_len = at;
}

static void XMLCALL xml_chars(void *ud, const XML_Char *s, int len)
{
	xml_parse_state *st = ud;
	if (xml_stopped(st) || st->depth == 0 || len <= 0)
		return;
	size_t n = (size_t)len;
	if (n > st->text_cap - st->text_len) {
		/* Grown through the wiping allocator: no stale copy of the text is left behind.
		 * Decoded text is never much longer than the input, which is capped. */
		size_t cap = st->text_cap ? st->text_cap : 1024;
		while (cap - st->text_len < n)
			cap *= 2;
		char *t = xml_mm_realloc(st->text, cap);
		if (!t) {
			xml_oom(st);
			return;
		}
		st->text = t;
		st->text_cap = cap;
	}
	memcpy(st->text + st->text_len, s, n);
	st->text_len += n;
}

static void XMLCALL xml_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
				const XML_Char *pubid, int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	xml_refuse(ud, "a DOCTYPE declaration is not accepted (AWS never sends one)");
}

/* Unreachable while DOCTYPEs are refused; kept so that no future change can let an
 * entity be declared or loaded without noticing. */
static void XMLCALL xml_entity_decl(void *ud, const XML_Char *name, int is_param,
				    const XML_Char *value, int value_len, const XML_Char *base,
				    const XML_Char *sysid, const XML_Char *pubid,
				    const XML_Char *notation)
{
	(void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
	(void)pubid, (void)notation;
	xml_refuse(ud, "an entity declaration is not accepted");
}

static int XMLCALL xml_external_ref(XML_Parser p, const XML_Char *context,
				    const XML_Char *base, const XML_Char *sysid,
				    const XML_Char *pubid)
{
	(void)p, (void)context, (void)base, (void)sysid, (void)pubid;
	return XML_STATUS_ERROR;
}

/* ---- Parse */

int aws_xml_parse(const char *buf, size_t len, aws_xml_doc **out, aws_error *err)
{
	*out = NULL;
	if (len > AWS_XML_MAX_BYTES)
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "XML document of %zu bytes is larger than the %zu accepted",
				     len, AWS_XML_MAX_BYTES);
	if (!buf && len)
		return aws_error_set(err, AWS_ERR_INVALID, "no XML buffer given");
	xml_parse_state *st = calloc(1, sizeof *st);
	aws_xml_doc *d = calloc(1, sizeof *d);
	const XML_Char sep[] = {XML_NS_SEP, '\0'};
	XML_Parser p = st && d ? XML_ParserCreate_MM(NULL, &xml_mm, sep) : NULL;
	if (!p) {
		free(st);
		free(d);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory parsing XML");
	}
	st->p = p;
	st->doc = d;
	XML_SetUserData(p, st);
	XML_SetElementHandler(p, xml_start, xml_end);
	XML_SetCharacterDataHandler(p, xml_chars);
	XML_SetStartDoctypeDeclHandler(p, xml_doctype);
	XML_SetEntityDeclHandler(p, xml_entity_decl);
	XML_SetExternalEntityRefHandler(p, xml_external_ref);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);

	int rc = 0;
	if (XML_Parse(p, buf ? buf : "", (int)len, XML_TRUE) != XML_STATUS_OK || xml_stopped(st)) {
		unsigned long line = (unsigned long)XML_GetCurrentLineNumber(p);
		unsigned long col = (unsigned long)XML_GetCurrentColumnNumber(p) + 1; /* 0-based */
		if (st->nomem || XML_GetErrorCode(p) == XML_ERROR_NO_MEMORY)
			aws_error_set(err, AWS_ERR_NOMEM, "out of memory parsing XML");
		else if (st->refused)
			aws_error_set(err, AWS_ERR_PROTOCOL, "XML refused at line %lu, column %lu: %s",
				      line, col, st->refused);
		else
			aws_error_set(err, AWS_ERR_PROTOCOL,
				      "XML is malformed at line %lu, column %lu: %s", line, col,
				      XML_ErrorString(XML_GetErrorCode(p)));
		rc = -1;
	} else if (!d->root) {            /* expat reports this itself; belt and braces */
		rc = aws_error_set(err, AWS_ERR_PROTOCOL, "XML document has no element");
	}
	XML_ParserFree(p);
	xml_mm_free(st->text);
	free(st);
	if (rc != 0) {
		aws_xml_free(d);
		return -1;
	}
	*out = d;
	return 0;
}

/* ---- Reading */

const aws_xml_node *aws_xml_root(const aws_xml_doc *doc)
{
	return doc ? doc->root : NULL;
}

const char *aws_xml_name(const aws_xml_node *n)
{
	return n ? n->name : "";
}

const char *aws_xml_ns(const aws_xml_node *n)
{
	return n ? n->ns : "";
}

const char *aws_xml_text(const aws_xml_node *n, size_t *len)
{
	if (len)
		*len = n ? n->text_len : 0;
	return n ? n->text : "";
}

static int xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t aws_xml_copy(const aws_xml_node *n, char *out, size_t len)
{
	size_t l = 0;
	const char *s = aws_xml_text(n, &l);
	while (l > 0 && xml_space(*s))
		s++, l--;
	while (l > 0 && xml_space(s[l - 1]))
		l--;
	if (len == 0)
		return l;
	size_t c = l < len ? l : len - 1;
	memcpy(out, s, c);
	out[c] = '\0';
	return l;
}

static const aws_xml_node *xml_child_n(const aws_xml_node *n, const char *name, size_t len)
{
	for (const aws_xml_node *c = n ? n->first : NULL; c; c = c->next)
		if (strncmp(c->name, name, len) == 0 && c->name[len] == '\0')
			return c;
	return NULL;
}

const aws_xml_node *aws_xml_child(const aws_xml_node *n, const char *name)
{
	return xml_child_n(n, name, strlen(name));
}

const aws_xml_node *aws_xml_find(const aws_xml_node *n, const char *path)
{
	while (n && *path) {
		size_t l = strcspn(path, "/");
		n = xml_child_n(n, path, l);
		path += l;
		if (*path == '/')
			path++;
	}
	return n;
}

const aws_xml_node *aws_xml_search(const aws_xml_node *n, const char *name)
{
	/* Depth is bounded by AWS_XML_MAX_DEPTH, so recursion is safe. */
	if (!n)
		return NULL;
	if (strcmp(n->name, name) == 0)
		return n;
	for (const aws_xml_node *c = n->first; c; c = c->next) {
		const aws_xml_node *f = aws_xml_search(c, name);
		if (f)
			return f;
	}
	return NULL;
}

const aws_xml_node *aws_xml_first(const aws_xml_node *n)
{
	return n ? n->first : NULL;
}

const aws_xml_node *aws_xml_sibling(const aws_xml_node *n)
{
	return n ? n->next : NULL;
}

const aws_xml_node *aws_xml_next(const aws_xml_node *n)
{
	for (const aws_xml_node *c = n ? n->next : NULL; c; c = c->next)
		if (strcmp(c->name, n->name) == 0)
			return c;
	return NULL;
}

size_t aws_xml_count(const aws_xml_node *n, const char *name)
{
	size_t k = 0;
	for (const aws_xml_node *c = n ? n->first : NULL; c; c = c->next)
		if (!name || strcmp(c->name, name) == 0)
			k++;
	return k;
}
