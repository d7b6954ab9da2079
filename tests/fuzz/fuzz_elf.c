/* fuzz_elf.c — the ELF reader the image builder walks a binary's dependencies with
 * (image_elf_parse): any bytes as a file. Properties: malformed input is -1 with
 * AWS_ERR_INVALID, never a read outside the input; what it returns is NUL-terminated.
 */
#include "fuzz.h"
#include "image_elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	image_elf_info info;
	aws_error err;
	memset(&info, 0, sizeof info);
	if (image_elf_parse(data, size, "fuzz.elf", &info, &err) == 0)
		image_elf_info_free(&info);
	else
		FUZZ_CHECK(err.kind == AWS_ERR_INVALID || err.kind == AWS_ERR_NOMEM, "refused as %d", (int)err.kind);
	return 0;
}
