/* fuzz_filter.c — attribute conditions from the URL (attr, op, type, value, as the results
 * page's query parameters give them) through srv_filter into a Scan's FilterExpression.
 * Properties: a condition is added whole or refused as AWS_ERR_INVALID with the filter
 * unchanged; the expression holds only fixed words and placeholders, every placeholder in it
 * is defined in the names or values map and every entry of the maps is used; the input
 * travels in the maps only (#aN is condition N's name, :vN its value with its type).
 * Input: q ‖ 0x00 ‖ attr ‖ 0x00 ‖ op ‖ 0x00 ‖ type ‖ 0x00 ‖ value ‖ 0x00 ‖ attr … (a row
 * cut short leaves its last fields absent, as a URL without them would).
 */
#include <jansson.h>
#include "fuzz.h"
#include "srv_filter.h"

/* The next NUL-separated field, malloc'd (NULL when the input has ended). */
static char *next_field(const uint8_t **data, size_t *size, int *more)
{
	if (!*more)
		return NULL;
	const uint8_t *a, *rest;
	size_t an, rn;
	fuzz_split(*data, *size, 0, &a, &an, &rest, &rn);
	*more = an < *size;   /* a separator was found: a field follows */
	*data = rest;
	*size = rn;
	return fuzz_strndup(a, an);
}

static int same_filter(const srv_filter *a, const srv_filter *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->c[i].attr, b->c[i].attr) != 0 || a->c[i].op != b->c[i].op || a->c[i].type != b->c[i].type ||
		    strcmp(a->c[i].value, b->c[i].value) != 0)
			return 0;
	return 1;
}

/* A placeholder at s: #a<n>, :v<n> (n below nconds), #k or :q; its length, or 0. */
static size_t placeholder(const char *s, int nconds)
{
	if ((s[0] == '#' && s[1] == 'k') || (s[0] == ':' && s[1] == 'q'))
		return 2;
	if (!((s[0] == '#' && s[1] == 'a') || (s[0] == ':' && s[1] == 'v')) || s[2] < '0' || s[2] > '9')
		return 0;
	size_t k = 2;
	int n = 0;
	while (s[k] >= '0' && s[k] <= '9' && n < 1000)
		n = n * 10 + (s[k++] - '0');
	return n < nconds && !(s[2] == '0' && k > 3) ? k : 0;
}

/* Walks expr: fixed words, operators and placeholders only; every placeholder defined in
 * names (#) or values (:), and marked used in the copies, from which it is deleted. */
static void check_expression(const char *expr, int nconds, json_t *names, json_t *values, json_t *unused_n,
			     json_t *unused_v)
{
	static const char *const words[] = {"attribute_not_exists", "attribute_exists", "begins_with", "contains",
					    "AND", "<>", "(", ")", ", ", " ", "=", "<", ">"};
	for (size_t i = 0; expr[i];) {
		size_t len = placeholder(expr + i, nconds);
		if (len) {
			char ph[16];
			FUZZ_CHECK(len < sizeof ph, "placeholder too long at %zu: %s", i, expr);
			memcpy(ph, expr + i, len);
			ph[len] = '\0';
			json_t *map = ph[0] == '#' ? names : values;
			FUZZ_CHECK(json_object_get(map, ph) != NULL, "placeholder %s not defined: %s", ph, expr);
			json_object_del(ph[0] == '#' ? unused_n : unused_v, ph);
			i += len;
			continue;
		}
		size_t w = 0;
		for (; w < sizeof words / sizeof words[0]; w++)
			if (strncmp(expr + i, words[w], strlen(words[w])) == 0)
				break;
		FUZZ_CHECK(w < sizeof words / sizeof words[0], "not a fixed word or placeholder at byte %zu: %s", i,
			   expr);
		i += strlen(words[w]);
	}
	FUZZ_CHECK(json_object_size(unused_n) == 0 && json_object_size(unused_v) == 0,
		   "a name or value is never used: %s", expr);
}

/* Each condition's name and value reached the maps as given, its value with its type. */
static void check_maps(const srv_filter *f, json_t *names, json_t *values)
{
	static const char *const type_keys[] = {"S", "N", "BOOL"};
	for (int i = 0; i < f->n; i++) {
		const srv_filter_cond *c = &f->c[i];
		char ph[16];
		snprintf(ph, sizeof ph, "#a%d", i);
		const char *name = json_string_value(json_object_get(names, ph));
		FUZZ_CHECK(name && strcmp(name, c->attr) == 0, "%s is not condition %d's name", ph, i);
		snprintf(ph, sizeof ph, ":v%d", i);
		json_t *v = json_object_get(values, ph);
		if (c->op == SRV_OP_EXISTS || c->op == SRV_OP_NOT_EXISTS) {
			FUZZ_CHECK(v == NULL, "%s given for an op without a value", ph);
			continue;
		}
		json_t *typed = json_object_get(v, type_keys[c->type]);
		FUZZ_CHECK(typed && json_object_size(v) == 1, "%s is not a %s value", ph, type_keys[c->type]);
		if (c->type == SRV_TYPE_BOOL)
			FUZZ_CHECK(json_is_true(typed) == (strcmp(c->value, "true") == 0), "%s has another bool", ph);
		else
			FUZZ_CHECK(strcmp(json_string_value(typed), c->value) == 0, "%s has another value", ph);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	int more = 1;
	char *q = next_field(&data, &size, &more);
	srv_filter f;
	memset(&f, 0, sizeof f);
	for (int row = 0; more && row < 2 * SRV_FILTER_MAX; row++) {
		char *v[4];
		for (int k = 0; k < 4; k++)
			v[k] = next_field(&data, &size, &more);
		srv_filter before = f;
		aws_error err;
		aws_error_clear(&err);
		if (srv_filter_add(&f, v[0], v[1], v[2], v[3], &err) == 0) {
			if (v[0] && *v[0]) {
				FUZZ_CHECK(f.n == before.n + 1, "a condition added did not count");
				FUZZ_CHECK(strcmp(f.c[before.n].attr, v[0]) == 0, "the name was not kept whole");
			} else {
				FUZZ_CHECK(same_filter(&f, &before), "a blank row changed the filter");
			}
		} else {
			FUZZ_CHECK(err.kind == AWS_ERR_INVALID && err.message[0], "refusal is not AWS_ERR_INVALID");
			FUZZ_CHECK(same_filter(&f, &before), "a refused condition changed the filter");
		}
		for (int k = 0; k < 4; k++)
			free(v[k]);
	}

	aws_buf expr = AWS_BUF_INIT;
	json_t *names = NULL, *values = NULL;
	aws_error err;
	aws_error_clear(&err);
	if (srv_filter_expression(&f, q, &expr, &names, &values, &err) == 0) {
		if (f.n == 0 && !q[0]) {
			FUZZ_CHECK(!names && !values && expr.len == 0, "an empty filter made an expression");
		} else {
			json_t *un = json_copy(names), *uv = json_copy(values);
			if (!un || !uv)
				exit(1);
			FUZZ_CHECK(strlen(expr.data) == expr.len, "the expression holds a NUL");
			check_expression(expr.data, f.n, names, values, un, uv);
			check_maps(&f, names, values);
			json_decref(un);
			json_decref(uv);
		}
	} else {
		FUZZ_CHECK(err.kind == AWS_ERR_INVALID || err.kind == AWS_ERR_NOMEM, "failure is not INVALID or NOMEM");
		FUZZ_CHECK(!names && !values, "maps left after a failure");
	}
	json_decref(names);
	json_decref(values);
	aws_buf_free(&expr);
	free(q);
	return 0;
}
