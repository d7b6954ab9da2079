/* image_elf.h — the shared-library closure of an ELF64 binary, found the way ld.so does.
 *
 * Reads PT_INTERP and the dynamic section (DT_NEEDED, DT_RUNPATH, DT_RPATH, DT_SONAME) of
 * each object itself with <elf.h>, bounds-checking every offset, and resolves each needed
 * name breadth-first as glibc's loader does: DT_RPATH of the object and its loaders (only
 * when the object has no DT_RUNPATH), DT_RUNPATH of the object, the directories of
 * /etc/ld.so.conf (standing in for /etc/ld.so.cache, which ldconfig builds from them),
 * then the default directories. LD_LIBRARY_PATH is ignored on purpose: an image must not
 * depend on the builder's environment. A candidate of the wrong ELF class or machine is
 * skipped, as the loader skips it. Used by `image build` to put exactly what the binary
 * loads into the image.
 */
#ifndef IMAGE_ELF_H
#define IMAGE_ELF_H

#include <stddef.h>
#include <stdint.h>
#include "aws_error.h"

/* A machine the closure can be computed for, and how Debian lays it out. */
typedef struct image_elf_arch {
	int machine;                  /* e_machine: EM_X86_64, EM_AARCH64 */
	const char *oci_arch;         /* the OCI/Go name: "amd64", "arm64" */
	const char *triplet;          /* Debian multiarch: "x86_64-linux-gnu" */
	const char *platform;         /* the loader's $PLATFORM: "x86_64", "aarch64" */
	const char *loader;           /* the loader's path on Debian */
	const char *const *default_dirs; /* the loader's default directories, NULL-terminated */
} image_elf_arch;

/* The supported machines; NULL when not one of them. Static data: do not free. */
const image_elf_arch *image_elf_arch_of(int machine);
const image_elf_arch *image_elf_arch_named(const char *oci_arch);

/* What one ELF file says about its dynamic linking. All strings are owned by the struct;
 * free with image_elf_info_free. */
typedef struct image_elf_info {
	int type;            /* e_type: ET_EXEC or ET_DYN */
	int machine;         /* e_machine, e.g. EM_X86_64 */
	char *interp;        /* PT_INTERP path, NULL when there is none (static or a library) */
	char *soname;        /* DT_SONAME, NULL when none */
	char *runpath;       /* DT_RUNPATH (colon-separated, unexpanded), NULL when none */
	char *rpath;         /* DT_RPATH, NULL when none */
	char **needed;       /* DT_NEEDED names in file order */
	size_t nneeded;
	int is_dynamic;      /* 1 when the file has a PT_DYNAMIC segment */
} image_elf_info;

/* Parses an ELF64 little-endian image held in memory. `what` names it in error messages
 * (usually its path). Every malformed input — truncated, offsets or sizes outside the
 * file, strings not terminated, wrong class — is -1 with AWS_ERR_INVALID and a message
 * naming the file and the field; never a crash. */
int image_elf_parse(const void *data, size_t len, const char *what, image_elf_info *info,
		    aws_error *err);
/* Reads and parses a file (at most 1 GiB). AWS_ERR_IO when it cannot be read. */
int image_elf_read(const char *path, image_elf_info *info, aws_error *err);
void image_elf_info_free(image_elf_info *info);

/* How a closure entry was found. */
typedef enum image_elf_via {
	IMAGE_ELF_VIA_INTERP = 0,   /* the dynamic loader named by PT_INTERP */
	IMAGE_ELF_VIA_PATH,         /* DT_NEEDED contained a '/' and was used as a path */
	IMAGE_ELF_VIA_RPATH,
	IMAGE_ELF_VIA_RUNPATH,
	IMAGE_ELF_VIA_SYSTEM,       /* ld.so.conf or the default directories */
} image_elf_via;

typedef struct image_elf_lib {
	char *name;          /* the DT_NEEDED name (for the interpreter: its PT_INTERP path) */
	char *path;          /* the path the loader would open, e.g. /lib/x86_64-linux-gnu/libc.so.6 */
	char *real_path;     /* realpath(path): the file whose bytes are meant */
	char *needed_by;     /* path of the first object that needed it */
	image_elf_via via;
} image_elf_lib;

typedef struct image_elf_closure {
	image_elf_lib *libs; /* load order (breadth-first); the interpreter first when present */
	size_t n, cap;
} image_elf_closure;

typedef struct image_elf_opts {
	const char *ld_so_conf;       /* NULL = /etc/ld.so.conf; "" = read none */
	const char *const *default_dirs; /* NULL-terminated; NULL = the defaults of the
					  * binary's machine (image_elf_arch) */
	size_t max_libs;              /* 0 = 512 */
} image_elf_opts;

/* Computes the closure of binary (x86-64 or aarch64; the host's or not — nothing is
 * executed): its interpreter (if any) and every shared object it
 * loads, recursively. A needed name that the interpreter already provides (its soname,
 * e.g. ld-linux-x86-64.so.2 needed by libc) is not added twice. A name found nowhere is
 * -1 with AWS_ERR_INVALID naming the library, who needs it and the directories searched.
 * opts may be NULL. out must be zeroed; free with image_elf_closure_free (also on error). */
int image_elf_resolve(const char *binary, const image_elf_opts *opts, image_elf_closure *out,
		      aws_error *err);
void image_elf_closure_free(image_elf_closure *c);

#endif
