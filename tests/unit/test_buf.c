/* test_buf.c — aws_buf's arrays: growth by doubling, and pushing onto count-only arrays. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aws_buf.h"

typedef struct rec {
	int id;
	char *name;
} rec;

static void pushed_elements_are_zeroed_counted_and_kept(void **state)
{
	(void)state;
	rec *a = NULL;
	size_t n = 0;
	for (int i = 0; i < 1000; i++) {
		rec *r = aws_buf_array_push(&a, &n, sizeof *r);
		assert_non_null(r);
		assert_int_equal(r->id, 0);
		assert_null(r->name);
		r->id = i;
	}
	assert_int_equal(n, 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(a[i].id, i);
	free(a);
}

static void array_grow_doubles_from_the_first_capacity(void **state)
{
	(void)state;
	int *a = NULL;
	size_t cap = 0;
	assert_int_equal(aws_buf_array_grow(&a, &cap, sizeof *a, 16), 0);
	assert_int_equal(cap, 16);
	assert_int_equal(aws_buf_array_grow(&a, &cap, sizeof *a, 16), 0);
	assert_int_equal(cap, 32);
	size_t huge = ((size_t)-1) / 2;
	assert_int_equal(aws_buf_array_grow(&a, &huge, sizeof *a, 16), -1);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pushed_elements_are_zeroed_counted_and_kept),
		cmocka_unit_test(array_grow_doubles_from_the_first_capacity),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
