/* aws_xml.h — a small, safe reader for the XML that AWS services answer with (Query-protocol
 * results and errors, STS), on expat: small, and without ICU. The Query protocol's reading
 * (aws_query.h) is built on it, so the project has one XML reader.
 *
 * aws_xml_parse reads a whole document into a read-only tree of elements: each element has
 * its local name (the namespace prefix dropped; the namespace URI kept apart), the text
 * directly inside it (character data, entity references and CDATA sections decoded and
 * concatenated; the text of child elements is not included) and its child elements.
 * Attributes, comments and processing instructions are dropped.
 *
 * Safety: input larger than AWS_XML_MAX_BYTES, nesting deeper than AWS_XML_MAX_DEPTH or more
 * than AWS_XML_MAX_ELEMENTS elements are refused, and so is any DOCTYPE: AWS never sends
 * one, and refusing it means no entity is ever declared, expanded or loaded (no external
 * entities, no "billion laughs"). Only the predefined entities (&amp; &lt; &gt; &quot;
 * &apos;) and character references are decoded.
 *
 * Ownership: every node and string belongs to the aws_xml_doc and lives until aws_xml_free;
 * DO NOT free any part of it. The memory of a document is wiped when it is freed, since
 * answers such as STS AssumeRole carry secrets. A document is immutable after parsing, so
 * it may be read from several threads at once.
 */
#ifndef AWS_XML_H
#define AWS_XML_H

#include <stddef.h>

#include "aws_error.h"

#define AWS_XML_MAX_BYTES ((size_t)8 << 20)   /* 8 MiB of input */
#define AWS_XML_MAX_DEPTH 64                  /* elements nested in one another */
#define AWS_XML_MAX_ELEMENTS 200000           /* bounds the tree's memory (~100 B each) */

typedef struct aws_xml_doc aws_xml_doc;
typedef struct aws_xml_node aws_xml_node;

/* Parses buf (len bytes, no NUL terminator needed; UTF-8, UTF-16, ISO-8859-1 or US-ASCII as
 * declared) into *out. Returns 0, or -1 with AWS_ERR_PROTOCOL (malformed, truncated, DOCTYPE,
 * too large, too deep: the message says which, with line and column) or AWS_ERR_NOMEM;
 * *out is NULL on failure. Free the document with aws_xml_free. */
int aws_xml_parse(const char *buf, size_t len, aws_xml_doc **out, aws_error *err);

/* Wipes and frees the document and every node of it. NULL is allowed. */
void aws_xml_free(aws_xml_doc *doc);

/* The document element; never NULL for a parsed document. NULL when doc is NULL. */
const aws_xml_node *aws_xml_root(const aws_xml_doc *doc);

/* The element's local name ("ErrorResponse" for <q:ErrorResponse>); "" for NULL. */
const char *aws_xml_name(const aws_xml_node *n);
/* The element's namespace URI; "" when it has none or n is NULL. */
const char *aws_xml_ns(const aws_xml_node *n);
/* The text directly inside n, untrimmed, NUL-terminated (XML text never contains NUL);
 * "" for an empty element or NULL. *len (if len != NULL) gets its length in bytes. */
const char *aws_xml_text(const aws_xml_node *n, size_t *len);

/* Copies n's text with leading and trailing white space removed into out (len > 0),
 * truncated to len-1 bytes; "" when n is NULL. Returns the trimmed length before truncation
 * (so a result >= len means it was cut). */
size_t aws_xml_copy(const aws_xml_node *n, char *out, size_t len);

/* The first child element of n named `name` (local name), or NULL. n may be NULL, so
 * lookups chain: aws_xml_child(aws_xml_child(root, "Error"), "Code"). */
const aws_xml_node *aws_xml_child(const aws_xml_node *n, const char *name);
/* Follows a path of local names separated by '/' from n: "AssumeRoleResult/Credentials"
 * is aws_xml_child(aws_xml_child(n, "AssumeRoleResult"), "Credentials"). Each step takes
 * the first child of that name. "" returns n. NULL when any step is missing. */
const aws_xml_node *aws_xml_find(const aws_xml_node *n, const char *path);
/* The first element named `name` in n's subtree, n itself included, in document order;
 * for formats whose nesting varies (Query, EC2 and S3 error bodies). NULL when none. */
const aws_xml_node *aws_xml_search(const aws_xml_node *n, const char *name);

/* Iteration over the children of an element:
 *   for (c = aws_xml_first(n); c; c = aws_xml_sibling(c))                all children
 *   for (m = aws_xml_child(list, "member"); m; m = aws_xml_next(m))      a <member> list */
const aws_xml_node *aws_xml_first(const aws_xml_node *n);
const aws_xml_node *aws_xml_sibling(const aws_xml_node *n);
/* The next sibling after n with n's local name, or NULL. */
const aws_xml_node *aws_xml_next(const aws_xml_node *n);
/* The number of child elements of n named `name` (all children when name is NULL). */
size_t aws_xml_count(const aws_xml_node *n, const char *name);

#endif
