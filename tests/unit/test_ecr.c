/* test_ecr.c — the ECR lifecycle policy text: keep the newest N images, and refuse a buffer
 * too small for it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include "ecr.h"

static void lifecycle_policy_keeps_the_newest_n_images(void **state)
{
	(void)state;
	char text[512];
	assert_int_equal(ecr_lifecycle_policy_text(7, text, sizeof text), 0);
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	json_t *r0 = json_array_get(json_object_get(j, "rules"), 0);
	json_t *sel = json_object_get(r0, "selection");
	assert_string_equal(json_string_value(json_object_get(sel, "tagStatus")), "any");
	assert_string_equal(json_string_value(json_object_get(sel, "countType")), "imageCountMoreThan");
	assert_int_equal(json_integer_value(json_object_get(sel, "countNumber")), 7);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r0, "action"), "type")),
			    "expire");
	json_decref(j);
	assert_int_equal(ecr_lifecycle_policy_text(7, text, 10), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lifecycle_policy_keeps_the_newest_n_images),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
