/* qxml.h — the AWS Query protocol's two halves: form-encoded request parameters, and XML
 * responses (CloudFormation, STS, ELBv2) read with aws_xml (expat), libaws's XML reader.
 *
 * A Query response is <OpResponse xmlns="NS"><OpResult>...</OpResult><ResponseMetadata>
 * <RequestId/></ResponseMetadata></OpResponse>. qxml_parse checks the root's name and
 * namespace and hands back the Result element; the helpers then read children by local
 * name (in the same namespace), lists as <List><member>..</member></List>.
 * Nodes are owned by the qxml_doc and live until qxml_free; strings from qxml_dup are owned
 * by the caller. Element text is the text directly inside the element (see aws_xml.h).
 */
#ifndef QXML_H
#define QXML_H

#include <stddef.h>
#include "aws_error.h"
#include "aws_buf.h"
#include "aws_xml.h"

/* Appends "&key=value" (form-encoded; no '&' when b is empty). Returns 0 or -1 (memory). */
int qxml_form_add(aws_buf *b, const char *key, const char *value);
/* The same with a printf-formatted key, e.g. "Parameters.member.%zu.ParameterKey". */
int qxml_form_addf(aws_buf *b, const char *value, const char *keyfmt, ...)
	__attribute__((format(printf, 3, 4)));

typedef struct qxml_doc {
	aws_xml_doc *doc;
	const aws_xml_node *result; /* the <OpResult> element, or NULL when the response has none */
} qxml_doc;

/* Parses xml (len bytes) as the response of `operation` in namespace ns. The result element
 * may be absent (operations with no output); *out->result is then NULL. Returns 0, or -1
 * with AWS_ERR_PROTOCOL naming what was wrong (or AWS_ERR_NOMEM); out is then empty, and
 * qxml_free on it is harmless. Free with qxml_free. A DOCTYPE is refused (AWS never sends
 * one), so no entity is ever declared, expanded or loaded; limits are aws_xml.h's. */
int qxml_parse(const char *xml, size_t len, const char *operation, const char *ns,
	       qxml_doc *out, aws_error *err);
void qxml_free(qxml_doc *d);

/* The first child element of parent named `name` in parent's namespace, or NULL. */
const aws_xml_node *qxml_child(const aws_xml_node *parent, const char *name);
/* The next sibling element after n with the same name and namespace, or NULL (iterates
 * <member> lists). */
const aws_xml_node *qxml_next(const aws_xml_node *n);
/* The first <member> of the list child `list` of parent, or NULL. */
const aws_xml_node *qxml_members(const aws_xml_node *parent, const char *list);
/* The text of child `name`, malloc'd (caller frees); NULL when absent. An empty element
 * gives "". *oom is set to 1 on allocation failure (when oom != NULL). */
char *qxml_dup(const aws_xml_node *parent, const char *name, int *oom);
/* Copies the text of child `name` into out (truncated to len-1); "" when absent.
 * Returns 1 when present. */
int qxml_copy(const aws_xml_node *parent, const char *name, char *out, size_t len);

#endif
