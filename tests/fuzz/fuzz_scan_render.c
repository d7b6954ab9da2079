/* fuzz_scan_render.c — a DynamoDB Scan (or GetItem-shaped) response body, as the service or
 * anything pretending to be it could send, through the whole server path: read as a Scan
 * page (aws_ddb_scan_page_parse), paged (srv_page_fetch_with, cursor included), rendered as
 * the results page and as the JSON API body; and read as a GetItem answer
 * (aws_ddb_get_item_read), rendered as the item view and its JSON. Properties: the JSON
 * bodies are valid JSON (by aws_json_check, which takes numbers of any size, as DynamoDB's
 * are); the HTML has only the templates' tags (no tag comes from the data); an Item read
 * is the answer's Item (compared with jansson's reading whenever jansson reads the body). The first byte picks the limit,
 * whether an itemID filter is set and whether attribute conditions with markup in their
 * names and values are, so paging's cut and cursor paths and the condition rows run too.
 */
#include <jansson.h>
#include "aws_ddb.h"
#include "aws_json.h"
#include "fuzz.h"
#include "srv_page.h"
#include "srv_render.h"

typedef struct ctx {
	const char *body;
	size_t len;
	int calls;
} ctx;

static int scan_from_input(void *arg, const aws_ddb_scan_input *in, aws_ddb_scan_page *page, aws_error *err)
{
	ctx *c = arg;
	(void)in;
	if (c->calls++ > 0) {   /* one response; a second call ends the table */
		aws_ddb_scan_page_free(page);
		memset(page, 0, sizeof *page);
		return aws_ddb_scan_page_parse(page, "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}", 39, err);
	}
	aws_ddb_scan_page_free(page);
	memset(page, 0, sizeof *page);
	return aws_ddb_scan_page_parse(page, c->body, c->len, err);
}

/* Tags the results page's template writes (srv_render_results and what it calls: the
 * frame, the filter form with its condition rows and column chooser, the stats line, the
 * table, the pager; the escapers' <span class="esc">); anything else came from the data. */
static int tag_allowed(const char *t, size_t n)
{
	static const char *ok[] = {"!DOCTYPE", "html", "head", "meta", "title", "link", "script", "body", "a",
				   "header", "span", "main", "form", "div", "label", "input", "select", "option",
				   "button", "fieldset", "legend", "details", "summary", "p", "strong", "q",
				   "table", "caption", "code", "thead", "tr", "th", "tbody", "td", "nav", "footer",
				   /* and the item view's */
				   "h1", "h2", "abbr", "ol", "ul", "li", "pre"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strlen(ok[i]) == n && memcmp(ok[i], t, n) == 0)
			return 1;
	return 0;
}

static void check_html(const char *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (h[i] != '<')
			continue;
		size_t j = i + 1;
		if (j < n && h[j] == '/')
			j++;
		size_t k = j;
		while (k < n && ((h[k] >= 'a' && h[k] <= 'z') || (h[k] >= 'A' && h[k] <= 'Z') ||
				 (h[k] >= '0' && h[k] <= '9') || h[k] == '!'))
			k++;
		FUZZ_CHECK(k > j && tag_allowed(h + j, k - j), "unexpected markup at byte %zu: %.40s", i, h + i);
	}
}

/* The body as a GetItem answer: the item view and its JSON when there is an Item. */
static void get_item(const char *body, size_t len)
{
	aws_ddb_get_item_output out = {0};
	aws_error err;
	if (aws_ddb_get_item_read("fuzz<t>", body, len, &out, &err) == 0 && out.found) {
		const char *why = NULL;
		size_t at = 0;
		FUZZ_CHECK(aws_json_check(out.item.data, out.item.len, &why, &at) == 0, "Item text is not a JSON object: %s",
			   why);
		json_t *whole = json_loadb(body, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, NULL);
		if (whole) {   /* jansson reads it too (numbers in its range): the same Item */
			json_t *mine = json_loadb(out.item.data, out.item.len, JSON_ALLOW_NUL, NULL);
			FUZZ_CHECK(mine && json_equal(mine, json_object_get(whole, "Item")), "Item differs from jansson's");
			json_decref(mine);
			json_decref(whole);
		}
		srv_render_item_in in = {"fuzz<t>", "itemID", {out.item.data, out.item.len}, out.capacity_units};
		aws_buf b = AWS_BUF_INIT;
		if (srv_render_item(&b, &in) == 0)
			check_html(b.data, b.len);
		aws_buf_reset(&b);
		if (srv_render_item_json(&b, &in) == 0)
			FUZZ_CHECK(aws_json_check(b.data, b.len, &why, &at) == 0, "item JSON does not parse: %s at %zu", why, at);
		aws_buf_free(&b);
	}
	aws_ddb_get_item_output_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1 << 20))
		return 0;
	static const srv_cursor_key key = {{7}};
	long limit = 1 + data[0] % 8;
	const char *q = data[0] & 0x80 ? "a" : "";
	static srv_filter conds;
	if (conds.n == 0) {
		FUZZ_CHECK(srv_filter_add(&conds, "<i>", "contains", "string", "</fieldset><b>", NULL) == 0 &&
			   srv_filter_add(&conds, "\"><em x=\"", "exists", NULL, NULL, NULL) == 0,
			   "the conditions were refused");
	}
	const srv_filter *filter = data[0] & 0x40 ? &conds : NULL;
	ctx c = {(const char *)data + 1, size - 1, 0};
	srv_page p;
	aws_error err;
	if (srv_page_fetch_with(scan_from_input, &c, "fuzz<t>", q, filter, NULL, limit, 1000, &key, &p, &err) == 0) {
		aws_buf b = AWS_BUF_INIT;
		if (srv_render_results(&b, &p) == 0)
			check_html(b.data, b.len);
		aws_buf_reset(&b);
		if (srv_render_items_json(&b, &p) == 0) {
			/* the library's strict checker: numbers of any size, UTF-8, one object */
			const char *why = NULL;
			size_t at = 0;
			FUZZ_CHECK(aws_json_check(b.data, b.len, &why, &at) == 0, "JSON body does not parse: %s at %zu: %.200s",
				   why, at, b.data);
		}
		aws_buf_free(&b);
		if (p.next_cursor) {   /* the cursor it made opens again with the same filter */
			static const srv_filter none;
			aws_buf bound = AWS_BUF_INIT;
			json_t *lk = NULL;
			FUZZ_CHECK(srv_filter_bound(filter ? filter : &none, q, &bound) == 0, "no memory for the bound");
			FUZZ_CHECK(srv_cursor_decode(&key, p.next_cursor, bound.data, &lk, &err) == 0,
				   "own cursor refused: %s", err.message);
			json_decref(lk);
			aws_buf_free(&bound);
		}
	}
	srv_page_free(&p);
	get_item((const char *)data + 1, size - 1);
	return 0;
}
