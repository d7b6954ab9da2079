/* aws_buf.h — a growable byte buffer with a hard size limit, and the growth of the
 * malloc'd arrays that hold parsed records.
 *
 * Used for request bodies, response bodies and rendered output. The buffer owns its
 * memory; data is always NUL-terminated (the NUL is not counted in len) so text can be
 * used as a C string. A buffer whose limit is reached refuses further appends instead of
 * growing without bound: the limit is how untrusted input size is capped.
 */
#ifndef AWS_BUF_H
#define AWS_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include <string.h>

typedef struct aws_buf {
	char *data;      /* NULL until the first append; always NUL-terminated after it */
	size_t len;
	size_t cap;
	size_t limit;    /* 0 = no limit; otherwise appends past limit bytes fail */
} aws_buf;

#define AWS_BUF_INIT {0, 0, 0, 0}

/* Each append returns 0, or -1 when out of memory or past the limit (buffer unchanged).
 * Appends that fit the memory already there are inline (renderers make thousands of small
 * ones per page); the rest go through aws_buf_append_grow. */
int aws_buf_append_grow(aws_buf *b, const void *p, size_t n);
static inline int aws_buf_append(aws_buf *b, const void *p, size_t n)
{
	if (n < b->cap - b->len && (!b->limit || n <= b->limit - b->len)) {
		if (n)
			memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return aws_buf_append_grow(b, p, n);
}
static inline int aws_buf_puts(aws_buf *b, const char *s)
{
	return aws_buf_append(b, s, strlen(s));
}
static inline int aws_buf_putc(aws_buf *b, char c)
{
	return aws_buf_append(b, &c, 1);
}
int aws_buf_printf(aws_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int aws_buf_vprintf(aws_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Ensures room for n more bytes without changing len. */
int aws_buf_reserve(aws_buf *b, size_t n);
/* len = 0, memory kept for reuse. */
void aws_buf_reset(aws_buf *b);
/* Frees the memory; the buffer can be reused after (it is back to AWS_BUF_INIT, limit kept). */
void aws_buf_free(aws_buf *b);
/* Hands the memory to the caller (free() it); the buffer is emptied. Never NULL on success:
 * an empty buffer yields "". Returns NULL on out of memory. */
char *aws_buf_steal(aws_buf *b, size_t *len);

/* Grows the malloc'd array *arr_p (elements of elem_size bytes, *cap of them allocated;
 * NULL and 0 when none) to twice *cap, or to first_cap elements when *cap is 0: call it
 * when the array is full. Returns 0, or -1 on memory failure or overflow with *arr_p and
 * *cap unchanged (the caller still owns and frees *arr_p). */
int aws_buf_array_grow(void *arr_p, size_t *cap, size_t elem_size, size_t first_cap);
/* For arrays that keep only a count: appends one zeroed element to the malloc'd array
 * *arr_p (*n elements of elem_size bytes; NULL when empty), counts it in *n and returns
 * it. The capacity is implied by the count (4, 8, 16, ...), so an array must grow by this
 * function alone. NULL on memory failure, with *arr_p and *n as they were: the caller
 * still owns and frees *arr_p. */
void *aws_buf_array_push(void *arr_p, size_t *n, size_t elem_size);

#endif
