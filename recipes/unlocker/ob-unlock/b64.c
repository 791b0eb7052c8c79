#include "b64.h"

#include <string.h>

#include "util.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

long b64url_decode(const char *in, unsigned char **out) {
    *out = NULL;
    size_t n = strnlen(in, OB_MAX_FIELD + 1);
    /* One character left over carries 6 bits: never a whole byte. */
    if (n > OB_MAX_FIELD || n % 4 == 1) return -1;
    unsigned char *bytes = ob_malloc(n / 4 * 3 + 3);
    size_t len = 0;
    unsigned int acc = 0, bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = value((unsigned char)in[i]);
        if (v < 0) {
            ob_free_secret(bytes, n / 4 * 3 + 3);
            return -1;
        }
        acc = (acc << 6 | (unsigned int)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes[len++] = (unsigned char)(acc >> bits);
        }
    }
    *out = bytes;
    return (long)len;
}

char *b64url_encode(const unsigned char *in, size_t n) {
    char *out = ob_malloc(n / 3 * 4 + 5);
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        unsigned long v = (unsigned long)in[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = 0;
    return out;
}
