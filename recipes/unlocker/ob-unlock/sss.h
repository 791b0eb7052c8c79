/* Clevis's sss pin (src/pins/sss): the header holds t, the prime p and one inner JWE per pin,
 * each encrypting a point (x, y) of a polynomial of degree t-1 over GF(p) whose value at 0 is
 * the outer JWE's key. Any t recovered points give it back (Lagrange at 0). */
#ifndef OB_SSS_H
#define OB_SSS_H

#include <stddef.h>

#include "jwe.h"

#define SSS_MAX_PINS 16
#define SSS_MAX_DEPTH 3

typedef struct {
    long t;
    unsigned char *prime;
    size_t plen;
    jwe_parts pins[SSS_MAX_PINS];
    int count;
} sss_token;

/* Reads an sss pin's protected header: OB_OK, OB_ERROR, OB_UNHANDLED (a prime other than
 * 32 bytes: only A256GCM keys, Clevis's default). */
int sss_token_read(const char *header, sss_token *out);
void sss_token_free(sss_token *token);

/* The key from `used` shares of 2·plen bytes (x ‖ y, big-endian) over GF(prime): OB_OK and
 * 32 bytes in cek, or OB_ERROR (two shares with one x, a prime that is not one). */
int sss_combine(const unsigned char *prime, size_t plen, const unsigned char *const *shares, int used, unsigned char cek[32]);

/* Decrypts the inner JWEs side by side, each in a child process (a pin that fails or hangs
 * costs the others nothing, as clevis-decrypt-sss runs them), and combines the first t. When
 * fewer than t answer: OB_REFUSED if a TPM refused, else OB_UNREACHABLE if a tang server was
 * not reachable, else OB_ERROR. */
int sss_recover(const char *header, const char *device, int port, int depth, unsigned char cek[32]);

#endif
