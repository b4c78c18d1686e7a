/* fuzz.h - what the libFuzzer harnesses share: a check that crashes
 * loudly, and splitting an input into NUL-separated parts. */
#ifndef PM_FUZZ_H
#define PM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the code under test must keep: abort (a crash libFuzzer
 * reports, with the input) when it does not. */
#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* One part of an input: bytes that are not NUL-terminated. */
struct fuzz_part {
	const char	*s;
	size_t		 n;
};

/* Split the size bytes at data on NUL bytes into at most max parts (the
 * last one keeps any further NULs). Returns the number of parts, at least
 * 1 (an empty input is one empty part). */
static inline size_t fuzz_split(const uint8_t *data, size_t size,
    struct fuzz_part *parts, size_t max)
{
	const char *s = (const char *)data, *end = s + size, *nul;
	size_t n = 0;

	while (n + 1 < max && (nul = memchr(s, '\0', (size_t)(end - s))) != NULL) {
		parts[n].s = s;
		parts[n].n = (size_t)(nul - s);
		n++;
		s = nul + 1;
	}
	parts[n].s = s;
	parts[n].n = (size_t)(end - s);
	return n + 1;
}

/* A NUL-terminated copy of a part, in its own allocation so that reading
 * past the end is caught. Caller frees. */
static inline char *fuzz_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

#endif
