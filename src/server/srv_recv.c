/* srv_recv.c — libmicrohttpd's reads from its clients, seen by the transport first.
 *
 * libmicrohttpd reads a connection with recv(); this definition of recv in the program
 * comes before the C library's in the dynamic linker's search order, so its calls land
 * here. The read itself is the C library's recvfrom (recv's exact equivalent); what was
 * read is then shown to srv_http_received, which checks the bytes of request heads
 * (srv_rawhead.h) and, for a connection the transport is refusing, withholds them.
 * Other threads' reads (the AWS client's) pass straight through: srv_http_received
 * acts only on the event loop's own connections. srv_http_start checks at start that this
 * function is the one libraries get, so the check cannot be silently bypassed.
 */
#undef _FORTIFY_SOURCE   /* the fortified <sys/socket.h> defines recv inline */
#include <sys/socket.h>

#include "srv_http.h"

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = recvfrom(fd, buf, len, flags, NULL, NULL);
	return n > 0 ? srv_http_received(fd, buf, n) : n;
}

/* This file's recv, for srv_http_start's check (and so that linking the transport links
 * this file, whatever else defines a recv — a sanitizer's runtime does). */
ssize_t (*const srv_recv_hook)(int, void *, size_t, int) = recv;
