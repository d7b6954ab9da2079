/* test_srv_render.c — the HTML pages and the JSON API body (srv_render): escaping of hostile
 * text, every DynamoDB type in both outputs, 38-digit numbers kept, column order, paging
 * links, no inline script or style, and clean failure when the output limit is reached.
 * Items come from the JSON files in tests/data/render.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aws_jtext.h"
#include "srv_render.h"

/* Adds each item of the array items to p as text written with jansson's flags (compact,
 * indented, \u-escaped: the renderer must not care). */
static void add_items(srv_page *p, const json_t *items, size_t flags)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		char *t = json_dumps(it, flags);
		assert_non_null(t);
		assert_int_equal(srv_page_add(p, t, strlen(t)), 0);
		free(t);
	}
}

/* A page over the items of tests/data/render/<name>, written with flags. */
static srv_page page_written(const char *name, size_t flags)
{
	const char *dir = getenv("SHOWTABLE_TESTDATA");
	char path[4096];
	snprintf(path, sizeof path, "%s/render/%s", dir ? dir : "tests/data", name);
	json_error_t je;
	json_t *items = json_load_file(path, 0, &je);
	if (!items)
		fail_msg("cannot load %s: %s (set SHOWTABLE_TESTDATA)", path, je.text);
	srv_page p = {
		.table = "demo<&>", .scanned = 7, .elapsed_ms = 1.25, .q = "", .limit = 100,
	};
	add_items(&p, items, flags);
	json_decref(items);
	return p;
}

static srv_page page_of(const char *name)
{
	return page_written(name, JSON_COMPACT);
}

static char *results_html(srv_page *p)
{
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(srv_render_results(&b, p), 0);
	return aws_buf_steal(&b, NULL);
}

static char *items_json(srv_page *p)
{
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(srv_render_items_json(&b, p), 0);
	return aws_buf_steal(&b, NULL);
}

#define assert_contains(hay, needle) do { \
	if (!strstr((hay), (needle))) \
		fail_msg("expected to find %s", (needle)); } while (0)
#define assert_lacks(hay, needle) do { \
	if (strstr((hay), (needle))) \
		fail_msg("did not expect to find %s", (needle)); } while (0)

/* ---- results page ---- */

static void results_render_every_attribute_type(void **state)
{
	(void)state;
	srv_page p = page_of("all_types.json");
	char *h = results_html(&p);
	assert_contains(h, "<th scope=\"row\"><a href=\"/item/all-types\">all-types</a></th>");
	assert_contains(h, "<td>plain text</td>");
	assert_contains(h, "<td class=\"n\">12345678901234567890123456789012345678</td>");
	assert_contains(h, "<td class=\"b\" title=\"binary, base64\">aGVsbG8gd29ybGQ=</td>");
	assert_contains(h, "<td class=\"bool\">true</td>");
	assert_contains(h, "<td class=\"bool\">false</td>");
	assert_contains(h, "<td class=\"null\">null</td>");
	assert_contains(h, "<td class=\"doc\"><code>[&quot;a&quot;,1.50,false,null,[]]</code></td>");
	assert_contains(h, "<td class=\"doc\"><code>{&quot;k&quot;:&quot;v&lt;&amp;&gt;&quot;,"
			   "&quot;inner&quot;:{&quot;x&quot;:"
			   "99999999999999999999999999999999999999}}</code></td>");
	assert_contains(h, "<td class=\"set s\">red, green</td>");
	assert_contains(h, "<td class=\"set n\">1, 22, 333</td>");
	assert_contains(h, "<td class=\"set s\">AAE=, /w==</td>");
	/* The second item lacks most attributes: empty cells, not errors. */
	assert_contains(h, "<td class=\"missing\"></td>");
	free(h);
	srv_page_free(&p);
}

static void numbers_keep_every_digit(void **state)
{
	(void)state;
	srv_page p = page_of("all_types.json");
	char *h = results_html(&p);
	char *j = items_json(&p);
	const char *frac = "-0.000000000000000000000000000000000000012345678901234567890123456789";
	assert_contains(h, frac);
	assert_contains(j, frac);
	assert_contains(j, "\"n\":12345678901234567890123456789012345678");
	free(h);
	free(j);
	srv_page_free(&p);
}

static void columns_are_the_union_with_itemID_first_then_sorted(void **state)
{
	(void)state;
	srv_page p = page_of("all_types.json");
	char *h = results_html(&p);
	const char *order[] = {"itemID", "b", "bs", "list", "map", "n", "nfrac", "no", "nothing",
			       "ns", "s", "ss", "yes", "zeta"};
	const char *at = strstr(h, "<thead>");
	assert_non_null(at);
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		char th[64];
		snprintf(th, sizeof th, "<th scope=\"col\">%s</th>", order[i]);
		const char *next = strstr(at, th);
		if (!next)
			fail_msg("column %s missing or out of order", order[i]);
		at = next + strlen(th);
	}
	assert_true(strstr(h, "</thead>") - at < 15);   /* nothing more after zeta */
	free(h);
	srv_page_free(&p);
}

static void hostile_item_text_is_rendered_escaped(void **state)
{
	(void)state;
	srv_page p = page_of("hostile.json");
	char *h = results_html(&p);
	assert_lacks(h, "<script>alert");
	assert_lacks(h, "<b>bold");
	assert_contains(h, "<th scope=\"row\"><a href=\"/item/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E\">"
			   "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</a></th>");
	assert_contains(h, "<th scope=\"col\">quote&#39;attr&quot;&lt;b&gt;</th>");
	assert_contains(h, "<td>it&#39;s &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;</td>");
	assert_contains(h, "<td>Zürich 日本 😀</td>");
	assert_contains(h, "<td>a<span class=\"esc\">\\x01</span>b<span class=\"esc\">\\n</span>c"
			   "<span class=\"esc\">\\t</span>d<span class=\"esc\">\\x7f</span></td>");
	assert_contains(h, "<td>abc<span class=\"esc\">\\u202e</span>def</td>");
	assert_contains(h, "<td>line<span class=\"esc\">\\u2028</span>sep</td>");
	free(h);
	srv_page_free(&p);
}

static void table_name_and_filter_are_escaped(void **state)
{
	(void)state;
	srv_page p = page_of("hostile.json");
	p.q = "\"><script>x</script>";
	char *h = results_html(&p);
	assert_lacks(h, "<script>x");
	assert_contains(h, "value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\"");
	assert_contains(h, "<code>demo&lt;&amp;&gt;</code>");
	free(h);
	srv_page_free(&p);
}

static void next_link_carries_cursor_filter_and_limit(void **state)
{
	(void)state;
	srv_page p = page_of("all_types.json");
	p.q = "a b&c";
	p.limit = 250;
	p.next_cursor = strdup("AbC-_9");
	char *h = results_html(&p);
	assert_contains(h, "<a class=\"next primary\" rel=\"next\" "
			   "href=\"/query?q=a%20b%26c&amp;limit=250&amp;cursor=AbC-_9\">");
	assert_lacks(h, "First page");   /* this is the first page */
	assert_contains(h, "more on the next page");
	free(h);
	p.continued = 1;
	h = results_html(&p);
	assert_contains(h, "<a class=\"first\" href=\"/query?q=a%20b%26c&amp;limit=250\">First page</a>");
	free(h);
	srv_page_free(&p);
}

static void chosen_columns_are_shown_with_itemID_and_kept_in_links(void **state)
{
	(void)state;
	srv_page p = page_of("all_types.json");
	char *show[] = {"s", "zeta", "gone"};
	p.show = show;
	p.nshow = 3;
	p.next_cursor = strdup("C");
	char *h = results_html(&p);
	assert_contains(h, "<thead><tr><th scope=\"col\">itemID</th><th scope=\"col\">s</th>"
			   "<th scope=\"col\">zeta</th></tr></thead>");
	assert_contains(h, "3 attributes</caption>");
	assert_contains(h, "href=\"/query?limit=100&amp;col=s&amp;col=zeta&amp;col=gone&amp;cursor=C\"");
	/* the chooser: every attribute of the page, the chosen ones checked, and a chosen one
	 * this page lacks */
	assert_contains(h, "<label><input type=\"checkbox\" name=\"col\" value=\"b\">b</label>");
	assert_contains(h, "<label><input type=\"checkbox\" name=\"col\" checked value=\"s\">s</label>");
	assert_contains(h, "<label><input type=\"checkbox\" name=\"col\" checked value=\"gone\">gone</label>");
	assert_lacks(h, "value=\"itemID\">");
	assert_lacks(h, "<th scope=\"col\">b</th>");
	free(h);
	p.nshow = 0;
	h = results_html(&p);
	assert_contains(h, "<label><input type=\"checkbox\" name=\"col\" checked value=\"b\">b</label>");
	assert_contains(h, "<th scope=\"col\">b</th>");
	free(h);
	srv_page_free(&p);
}

static void conditions_are_in_the_links_the_form_and_the_summary(void **state)
{
	(void)state;
	srv_page p = page_of("all_types.json");
	srv_filter f = {0};
	assert_int_equal(srv_filter_add(&f, "price tag", "gt", "number", "9.5", NULL), 0);
	assert_int_equal(srv_filter_add(&f, "<b>", "begins_with", "string", "a&b", NULL), 0);
	assert_int_equal(srv_filter_add(&f, "gone", "not_exists", NULL, NULL, NULL), 0);
	p.filter = &f;
	p.next_cursor = strdup("Cur");
	char *h = results_html(&p);
	assert_contains(h, "href=\"/query?limit=100&amp;attr=price%20tag&amp;op=gt&amp;type=number&amp;value=9.5"
			   "&amp;attr=%3Cb%3E&amp;op=begins_with&amp;type=string&amp;value=a%26b"
			   "&amp;attr=gone&amp;op=not_exists&amp;type=string&amp;value=&amp;cursor=Cur\">");
	assert_contains(h, " where <code>price tag</code> &gt; <code>9.5</code> and <code>&lt;b&gt;</code> begins with "
			   "<q>a&amp;b</q> and <code>gone</code> does not exist");
	/* one row per condition, then one blank row; every row sends all four fields */
	assert_contains(h, "value=\"price tag\"><select name=\"op\" aria-label=\"comparison of condition 1\">"
			   "<option value=\"eq\">=</option><option value=\"ne\">≠</option><option value=\"lt\">&lt;"
			   "</option><option value=\"gt\" selected>&gt;</option>");
	assert_contains(h, "aria-label=\"attribute of condition 4\" value=\"\">");
	assert_lacks(h, "condition 5");
	assert_lacks(h, "<b>");
	free(h);
	srv_page_free(&p);
}

static void last_page_has_no_next_link(void **state)
{
	(void)state;
	srv_page p = page_of("all_types.json");
	char *h = results_html(&p);
	assert_lacks(h, "rel=\"next\"");
	assert_contains(h, "end of table");
	assert_contains(h, "<strong>2</strong> items");
	assert_contains(h, "<strong>7</strong> items scanned");
	assert_contains(h, "<strong>1.2</strong> ms");
	free(h);
	srv_page_free(&p);
}

/* A Scan response whose first item is {} (an emulator, or a projection of nothing): the
 * item has no attributes, the page still renders in both forms. */
static void an_item_without_attributes_renders_first_or_anywhere(void **state)
{
	(void)state;
	static const char *pages[][2] = {
		{"{}", "{\"itemID\":{\"S\":\"a\"}}"},
		{"{\"itemID\":{\"S\":\"a\"}}", "{}"},
		{"{}", "{}"},
	};
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		srv_page p = {.table = "t", .q = "", .limit = 100};
		for (size_t j = 0; j < 2; j++)
			assert_int_equal(srv_page_add(&p, pages[i][j], strlen(pages[i][j])), 0);
		char *h = results_html(&p);
		assert_contains(h, "<strong>2</strong> items");
		free(h);
		char *js = items_json(&p);
		json_t *doc = json_loads(js, 0, NULL);
		assert_non_null(doc);
		assert_int_equal(json_array_size(json_object_get(doc, "items")), 2);
		json_decref(doc);
		free(js);
		srv_page_free(&p);
	}
}

static void empty_page_says_why(void **state)
{
	(void)state;
	srv_page p = {.table = "t", .q = "zz", .limit = 100};
	char *h = results_html(&p);
	assert_contains(h, "No item matches this filter.");
	assert_lacks(h, "<table");
	free(h);
	p.q = "";
	h = results_html(&p);
	assert_contains(h, "The table is empty.");
	free(h);
	p.continued = 1;
	h = results_html(&p);
	assert_contains(h, "No more items.");
	free(h);
	srv_page_free(&p);
}

static void pages_use_only_our_own_assets(void **state)
{
	(void)state;
	srv_page p = page_of("all_types.json");
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(srv_render_results(&b, &p), 0);
	assert_int_equal(srv_render_start(&b, "t", "u", NULL), 0);
	assert_int_equal(srv_render_error(&b, 404, "Not found", "x"), 0);
	const char *script = "<script src=\"/js/showtable.js\" defer></script>";
	size_t scripts = 0;
	for (const char *s = b.data; (s = strstr(s, "<script")); s++) {
		assert_memory_equal(s, script, strlen(script));
		scripts++;
	}
	assert_int_equal(scripts, 3);
	assert_lacks(b.data, "<style");
	assert_lacks(b.data, " style=");
	assert_lacks(b.data, " on");   /* no inline event handlers (onclick=...) */
	assert_lacks(b.data, "http:");
	assert_lacks(b.data, "https:");
	assert_contains(b.data, "<link rel=\"stylesheet\" href=\"/css/showtable.css\">");
	aws_buf_free(&b);
	srv_page_free(&p);
}

static void render_fails_cleanly_at_the_output_limit(void **state)
{
	(void)state;
	srv_page p = page_of("all_types.json");
	aws_buf b = AWS_BUF_INIT;
	b.limit = 600;
	assert_int_equal(srv_render_results(&b, &p), -1);
	assert_true(b.len <= 600);
	aws_buf_free(&b);
	b.limit = 100;
	assert_int_equal(srv_render_items_json(&b, &p), -1);
	assert_true(b.len <= 100);
	aws_buf_free(&b);
	srv_page_free(&p);
}

/* ---- start and error pages ---- */

static void start_page_has_a_scan_form_getting_query(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(srv_render_start(&b, "showtable-demo", "ann<", NULL), 0);
	assert_contains(b.data, "<form class=\"filter\" method=\"get\" action=\"/query\"");
	assert_contains(b.data, "<label for=\"q\">");
	assert_contains(b.data, "name=\"q\"");
	assert_contains(b.data, "name=\"limit\"");
	assert_contains(b.data, ">Scan</button>");
	assert_contains(b.data, "<code>showtable-demo</code>");
	assert_contains(b.data, "<b>ann&lt;</b>");
	assert_contains(b.data, "<option selected>100</option>");
	aws_buf_free(&b);
}

static void start_page_shows_what_describe_table_says(void **state)
{
	(void)state;
	srv_table_info info = {"itemID", 'S', "", 0, "PAY_PER_REQUEST", 300, 61234, 1};
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(srv_render_start(&b, "showtable-demo", "ann", &info), 0);
	assert_contains(b.data, "<dt>Key</dt><dd><code>itemID</code> (string)</dd>");
	assert_contains(b.data, "<dt>Billing</dt><dd>on demand</dd>");
	assert_contains(b.data, "<dt>Items</dt><dd>about 300</dd>");
	assert_contains(b.data, "<dt>Size</dt><dd>about 61.2 kB</dd>");
	assert_contains(b.data, "<dt>Point-in-time recovery</dt><dd>on</dd>");
	aws_buf_reset(&b);
	srv_table_info comp = {"pk<", 'N', "sk", 'B', "PROVISIONED", 0, 0, -1};
	assert_int_equal(srv_render_start(&b, "t", "u", &comp), 0);
	assert_contains(b.data, "<code>pk&lt;</code> (number) + sort key <code>sk</code> (binary)");
	assert_contains(b.data, "<dd>provisioned capacity</dd>");
	assert_contains(b.data, "<dt>Size</dt><dd>about 0 bytes</dd>");
	assert_contains(b.data, "<dt>Point-in-time recovery</dt><dd>unknown</dd>");
	aws_buf_reset(&b);
	assert_int_equal(srv_render_start(&b, "t", "u", NULL), 0);
	assert_contains(b.data, "could not be read");
	aws_buf_free(&b);
}

static void error_page_shows_status_and_escaped_detail(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(srv_render_error(&b, 502, "Table <x> not found",
					  "is the table stack deployed? <script>"), 0);
	assert_contains(b.data, "Error 502");
	assert_contains(b.data, "<h1>Table &lt;x&gt; not found</h1>");
	assert_contains(b.data, "is the table stack deployed? &lt;script&gt;");
	assert_contains(b.data, "href=\"/\"");
	aws_buf_free(&b);
}


/* ---- item view ---- */

/* Item i of tests/data/render/<name> rendered as the item view (json: as /api/item). */
static char *item_render(const char *name, size_t i, int json, double capacity)
{
	srv_page p = page_written(name, JSON_COMPACT);
	srv_render_item_in in = {"demo<&>", "itemID", srv_page_item(&p, (long)i), capacity};
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(json ? srv_render_item_json(&b, &in) : srv_render_item(&b, &in), 0);
	srv_page_free(&p);
	return aws_buf_steal(&b, NULL);
}

static void item_view_shows_every_attribute_typed_with_the_key_first(void **state)
{
	(void)state;
	char *h = item_render("all_types.json", 0, 0, 0.5);
	assert_contains(h, "<h1><span class=\"keyname\">itemID</span> <code><span class=\"s\">all-types</span></code></h1>");
	assert_contains(h, "<strong>13</strong> attributes");
	assert_contains(h, "<strong>0.5</strong> read capacity units");
	/* the key's row first, then the others by name */
	const char *key = strstr(h, "<tr><th scope=\"row\">itemID</th>");
	const char *b = strstr(h, "<tr><th scope=\"row\">b</th>");
	const char *yes = strstr(h, "<tr><th scope=\"row\">yes</th>");
	assert_true(key && b && yes && key < b && b < yes);
	assert_contains(h, "<td class=\"type\"><abbr title=\"number\">N</abbr></td><td class=\"v\"><span class=\"n\">"
			   "12345678901234567890123456789012345678</span></td>");
	assert_contains(h, "<code class=\"b64\">aGVsbG8gd29ybGQ=</code> <span class=\"size\">(11 bytes)</span>");
	assert_contains(h, "<li><code class=\"b64\">AAE=</code> <span class=\"size\">(2 bytes)</span></li>");
	assert_contains(h, "<li><code class=\"b64\">/w==</code> <span class=\"size\">(1 byte)</span></li>");
	assert_contains(h, "<abbr title=\"boolean\">BOOL</abbr></td><td class=\"v\"><span class=\"bool\">false</span>");
	assert_contains(h, "<abbr title=\"null\">NULL</abbr></td><td class=\"v\"><span class=\"null\">null</span>");
	assert_contains(h, "<ul class=\"set\"><li>red</li><li>green</li></ul>");
	assert_contains(h, "<ul class=\"set\"><li class=\"n\">1</li><li class=\"n\">22</li><li class=\"n\">333</li></ul>");
	/* lists and maps expanded, nested maps as nested tables */
	assert_contains(h, "<ol class=\"list\" start=\"0\"><li><abbr class=\"type\" title=\"string\">S</abbr> "
			   "<span class=\"s\">a</span></li><li><abbr class=\"type\" title=\"number\">N</abbr> "
			   "<span class=\"n\">1.50</span></li>");
	assert_contains(h, "<ol class=\"list\" start=\"0\"></ol>");
	assert_contains(h, "<table class=\"attrs nested\"><tbody>\n<tr><th scope=\"row\">inner</th>"
			   "<td class=\"type\"><abbr title=\"map\">M</abbr></td><td class=\"v\">"
			   "<table class=\"attrs nested\"><tbody>\n<tr><th scope=\"row\">x</th>");
	assert_contains(h, "<tr><th scope=\"row\">k</th><td class=\"type\"><abbr title=\"string\">S</abbr></td>"
			   "<td class=\"v\"><span class=\"s\">v&lt;&amp;&gt;</span></td></tr>");
	/* and its DynamoDB JSON, indented */
	assert_contains(h, "<pre class=\"ddb-json\" aria-labelledby=\"ddb-json\"><code>{\n  &quot;itemID&quot;: "
			   "{\n    &quot;S&quot;: &quot;all-types&quot;\n  },");
	assert_contains(h, "&quot;L&quot;: []");
	free(h);
}

static void item_view_escapes_hostile_text_everywhere(void **state)
{
	(void)state;
	char *h = item_render("hostile.json", 0, 0, -1);
	assert_lacks(h, "<script>alert");
	assert_lacks(h, "<b>bold");
	assert_lacks(h, "read capacity");
	assert_contains(h, "<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; · showtable</title>");
	assert_contains(h, "<th scope=\"row\">quote&#39;attr&quot;&lt;b&gt;</th>");
	assert_contains(h, "<span class=\"s\">a<span class=\"esc\">\\x01</span>b");
	assert_contains(h, "&quot;S&quot;: &quot;a\\u0001b\\nc\\td\\x7f&quot;");
	free(h);
}

/* The item's DynamoDB JSON on the item view is jansson's two-space indented form of it,
 * HTML-escaped — at every depth, past 16 levels (32 spaces) too. */
static void item_view_ddb_json_is_indented_at_any_depth(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:[s,{s:s}], s:{}}", "L", "x&y", "S", "<in>", "M");
	for (int d = 0; d < 24; d++)
		v = json_pack("{s:{s:o, s:{s:s}}}", "M", "deep", v, "n", "N", "-1.5");
	json_t *item = json_pack("{s:{s:s}, s:o}", "itemID", "S", "k1", "m", v);
	char *text = json_dumps(item, JSON_COMPACT);
	char *want = json_dumps(item, JSON_INDENT(2));
	assert_non_null(text);
	assert_non_null(want);
	aws_buf esc = AWS_BUF_INIT;
	for (const char *line = want;;) {   /* line by line: the escaper shows a newline as \n */
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		assert_int_equal(aws_jtext_html_escape(&esc, line, n, 0), 0);
		if (!nl)
			break;
		assert_int_equal(aws_buf_putc(&esc, '\n'), 0);
		line = nl + 1;
	}
	srv_render_item_in in = {"t", "itemID", {text, strlen(text)}, -1};
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(srv_render_item(&b, &in), 0);
	const char *open = "aria-labelledby=\"ddb-json\"><code>";
	const char *at = strstr(b.data, open);
	assert_non_null(at);
	at += strlen(open);
	const char *end = strstr(at, "</code>");
	assert_non_null(end);
	assert_int_equal((size_t)(end - at), esc.len);
	assert_memory_equal(at, esc.data, esc.len);
	assert_non_null(strstr(esc.data, "\n                                                  &quot;")); /* 50 spaces */
	aws_buf_free(&b);
	aws_buf_free(&esc);
	free(text);
	free(want);
	json_decref(item);
}

static void item_json_has_the_plain_item_and_its_dynamodb_json(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++) {
		const char *name = k ? "hostile.json" : "all_types.json";
		char *j = item_render(name, 0, 1, k ? -1 : 1);
		assert_lacks(j, "<");
		json_error_t je;
		json_t *doc = json_loads(j, JSON_DECODE_INT_AS_REAL, &je);
		if (!doc)
			fail_msg("%s: %s", je.text, j);
		char path[4096];
		const char *dir = getenv("SHOWTABLE_TESTDATA");
		snprintf(path, sizeof path, "%s/render/%s", dir ? dir : "tests/data", name);
		json_t *items = json_load_file(path, 0, &je);
		assert_true(json_equal(json_object_get(doc, "dynamodb"), json_array_get(items, 0)));
		assert_string_equal(json_string_value(json_object_get(doc, "table")), "demo<&>");
		if (k) {
			assert_true(json_is_null(json_object_get(doc, "capacity")));
		} else {
			assert_true(json_number_value(json_object_get(doc, "capacity")) == 1);
			json_t *it = json_object_get(doc, "item");
			assert_string_equal(json_string_value(json_object_get(it, "b")), "aGVsbG8gd29ybGQ=");
			assert_string_equal(json_string_value(json_object_get(json_object_get(it, "map"), "k")), "v<&>");
		}
		json_decref(items);
		json_decref(doc);
		free(j);
	}
}

/* ---- JSON API ---- */

static void items_json_maps_every_type_to_plain_json(void **state)
{
	(void)state;
	srv_page p = page_of("all_types.json");
	p.next_cursor = strdup("abc");
	char *j = items_json(&p);
	json_error_t je;
	json_t *doc = json_loads(j, JSON_DECODE_INT_AS_REAL, &je);
	if (!doc)
		fail_msg("API output is not JSON: %s: %s", je.text, j);
	assert_string_equal(json_string_value(json_object_get(doc, "table")), "demo<&>");
	assert_true(json_number_value(json_object_get(doc, "count")) == 2.0);
	assert_true(json_number_value(json_object_get(doc, "scanned")) == 7.0);
	assert_string_equal(json_string_value(json_object_get(doc, "cursor")), "abc");
	json_t *it = json_array_get(json_object_get(doc, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(it, "s")), "plain text");
	assert_string_equal(json_string_value(json_object_get(it, "b")), "aGVsbG8gd29ybGQ=");
	assert_true(json_is_true(json_object_get(it, "yes")));
	assert_true(json_is_false(json_object_get(it, "no")));
	assert_true(json_is_null(json_object_get(it, "nothing")));
	assert_true(json_is_array(json_object_get(it, "list")));
	assert_true(json_is_object(json_object_get(it, "map")));
	assert_true(json_is_array(json_object_get(it, "ss")));
	assert_true(json_is_number(json_array_get(json_object_get(it, "ns"), 2)));
	assert_true(json_is_string(json_array_get(json_object_get(it, "bs"), 1)));
	/* Digits as stored, not as a double would print them. */
	assert_contains(j, "\"list\":[\"a\",1.50,false,null,[]]");
	assert_contains(j, "\"ns\":[1,22,333]");
	assert_contains(j, "\"k\":\"v\\u003c\\u0026\\u003e\"");
	json_decref(doc);
	free(j);
	srv_page_free(&p);
}

static void items_json_cursor_is_null_at_the_end(void **state)
{
	(void)state;
	srv_page p = {.table = "t", .limit = 100, .capacity = -1};
	char *j = items_json(&p);
	assert_string_equal(j, "{\"table\":\"t\",\"items\":[],\"count\":0,\"scanned\":0,"
			       "\"capacity\":null,\"cursor\":null}\n");
	free(j);
	p.capacity = 1.5;   /* the read capacity the page's Scan calls consumed */
	j = items_json(&p);
	assert_string_equal(j, "{\"table\":\"t\",\"items\":[],\"count\":0,\"scanned\":0,"
			       "\"capacity\":1.5,\"cursor\":null}\n");
	free(j);
	srv_page_free(&p);
}

static void items_json_escapes_hostile_strings(void **state)
{
	(void)state;
	srv_page p = page_of("hostile.json");
	char *j = items_json(&p);
	json_t *doc = json_loads(j, 0, NULL);
	assert_non_null(doc);
	json_t *it = json_array_get(json_object_get(doc, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(it, "ctl")), "a\x01" "b\nc\td\x7f");
	assert_string_equal(json_string_value(json_object_get(it, "itemID")),
			    "<script>alert(\"x\")</script>");
	assert_lacks(j, "<script");
	assert_contains(j, "line\\u2028sep");
	json_decref(doc);
	free(j);
	srv_page_free(&p);
}

/* Items are read from their text in place: how DynamoDB wrote the JSON (spaces, newlines,
 * \u escapes for every non-ASCII character, surrogate pairs) must not change a byte of
 * either output. */
static void output_does_not_depend_on_how_the_item_text_is_written(void **state)
{
	(void)state;
	const char *files[] = {"all_types.json", "hostile.json"};
	for (size_t f = 0; f < 2; f++) {
		srv_page a = page_written(files[f], JSON_COMPACT);
		srv_page b = page_written(files[f], JSON_INDENT(3) | JSON_ENSURE_ASCII);
		assert_true(b.text.len > a.text.len);   /* really written differently */
		char *ha = results_html(&a), *hb = results_html(&b);
		assert_string_equal(ha, hb);
		char *ja = items_json(&a), *jb = items_json(&b);
		assert_string_equal(ja, jb);
		free(ha);
		free(hb);
		free(ja);
		free(jb);
		srv_page_free(&a);
		srv_page_free(&b);
	}
}

static void numbers_that_are_not_json_syntax_become_strings(void **state)
{
	(void)state;
	json_t *items = json_loads("[{\"itemID\":{\"S\":\"x\"},\"a\":{\"N\":\"+5\"},"
				   "\"b\":{\"N\":\".5\"},\"c\":{\"N\":\"1E+3\"}}]", 0, NULL);
	srv_page p = {.table = "t", .limit = 100};
	add_items(&p, items, JSON_COMPACT);
	char *j = items_json(&p);
	assert_contains(j, "\"a\":\"+5\"");
	assert_contains(j, "\"b\":\".5\"");
	assert_contains(j, "\"c\":1E+3");
	free(j);
	json_decref(items);
	srv_page_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(results_render_every_attribute_type),
		cmocka_unit_test(numbers_keep_every_digit),
		cmocka_unit_test(columns_are_the_union_with_itemID_first_then_sorted),
		cmocka_unit_test(hostile_item_text_is_rendered_escaped),
		cmocka_unit_test(table_name_and_filter_are_escaped),
		cmocka_unit_test(next_link_carries_cursor_filter_and_limit),
		cmocka_unit_test(last_page_has_no_next_link),
		cmocka_unit_test(an_item_without_attributes_renders_first_or_anywhere),
		cmocka_unit_test(empty_page_says_why),
		cmocka_unit_test(pages_use_only_our_own_assets),
		cmocka_unit_test(render_fails_cleanly_at_the_output_limit),
		cmocka_unit_test(start_page_has_a_scan_form_getting_query),
		cmocka_unit_test(start_page_shows_what_describe_table_says),
		cmocka_unit_test(error_page_shows_status_and_escaped_detail),
		cmocka_unit_test(conditions_are_in_the_links_the_form_and_the_summary),
		cmocka_unit_test(chosen_columns_are_shown_with_itemID_and_kept_in_links),
		cmocka_unit_test(item_view_shows_every_attribute_typed_with_the_key_first),
		cmocka_unit_test(item_view_escapes_hostile_text_everywhere),
		cmocka_unit_test(item_view_ddb_json_is_indented_at_any_depth),
		cmocka_unit_test(item_json_has_the_plain_item_and_its_dynamodb_json),
		cmocka_unit_test(items_json_maps_every_type_to_plain_json),
		cmocka_unit_test(items_json_cursor_is_null_at_the_end),
		cmocka_unit_test(items_json_escapes_hostile_strings),
		cmocka_unit_test(numbers_that_are_not_json_syntax_become_strings),
		cmocka_unit_test(output_does_not_depend_on_how_the_item_text_is_written),
	};
	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
