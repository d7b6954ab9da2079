/* fuzz_xml.c — XML response bodies from AWS Query services: the expat reader (aws_xml_parse,
 * DOCTYPEs refused) walked whole, CloudFormation-style responses (aws_query_parse), STS
 * GetCallerIdentity (aws_sts_parse_identity) and AssumeRole credentials (aws_creds_sts_parse).
 * Properties: no crash, and a parsed document's strings stay NUL-terminated in their
 * buffers.
 */
#include "fuzz.h"
#include "aws_creds_internal.h"
#include "aws_xml.h"
#include "aws_query.h"
#include "aws_sts.h"

static void walk(const aws_xml_node *n, int depth)
{
	for (; n && depth < 200; n = aws_xml_sibling(n)) {
		size_t len = 0;
		const char *t = aws_xml_text(n, &len);
		if (t)
			FUZZ_CHECK(strlen(t) <= len, "text longer than its length");
		(void)aws_xml_name(n);
		(void)aws_xml_ns(n);
		walk(aws_xml_first(n), depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 18))
		return 0;
	const char *x = (const char *)data;
	aws_error err;
	aws_xml_doc *doc = NULL;
	if (aws_xml_parse(x, size, &doc, &err) == 0) {
		walk(aws_xml_root(doc), 0);
		(void)aws_xml_find(aws_xml_root(doc), "DescribeStacksResult/Stacks/member");
		aws_xml_free(doc);
	}
	aws_query_doc q;
	if (aws_query_parse(x, size, "DescribeStacks", "http://cloudformation.amazonaws.com/doc/2010-05-15/", &q, &err) == 0) {
		int oom = 0;
		char *id = aws_query_dup(q.result, "StackId", &oom);
		free(id);
		aws_query_free(&q);
	}
	aws_sts_identity who;
	(void)aws_sts_parse_identity(x, size, &who, &err);
	aws_credentials creds;
	(void)aws_creds_sts_parse(x, size, 200, 1700000000, &creds, &err);
	return 0;
}
