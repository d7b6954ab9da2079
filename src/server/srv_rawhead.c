/* srv_rawhead.c — the byte-level request head scanner (see srv_rawhead.h): one state per
 * place in the stream, one byte at a time, no allocation and no look-back.
 */
#include "srv_rawhead.h"

#include <stdint.h>
#include <string.h>

enum {
	RH_START,      /* between heads: empty lines may precede a request line */
	RH_START_CR,   /* a CR there */
	RH_REQLINE,
	RH_REQLINE_CR,
	RH_LINE,       /* at the start of a field line, or of the empty line */
	RH_NAME,
	RH_VALUE,
	RH_VALUE_CR,
	RH_END_CR,     /* a CR at the start of a line: the head ends at the LF */
	RH_BODY,       /* Content-Length bytes to skip */
	RH_STOPPED,    /* after a body it cannot follow, or a verdict */
};

void srv_rawhead_init(srv_rawhead *r, size_t head_limit, size_t url_limit)
{
	memset(r, 0, sizeof *r);
	r->head_limit = head_limit;
	r->url_limit = url_limit;
	r->state = RH_START;
}

/* Byte classes, looked up: the scanner sees every byte of every head. CL_TCHAR: RFC 9110
 * §5.6.2 token characters (digits, letters, !#$%&'*+-.^_`|~); CL_CTL: 0x00-0x1f and 0x7f. */
enum { CL_TCHAR = 1, CL_CTL = 2 };
static const unsigned char byte_class[256] = {
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	0,1,0,1,1,1,1,1,0,0,1,1,0,1,1,0,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0,
	0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,1,1,
	1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,1,0,1,2,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
};

static int is_tchar(unsigned char c)
{
	return byte_class[c] & CL_TCHAR;
}

static int is_ctl(unsigned char c)
{
	return byte_class[c] & CL_CTL;
}

static void refuse(srv_rawhead *r, int status, const char *why)
{
	r->bad = status;
	r->bad_head = r->head;
	r->why = why;
	r->state = RH_STOPPED;
}

static void field_begin(srv_rawhead *r)
{
	r->name_len = 0;
	r->field = 0;
	r->length_digits = 0;
}

/* The name is complete (at its colon). */
static void name_end(srv_rawhead *r)
{
	if (r->name_len == 14 && memcmp(r->name, "content-length", 14) == 0) {
		r->field = 1;
		r->content_lengths++;
		r->length = 0;
	} else if (r->name_len == 17 && memcmp(r->name, "transfer-encoding", 17) == 0) {
		r->field = 2;
		r->transfer_encodings++;
	}
}

/* Content-Length's value, a byte at a time: optional spaces, 1 to 15 digits, spaces. */
static void length_byte(srv_rawhead *r, unsigned char c)
{
	if (c >= '0' && c <= '9') {
		if (r->length_digits < 0 || r->length_digits >= 15)   /* digits after spaces, or too many */
			r->length_bad = 1;
		else {
			r->length = r->length * 10 + (unsigned long long)(c - '0');
			r->length_digits++;
		}
	} else if (c == ' ' || c == '\t') {
		if (r->length_digits > 0)
			r->length_digits = -1;   /* trailing spaces: no more digits */
	} else {
		r->length_bad = 1;
	}
}

static void field_end(srv_rawhead *r)
{
	if (r->field == 1 && r->length_digits == 0)
		r->length_bad = 1;
}

/* The empty line: what comes next is a body to skip, the next head, or something the
 * scanner cannot follow. */
static void head_end(srv_rawhead *r)
{
	if (r->transfer_encodings || r->content_lengths > 1 || r->length_bad) {
		r->stopped = 1;
		r->stopped_head = r->head;
		r->state = RH_STOPPED;
		return;
	}
	if (r->content_lengths && r->length > 0) {
		r->body_left = r->length;
		r->state = RH_BODY;
		return;
	}
	r->head++;
	r->state = RH_START;
}

static void next_head(srv_rawhead *r)
{
	r->head_bytes = 0;
	r->target_bytes = 0;
	r->spaces = 0;
	r->method_len = r->path_len = 0;
	r->method[0] = r->path[0] = '\0';
	r->path_done = 0;
	r->content_lengths = r->transfer_encodings = r->length_bad = 0;
	r->length = 0;
	r->state = RH_REQLINE;
}

/* A byte of the request line's method or target, kept for the log. */
static void keep_line_byte(srv_rawhead *r, unsigned char c)
{
	if (r->spaces == 0 && r->method_len + 1 < sizeof r->method) {
		r->method[r->method_len++] = (char)c;
		r->method[r->method_len] = '\0';
	} else if (r->spaces == 1 && !r->path_done) {
		if (c == '?' || r->path_len + 1 >= sizeof r->path) {
			r->path_done = 1;
		} else {
			r->path[r->path_len++] = (char)c;
			r->path[r->path_len] = '\0';
		}
	}
}

/* One byte of a head (any state from RH_START_CR to RH_END_CR). */
static void head_byte(srv_rawhead *r, unsigned char c)
{
	if (++r->head_bytes > r->head_limit) {
		if (r->state == RH_REQLINE && r->spaces == 1)   /* still in the target */
			refuse(r, 414, "The address is longer than this server accepts.");
		else
			refuse(r, 431, "The request's header is larger than this server accepts.");
		return;
	}
	switch (r->state) {
	case RH_REQLINE:
		if (c == '\r')
			r->state = RH_REQLINE_CR;
		else if (c == '\n')
			goto reqline_end;
		else if (c == ' ')
			r->spaces++;
		else if (is_ctl(c))
			refuse(r, 400, "The request line holds a control character.");
		else if (r->spaces == 1 && ++r->target_bytes > r->url_limit)
			refuse(r, 414, "The address is longer than this server accepts.");
		else
			keep_line_byte(r, c);
		return;
	case RH_REQLINE_CR:
		if (c != '\n') {
			refuse(r, 400, "The request line holds a CR not followed by LF.");
			return;
		}
	reqline_end:
		if (r->spaces != 2)
			refuse(r, 400, "The request line is not \"method target version\".");
		else
			r->state = RH_LINE;
		return;
	case RH_LINE:
		if (c == '\r') {
			r->state = RH_END_CR;
		} else if (c == '\n') {
			head_end(r);
		} else if (c == ' ' || c == '\t') {
			refuse(r, 400, "A header line is folded onto the one before it (obs-fold).");
		} else if (c == ':') {
			refuse(r, 400, "A header field has an empty name.");
		} else {
			field_begin(r);
			r->state = RH_NAME;
			goto name;
		}
		return;
	case RH_NAME:
	name:
		if (c == ':') {
			name_end(r);
			r->state = RH_VALUE;
		} else if (c == '\r' || c == '\n') {
			refuse(r, 400, "A header line has no colon.");
		} else if (!is_tchar(c)) {
			refuse(r, 400, "A header field name holds a space or another character names cannot have.");
		} else {
			if (r->name_len < sizeof r->name)
				r->name[r->name_len] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
			r->name_len++;
		}
		return;
	case RH_VALUE:
		if (c == '\r') {
			r->state = RH_VALUE_CR;
		} else if (c == '\n') {
			field_end(r);
			r->state = RH_LINE;
		} else if (c == '\0') {
			refuse(r, 400, "A header field holds a NUL byte.");
		} else if (is_ctl(c) && c != '\t') {
			refuse(r, 400, "A header field holds a control character.");
		} else if (r->field == 1) {
			length_byte(r, c);
		}
		return;
	case RH_VALUE_CR:
		if (c != '\n') {
			refuse(r, 400, "A header field holds a CR not followed by LF.");
			return;
		}
		field_end(r);
		r->state = RH_LINE;
		return;
	case RH_END_CR:
		if (c != '\n')
			refuse(r, 400, "The header's end holds a CR not followed by LF.");
		else
			head_end(r);
		return;
	}
}

size_t srv_rawhead_feed(srv_rawhead *r, const char *p, size_t n)
{
	if (r->state == RH_STOPPED)
		return r->bad ? 0 : n;
	/* Where the head being read began in this chunk; SIZE_MAX: in an earlier one. */
	size_t began = r->state == RH_START || r->state == RH_BODY ? 0 : SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		switch (r->state) {
		case RH_START:
			if (c == '\r') {
				r->state = RH_START_CR;
				continue;
			}
			if (c == '\n')
				continue;
			began = i;
			next_head(r);
			head_byte(r, c);
			break;
		case RH_START_CR:
			if (c == '\n') {
				r->state = RH_START;
				continue;
			}
			began = i;
			next_head(r);
			refuse(r, 400, "A CR not followed by LF precedes the request line.");
			break;
		case RH_BODY: {
			size_t take = n - i;
			if ((unsigned long long)take > r->body_left)
				take = (size_t)r->body_left;
			r->body_left -= take;
			i += take - 1;
			if (r->body_left == 0) {
				r->head++;
				r->state = RH_START;
			}
			continue;
		}
		case RH_STOPPED:
			return r->bad ? (began == SIZE_MAX ? 0 : began) : n;
		default:
			if (r->state == RH_VALUE && r->field != 1) {
				/* The bulk of a head: a value's plain bytes, taken as a run. */
				size_t j = i;
				while (j < n && !is_ctl((unsigned char)p[j]))
					j++;
				if (j > i && r->head_bytes + (j - i) <= r->head_limit) {
					r->head_bytes += j - i;
					if (j == n)
						return n;
					i = j;
					c = (unsigned char)p[i];
				}
			} else if (r->state == RH_NAME) {
				/* A name's token characters likewise (kept lower case while they fit). */
				size_t j = i, name_start = r->name_len;
				while (j < n && is_tchar((unsigned char)p[j]))
					j++;
				if (j > i && r->head_bytes + (j - i) <= r->head_limit) {
					for (size_t k = i; k < j && r->name_len < sizeof r->name; k++) {
						unsigned char b = (unsigned char)p[k];
						r->name[r->name_len++] = (char)(b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b);
					}
					r->name_len = name_start + (j - i);   /* every byte counts, kept or not */
					r->head_bytes += j - i;
					if (j == n)
						return n;
					i = j;
					c = (unsigned char)p[i];
				}
			}
			head_byte(r, c);
			break;
		}
		if (r->bad)
			return began == SIZE_MAX ? 0 : began;
	}
	return n;
}
