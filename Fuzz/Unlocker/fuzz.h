/* Shared by the unlocker's libFuzzer harnesses (scripts/fuzz.sh builds each with
 * recipes/unlocker/ob-unlock/Makefile's warnings, libFuzzer, AddressSanitizer, UndefinedBehaviorSanitizer
 * and LeakSanitizer). ob-unlock's messages are turned off (most inputs are damaged tokens). */
#ifndef OB_FUZZ_H
#define OB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Messages off, unless OB_FUZZ_VERBOSE is set (to see why a reproduced input is refused). */
static inline void fuzz_quiet(void) { ob_quiet = getenv("OB_FUZZ_VERBOSE") == NULL; }

/* The input as the NUL-terminated text ob-unlock reads (a token on standard input stops at
 * its first NUL the same way). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = 0;
    return text;
}

#endif
