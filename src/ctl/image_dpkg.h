/* image_dpkg.h — which Debian package a file of the image comes from: owner, version and
 * the licences its copyright file names. Used by the SBOM (image_sbom).
 *
 * Asks dpkg itself (`dpkg-query -S` for the owners, `dpkg-query -W` for versions: one run
 * each for all files, no shell), so diversions and the database format stay dpkg's
 * business. Debian 12 is /usr-merged but its packages still list /lib/... paths: a file is
 * looked up under its real path and the /usr-less or /usr-ful twin. Licences are the
 * "License:" short names of a machine-readable (DEP-5) /usr/share/doc/PKG/copyright, in
 * order of first appearance; a free-form copyright file names none.
 */
#ifndef IMAGE_DPKG_H
#define IMAGE_DPKG_H

#include <stddef.h>
#include "aws_error.h"

typedef struct image_dpkg_pkg {
	char *name;          /* "libc6" */
	char *arch;          /* "arm64", "amd64", "all" */
	char *version;       /* "2.36-9+deb12u10" */
	char *source;        /* source package name, "" when the same as name */
	char **licenses;     /* DEP-5 short names, e.g. "LGPL-2.1+"; may be none */
	size_t nlicenses;
} image_dpkg_pkg;

typedef struct image_dpkg {
	image_dpkg_pkg *pkgs;   /* each package once, in order of first use */
	size_t npkgs;
	long *owner;            /* per queried file: index into pkgs, -1 = no package owns it */
	size_t nfiles;
} image_dpkg;

/* Looks up the owners of files[0..n) (absolute host paths), then each owning package's
 * version, source and licences, plus the packages named in extra_pkgs (NULL-terminated,
 * e.g. "ca-certificates" for the generated CA bundle; found by name, -1 when absent).
 * out->owner has n + the number of extra_pkgs entries. AWS_ERR_IO when dpkg-query cannot
 * be run (not a Debian machine); a file no package owns is not an error. Free with
 * image_dpkg_free (also after an error). */
int image_dpkg_lookup(const char *const *files, size_t n, const char *const *extra_pkgs,
		      image_dpkg *out, aws_error *err);
void image_dpkg_free(image_dpkg *d);

/* The DEP-5 "License:" names of a copyright file's text (exposed for unit tests): appends
 * new names to *names (owned strings; an array grown by aws_buf_array_push alone: start
 * from NULL, 0). Returns 0, or -1 out of memory. */
int image_dpkg_copyright_licenses(const char *text, size_t len, char ***names, size_t *n);

#endif
