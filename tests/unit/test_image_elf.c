/* test_image_elf.c — the ELF reader and library closure (image_elf): real binaries resolve
 * to the files ld.so would load, synthetic binaries exercise RUNPATH/$ORIGIN, inherited
 * RPATH and missing libraries, and every kind of malformed ELF is a clean AWS_ERR_INVALID.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "image_elf.h"

/* ---- a synthetic ELF64 writer ------------------------------------------------------------ */

typedef struct synth {
	const char *interp;        /* NULL = no PT_INTERP */
	const char *needed[4];
	const char *soname, *runpath, *rpath;
	int machine;               /* 0 = EM_X86_64 */
} synth;

/* Layout: Ehdr | 3 Phdr (INTERP, LOAD, DYNAMIC) | interp | strtab | dynamic. One PT_LOAD
 * maps the whole file at vaddr 0, so addresses equal offsets. Returns the length. */
static size_t synth_build(const synth *s, uint8_t *buf, size_t cap)
{
	memset(buf, 0, cap);
	size_t off = sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr);
	size_t interp_off = off, interp_len = s->interp ? strlen(s->interp) + 1 : 0;
	off += interp_len;
	size_t str_off = off, str_len = 1; /* strtab[0] = "" */
	char *strtab = (char *)buf + str_off;
	Elf64_Dyn dyn[12];
	size_t nd = 0;
#define ADDSTR(tag, str)                                                 \
	do {                                                             \
		dyn[nd].d_tag = (tag);                                   \
		dyn[nd++].d_un.d_val = str_len;                          \
		memcpy(strtab + str_len, (str), strlen(str) + 1);        \
		str_len += strlen(str) + 1;                              \
	} while (0)
	for (int i = 0; i < 4 && s->needed[i]; i++)
		ADDSTR(DT_NEEDED, s->needed[i]);
	if (s->soname)
		ADDSTR(DT_SONAME, s->soname);
	if (s->runpath)
		ADDSTR(DT_RUNPATH, s->runpath);
	if (s->rpath)
		ADDSTR(DT_RPATH, s->rpath);
#undef ADDSTR
	off += str_len;
	off = (off + 7) & ~(size_t)7;
	dyn[nd].d_tag = DT_STRTAB;
	dyn[nd++].d_un.d_ptr = str_off;
	dyn[nd].d_tag = DT_STRSZ;
	dyn[nd++].d_un.d_val = str_len;
	dyn[nd].d_tag = DT_NULL;
	dyn[nd++].d_un.d_val = 0;
	size_t dyn_off = off;
	memcpy(buf + dyn_off, dyn, nd * sizeof dyn[0]);
	size_t len = dyn_off + nd * sizeof dyn[0];
	assert_true(len <= cap);

	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = s->machine ? s->machine : EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof eh;
	eh.e_ehsize = sizeof eh;
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	memcpy(buf, &eh, sizeof eh);
	Elf64_Phdr ph[3] = {0};
	ph[0].p_type = s->interp ? PT_INTERP : PT_NULL;
	ph[0].p_offset = interp_off;
	ph[0].p_filesz = interp_len;
	ph[1].p_type = PT_LOAD;
	ph[1].p_filesz = ph[1].p_memsz = len;
	ph[2].p_type = PT_DYNAMIC;
	ph[2].p_offset = ph[2].p_vaddr = dyn_off;
	ph[2].p_filesz = nd * sizeof dyn[0];
	memcpy(buf + sizeof eh, ph, sizeof ph);
	if (s->interp)
		memcpy(buf + interp_off, s->interp, interp_len);
	return len;
}

static void write_synth(const char *path, const synth *s)
{
	uint8_t buf[4096];
	size_t n = synth_build(s, buf, sizeof buf);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
}

static char tmpdir[256];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_image_elf.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown_tmp(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const image_elf_lib *find_lib(const image_elf_closure *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->libs[i].name, name) == 0)
			return &c->libs[i];
	return NULL;
}

/* ---- real binaries ----------------------------------------------------------------------- */

static void closure_of_ls_has_loader_first_and_libc(void **state)
{
	(void)state;
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve("/bin/ls", NULL, &c, &err), 0);
	assert_true(c.n >= 3);
	assert_int_equal(c.libs[0].via, IMAGE_ELF_VIA_INTERP);
	assert_string_equal(c.libs[0].path, "/lib64/ld-linux-x86-64.so.2");
	const image_elf_lib *libc = find_lib(&c, "libc.so.6");
	assert_non_null(libc);
	assert_int_equal(libc->via, IMAGE_ELF_VIA_SYSTEM);
	assert_non_null(find_lib(&c, "libselinux.so.1"));
	/* libselinux needs libpcre2-8: found through recursion, needed by libselinux. */
	const image_elf_lib *pcre = find_lib(&c, "libpcre2-8.so.0");
	assert_non_null(pcre);
	assert_non_null(strstr(pcre->needed_by, "libselinux"));
	/* libc needs ld-linux-x86-64.so.2, which the interpreter already is. */
	assert_null(find_lib(&c, "ld-linux-x86-64.so.2"));
	for (size_t i = 0; i < c.n; i++)
		assert_int_equal(access(c.libs[i].real_path, R_OK), 0);
	image_elf_closure_free(&c);
}

static void closure_of_curl_is_recursive_and_unique(void **state)
{
	(void)state;
	if (access("/usr/bin/curl", X_OK) != 0)
		skip();
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve("/usr/bin/curl", NULL, &c, &err), 0);
	/* libcurl → libssl → libcrypto, libnghttp2, ... each once */
	assert_non_null(find_lib(&c, "libcurl.so.4"));
	assert_non_null(find_lib(&c, "libcrypto.so.3"));
	assert_non_null(find_lib(&c, "libnghttp2.so.14"));
	for (size_t i = 0; i < c.n; i++)
		for (size_t k = i + 1; k < c.n; k++)
			assert_string_not_equal(c.libs[i].name, c.libs[k].name);
	image_elf_closure_free(&c);
}

static void static_file_without_dynamic_section_has_no_libs(void **state)
{
	(void)state;
	char p[300];
	snprintf(p, sizeof p, "%s/static", tmpdir);
	synth s = {0};
	uint8_t buf[4096];
	size_t n = synth_build(&s, buf, sizeof buf);
	/* turn PT_DYNAMIC into PT_NULL: a static binary */
	Elf64_Phdr ph;
	memcpy(&ph, buf + sizeof(Elf64_Ehdr) + 2 * sizeof ph, sizeof ph);
	ph.p_type = PT_NULL;
	memcpy(buf + sizeof(Elf64_Ehdr) + 2 * sizeof ph, &ph, sizeof ph);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	fwrite(buf, 1, n, f);
	fclose(f);
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve(p, NULL, &c, &err), 0);
	assert_int_equal(c.n, 0);
	image_elf_closure_free(&c);
}

/* ---- synthetic binaries: search order ---------------------------------------------------- */

static void runpath_with_origin_is_searched_before_system_dirs(void **state)
{
	(void)state;
	char lib[300], app[300], libfoo[320];
	snprintf(lib, sizeof lib, "%s/lib", tmpdir);
	mkdir(lib, 0755);
	snprintf(libfoo, sizeof libfoo, "%s/libfoo.so.1", lib);
	write_synth(libfoo, &(synth){.needed = {"libc.so.6"}, .soname = "libfoo.so.1"});
	snprintf(app, sizeof app, "%s/app", tmpdir);
	write_synth(app, &(synth){.interp = "/lib64/ld-linux-x86-64.so.2",
				  .needed = {"libfoo.so.1"}, .runpath = "/nonexistent:$ORIGIN/lib"});
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve(app, NULL, &c, &err), 0);
	const image_elf_lib *foo = find_lib(&c, "libfoo.so.1");
	assert_non_null(foo);
	assert_int_equal(foo->via, IMAGE_ELF_VIA_RUNPATH);
	char real[PATH_MAX];
	assert_non_null(realpath(libfoo, real));
	assert_string_equal(foo->real_path, real);
	const image_elf_lib *libc = find_lib(&c, "libc.so.6");
	assert_non_null(libc);
	assert_int_equal(libc->via, IMAGE_ELF_VIA_SYSTEM);
	image_elf_closure_free(&c);
}

/* An aarch64 binary on this x86-64 machine: x86-64 candidates are skipped as its loader
 * skips them, and $LIB names the arm64 multiarch directory. */
static void aarch64_closure_takes_aarch64_objects_only(void **state)
{
	(void)state;
	char x86[300], arm[300], multi[300], p[400], ld[400], app[300];
	snprintf(x86, sizeof x86, "%s/x86", tmpdir);
	snprintf(arm, sizeof arm, "%s/arm", tmpdir);
	snprintf(multi, sizeof multi, "%s/lib", tmpdir);
	mkdir(x86, 0755);
	mkdir(arm, 0755);
	mkdir(multi, 0755);
	strcat(multi, "/aarch64-linux-gnu");
	mkdir(multi, 0755);
	snprintf(p, sizeof p, "%s/libfoo.so.1", x86);
	write_synth(p, &(synth){.soname = "libfoo.so.1"});
	snprintf(p, sizeof p, "%s/libfoo.so.1", arm);
	write_synth(p, &(synth){.soname = "libfoo.so.1", .machine = EM_AARCH64});
	snprintf(p, sizeof p, "%s/libbar.so.2", multi);
	write_synth(p, &(synth){.soname = "libbar.so.2", .machine = EM_AARCH64});
	snprintf(ld, sizeof ld, "%s/ld-linux-aarch64.so.1", arm);
	write_synth(ld, &(synth){.soname = "ld-linux-aarch64.so.1", .machine = EM_AARCH64});
	snprintf(app, sizeof app, "%s/app-arm64", tmpdir);
	write_synth(app, &(synth){.interp = ld, .needed = {"libfoo.so.1", "libbar.so.2"},
				  .runpath = "$ORIGIN/$LIB", .machine = EM_AARCH64});
	const char *dirs[] = {x86, arm, NULL};
	image_elf_opts o = {.ld_so_conf = "", .default_dirs = dirs};
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve(app, &o, &c, &err), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.libs[0].via, IMAGE_ELF_VIA_INTERP);
	const image_elf_lib *foo = find_lib(&c, "libfoo.so.1");
	assert_non_null(foo);
	assert_non_null(strstr(foo->path, "/arm/libfoo.so.1"));
	const image_elf_lib *bar = find_lib(&c, "libbar.so.2");
	assert_non_null(bar);
	assert_int_equal(bar->via, IMAGE_ELF_VIA_RUNPATH);
	assert_non_null(strstr(bar->path, "/lib/aarch64-linux-gnu/libbar.so.2"));
	image_elf_closure_free(&c);

	const image_elf_arch *a = image_elf_arch_of(EM_AARCH64);
	assert_non_null(a);
	assert_string_equal(a->oci_arch, "arm64");
	assert_string_equal(a->loader, "/lib/ld-linux-aarch64.so.1");
	assert_string_equal(a->default_dirs[0], "/lib/aarch64-linux-gnu");
	assert_ptr_equal(image_elf_arch_named("arm64"), a);
	assert_null(image_elf_arch_of(EM_386));
}

static void a_machine_without_a_layout_is_refused(void **state)
{
	(void)state;
	char app[300];
	snprintf(app, sizeof app, "%s/app-riscv", tmpdir);
	write_synth(app, &(synth){.interp = "/lib/ld-linux-riscv64-lp64d.so.1",
				  .needed = {"libc.so.6"}, .machine = EM_RISCV});
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve(app, NULL, &c, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_non_null(strstr(err.message, "not supported"));
}

static void rpath_of_the_executable_is_inherited_by_its_libraries(void **state)
{
	(void)state;
	char rp[300], a[320], b[320], app[300];
	snprintf(rp, sizeof rp, "%s/rp", tmpdir);
	mkdir(rp, 0755);
	snprintf(a, sizeof a, "%s/liba.so.1", rp);
	snprintf(b, sizeof b, "%s/libb.so.1", rp);
	write_synth(a, &(synth){.needed = {"libb.so.1"}, .soname = "liba.so.1"});
	write_synth(b, &(synth){.soname = "libb.so.1"});
	snprintf(app, sizeof app, "%s/app2", tmpdir);
	write_synth(app, &(synth){.interp = "/lib64/ld-linux-x86-64.so.2", .needed = {"liba.so.1"},
				  .rpath = "$ORIGIN/rp"});
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve(app, NULL, &c, &err), 0);
	const image_elf_lib *lb = find_lib(&c, "libb.so.1");
	assert_non_null(lb);
	assert_int_equal(lb->via, IMAGE_ELF_VIA_RPATH);
	assert_non_null(strstr(lb->needed_by, "liba.so.1"));
	image_elf_closure_free(&c);
}

static void runpath_disables_rpath(void **state)
{
	(void)state;
	char rp[300], a[320], app[300];
	snprintf(rp, sizeof rp, "%s/rp3", tmpdir);
	mkdir(rp, 0755);
	snprintf(a, sizeof a, "%s/libonlyrpath.so.1", rp);
	write_synth(a, &(synth){.soname = "libonlyrpath.so.1"});
	snprintf(app, sizeof app, "%s/app3", tmpdir);
	write_synth(app, &(synth){.interp = "/lib64/ld-linux-x86-64.so.2",
				  .needed = {"libonlyrpath.so.1"}, .rpath = "$ORIGIN/rp3",
				  .runpath = "/nonexistent"});
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve(app, NULL, &c, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	image_elf_closure_free(&c);
}

static void missing_library_names_it_and_who_needs_it(void **state)
{
	(void)state;
	char app[300];
	snprintf(app, sizeof app, "%s/app4", tmpdir);
	write_synth(app, &(synth){.interp = "/lib64/ld-linux-x86-64.so.2",
				  .needed = {"libc.so.6", "libdoesnotexist.so.7"}});
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve(app, NULL, &c, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_non_null(strstr(err.message, "libdoesnotexist.so.7"));
	assert_non_null(strstr(err.message, "app4"));
	assert_non_null(strstr(err.message, "/lib/x86_64-linux-gnu"));
	assert_int_equal(c.n, 0);
}

static void missing_interpreter_is_an_error(void **state)
{
	(void)state;
	char app[300];
	snprintf(app, sizeof app, "%s/app5", tmpdir);
	write_synth(app, &(synth){.interp = "/nonexistent/ld.so", .needed = {"libc.so.6"}});
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve(app, NULL, &c, &err), -1);
	assert_non_null(strstr(err.message, "/nonexistent/ld.so"));
}

static void wrong_class_candidate_is_skipped_like_the_loader(void **state)
{
	(void)state;
	/* A 32-bit "libc.so.6" first on the RUNPATH must be passed over for the real one. */
	char d[300], fake[320], app[300];
	snprintf(d, sizeof d, "%s/lib32", tmpdir);
	mkdir(d, 0755);
	snprintf(fake, sizeof fake, "%s/libc.so.6", d);
	uint8_t buf[4096];
	size_t n = synth_build(&(synth){.soname = "libc.so.6"}, buf, sizeof buf);
	buf[EI_CLASS] = ELFCLASS32;
	FILE *f = fopen(fake, "wb");
	assert_non_null(f);
	fwrite(buf, 1, n, f);
	fclose(f);
	snprintf(app, sizeof app, "%s/app6", tmpdir);
	write_synth(app, &(synth){.interp = "/lib64/ld-linux-x86-64.so.2", .needed = {"libc.so.6"},
				  .runpath = "$ORIGIN/lib32"});
	image_elf_closure c = {0};
	aws_error err;
	assert_int_equal(image_elf_resolve(app, NULL, &c, &err), 0);
	const image_elf_lib *libc = find_lib(&c, "libc.so.6");
	assert_non_null(libc);
	assert_int_equal(libc->via, IMAGE_ELF_VIA_SYSTEM);
	image_elf_closure_free(&c);
}

/* ---- malformed input: clean errors, never a crash ---------------------------------------- */

static void expect_bad(const void *data, size_t len, const char *needle)
{
	image_elf_info info;
	aws_error err;
	assert_int_equal(image_elf_parse(data, len, "bad.elf", &info, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_non_null(strstr(err.message, "bad.elf"));
	if (needle && !strstr(err.message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
}

static size_t good(uint8_t *buf, size_t cap)
{
	return synth_build(&(synth){.interp = "/lib64/ld-linux-x86-64.so.2",
				    .needed = {"libc.so.6", "libm.so.6"}, .soname = "x.so"},
			   buf, cap);
}

static void synthetic_file_parses(void **state)
{
	(void)state;
	uint8_t buf[4096];
	size_t n = good(buf, sizeof buf);
	image_elf_info info;
	aws_error err;
	assert_int_equal(image_elf_parse(buf, n, "ok.elf", &info, &err), 0);
	assert_string_equal(info.interp, "/lib64/ld-linux-x86-64.so.2");
	assert_int_equal(info.nneeded, 2);
	assert_string_equal(info.needed[1], "libm.so.6");
	assert_string_equal(info.soname, "x.so");
	image_elf_info_free(&info);
}

static void not_elf_is_rejected(void **state)
{
	(void)state;
	expect_bad("#!/bin/sh\necho hi\n", 18, "no ELF magic");
	expect_bad("", 0, "no ELF magic");
}

static void elf32_is_rejected(void **state)
{
	(void)state;
	uint8_t buf[4096];
	size_t n = good(buf, sizeof buf);
	buf[EI_CLASS] = ELFCLASS32;
	expect_bad(buf, n, "64-bit");
}

static void truncated_header_is_rejected(void **state)
{
	(void)state;
	uint8_t buf[4096];
	good(buf, sizeof buf);
	expect_bad(buf, 40, "truncated");
}

static void program_headers_outside_file_are_rejected(void **state)
{
	(void)state;
	uint8_t buf[4096];
	size_t n = good(buf, sizeof buf);
	Elf64_Ehdr eh;
	memcpy(&eh, buf, sizeof eh);
	eh.e_phoff = 0xfffffffffffffff0ULL; /* would overflow an unchecked offset + size */
	memcpy(buf, &eh, sizeof eh);
	expect_bad(buf, n, "program header");
	good(buf, sizeof buf);
	expect_bad(buf, sizeof(Elf64_Ehdr) + 10, "program header"); /* truncated table */
}

static void patch_phdr(uint8_t *buf, int idx, uint64_t off, uint64_t size)
{
	Elf64_Phdr ph;
	uint8_t *p = buf + sizeof(Elf64_Ehdr) + (size_t)idx * sizeof ph;
	memcpy(&ph, p, sizeof ph);
	ph.p_offset = off;
	ph.p_filesz = size;
	memcpy(p, &ph, sizeof ph);
}

static void interp_outside_file_is_rejected(void **state)
{
	(void)state;
	uint8_t buf[4096];
	size_t n = good(buf, sizeof buf);
	patch_phdr(buf, 0, n - 2, 100);
	expect_bad(buf, n, "PT_INTERP");
}

static void unterminated_interp_is_rejected(void **state)
{
	(void)state;
	uint8_t buf[4096];
	size_t n = good(buf, sizeof buf);
	patch_phdr(buf, 0, sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr), 5); /* "/lib6" no NUL */
	expect_bad(buf, n, "PT_INTERP");
}

static void dynamic_outside_file_is_rejected(void **state)
{
	(void)state;
	uint8_t buf[4096];
	size_t n = good(buf, sizeof buf);
	patch_phdr(buf, 2, 1u << 30, 64);
	expect_bad(buf, n, "PT_DYNAMIC");
}

/* Finds dynamic entry `tag` of a synthetic file and sets its value. */
static void patch_dyn(uint8_t *buf, int64_t tag, uint64_t val)
{
	Elf64_Phdr ph;
	memcpy(&ph, buf + sizeof(Elf64_Ehdr) + 2 * sizeof ph, sizeof ph);
	for (uint64_t o = ph.p_offset; o < ph.p_offset + ph.p_filesz; o += sizeof(Elf64_Dyn)) {
		Elf64_Dyn d;
		memcpy(&d, buf + o, sizeof d);
		if (d.d_tag == tag) {
			d.d_un.d_val = val;
			memcpy(buf + o, &d, sizeof d);
			return;
		}
	}
	fail_msg("tag %lld not found", (long long)tag);
}

static void strtab_outside_file_is_rejected(void **state)
{
	(void)state;
	uint8_t buf[4096];
	size_t n = good(buf, sizeof buf);
	patch_dyn(buf, DT_STRTAB, 0x7fff0000);
	expect_bad(buf, n, "DT_STRTAB");
	n = good(buf, sizeof buf);
	patch_dyn(buf, DT_STRSZ, 1u << 20);
	expect_bad(buf, n, "DT_STRTAB");
}

static void needed_string_outside_strtab_is_rejected(void **state)
{
	(void)state;
	uint8_t buf[4096];
	size_t n = good(buf, sizeof buf);
	patch_dyn(buf, DT_NEEDED, 5000);
	expect_bad(buf, n, "DT_NEEDED");
}

static void every_truncation_of_a_real_binary_is_clean(void **state)
{
	(void)state;
	/* /bin/ls cut at many lengths: each either parses or fails cleanly (ASan/UBSan watch). */
	FILE *f = fopen("/bin/ls", "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_true(n > 4096);
	size_t ok = 0, bad = 0;
	for (size_t len = 0; len < n; len += len < 8192 ? 61 : 4093) {
		uint8_t *copy = malloc(len ? len : 1); /* exact size: any overread is caught */
		assert_non_null(copy);
		memcpy(copy, buf, len);
		image_elf_info info;
		aws_error err;
		if (image_elf_parse(copy, len, "cut", &info, &err) == 0) {
			ok++;
			image_elf_info_free(&info);
		} else {
			bad++;
			assert_int_equal(err.kind, AWS_ERR_INVALID);
		}
		free(copy);
	}
	assert_true(bad > 0);
}

static void random_corruption_is_clean(void **state)
{
	(void)state;
	uint8_t base[4096];
	size_t n = good(base, sizeof base);
	srand(12345);
	for (int i = 0; i < 3000; i++) {
		uint8_t *copy = malloc(n);
		assert_non_null(copy);
		memcpy(copy, base, n);
		for (int k = 0; k < 4; k++)
			copy[(size_t)rand() % n] = (uint8_t)rand();
		image_elf_info info;
		aws_error err;
		if (image_elf_parse(copy, n, "fuzz", &info, &err) == 0)
			image_elf_info_free(&info);
		free(copy);
	}
}

static void unreadable_files_are_io_errors(void **state)
{
	(void)state;
	image_elf_info info;
	aws_error err;
	assert_int_equal(image_elf_read("/nonexistent/showtable", &info, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_IO);
	assert_int_equal(image_elf_read("/tmp", &info, &err), -1);
	char p[300];
	snprintf(p, sizeof p, "%s/empty", tmpdir);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(image_elf_read(p, &info, &err), -1);
	assert_non_null(strstr(err.message, "empty"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(closure_of_ls_has_loader_first_and_libc),
		cmocka_unit_test(closure_of_curl_is_recursive_and_unique),
		cmocka_unit_test(static_file_without_dynamic_section_has_no_libs),
		cmocka_unit_test(runpath_with_origin_is_searched_before_system_dirs),
		cmocka_unit_test(aarch64_closure_takes_aarch64_objects_only),
		cmocka_unit_test(a_machine_without_a_layout_is_refused),
		cmocka_unit_test(rpath_of_the_executable_is_inherited_by_its_libraries),
		cmocka_unit_test(runpath_disables_rpath),
		cmocka_unit_test(missing_library_names_it_and_who_needs_it),
		cmocka_unit_test(missing_interpreter_is_an_error),
		cmocka_unit_test(wrong_class_candidate_is_skipped_like_the_loader),
		cmocka_unit_test(synthetic_file_parses),
		cmocka_unit_test(not_elf_is_rejected),
		cmocka_unit_test(elf32_is_rejected),
		cmocka_unit_test(truncated_header_is_rejected),
		cmocka_unit_test(program_headers_outside_file_are_rejected),
		cmocka_unit_test(interp_outside_file_is_rejected),
		cmocka_unit_test(unterminated_interp_is_rejected),
		cmocka_unit_test(dynamic_outside_file_is_rejected),
		cmocka_unit_test(strtab_outside_file_is_rejected),
		cmocka_unit_test(needed_string_outside_strtab_is_rejected),
		cmocka_unit_test(every_truncation_of_a_real_binary_is_clean),
		cmocka_unit_test(random_corruption_is_clean),
		cmocka_unit_test(unreadable_files_are_io_errors),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
