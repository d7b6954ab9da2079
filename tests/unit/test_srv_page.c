/* test_srv_page.c — paging over several Scan calls (srv_page), against an in-memory fake of
 * DynamoDB's Scan: Limit applies before the filter, a LastEvaluatedKey comes back whenever
 * the call stopped at Limit or at its size cap, ExclusiveStartKey continues after any key.
 * Checks: every item exactly once across pages, pages never empty while more match, the
 * time budget, cursor checks before any call, limits and errors passed through.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "srv_page.h"

typedef struct fake {
	json_t *items;       /* the table, in scan order */
	long max_per_call;   /* like DynamoDB's 1 MB cap: items evaluated per call, 0 = none */
	long sleep_ms;       /* each call takes this long */
	int calls;
	long limits[64];     /* Limit of each call */
	const char *fail_type;   /* non-NULL: every call fails with this service error */
} fake;

static srv_cursor_key key;

/* Answers as DynamoDB would: the response built as JSON, handed over as its text. */
static int fake_scan(void *ctx, const aws_ddb_scan_input *in, aws_ddb_scan_page *page,
		     aws_error *err)
{
	fake *f = ctx;
	if (f->calls < 64)
		f->limits[f->calls] = in->limit;
	f->calls++;
	if (f->sleep_ms) {
		struct timespec ts = {0, f->sleep_ms * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (f->fail_type) {
		aws_error_set(err, AWS_ERR_SERVICE, "Requested resource not found");
		snprintf(err->type, sizeof err->type, "%s", f->fail_type);
		err->http_status = 400;
		return -1;
	}
	const char *q = NULL;
	if (in->filter_expression) {
		/* the tests' attribute condition is "itemID exists" (every item), itemID text last */
		const char *x = in->filter_expression;
		if (strncmp(x, "attribute_exists(#a0)", 21) == 0) {
			assert_string_equal(json_string_value(json_object_get(in->expression_attribute_names,
									      "#a0")), "itemID");
			x += 21;
			if (*x)
				assert_string_equal(x, " AND contains(#k, :q)");
		} else {
			assert_string_equal(x, "contains(#k, :q)");
		}
		if (*x) {
			assert_string_equal(json_string_value(json_object_get(in->expression_attribute_names,
									      "#k")), "itemID");
			q = json_string_value(json_object_get(json_object_get(
				in->expression_attribute_values, ":q"), "S"));
			assert_non_null(q);
		}
	}
	size_t n = json_array_size(f->items), i = 0;
	if (in->exclusive_start_key) {
		const char *after = json_string_value(json_object_get(
			json_object_get(in->exclusive_start_key, "itemID"), "S"));
		assert_non_null(after);
		while (i < n && strcmp(json_string_value(json_object_get(json_object_get(
			json_array_get(f->items, i), "itemID"), "S")), after) != 0)
			i++;
		assert_true(i < n);   /* the key is one of the table's */
		i++;
	}
	json_t *items = json_array();
	long evaluated = 0, cap = in->limit;
	if (f->max_per_call && (cap == 0 || f->max_per_call < cap))
		cap = f->max_per_call;
	json_t *last = NULL;
	for (; i < n && (cap == 0 || evaluated < cap); i++, evaluated++) {
		json_t *item = json_array_get(f->items, i);
		last = item;
		const char *id = json_string_value(json_object_get(json_object_get(item, "itemID"),
								   "S"));
		if (!q || strstr(id, q))
			json_array_append(items, item);
	}
	json_t *resp = json_pack("{sisisO}", "Count", (int)json_array_size(items),
				 "ScannedCount", (int)evaluated, "Items", items);
	if (cap != 0 && evaluated == cap && last)   /* stopped at Limit: DynamoDB gives a key */
		json_object_set_new(resp, "LastEvaluatedKey",
				    json_pack("{sO}", "itemID", json_object_get(last, "itemID")));
	char *text = json_dumps(resp, JSON_COMPACT);
	int rc = aws_ddb_scan_page_parse(page, text, strlen(text), err);
	free(text);
	json_decref(resp);
	json_decref(items);
	return rc;
}

/* Item i of p, parsed (json_decref it). */
static json_t *item_at(const srv_page *p, long i)
{
	aws_jtext_val t = srv_page_item(p, i);
	json_t *it = json_loadb(t.p, t.n, 0, NULL);
	assert_non_null(it);
	return it;
}

/* A table of n items "item-0000".., every 10th also holding "ten" in its itemID. */
static json_t *table_of(int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "item-%04d%s", i, i % 10 == 0 ? "-ten" : "");
		json_array_append_new(a, json_pack("{s{ss}s{si}}", "itemID", "S", id, "n", "N", i));
	}
	return a;
}

static int setup(void **state)
{
	(void)state;
	memset(&key, 7, sizeof key);
	return 0;
}

/* Pages through the whole table; checks each item id comes in order exactly once among
 * those expected, no page is empty unless it is the last, and returns the page count. */
static int walk(fake *f, const char *q, long limit, int expect_items)
{
	char *cursor = NULL;
	int pages = 0, seen = 0;
	for (;;) {
		srv_page p;
		aws_error err;
		if (srv_page_fetch_with(fake_scan, f, "t", q, NULL, cursor, limit, 0, &key, &p, &err) != 0)
			fail_msg("page %d failed: %s", pages, err.message);
		pages++;
		assert_true(p.count <= limit);
		assert_true(p.count == 0 || p.items != NULL);
		if (p.next_cursor || pages > 1)
			assert_true(p.count > 0);   /* never empty: no empty last page either */
		assert_int_equal(p.continued, pages > 1);
		for (long i = 0; i < p.count; i++) {
			json_t *it = item_at(&p, i);
			const char *id = json_string_value(json_object_get(
				json_object_get(it, "itemID"), "S"));
			if (q)
				assert_non_null(strstr(id, q));
			json_decref(it);
			seen++;
		}
		free(cursor);
		cursor = p.next_cursor ? strdup(p.next_cursor) : NULL;
		srv_page_free(&p);
		if (!cursor)
			break;
		assert_true(pages < 1000);
	}
	assert_int_equal(seen, expect_items);
	return pages;
}

static void first_page_has_limit_items_and_a_cursor(void **state)
{
	(void)state;
	fake f = {.items = table_of(250)};
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", NULL, NULL, NULL, 100, 0, &key, &p,
					     &err), 0);
	assert_int_equal(p.count, 100);
	assert_int_equal(p.scanned, 101);       /* one more read proves a next page exists */
	assert_non_null(p.next_cursor);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.limits[0], 101);
	assert_true(p.elapsed_ms >= 0);
	srv_page_free(&p);
	json_decref(f.items);
}

static void following_cursors_visits_every_item_once(void **state)
{
	(void)state;
	fake f = {.items = table_of(250)};
	assert_int_equal(walk(&f, NULL, 100, 250), 3);
	json_decref(f.items);
}

static void table_of_exactly_two_pages_has_no_third_empty_page(void **state)
{
	(void)state;
	fake f = {.items = table_of(200)};
	assert_int_equal(walk(&f, NULL, 100, 200), 2);
	json_decref(f.items);
	f.items = table_of(101);
	assert_int_equal(walk(&f, NULL, 100, 101), 2);
	json_decref(f.items);
}

static void short_service_pages_are_merged_into_one_page(void **state)
{
	(void)state;
	fake f = {.items = table_of(250), .max_per_call = 7};
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "", NULL, NULL, 20, 0, &key, &p, &err),
			 0);
	assert_int_equal(p.count, 20);
	assert_int_equal(f.calls, 3);
	assert_int_equal(f.limits[0], 21);   /* asks only for what is still missing, + 1 */
	assert_int_equal(f.limits[1], 14);
	assert_int_equal(f.limits[2], 7);
	srv_page_free(&p);
	assert_int_equal(walk(&f, NULL, 20, 250), 13);
	json_decref(f.items);
}

static void filter_keeps_matching_items_and_fills_pages(void **state)
{
	(void)state;
	fake f = {.items = table_of(1000)};   /* 100 items contain "ten" */
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "ten", NULL, NULL, 30, 0, &key, &p,
					     &err), 0);
	assert_int_equal(p.count, 30);        /* a full page although few items match */
	assert_true(p.scanned >= 290);
	assert_true(f.calls <= 5);            /* Limit grows instead of crawling */
	srv_page_free(&p);
	f.calls = 0;
	assert_int_equal(walk(&f, "ten", 30, 100), 4);
	json_decref(f.items);
}

static void filter_matches_filling_the_last_page_exactly_give_no_empty_page_after(void **state)
{
	(void)state;
	/* 100 matches, one at the start of every 10-item service page: the 25th match of a
	 * page ends a service page with a LastEvaluatedKey, and so does the very last one. */
	fake f = {.items = table_of(1000), .max_per_call = 10};
	assert_int_equal(walk(&f, "ten", 25, 100), 4);
	json_decref(f.items);
}

static void filter_surplus_is_cut_and_the_next_page_continues_after_it(void **state)
{
	(void)state;
	fake f = {.items = table_of(100)};
	/* Every item matches "item": the second call (Limit 2x) returns more than needed. */
	assert_int_equal(walk(&f, "item", 7, 100), 15);
	json_decref(f.items);
}

static void sparse_filter_never_shows_an_empty_page_before_the_end(void **state)
{
	(void)state;
	fake f = {.items = table_of(3000), .max_per_call = 50};
	/* item-2990-ten is among the last; one page must reach it. */
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "2990", NULL, NULL, 100, 0, &key, &p,
					     &err), 0);
	assert_int_equal(p.count, 1);
	assert_null(p.next_cursor);
	assert_int_equal(p.scanned, 3000);
	srv_page_free(&p);
	json_decref(f.items);
}

static void spent_budget_returns_what_there_is_and_a_cursor(void **state)
{
	(void)state;
	fake f = {.items = table_of(500), .max_per_call = 10, .sleep_ms = 5};
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "ten", NULL, NULL, 100, 12, &key, &p,
					     &err), 0);
	assert_true(f.calls >= 2 && f.calls <= 4);
	assert_true(p.budget_spent);
	assert_non_null(p.next_cursor);
	assert_true(p.count < 100);
	srv_page_free(&p);
	json_decref(f.items);
}

static void tampered_cursor_is_invalid_before_any_scan(void **state)
{
	(void)state;
	fake f = {.items = table_of(50)};
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", NULL, NULL, NULL, 10, 0, &key, &p,
					     &err), 0);
	char *c = strdup(p.next_cursor);
	srv_page_free(&p);
	c[10] ^= 1;
	f.calls = 0;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", NULL, NULL, c, 10, 0, &key, &p, &err),
			 -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_int_equal(f.calls, 0);
	srv_page_free(&p);
	free(c);
	json_decref(f.items);
}

static void cursor_used_with_another_filter_is_invalid(void **state)
{
	(void)state;
	fake f = {.items = table_of(50)};
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "item", NULL, NULL, 10, 0, &key, &p,
					     &err), 0);
	char *c = strdup(p.next_cursor);
	srv_page_free(&p);
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "", NULL, c, 10, 0, &key, &p, &err),
			 -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	srv_page_free(&p);
	free(c);
	json_decref(f.items);
}

static void attribute_conditions_are_sent_and_bind_the_cursor(void **state)
{
	(void)state;
	fake f = {.items = table_of(50)};
	srv_filter exists = {0}, other = {0};
	assert_int_equal(srv_filter_add(&exists, "itemID", "exists", NULL, NULL, NULL), 0);
	assert_int_equal(srv_filter_add(&other, "itemID", "exists", NULL, NULL, NULL), 0);
	assert_int_equal(srv_filter_add(&other, "itemID", "exists", NULL, NULL, NULL), 0);
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "item", &exists, NULL, 10, 0, &key, &p, &err), 0);
	assert_int_equal(p.count, 10);
	assert_ptr_equal(p.filter, &exists);
	char *c = strdup(p.next_cursor);
	srv_page_free(&p);
	/* the same filter continues; without the conditions, or with others, the cursor is refused */
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "item", &exists, c, 10, 0, &key, &p, &err), 0);
	assert_int_equal(p.count, 10);
	srv_page_free(&p);
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "item", NULL, c, 10, 0, &key, &p, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	srv_page_free(&p);
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "item", &other, c, 10, 0, &key, &p, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	srv_page_free(&p);
	free(c);
	json_decref(f.items);
}

static void bad_limit_and_filter_are_invalid(void **state)
{
	(void)state;
	fake f = {.items = table_of(5)};
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", NULL, NULL, NULL, 1001, 0, &key, &p,
					     &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	srv_page_free(&p);
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", "\xff\xfe", NULL, NULL, 10, 0, &key,
					     &p, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_non_null(strstr(err.message, "UTF-8"));
	srv_page_free(&p);
	char longq[SRV_PAGE_Q_MAX + 2];
	memset(longq, 'a', sizeof longq - 1);
	longq[sizeof longq - 1] = '\0';
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", longq, NULL, NULL, 10, 0, &key, &p,
					     &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	srv_page_free(&p);
	assert_int_equal(f.calls, 0);
	json_decref(f.items);
}

static void scan_errors_pass_through_unchanged(void **state)
{
	(void)state;
	fake f = {.items = table_of(5), .fail_type = "ResourceNotFoundException"};
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", NULL, NULL, NULL, 10, 0, &key, &p,
					     &err), -1);
	assert_int_equal(err.kind, AWS_ERR_SERVICE);
	assert_string_equal(err.type, "ResourceNotFoundException");
	srv_page_free(&p);
	json_decref(f.items);
}

/* 70 items of 390 KB (DynamoDB allows 400 KB) are over SRV_PAGE_TEXT_MAX: the page is
 * refused as bad input with what to do, not built until memory runs out. */
static void page_over_the_text_limit_asks_for_fewer_items(void **state)
{
	(void)state;
	size_t big = 390 * 1000;
	char *blob = malloc(big + 1);
	assert_non_null(blob);
	memset(blob, 'x', big);
	blob[big] = '\0';
	json_t *a = json_array();
	for (int i = 0; i < 70; i++) {
		char id[32];
		snprintf(id, sizeof id, "big-%02d", i);
		json_array_append_new(a, json_pack("{s{ss}s{ss}}", "itemID", "S", id, "blob", "S", blob));
	}
	free(blob);
	fake f = {.items = a};
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", NULL, NULL, NULL, 100, 0, &key, &p, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_non_null(strstr(err.message, "ask for fewer items per page (limit)"));
	srv_page_free(&p);
	json_decref(f.items);
}

static void empty_table_gives_an_empty_last_page(void **state)
{
	(void)state;
	fake f = {.items = json_array()};
	srv_page p;
	aws_error err;
	assert_int_equal(srv_page_fetch_with(fake_scan, &f, "t", NULL, NULL, NULL, 10, 0, &key, &p,
					     &err), 0);
	assert_int_equal(p.count, 0);
	assert_null(p.next_cursor);
	srv_page_free(&p);
	json_decref(f.items);
}

static void limit_parameter_is_parsed_and_clamped(void **state)
{
	(void)state;
	long l;
	aws_error err;
	assert_int_equal(srv_page_parse_limit(NULL, &l, &err), 0);
	assert_int_equal(l, SRV_PAGE_LIMIT_DEFAULT);
	assert_int_equal(srv_page_parse_limit("", &l, &err), 0);
	assert_int_equal(l, SRV_PAGE_LIMIT_DEFAULT);
	assert_int_equal(srv_page_parse_limit("250", &l, &err), 0);
	assert_int_equal(l, 250);
	assert_int_equal(srv_page_parse_limit("1001", &l, &err), 0);
	assert_int_equal(l, SRV_PAGE_LIMIT_MAX);
	assert_int_equal(srv_page_parse_limit("99999999999999999999999", &l, &err), 0);
	assert_int_equal(l, SRV_PAGE_LIMIT_MAX);
	const char *bad[] = {"0", "-1", "abc", "12x", " 5", "+5", "1e3"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(srv_page_parse_limit(bad[i], &l, &err), -1);
		assert_int_equal(err.kind, AWS_ERR_INVALID);
		assert_non_null(strstr(err.message, "limit must be a number from 1 to 1000"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_page_has_limit_items_and_a_cursor),
		cmocka_unit_test(following_cursors_visits_every_item_once),
		cmocka_unit_test(table_of_exactly_two_pages_has_no_third_empty_page),
		cmocka_unit_test(short_service_pages_are_merged_into_one_page),
		cmocka_unit_test(filter_keeps_matching_items_and_fills_pages),
		cmocka_unit_test(filter_surplus_is_cut_and_the_next_page_continues_after_it),
		cmocka_unit_test(filter_matches_filling_the_last_page_exactly_give_no_empty_page_after),
		cmocka_unit_test(page_over_the_text_limit_asks_for_fewer_items),
		cmocka_unit_test(sparse_filter_never_shows_an_empty_page_before_the_end),
		cmocka_unit_test(spent_budget_returns_what_there_is_and_a_cursor),
		cmocka_unit_test(tampered_cursor_is_invalid_before_any_scan),
		cmocka_unit_test(cursor_used_with_another_filter_is_invalid),
		cmocka_unit_test(bad_limit_and_filter_are_invalid),
		cmocka_unit_test(attribute_conditions_are_sent_and_bind_the_cursor),
		cmocka_unit_test(scan_errors_pass_through_unchanged),
		cmocka_unit_test(empty_table_gives_an_empty_last_page),
		cmocka_unit_test(limit_parameter_is_parsed_and_clamped),
	};
	return cmocka_run_group_tests_name("page", tests, setup, NULL);
}
