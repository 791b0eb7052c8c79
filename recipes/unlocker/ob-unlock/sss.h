/* Clevis's sss pin (src/pins/sss): the header holds t, the prime p and one inner JWE per pin,
 * each encrypting a point (x, y) of a polynomial of degree t-1 over GF(p) whose value at 0 is
 * the outer JWE's key. Any t recovered points give it back (Lagrange at 0). */
#ifndef OB_SSS_H
#define OB_SSS_H

#include <stddef.h>

#include "jwe.h"

/* The pins one sss token may list, and how deep sss tokens may nest (depth 0 is the outer one). */
#define SSS_MAX_PINS 16
#define SSS_MAX_DEPTH 3
/* The child processes one token may start across all its nested sss levels (each inner pin is
 * one): 16 ** 4 would be 65536 without it. Two full levels of 16 do not fit; any configuration
 * Clevis users write (a handful of tang servers and a TPM, perhaps one nested group) does. */
#define SSS_MAX_CHILDREN 32
/* How long one sss level waits for its pins, from its start: tang's 5 s (TANG_SECONDS, its own
 * deadline, so a tang pin reports "not reachable" itself instead of being killed) and 3 s for the
 * TPM, which serves the tpm2 pins one after another through the resource manager (an unseal is
 * four commands: well under a second under swtpm, a few hundred ms on a discrete TPM, whose
 * ECC CreatePrimary is the slow one). At the deadline the pins still running are killed. */
#define SSS_SECONDS 8
/* A nested level stops this much before the level above it, so that its "k of n answered"
 * reaches its parent before the parent's own deadline. */
#define SSS_NESTED_MARGIN_MS 250

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

/* The child processes the token's pins would start, nested sss pins counted with their own
 * pins, into *total (it stops counting past SSS_MAX_CHILDREN). The token is at `depth`; an inner
 * sss pin that cannot be read or is nested too deep counts one (its child refuses it). OB_OK,
 * or OB_ERROR (reported, the cap named) when *total exceeds SSS_MAX_CHILDREN. */
int sss_count_children(const sss_token *token, int depth, int *total);

/* Decrypts the inner JWEs side by side, each in a child process (a pin that fails or hangs
 * costs the others nothing, as clevis-decrypt-sss runs them), and combines the first t. The
 * token is refused before any child starts when it would start more than SSS_MAX_CHILDREN. All
 * children of one level share one deadline (SSS_SECONDS after it starts; a nested level ends
 * SSS_NESTED_MARGIN_MS before its parent's): then every child still running is killed (SIGKILL)
 * and reaped, and the shares that came are what count. A child dies with its parent
 * (PR_SET_PDEATHSIG), so none outlives ob-unlock. When fewer than t answer: OB_REFUSED if a TPM
 * refused, else OB_UNREACHABLE if a tang server was not reachable, else OB_ERROR. */
int sss_recover(const char *header, const char *device, int port, int depth, unsigned char cek[32]);

#endif
