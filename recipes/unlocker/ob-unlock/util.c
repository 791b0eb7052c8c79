#include "util.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int ob_quiet = 0;

int ob_error(int status, const char *format, ...) {
    if (ob_quiet) return status;
    va_list args;
    va_start(args, format);
    fputs("ob-unlock: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    return status;
}

void *ob_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) {
        fputs("ob-unlock: out of memory\n", stderr);
        exit(OB_ERROR);
    }
    return p;
}

char *ob_strndup(const char *text, size_t length) {
    char *copy = ob_malloc(length + 1);
    memcpy(copy, text, length);
    copy[length] = 0;
    return copy;
}

void ob_free_secret(void *buffer, size_t size) {
    if (!buffer) return;
    OPENSSL_cleanse(buffer, size);
    free(buffer);
}

static long long now_ms(void) {
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail on Linux; a zero clock would only make deadlines early. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts)) return 0;
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long ob_deadline(long long ms) { return now_ms() + ms; }

int ob_ms_left(long long deadline) {
    long long left = deadline - now_ms();
    return left <= 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left;
}
