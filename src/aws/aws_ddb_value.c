/* aws_ddb_value.c — DynamoDB attribute values and items checked before they are sent (see
 * aws_ddb_value.h), by the data-type rules of the DynamoDB developer guide: one walk over
 * the jansson tree that also adds up the item size as DynamoDB counts it, and names the
 * attribute path of the first problem ("a.b[2]"), so a bad input line is fixed, not guessed.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aws_crypto.h"
#include "aws_ddb_value.h"

#define DDB_MAX_DEPTH 32        /* DynamoDB: nested attributes up to 32 levels deep */
#define DDB_MAX_DIGITS 38
#define DDB_MAX_EXP 125         /* 9.99…E+125 is the largest magnitude */
#define DDB_MIN_EXP (-130)      /* 1E-130 the smallest non-zero one */
#define DDB_ITEM_MAX_BYTES (400 * 1024)
#define DDB_KEY_MAX_BYTES 2048  /* a partition key value */
#define DDB_NAME_MAX_BYTES 65535

/* Parses a DynamoDB number: -?(d+(.d*)?|.d+)([eE][+-]?d+)?, at most 38 significant digits,
 * magnitude 1E-130 .. 9.99…E+125 (or zero). On success fills the canonical form (sign,
 * significant digits without leading/trailing zeros, exponent of the first digit) into
 * canon when non-NULL (size >= 48) and returns NULL; otherwise returns why it is not. */
static const char *ddb_number_parse(const char *s, size_t n, char *canon)
{
	size_t i = 0;
	int neg = 0;
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	size_t int_digits = 0, frac_digits = 0;
	long long first = -1, last = -1, pos = 0; /* positions among all mantissa digits */
	size_t mant_start = i;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (s[i] != '0') {
			if (first < 0)
				first = pos;
			last = pos;
		}
		int_digits++, pos++, i++;
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (s[i] != '0') {
				if (first < 0)
					first = pos;
				last = pos;
			}
			frac_digits++, pos++, i++;
		}
	}
	size_t mant_end = i;
	if (int_digits + frac_digits == 0)
		return "is not a number";
	long long exp = 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		int eneg = 0;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i >= n || s[i] < '0' || s[i] > '9')
			return "is not a number (exponent without digits)";
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (exp < 1000000000LL) /* saturate: far outside the range anyway */
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		return "is not a number";
	if (first < 0) { /* zero, in any spelling */
		if (canon)
			strcpy(canon, "0");
		return NULL;
	}
	long long sig = last - first + 1;
	long long e10 = (long long)int_digits - 1 - first + exp;
	if (sig > DDB_MAX_DIGITS)
		return "has more than 38 significant digits";
	if (e10 > DDB_MAX_EXP)
		return "is too large in magnitude (at most 9.9999999999999999999999999999999999999E+125)";
	if (e10 < DDB_MIN_EXP)
		return "is too small in magnitude (at least 1E-130, or 0)";
	if (canon) {
		char *o = canon;
		if (neg)
			*o++ = '-';
		for (size_t k = mant_start, p = 0; k < mant_end; k++) {
			if (s[k] == '.')
				continue;
			if ((long long)p >= first && (long long)p <= last)
				*o++ = s[k];
			p++;
		}
		snprintf(o, 8, "e%lld", e10);
	}
	return NULL;
}

/* Checks standard padded base64; returns the decoded length or -1. When out is non-NULL
 * (room for n/4*3 bytes) the bytes are decoded into it. */
static long ddb_base64(const char *s, size_t n, unsigned char *out)
{
	size_t r = aws_base64_decode_lenient(s, n, out, n / 4 * 3);
	return r == (size_t)-1 ? -1 : (long)r;
}

/* The validation walk: path is the attribute path so far ("a.b[2]"), for messages. */
typedef struct ddb_check {
	char *why;
	size_t why_len;
	char path[256];
} ddb_check;

static void ddb_bad_text(const char *s, size_t n, char out[48])
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < 40; i++)
		out[k++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (n > 40) {
		/* cut at a character boundary, not inside a UTF-8 sequence */
		while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
			k--;
		if (k > 0 && (unsigned char)out[k - 1] >= 0xC0)
			k--;
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
}

static int ddb_fail(ddb_check *ck, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ddb_fail(ddb_check *ck, const char *fmt, ...)
{
	if (!ck->why || !ck->why_len)
		return -1;
	int n = 0;
	if (ck->path[0])
		n = snprintf(ck->why, ck->why_len, "attribute \"%s\": ", ck->path);
	if (n < 0 || (size_t)n >= ck->why_len)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ck->why + n, ck->why_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Append a path element (".key" or "[i]"); return the old length to restore. */
static size_t ddb_path_key(ddb_check *ck, const char *key)
{
	size_t old = strlen(ck->path);
	snprintf(ck->path + old, sizeof ck->path - old, "%s%.64s", old ? "." : "", key);
	return old;
}

static size_t ddb_path_index(ddb_check *ck, size_t index)
{
	size_t old = strlen(ck->path);
	snprintf(ck->path + old, sizeof ck->path - old, "[%zu]", index);
	return old;
}

static int ddb_cmp_str(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	size_t lx = json_string_length(x), ly = json_string_length(y);
	int r = memcmp(json_string_value(x), json_string_value(y), lx < ly ? lx : ly);
	return r ? r : (lx > ly) - (lx < ly);
}

typedef struct ddb_blob {
	unsigned char *p;
	size_t n;
} ddb_blob;

static int ddb_cmp_blob(const void *a, const void *b)
{
	const ddb_blob *x = a, *y = b;
	int r = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
	return r ? r : (x->n > y->n) - (x->n < y->n);
}

static int ddb_check_value(ddb_check *ck, const json_t *v, int depth, size_t *size);

/* Checks a set (SS NS BS): non-empty array of the member type, no duplicates (numbers
 * compared by value, binaries by their bytes). */
static int ddb_check_set(ddb_check *ck, const char *type, const json_t *a, size_t *size)
{
	if (!json_is_array(a))
		return ddb_fail(ck, "%s must be a JSON array", type);
	size_t n = json_array_size(a);
	if (n == 0)
		return ddb_fail(ck, "%s set is empty (DynamoDB has no empty sets: leave the "
				"attribute out)", type);
	int rc = 0;
	if (type[0] == 'S') {
		const json_t **v = malloc(n * sizeof *v);
		if (!v)
			return ddb_fail(ck, "out of memory");
		for (size_t i = 0; i < n && rc == 0; i++) {
			v[i] = json_array_get(a, i);
			if (!json_is_string(v[i]))
				rc = ddb_fail(ck, "SS element %zu is not a string", i);
			else
				*size += json_string_length(v[i]);
		}
		if (rc == 0) {
			qsort(v, n, sizeof *v, ddb_cmp_str);
			for (size_t i = 1; i < n && rc == 0; i++)
				if (ddb_cmp_str(&v[i - 1], &v[i]) == 0) {
					char t[48];
					ddb_bad_text(json_string_value(v[i]),
						     json_string_length(v[i]), t);
					rc = ddb_fail(ck, "SS contains \"%s\" twice (set members "
						      "must be unique)", t);
				}
		}
		free(v);
		return rc;
	}
	if (type[0] == 'N') {
		char (*canon)[48] = malloc(n * sizeof *canon);
		if (!canon)
			return ddb_fail(ck, "out of memory");
		for (size_t i = 0; i < n && rc == 0; i++) {
			const json_t *e = json_array_get(a, i);
			if (!json_is_string(e)) {
				rc = ddb_fail(ck, "NS element %zu must be a number written as a "
					      "string (e.g. \"42\")", i);
				break;
			}
			const char *why = ddb_number_parse(json_string_value(e),
							   json_string_length(e), canon[i]);
			if (why) {
				char t[48];
				ddb_bad_text(json_string_value(e), json_string_length(e), t);
				rc = ddb_fail(ck, "NS element %zu \"%s\" %s", i, t, why);
			} else {
				*size += (strlen(canon[i]) + 1) / 2 + 1;
			}
		}
		if (rc == 0) {
			qsort(canon, n, sizeof *canon, (int (*)(const void *, const void *))strcmp);
			for (size_t i = 1; i < n && rc == 0; i++)
				if (strcmp(canon[i - 1], canon[i]) == 0)
					rc = ddb_fail(ck, "NS contains the number %s twice (set "
						      "members must be unique)", canon[i]);
		}
		free(canon);
		return rc;
	}
	/* BS */
	ddb_blob *b = calloc(n, sizeof *b);
	if (!b)
		return ddb_fail(ck, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		const json_t *e = json_array_get(a, i);
		if (!json_is_string(e)) {
			rc = ddb_fail(ck, "BS element %zu must be a base64 string", i);
			break;
		}
		size_t len = json_string_length(e);
		b[i].p = malloc(len / 4 * 3 + 1);
		long dn = b[i].p ? ddb_base64(json_string_value(e), len, b[i].p) : -1;
		if (!b[i].p)
			rc = ddb_fail(ck, "out of memory");
		else if (dn < 0)
			rc = ddb_fail(ck, "BS element %zu is not valid base64 (standard "
				      "alphabet, padded with '=')", i);
		else
			*size += b[i].n = (size_t)dn;
	}
	if (rc == 0) {
		qsort(b, n, sizeof *b, ddb_cmp_blob);
		for (size_t i = 1; i < n && rc == 0; i++)
			if (ddb_cmp_blob(&b[i - 1], &b[i]) == 0)
				rc = ddb_fail(ck, "BS contains the same binary value twice (set "
					      "members must be unique)");
	}
	for (size_t i = 0; i < n; i++)
		free(b[i].p);
	free(b);
	return rc;
}

/* Checks one attribute value; adds its DynamoDB size estimate to *size. depth counts
 * M/L levels: a top-level M or L is level 1. */
/* An M (is_map) or L value x at nesting depth: each member checked in turn, its path
 * ("a.b", "a[2]") kept in ck for messages; sizes added as DynamoDB counts them. */
static int ddb_check_nested(ddb_check *ck, int is_map, const json_t *x, int depth, size_t *size)
{
	if (is_map ? !json_is_object(x) : !json_is_array(x))
		return ddb_fail(ck, "%s value must be a JSON %s", is_map ? "M" : "L",
				is_map ? "object" : "array");
	if (depth + 1 > DDB_MAX_DEPTH)
		return ddb_fail(ck, "nested deeper than %d levels of M and L", DDB_MAX_DEPTH);
	*size += 3;
	if (is_map) {
		const char *k;
		json_t *e;
		json_object_foreach((json_t *)x, k, e) {
			size_t old = ddb_path_key(ck, k);
			*size += strlen(k) + 1;
			int rc = ddb_check_value(ck, e, depth + 1, size);
			ck->path[old] = '\0';
			if (rc < 0)
				return -1;
		}
	} else {
		size_t i;
		json_t *e;
		json_array_foreach(x, i, e) {
			size_t old = ddb_path_index(ck, i);
			*size += 1;
			int rc = ddb_check_value(ck, e, depth + 1, size);
			ck->path[old] = '\0';
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

static int ddb_check_value(ddb_check *ck, const json_t *v, int depth, size_t *size)
{
	if (!json_is_object(v))
		return ddb_fail(ck, "not an attribute value (expected an object with one type "
				"key, e.g. {\"S\": \"text\"})");
	size_t nk = json_object_size(v);
	if (nk == 0)
		return ddb_fail(ck, "empty attribute value: needs exactly one of S N B BOOL NULL "
				"M L SS NS BS");
	if (nk > 1)
		return ddb_fail(ck, "attribute value has %zu type keys: exactly one of S N B BOOL "
				"NULL M L SS NS BS is allowed", nk);
	const char *type = NULL;
	json_t *x = NULL;
	json_object_foreach((json_t *)v, type, x)
		break;
	char t[48];
	if (strcmp(type, "S") == 0) {
		if (!json_is_string(x))
			return ddb_fail(ck, "S value must be a JSON string");
		*size += json_string_length(x);
		return 0;
	}
	if (strcmp(type, "N") == 0) {
		if (!json_is_string(x))
			return ddb_fail(ck, "N value must be a number written as a string "
					"(e.g. {\"N\": \"42\"})");
		char canon[48];
		const char *why = ddb_number_parse(json_string_value(x), json_string_length(x),
						   canon);
		if (why) {
			ddb_bad_text(json_string_value(x), json_string_length(x), t);
			return ddb_fail(ck, "N value \"%s\" %s", t, why);
		}
		*size += (strlen(canon) + 1) / 2 + 1;
		return 0;
	}
	if (strcmp(type, "B") == 0) {
		if (!json_is_string(x))
			return ddb_fail(ck, "B value must be a base64 string");
		long dn = ddb_base64(json_string_value(x), json_string_length(x), NULL);
		if (dn < 0) {
			ddb_bad_text(json_string_value(x), json_string_length(x), t);
			return ddb_fail(ck, "B value \"%s\" is not valid base64 (standard alphabet, "
					"padded with '=')", t);
		}
		*size += (size_t)dn;
		return 0;
	}
	if (strcmp(type, "BOOL") == 0) {
		if (!json_is_boolean(x))
			return ddb_fail(ck, "BOOL value must be true or false");
		*size += 1;
		return 0;
	}
	if (strcmp(type, "NULL") == 0) {
		if (!json_is_true(x))
			return ddb_fail(ck, "NULL value must be true (DynamoDB has no NULL false)");
		*size += 1;
		return 0;
	}
	if (strcmp(type, "M") == 0 || strcmp(type, "L") == 0)
		return ddb_check_nested(ck, type[0] == 'M', x, depth, size);
	if (strcmp(type, "SS") == 0 || strcmp(type, "NS") == 0 || strcmp(type, "BS") == 0)
		return ddb_check_set(ck, type, x, size);
	ddb_bad_text(type, strlen(type), t);
	return ddb_fail(ck, "unknown type \"%s\" (expected one of S N B BOOL NULL M L SS NS BS)",
			t);
}

int aws_ddb_value_valid(const json_t *v, char *why, size_t why_len)
{
	ddb_check ck = {why, why_len, ""};
	size_t size = 0;
	if (why && why_len)
		why[0] = '\0';
	return ddb_check_value(&ck, v, 0, &size) < 0 ? 0 : 1;
}

/* key NULL: the key attribute is not checked (callers that know a table's whole key
 * schema check it themselves). */
int aws_ddb_item_valid(const json_t *item, const char *key, char *why, size_t why_len)
{
	ddb_check ck = {why, why_len, ""};
	if (why && why_len)
		why[0] = '\0';
	if (!json_is_object(item)) {
		ddb_fail(&ck, "an item must be a JSON object of attributes, e.g. "
			 "{\"itemID\": {\"S\": \"a\"}}");
		return 0;
	}
	if (json_object_size(item) == 0) {
		ddb_fail(&ck, "the item has no attributes");
		return 0;
	}
	size_t size = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)item, k, v) {
		size_t kl = strlen(k);
		if (kl == 0 || kl > DDB_NAME_MAX_BYTES) {
			ddb_fail(&ck, "attribute names must be 1 to 65535 bytes");
			return 0;
		}
		ddb_path_key(&ck, k);
		size += kl;
		if (ddb_check_value(&ck, v, 0, &size) < 0)
			return 0;
		ck.path[0] = '\0';
	}
	if (size > DDB_ITEM_MAX_BYTES) {
		ddb_fail(&ck, "the item is about %zu bytes; DynamoDB items are at most 400 KB", size);
		return 0;
	}
	if (key) {
		const json_t *kv = json_object_get(item, key);
		const json_t *s = json_object_get(kv, "S");
		if (!kv) {
			ddb_fail(&ck, "missing the key attribute \"%.64s\" (e.g. \"%.64s\": {\"S\": "
				 "\"id-1\"})", key, key);
			return 0;
		}
		if (!json_is_string(s) || json_object_size(kv) != 1) {
			ddb_fail(&ck, "key attribute \"%.64s\" must be a string ({\"S\": ...})", key);
			return 0;
		}
		if (json_string_length(s) == 0 || json_string_length(s) > DDB_KEY_MAX_BYTES) {
			ddb_fail(&ck, "key attribute \"%.64s\" must be 1 to 2048 bytes", key);
			return 0;
		}
	}
	return 1;
}
