/* aws_query.h — the AWS Query protocol (STS, CloudFormation, ELBv2): form-encoded request
 * bodies, XML responses and XML error bodies, read with aws_xml. The signed, retried call
 * itself is aws_query_call (aws_client.h); the STS credentials sources, which cannot use an
 * aws_client, build and read their requests with this module too.
 *
 * A response is <OpResponse xmlns="NS"><OpResult>...</OpResult><ResponseMetadata>
 * <RequestId/></ResponseMetadata></OpResponse>. aws_query_parse checks the root's name and
 * namespace and hands back the Result element; the helpers then read children by local
 * name in the same namespace, lists as <List><member>..</member></List>.
 * Nodes are owned by the aws_query_doc and live until aws_query_free; strings from
 * aws_query_dup are owned by the caller. Element text is the text directly inside the
 * element (see aws_xml.h).
 */
#ifndef AWS_QUERY_H
#define AWS_QUERY_H

#include <stddef.h>
#include "aws_buf.h"
#include "aws_error.h"
#include "aws_xml.h"

/* ---- Requests ---- */

/* Appends s form-encoded (application/x-www-form-urlencoded as the Query protocol wants:
 * unreserved kept, space as %20) to out. Returns 0 or -1 (memory). */
int aws_query_form_encode(aws_buf *out, const char *s);
/* Appends "&key=value", both form-encoded (no '&' when b is empty). Returns 0 or -1. */
int aws_query_form_add(aws_buf *b, const char *key, const char *value);
/* The same with a printf-formatted key, e.g. "Parameters.member.%zu.ParameterKey". */
int aws_query_form_addf(aws_buf *b, const char *value, const char *keyfmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends a request body, "Action=<action>&Version=<version>" then "&" params when params
 * (already form-encoded) is neither NULL nor "". Returns 0 or -1 (memory). */
int aws_query_body(aws_buf *out, const char *action, const char *version, const char *params);

/* ---- Responses ---- */

typedef struct aws_query_doc {
	aws_xml_doc *doc;
	const aws_xml_node *result; /* the <OpResult> element, or NULL when the response has none */
} aws_query_doc;

/* Parses xml (len bytes) as the response of `operation` in namespace ns (NULL: any). The
 * result element may be absent (operations with no output); out->result is then NULL.
 * Returns 0, or -1 with AWS_ERR_PROTOCOL naming what was wrong (or AWS_ERR_NOMEM); out is
 * then empty, and aws_query_free on it is harmless. A DOCTYPE is refused (AWS never sends
 * one), so no entity is ever declared, expanded or loaded; limits are aws_xml.h's. */
int aws_query_parse(const char *xml, size_t len, const char *operation, const char *ns,
		    aws_query_doc *out, aws_error *err);
void aws_query_free(aws_query_doc *d);

/* The first child element of parent named `name` in parent's namespace, or NULL. */
const aws_xml_node *aws_query_child(const aws_xml_node *parent, const char *name);
/* The next sibling element after n with the same name and namespace, or NULL (iterates
 * <member> lists). */
const aws_xml_node *aws_query_next(const aws_xml_node *n);
/* The first <member> of the list child `list` of parent, or NULL. */
const aws_xml_node *aws_query_members(const aws_xml_node *parent, const char *list);
/* The text of child `name`, malloc'd (caller frees); NULL when absent. An empty element
 * gives "". *oom is set to 1 on allocation failure (when oom != NULL). */
char *aws_query_dup(const aws_xml_node *parent, const char *name, int *oom);
/* Copies the text of child `name` into out (truncated to len-1); "" when absent.
 * Returns 1 when present. */
int aws_query_copy(const aws_xml_node *parent, const char *name, char *out, size_t len);

/* ---- Error bodies ---- */

/* Reads the error body of an XML-speaking service — the Query protocol's <ErrorResponse>
 * <Error><Code/><Message/></Error><RequestId/>, EC2's <Response><Errors><Error>...
 * <RequestID/> and S3's <Error> alike — into e->type, e->message and e->request_id, each
 * trimmed and made printable, and only where that field is still empty. Returns 0, or -1
 * when the body is not XML (e untouched). */
int aws_query_error_parse(const char *xml, size_t len, aws_error *e);

#endif
