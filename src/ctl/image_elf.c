/* image_elf.c — ELF64 dynamic-section reader and ld.so-style library resolution.
 *
 * Files are mmap'ed read-only and every header field is checked against the file size
 * before it is followed (overflow-safe: offsets are compared with len - size, never
 * added). Search order mirrors glibc's _dl_map_object; see image_elf.h for what is left
 * out (LD_LIBRARY_PATH, hwcaps subdirectories) and why.
 */
#include "aws_buf.h"
#include "image_elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ELF_MAX_FILE ((size_t)1 << 30)
#define ELF_MAX_DYN 65536
#define ELF_MAX_NEEDED 1024
#define CONF_MAX_DEPTH 8
#define CONF_MAX_DIRS 256

/* Debian's loaders: the multiarch directories first, then the generic ones. */
static const char *const x86_64_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
	"/lib", "/usr/lib", NULL,
};
static const char *const aarch64_dirs[] = {
	"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib", NULL,
};
static const image_elf_arch arches[] = {
	{EM_X86_64, "amd64", "x86_64-linux-gnu", "x86_64", "/lib64/ld-linux-x86-64.so.2",
	 x86_64_dirs},
	{EM_AARCH64, "arm64", "aarch64-linux-gnu", "aarch64", "/lib/ld-linux-aarch64.so.1",
	 aarch64_dirs},
};

const image_elf_arch *image_elf_arch_of(int machine)
{
	for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
		if (arches[i].machine == machine)
			return &arches[i];
	return NULL;
}

const image_elf_arch *image_elf_arch_named(const char *oci_arch)
{
	for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
		if (strcmp(arches[i].oci_arch, oci_arch) == 0)
			return &arches[i];
	return NULL;
}

/* ---- parsing ---------------------------------------------------------------------- */

static int bad(aws_error *err, const char *what, const char *detail)
{
	return aws_error_set(err, AWS_ERR_INVALID, "%s: not a usable ELF64 file: %s", what, detail);
}

/* 1 when [off, off+size) lies inside a buffer of len bytes (no overflow possible). */
static int in_range(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

void image_elf_info_free(image_elf_info *info)
{
	if (!info)
		return;
	free(info->interp);
	free(info->soname);
	free(info->runpath);
	free(info->rpath);
	for (size_t i = 0; i < info->nneeded; i++)
		free(info->needed[i]);
	free(info->needed);
	memset(info, 0, sizeof *info);
}

/* Maps a virtual address to a file offset through the PT_LOAD segments. */
static int vaddr_to_off(const uint8_t *data, size_t len, const Elf64_Ehdr *eh, uint64_t addr,
			uint64_t *off)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, data + eh->e_phoff + (uint64_t)i * eh->e_phentsize, sizeof ph);
		if (ph.p_type != PT_LOAD)
			continue;
		if (addr >= ph.p_vaddr && addr - ph.p_vaddr < ph.p_filesz) {
			uint64_t o = ph.p_offset + (addr - ph.p_vaddr);
			if (o < ph.p_offset || o > len)
				return -1;
			*off = o;
			return 0;
		}
	}
	return -1;
}

/* Copies the NUL-terminated string at strtab[idx] (bounded by strsz) into a new string. */
static char *dyn_string(const uint8_t *data, uint64_t stroff, uint64_t strsz, uint64_t idx)
{
	if (idx >= strsz)
		return NULL;
	const char *s = (const char *)data + stroff + idx;
	const char *nul = memchr(s, '\0', strsz - idx);
	if (!nul)
		return NULL;
	return strndup(s, (size_t)(nul - s));
}

/* The ELF identification and header into *eh: ELF64, little-endian, an executable or a
 * shared object, its program header table inside the file. */
static int elf_header(const uint8_t *data, size_t len, const char *what, Elf64_Ehdr *eh,
		      aws_error *err)
{
	if (len < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG) != 0)
		return bad(err, what, "no ELF magic (not an ELF file, or empty)");
	if (data[EI_CLASS] != ELFCLASS64)
		return bad(err, what, "not a 64-bit ELF (only ELF64 is supported)");
	if (data[EI_DATA] != ELFDATA2LSB)
		return bad(err, what, "not little-endian");
	if (len < sizeof(Elf64_Ehdr))
		return bad(err, what, "truncated inside the ELF header");
	memcpy(eh, data, sizeof *eh);
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return bad(err, what, "neither an executable nor a shared object");
	if (eh->e_phnum == 0)
		return 0;
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return bad(err, what, "program header entry size is not that of ELF64");
	if (!in_range(len, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return bad(err, what, "program header table lies outside the file (truncated or bad e_phoff)");
	return 0;
}

/* The program headers: the interpreter into info->interp, the PT_DYNAMIC header into *dyn
 * (*have_dyn set when there is one). */
static int elf_program_headers(const uint8_t *data, size_t len, const char *what,
			       const Elf64_Ehdr *eh, image_elf_info *info, Elf64_Phdr *dyn,
			       int *have_dyn, aws_error *err)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, data + eh->e_phoff + (uint64_t)i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_INTERP) {
			if (!in_range(len, ph.p_offset, ph.p_filesz) || ph.p_filesz == 0)
				return bad(err, what, "PT_INTERP lies outside the file");
			const char *s = (const char *)data + ph.p_offset;
			if (!memchr(s, '\0', ph.p_filesz) || s[0] != '/')
				return bad(err, what, "PT_INTERP is not a NUL-terminated absolute path");
			free(info->interp); /* a second PT_INTERP replaces the first */
			if (!(info->interp = strdup(s)))
				return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		} else if (ph.p_type == PT_DYNAMIC) {
			*dyn = ph;
			*have_dyn = 1;
		}
	}
	return 0;
}

/* What the first pass over the dynamic section finds: where the string table is, and
 * whether any entry names a string (DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH). */
typedef struct elf_dyn_scan {
	uint64_t ndyn;                  /* entries read (at most ELF_MAX_DYN) */
	uint64_t strtab, strsz;
	int have_strtab, have_strsz, need_strings;
	size_t nneeded;
} elf_dyn_scan;

static void elf_dyn_at(const uint8_t *data, const Elf64_Phdr *dyn, uint64_t i, Elf64_Dyn *d)
{
	memcpy(d, data + dyn->p_offset + i * sizeof *d, sizeof *d);
}

static int elf_dynamic_scan(const uint8_t *data, size_t len, const char *what,
			    const Elf64_Phdr *dyn, elf_dyn_scan *sc, aws_error *err)
{
	memset(sc, 0, sizeof *sc);
	if (!in_range(len, dyn->p_offset, dyn->p_filesz))
		return bad(err, what, "PT_DYNAMIC lies outside the file");
	sc->ndyn = dyn->p_filesz / sizeof(Elf64_Dyn);
	if (sc->ndyn > ELF_MAX_DYN)
		sc->ndyn = ELF_MAX_DYN;
	for (uint64_t i = 0; i < sc->ndyn; i++) {
		Elf64_Dyn d;
		elf_dyn_at(data, dyn, i, &d);
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_STRTAB) {
			sc->strtab = d.d_un.d_ptr;
			sc->have_strtab = 1;
		} else if (d.d_tag == DT_STRSZ) {
			sc->strsz = d.d_un.d_val;
			sc->have_strsz = 1;
		} else if (d.d_tag == DT_NEEDED || d.d_tag == DT_SONAME || d.d_tag == DT_RPATH ||
			   d.d_tag == DT_RUNPATH) {
			sc->need_strings = 1;
			sc->nneeded += d.d_tag == DT_NEEDED;
		}
	}
	if (sc->nneeded > ELF_MAX_NEEDED)
		return bad(err, what, "more DT_NEEDED entries than any real object has");
	return 0;
}

/* The second pass: each string-valued entry read from the string table at stroff into
 * info (the needed list, soname, rpath, runpath). */
static int elf_dynamic_strings(const uint8_t *data, const char *what, const Elf64_Phdr *dyn,
			       const elf_dyn_scan *sc, uint64_t stroff, image_elf_info *info,
			       aws_error *err)
{
	if (sc->nneeded && !(info->needed = calloc(sc->nneeded, sizeof *info->needed)))
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	for (uint64_t i = 0; i < sc->ndyn; i++) {
		Elf64_Dyn d;
		elf_dyn_at(data, dyn, i, &d);
		if (d.d_tag == DT_NULL)
			break;
		char **slot = NULL;
		const char *field = NULL;
		switch (d.d_tag) {
		case DT_NEEDED: slot = &info->needed[info->nneeded]; field = "DT_NEEDED"; break;
		case DT_SONAME: slot = &info->soname; field = "DT_SONAME"; break;
		case DT_RPATH: slot = &info->rpath; field = "DT_RPATH"; break;
		case DT_RUNPATH: slot = &info->runpath; field = "DT_RUNPATH"; break;
		default: continue;
		}
		char *s = dyn_string(data, stroff, sc->strsz, d.d_un.d_val);
		if (!s || (d.d_tag == DT_NEEDED && !*s)) {
			char msg[96];
			free(s);
			snprintf(msg, sizeof msg, "%s string is outside DT_STRTAB or not terminated", field);
			return bad(err, what, msg);
		}
		free(*slot);
		*slot = s;
		if (d.d_tag == DT_NEEDED)
			info->nneeded++;
	}
	return 0;
}

/* The steps after the header; on failure the caller frees what info gathered. */
static int elf_parse_loadable(const uint8_t *data, size_t len, const char *what,
			      const Elf64_Ehdr *eh, image_elf_info *info, aws_error *err)
{
	Elf64_Phdr dyn = {0};
	int have_dyn = 0;
	if (elf_program_headers(data, len, what, eh, info, &dyn, &have_dyn, err) != 0)
		return -1;
	if (!have_dyn)
		return 0;
	info->is_dynamic = 1;
	elf_dyn_scan sc;
	if (elf_dynamic_scan(data, len, what, &dyn, &sc, err) != 0)
		return -1;
	if (!sc.need_strings)
		return 0;
	if (!sc.have_strtab || !sc.have_strsz)
		return bad(err, what, "dynamic section has names but no DT_STRTAB/DT_STRSZ");
	uint64_t stroff;
	if (vaddr_to_off(data, len, eh, sc.strtab, &stroff) != 0 || !in_range(len, stroff, sc.strsz))
		return bad(err, what, "DT_STRTAB/DT_STRSZ point outside the file");
	return elf_dynamic_strings(data, what, &dyn, &sc, stroff, info, err);
}

int image_elf_parse(const void *data, size_t len, const char *what, image_elf_info *info,
		    aws_error *err)
{
	memset(info, 0, sizeof *info);
	if (!what)
		what = "ELF file";
	Elf64_Ehdr eh;
	if (elf_header(data, len, what, &eh, err) != 0)
		return -1;
	info->type = eh.e_type;
	info->machine = eh.e_machine;
	if (eh.e_phnum == 0)
		return 0; /* nothing loadable to inspect: no interpreter, no dependencies */
	if (elf_parse_loadable(data, len, what, &eh, info, err) != 0) {
		image_elf_info_free(info);
		return -1;
	}
	return 0;
}

int image_elf_read(const char *path, image_elf_info *info, aws_error *err)
{
	memset(info, 0, sizeof *info);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return aws_error_set(err, AWS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return aws_error_set(err, AWS_ERR_IO, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > ELF_MAX_FILE) {
		close(fd);
		return aws_error_set(err, AWS_ERR_INVALID, "%s: larger than 1 GiB, refusing", path);
	}
	if (st.st_size == 0) {
		close(fd);
		return bad(err, path, "the file is empty");
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return aws_error_set(err, AWS_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
	int rc = image_elf_parse(map, (size_t)st.st_size, path, info, err);
	munmap(map, (size_t)st.st_size);
	return rc;
}

/* 1 when path is a regular ELF64 LSB file for machine (what the loader accepts), without
 * parsing further: the loader silently skips incompatible candidates. */
static int elf_compatible(const char *path, int machine)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	Elf64_Ehdr eh;
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		 read(fd, &eh, sizeof eh) == (ssize_t)sizeof eh &&
		 memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
		 eh.e_ident[EI_DATA] == ELFDATA2LSB && eh.e_machine == machine;
	close(fd);
	return ok;
}

/* ---- search directories ----------------------------------------------------------- */

typedef struct dirlist {
	char **v;
	size_t n;
} dirlist;

static void dirlist_free(dirlist *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

static int dirlist_add(dirlist *d, const char *dir, size_t n)
{
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < d->n; i++)
		if (strlen(d->v[i]) == n && memcmp(d->v[i], dir, n) == 0)
			return 0;
	if (d->n >= CONF_MAX_DIRS)
		return 0;
	char **slot = aws_buf_array_push(&d->v, &d->n, sizeof *slot);
	if (!slot)
		return -1;
	if (!(*slot = strndup(dir, n))) {
		d->n--;
		return -1;
	}
	return 0;
}

/* Reads an ld.so.conf file: directory lines, "include GLOB" (relative to the file's
 * directory), comments; "hwcap" lines are obsolete and ignored. A missing file is fine. */
static int conf_read(const char *file, int depth, dirlist *out)
{
	if (depth > CONF_MAX_DEPTH)
		return 0;
	FILE *f = fopen(file, "re");
	if (!f)
		return 0;
	char line[PATH_MAX + 64];
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		char *h = strchr(line, '#');
		if (h)
			*h = '\0';
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = strcspn(s, "\r\n");
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		s[n] = '\0';
		if (!*s || strncmp(s, "hwcap", 5) == 0)
			continue;
		if (strncmp(s, "include", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
			char *pat = s + 8;
			while (*pat == ' ' || *pat == '\t')
				pat++;
			char full[PATH_MAX];
			if (pat[0] != '/') {
				char tmp[PATH_MAX];
				snprintf(tmp, sizeof tmp, "%s", file);
				snprintf(full, sizeof full, "%s/%s", dirname(tmp), pat);
			} else {
				snprintf(full, sizeof full, "%s", pat);
			}
			glob_t g;
			if (glob(full, 0, NULL, &g) == 0) {
				for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
					rc = conf_read(g.gl_pathv[i], depth + 1, out);
				globfree(&g);
			}
			continue;
		}
		/* Old "dir=TYPE" syntax: the type is ignored, as ldconfig does today. */
		size_t dn = strcspn(s, "= \t");
		if (s[0] == '/')
			rc = dirlist_add(out, s, dn);
	}
	fclose(f);
	return rc;
}

/* ---- closure ------------------------------------------------------------------------ */

typedef struct node {
	char *path;        /* as found */
	char *real_path;
	char *name;        /* the needed name that loaded it */
	image_elf_info info;
	long loader;       /* index of the node that needed it; -1 for the binary */
} node;

typedef struct state {
	node *nodes;
	size_t n, cap;
	dirlist system;    /* ld.so.conf dirs then the defaults */
	int machine;
	const image_elf_arch *arch;
	size_t max;
} state;

/* Expands $ORIGIN, ${ORIGIN}, $LIB, $PLATFORM in one path element. */
static int expand_tokens(const state *st, const char *in, const char *origin, char *out,
			 size_t len)
{
	char lib[64];
	snprintf(lib, sizeof lib, "lib/%s", st->arch->triplet);
	size_t o = 0;
	for (const char *p = in; *p;) {
		const char *rep = NULL;
		size_t skip = 0;
		if (*p == '$') {
			const struct { const char *tok; const char *rep; } toks[] = {
				{"${ORIGIN}", origin}, {"$ORIGIN", origin},
				{"${LIB}", lib}, {"$LIB", lib},
				{"${PLATFORM}", st->arch->platform}, {"$PLATFORM", st->arch->platform},
			};
			for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++) {
				size_t tn = strlen(toks[i].tok);
				if (strncmp(p, toks[i].tok, tn) == 0) {
					skip = tn;
					rep = toks[i].rep;
					break;
				}
			}
		}
		if (rep) {
			size_t rn = strlen(rep);
			if (o + rn >= len)
				return -1;
			memcpy(out + o, rep, rn);
			o += rn;
			p += skip;
		} else {
			if (o + 1 >= len)
				return -1;
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	return 0;
}

/* Tries each element of a colon-separated path list; on a hit fills found. */
static int try_pathlist(state *st, const char *list, const char *origin, const char *name,
			char *found, size_t len)
{
	const char *p = list;
	while (p && *p) {
		size_t n = strcspn(p, ":");
		char elem[PATH_MAX], dir[PATH_MAX];
		if (n > 0 && n < sizeof elem) {
			memcpy(elem, p, n);
			elem[n] = '\0';
			if (expand_tokens(st, elem, origin, dir, sizeof dir) == 0 &&
			    (size_t)snprintf(found, len, "%s/%s", dir, name) < len &&
			    elf_compatible(found, st->machine))
				return 1;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return 0;
}

static char *origin_of(const node *nd)
{
	char *tmp = strdup(nd->real_path);
	if (!tmp)
		return NULL;
	char *d = strdup(dirname(tmp));
	free(tmp);
	return d;
}

/* Resolves `name` needed by node `by` as the loader would. Returns 1 found, 0 not. */
static int resolve(state *st, size_t by, const char *name, char *found, size_t len,
		   image_elf_via *via)
{
	if (strchr(name, '/')) {
		snprintf(found, len, "%s", name);
		*via = IMAGE_ELF_VIA_PATH;
		return elf_compatible(found, st->machine);
	}
	const node *obj = &st->nodes[by];
	if (!obj->info.runpath) {
		/* DT_RPATH of the object, then of each loader up the chain, skipping any object
		 * that has a DT_RUNPATH (which disables its DT_RPATH). */
		for (long i = (long)by; i >= 0; i = st->nodes[i].loader) {
			const node *l = &st->nodes[i];
			if (l->info.rpath && !l->info.runpath) {
				char *origin = origin_of(l);
				int hit = origin && try_pathlist(st, l->info.rpath, origin, name, found, len);
				free(origin);
				if (hit) {
					*via = IMAGE_ELF_VIA_RPATH;
					return 1;
				}
			}
		}
	} else {
		char *origin = origin_of(obj);
		int hit = origin && try_pathlist(st, obj->info.runpath, origin, name, found, len);
		free(origin);
		if (hit) {
			*via = IMAGE_ELF_VIA_RUNPATH;
			return 1;
		}
	}
	for (size_t i = 0; i < st->system.n; i++) {
		if ((size_t)snprintf(found, len, "%s/%s", st->system.v[i], name) < len &&
		    elf_compatible(found, st->machine)) {
			*via = IMAGE_ELF_VIA_SYSTEM;
			return 1;
		}
	}
	return 0;
}

/* 1 when a loaded node already provides `name` (by needed name, soname or path). */
static int provided(const state *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++) {
		const node *nd = &st->nodes[i];
		if ((nd->name && strcmp(nd->name, name) == 0) ||
		    (nd->info.soname && strcmp(nd->info.soname, name) == 0) ||
		    strcmp(nd->path, name) == 0)
			return 1;
	}
	return 0;
}

static int add_node(state *st, const char *path, const char *name, long loader, aws_error *err)
{
	if (st->n >= st->max)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "more than %zu shared objects in the closure, refusing", st->max);
	if (st->n == st->cap && aws_buf_array_grow(&st->nodes, &st->cap, sizeof *st->nodes, 32) < 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	node *nd = &st->nodes[st->n];
	memset(nd, 0, sizeof *nd);
	nd->loader = loader;
	char real[PATH_MAX];
	if (!realpath(path, real))
		return aws_error_set(err, AWS_ERR_IO, "%s: %s", path, strerror(errno));
	if (!(nd->path = strdup(path)) || !(nd->real_path = strdup(real)) ||
	    (name && !(nd->name = strdup(name)))) {
		free(nd->path);
		free(nd->real_path);
		free(nd->name);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	}
	if (image_elf_read(real, &nd->info, err) != 0) {
		free(nd->path);
		free(nd->real_path);
		free(nd->name);
		return -1;
	}
	st->n++;
	return 0;
}

static int closure_push(image_elf_closure *c, const node *nd, const char *needed_by,
			image_elf_via via, aws_error *err)
{
	if (c->n == c->cap && aws_buf_array_grow(&c->libs, &c->cap, sizeof *c->libs, 32) < 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	image_elf_lib *l = &c->libs[c->n];
	memset(l, 0, sizeof *l);
	l->via = via;
	if (!(l->name = strdup(nd->name ? nd->name : nd->path)) || !(l->path = strdup(nd->path)) ||
	    !(l->real_path = strdup(nd->real_path)) || !(l->needed_by = strdup(needed_by))) {
		free(l->name);
		free(l->path);
		free(l->real_path);
		free(l->needed_by);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	}
	c->n++;
	return 0;
}

void image_elf_closure_free(image_elf_closure *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->libs[i].name);
		free(c->libs[i].path);
		free(c->libs[i].real_path);
		free(c->libs[i].needed_by);
	}
	free(c->libs);
	memset(c, 0, sizeof *c);
}

static void state_free(state *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->nodes[i].path);
		free(st->nodes[i].real_path);
		free(st->nodes[i].name);
		image_elf_info_free(&st->nodes[i].info);
	}
	free(st->nodes);
	dirlist_free(&st->system);
}

static int search_failed(state *st, const char *name, const char *by, aws_error *err)
{
	char dirs[1024] = "";
	size_t o = 0;
	for (size_t i = 0; i < st->system.n && o < sizeof dirs - 1; i++) {
		int w = snprintf(dirs + o, sizeof dirs - o, "%s%s", i ? ":" : "", st->system.v[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	return aws_error_set(err, AWS_ERR_INVALID,
			     "%s (needed by %s) not found in its RPATH/RUNPATH nor in %s — install "
			     "the package that provides it", name, by, dirs);
}

int image_elf_resolve(const char *binary, const image_elf_opts *opts, image_elf_closure *out,
		      aws_error *err)
{
	memset(out, 0, sizeof *out);
	state st = {0};
	st.max = opts && opts->max_libs ? opts->max_libs : 512;
	const char *conf = opts && opts->ld_so_conf ? opts->ld_so_conf : "/etc/ld.so.conf";
	int rc = -1;
	if (add_node(&st, binary, NULL, -1, err) != 0)
		goto done;
	st.machine = st.nodes[0].info.machine;
	if (!(st.arch = image_elf_arch_of(st.machine))) {
		aws_error_set(err, AWS_ERR_INVALID, "%s: ELF machine %d is not supported (x86-64 and "
			      "aarch64 are)", binary, st.machine);
		goto done;
	}
	const char *const *defs = opts && opts->default_dirs ? opts->default_dirs
							     : st.arch->default_dirs;
	if (*conf && conf_read(conf, 0, &st.system) != 0) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; defs[i]; i++) {
		if (dirlist_add(&st.system, defs[i], strlen(defs[i])) != 0) {
			aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
			goto done;
		}
	}
	if (st.nodes[0].info.interp) {
		char interp[PATH_MAX];
		snprintf(interp, sizeof interp, "%s", st.nodes[0].info.interp);
		if (add_node(&st, interp, interp, 0, err) != 0) {
			aws_error_prefix(err, "dynamic loader of %s", binary);
			goto done;
		}
		if (closure_push(out, &st.nodes[1], binary, IMAGE_ELF_VIA_INTERP, err) != 0)
			goto done;
	} else if (st.nodes[0].info.nneeded) {
		aws_error_set(err, AWS_ERR_INVALID,
			      "%s needs shared libraries but names no dynamic loader (PT_INTERP)", binary);
		goto done;
	}
	/* Breadth-first over the nodes as they are added, as the loader orders its search. */
	for (size_t i = 0; i < st.n; i++) {
		for (size_t k = 0; k < st.nodes[i].info.nneeded; k++) {
			const char *name = st.nodes[i].info.needed[k];
			if (provided(&st, name))
				continue;
			char found[PATH_MAX];
			image_elf_via via;
			if (!resolve(&st, i, name, found, sizeof found, &via)) {
				search_failed(&st, name, st.nodes[i].path, err);
				goto done;
			}
			if (add_node(&st, found, name, (long)i, err) != 0)
				goto done;
			if (closure_push(out, &st.nodes[st.n - 1], st.nodes[i].path, via, err) != 0)
				goto done;
		}
	}
	rc = 0;
done:
	state_free(&st);
	if (rc != 0)
		image_elf_closure_free(out);
	return rc;
}
