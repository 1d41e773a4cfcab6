/*
 * replay.c -- main() for `make check`'s replay of a fuzz target's corpus
 * (fuzz/corpus/<target>/): every file is run through the target once,
 * without libFuzzer, with the same assertions.  Prints one PASS line with
 * the count; an assertion failure aborts, which tests/run.sh counts.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
main(int argc, char **argv)
{
	static unsigned char buf[1 << 16];
	const char *name = argc > 2 ? argv[2] : "fuzz";
	struct dirent *de;
	char path[4096];
	unsigned int n = 0;
	DIR *d;

	if (argc < 2 || (d = opendir(argv[1])) == NULL) {
		printf("FAIL %s: no corpus directory %s\n", name,
		    argc > 1 ? argv[1] : "(none)");
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		FILE *f;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		n++;
	}
	closedir(d);
	if (n == 0) {
		printf("FAIL %s: empty corpus %s\n", name, argv[1]);
		return 1;
	}
	printf("PASS %s: %u corpus inputs replayed\n", name, n);
	return 0;
}
