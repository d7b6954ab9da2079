/* aws_buf.c — growable byte buffer with a hard limit (see aws_buf.h). Growth doubles, so
 * appends are amortised O(1); the limit check happens before any allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aws_buf.h"

int aws_buf_reserve(aws_buf *b, size_t n)
{
	if (n > (size_t)-1 - b->len - 1)
		return -1;
	size_t need = b->len + n + 1; /* + NUL */
	if (b->limit && b->len + n > b->limit)
		return -1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int aws_buf_array_grow(void *arr_p, size_t *cap, size_t elem_size, size_t first_cap)
{
	size_t nc = *cap ? *cap * 2 : first_cap;
	if (nc <= *cap || nc > ((size_t)-1) / elem_size)
		return -1;
	void **arr = arr_p;
	void *na = realloc(*arr, nc * elem_size);
	if (!na)
		return -1;
	*arr = na;
	*cap = nc;
	return 0;
}

void *aws_buf_array_push(void *arr_p, size_t *n, size_t elem_size)
{
	/* The capacity an array of *n elements grown here has: 0, then 4, 8, 16, ... */
	size_t cap = 0;
	if (*n > 0)
		for (cap = 4; cap < *n; cap *= 2)
			;
	if (*n == cap && aws_buf_array_grow(arr_p, &cap, elem_size, 4) < 0)
		return NULL;
	char *e = *(char **)arr_p + *n * elem_size;
	memset(e, 0, elem_size);
	(*n)++;
	return e;
}

int aws_buf_append_grow(aws_buf *b, const void *p, size_t n)
{
	if (aws_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int aws_buf_vprintf(aws_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof small)
		return aws_buf_append(b, small, (size_t)n);
	if (aws_buf_reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int aws_buf_printf(aws_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = aws_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

void aws_buf_reset(aws_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void aws_buf_free(aws_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *aws_buf_steal(aws_buf *b, size_t *len)
{
	char *p = b->data;
	if (!p) {
		p = calloc(1, 1);
		if (!p)
			return NULL;
	}
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
