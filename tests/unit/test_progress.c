/* test_progress.c — the live status line of scan and items load (progress.h): what the line
 * and the summary say (rate, capacity, percent, ETA, grouped digits), that the line always
 * fits the terminal, and what the running progress writes, on a clock the test moves. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "progress.h"

static progress_view scan_view(long done, long total, double capacity, double elapsed_ms)
{
	progress_view v = {
		.verb = "scanned", .unit = "read", .done = done, .kept = -1, .total = total,
		.capacity = capacity, .elapsed_ms = elapsed_ms,
	};
	return v;
}

static const char *line_of(const progress_view *v, int width)
{
	static char buf[PROGRESS_LINE_MAX];
	size_t n = progress_line(v, width, buf, sizeof buf);
	assert_int_equal(n, strlen(buf));
	return buf;
}

static const char *summary_of(const progress_view *v)
{
	static char buf[PROGRESS_LINE_MAX];
	size_t n = progress_summary(v, buf, sizeof buf);
	assert_int_equal(n, strlen(buf));
	return buf;
}

static void the_line_says_items_rate_percent_capacity_and_eta(void **state)
{
	(void)state;
	progress_view v = scan_view(12345, 20000, 2512.5, 1000);
	assert_string_equal(line_of(&v, 200), "scanned 12 345 items, 61% of ~20 000, "
			    "12 345 items/s, 2 512.5 RCU, ETA 0:01");
	progress_view w = {
		.verb = "wrote", .unit = "write", .done = 250, .kept = -1, .total = 1000,
		.total_exact = 1, .capacity = 250, .elapsed_ms = 2000,
	};
	assert_string_equal(line_of(&w, 200), "wrote 250 items, 25% of 1 000, 125 items/s, "
			    "250 WCU, ETA 0:06");
}

static void the_eta_comes_from_the_average_rate(void **state)
{
	(void)state;
	progress_view v = scan_view(1000, 10000, -1, 10000);     /* 100 items/s, 9 000 left */
	assert_non_null(strstr(line_of(&v, 200), ", ETA 1:30"));
	v = scan_view(1, 10000, -1, 1000);                        /* 1 item/s, 9 999 left */
	assert_non_null(strstr(line_of(&v, 200), "1.0 items/s"));
	assert_non_null(strstr(line_of(&v, 200), ", ETA 2:46:39"));
}

static void an_unknown_total_shows_no_percent_and_no_eta(void **state)
{
	(void)state;
	progress_view v = scan_view(500, 0, 10, 2000);
	assert_string_equal(line_of(&v, 200), "scanned 500 items, 250 items/s, 10 RCU");
	v.total = -1;
	assert_string_equal(line_of(&v, 200), "scanned 500 items, 250 items/s, 10 RCU");
}

static void past_the_approximate_total_the_percent_stays_at_99_until_finished(void **state)
{
	(void)state;
	progress_view v = scan_view(25000, 20000, -1, 1000);
	assert_string_equal(line_of(&v, 200), "scanned 25 000 items, 99% of ~20 000, "
			    "25 000 items/s");
	v.done = 20000;
	assert_null(strstr(line_of(&v, 200), "100%"));
	assert_null(strstr(line_of(&v, 200), "ETA"));
	v.finished = 1;
	assert_non_null(strstr(line_of(&v, 200), ", 100% of"));
}

static void nothing_done_yet_shows_no_rate(void **state)
{
	(void)state;
	progress_view v = scan_view(0, 5000, -1, 0);
	assert_string_equal(line_of(&v, 200), "scanned 0 items, 0% of ~5 000");
}

static void a_filter_shows_the_items_kept(void **state)
{
	(void)state;
	progress_view v = scan_view(40000, 0, -1, 4000);
	v.kept = 1234;
	assert_string_equal(line_of(&v, 200), "scanned 40 000 items (1 234 kept), "
			    "10 000 items/s");
}

/* Every width from 0 to 120 columns: the line never reaches the last column, and what is
 * left out goes in order — kept, capacity, the total, the rate, the ETA, the percent. */
static void the_line_always_fits_and_drops_the_least_useful_first(void **state)
{
	(void)state;
	progress_view v = scan_view(1234567, 9876543, 98765.5, 61000);
	v.kept = 7654321;
	const char *order[] = {" kept", "RCU", " of ~", "items/s", "ETA", "%"};
	size_t gone = 0;
	for (int width = 0; width <= 120; width++) {
		const char *line = line_of(&v, width);
		if (width < 2) {
			assert_string_equal(line, "");
			continue;
		}
		if (strlen(line) > (size_t)width - 1)
			fail_msg("width %d: \"%s\" is %zu columns", width, line, strlen(line));
		/* parts come back in order as the width grows: never one before another dropped
		 * later */
		size_t missing = 0;
		for (size_t i = 0; i < 6; i++)
			if (!strstr(line, order[i]))
				missing = i + 1;
		for (size_t i = 0; i < missing; i++)
			if (strstr(line, order[i]))
				fail_msg("width %d: \"%s\" kept %s but not %s", width, line, order[i],
					 order[missing - 1]);
		if (width == 120)
			gone = missing;
	}
	assert_int_equal(gone, 0);
	assert_string_equal(line_of(&v, 12), "scanned 1 2");
}

static void the_summary_says_count_time_rate_and_capacity(void **state)
{
	(void)state;
	progress_view v = scan_view(20000, 0, 2512.5, 1400);
	v.finished = 1;
	assert_string_equal(summary_of(&v), "scanned 20 000 items in 1.4 s (14 286 items/s, "
			    "2 512.5 read capacity units)");
	v.kept = 31;
	assert_string_equal(summary_of(&v), "scanned 20 000 items (31 kept) in 1.4 s "
			    "(14 286 items/s, 2 512.5 read capacity units)");
	progress_view w = {
		.verb = "wrote", .unit = "write", .done = 1000000, .kept = -1, .capacity = -1,
		.elapsed_ms = 725000, .finished = 1,
	};
	assert_string_equal(summary_of(&w), "wrote 1 000 000 items in 12 min 05 s "
			    "(1 379 items/s)");
	w.elapsed_ms = 7380000;
	assert_string_equal(summary_of(&w), "wrote 1 000 000 items in 2 h 03 min (136 items/s)");
	progress_view none = scan_view(0, 0, 0, 3);
	assert_string_equal(summary_of(&none), "scanned 0 items in 0.0 s (0 read capacity units)");
}

/* ---- the running progress, on a clock the test moves ---- */

static double fake_ms;
static double fake_clock(void)
{
	return fake_ms;
}

static int pipe_fds[2];

static int open_pipe(void **state)
{
	(void)state;
	fake_ms = 1000;
	if (pipe(pipe_fds) != 0)
		return -1;
	return fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
}

static int close_pipe(void **state)
{
	(void)state;
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	return 0;
}

static const char *written(void)
{
	static char buf[4096];
	ssize_t n = read(pipe_fds[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static progress *start(int live, long total)
{
	progress_config cfg = {
		.verb = "wrote", .unit = "write", .total = total, .total_exact = 1, .live = live,
		.fd = pipe_fds[1], .interval_ms = 0, .now_ms = fake_clock,
	};
	progress *p = progress_start(&cfg);
	assert_non_null(p);
	return p;
}

static void *add_many(void *arg)
{
	for (int i = 0; i < 1000; i++)
		progress_add(arg, 1, 0, 0.5);
	return NULL;
}

static void counts_from_many_threads_add_up_on_the_line_and_in_the_summary(void **state)
{
	(void)state;
	progress *p = start(1, 8000);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, add_many, p), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	fake_ms += 2000;
	progress_draw(p);
	assert_string_equal(written(), "\rwrote 4 000 items, 50% of 8 000, 2 000 items/s, "
			    "2 000 WCU, ETA 0:02\033[K");
	progress_add(p, 4000, 0, 2000);
	fake_ms += 2000;
	progress_end(p, PROGRESS_DONE);
	assert_string_equal(written(), "\r\033[Kwrote 8 000 items in 4.0 s (2 000 items/s, "
			    "4 000 write capacity units)\n");
}

static void a_failure_ends_the_drawn_line_with_a_newline_and_no_summary(void **state)
{
	(void)state;
	progress *p = start(1, 10);
	progress_add(p, 3, 0, -1);
	fake_ms += 500;
	progress_draw(p);
	assert_string_equal(written(), "\rwrote 3 items, 30% of 10, 6.0 items/s, ETA 0:02\033[K");
	progress_end(p, PROGRESS_FAILED);
	assert_string_equal(written(), "\n");
}

static void a_failure_before_any_line_writes_nothing(void **state)
{
	(void)state;
	progress_end(start(1, 10), PROGRESS_FAILED);
	assert_string_equal(written(), "");
}

static void a_cleared_line_is_erased_for_the_next_step(void **state)
{
	(void)state;
	progress *p = start(1, 0);
	progress_add(p, 7, 0, -1);
	fake_ms += 1000;
	progress_draw(p);
	assert_string_equal(written(), "\rwrote 7 items, 7.0 items/s\033[K");
	progress_end(p, PROGRESS_CLEARED);
	assert_string_equal(written(), "\r\033[K");
	progress_end(start(1, 0), PROGRESS_CLEARED);     /* nothing drawn: nothing to erase */
	assert_string_equal(written(), "");
}

static void without_a_live_line_only_the_summary_is_written(void **state)
{
	(void)state;
	progress *p = start(0, 10);
	progress_add(p, 10, 0, -1);
	fake_ms += 1000;
	progress_draw(p);
	assert_string_equal(written(), "");
	progress_end(p, PROGRESS_DONE);
	assert_string_equal(written(), "wrote 10 items in 1.0 s (10 items/s)\n");
}

static void no_progress_is_a_no_op(void **state)
{
	(void)state;
	progress_add(NULL, 5, 5, 1);
	progress_draw(NULL);
	progress_end(NULL, PROGRESS_DONE);
	assert_string_equal(written(), "");
}

/* progress_wanted with standard error on fd for a moment. */
static int wanted_with_stderr_on(int fd, int quiet)
{
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	int wanted = progress_wanted(quiet);
	dup2(saved, STDERR_FILENO);
	close(saved);
	return wanted;
}

static void progress_is_wanted_on_a_terminal_without_quiet_only(void **state)
{
	(void)state;
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(tty >= 0);
	assert_true(wanted_with_stderr_on(tty, 0));
	assert_false(wanted_with_stderr_on(tty, 1));
	assert_false(wanted_with_stderr_on(pipe_fds[1], 0));
	close(tty);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_line_says_items_rate_percent_capacity_and_eta),
		cmocka_unit_test(the_eta_comes_from_the_average_rate),
		cmocka_unit_test(an_unknown_total_shows_no_percent_and_no_eta),
		cmocka_unit_test(past_the_approximate_total_the_percent_stays_at_99_until_finished),
		cmocka_unit_test(nothing_done_yet_shows_no_rate),
		cmocka_unit_test(a_filter_shows_the_items_kept),
		cmocka_unit_test(the_line_always_fits_and_drops_the_least_useful_first),
		cmocka_unit_test(the_summary_says_count_time_rate_and_capacity),
		cmocka_unit_test_setup_teardown(
			counts_from_many_threads_add_up_on_the_line_and_in_the_summary, open_pipe,
			close_pipe),
		cmocka_unit_test_setup_teardown(
			a_failure_ends_the_drawn_line_with_a_newline_and_no_summary, open_pipe,
			close_pipe),
		cmocka_unit_test_setup_teardown(a_failure_before_any_line_writes_nothing, open_pipe,
						close_pipe),
		cmocka_unit_test_setup_teardown(a_cleared_line_is_erased_for_the_next_step, open_pipe,
						close_pipe),
		cmocka_unit_test_setup_teardown(without_a_live_line_only_the_summary_is_written,
						open_pipe, close_pipe),
		cmocka_unit_test_setup_teardown(no_progress_is_a_no_op, open_pipe, close_pipe),
		cmocka_unit_test_setup_teardown(progress_is_wanted_on_a_terminal_without_quiet_only,
						open_pipe, close_pipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
