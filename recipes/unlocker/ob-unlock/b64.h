/* base64url without padding (RFC 7515 section 2), as jose writes every JWE and JWK field. */
#ifndef OB_B64_H
#define OB_B64_H

#include <stddef.h>

/* Decodes `in` (at most OB_MAX_FIELD characters of A-Z a-z 0-9 - _, no padding) into a new
 * buffer *out (free it; cleanse it first when it held a key). Returns the length, or -1 (and
 * *out NULL) when `in` is not base64url. */
long b64url_decode(const char *in, unsigned char **out);

/* A new NUL-terminated base64url string of n bytes. */
char *b64url_encode(const unsigned char *in, size_t n);

#endif
