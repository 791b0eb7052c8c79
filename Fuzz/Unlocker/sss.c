/* unlocker-sss: an input that starts with 's' is shares to combine: a count byte (mod 17), the
 * 32-byte prime p, then count shares of 64 bytes (x ‖ y), as the children of sss_recover hand
 * them over. One that starts with 'p' is a property: a count byte t (mod 16, plus 1), then t
 * coefficients and t x values of 32 bytes; the harness evaluates that polynomial over the prime
 * of a real Clevis token at the (distinct, nonzero) x values and sss_combine must give back its
 * value at 0. Anything else is an sss pin's protected header (t, p, the inner JWEs), and the
 * children its pins would start, nested sss counted (never more than SSS_MAX_CHILDREN + 1). Seeds: the
 * headers of two `clevis luks bind sss` tokens and the shares `clevis decrypt` recovers from one. */
#include <openssl/bn.h>

#include "fuzz.h"
#include "sss.h"

/* The prime of the seed token (Fuzz/Corpus/unlocker-sss/seed-shares-2): public, Clevis draws one per token. */
static const unsigned char clevis_prime[32] = {
    0xf5, 0x29, 0x7c, 0x08, 0x7f, 0xc9, 0x0b, 0x2c, 0x7d, 0x53, 0xbc, 0x30, 0x82, 0xd3, 0x45, 0xd8,
    0x0b, 0xae, 0x4d, 0x15, 0x2d, 0xa3, 0x1e, 0x1c, 0x5c, 0x36, 0x5a, 0x2d, 0x82, 0x35, 0x13, 0x0f,
};

/* Shares of a polynomial the input chooses must combine to its constant term. */
static void property(const uint8_t *data, size_t size) {
    int t = data[1] % SSS_MAX_PINS + 1;
    if (size < 2 + (size_t)t * 64) return;
    const uint8_t *coefficients = data + 2, *xs = data + 2 + t * 32;
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *p = BN_bin2bn(clevis_prime, 32, NULL), *x[SSS_MAX_PINS], *a = BN_new(), *y = BN_new(), *power = BN_new(), *term = BN_new();
    if (!ctx || !p || !a || !y || !power || !term) abort();
    unsigned char shares[SSS_MAX_PINS][64];
    const unsigned char *points[SSS_MAX_PINS];
    int usable = 1;
    for (int i = 0; i < t; i++) {
        x[i] = BN_bin2bn(xs + i * 32, 32, NULL);
        if (!x[i] || !BN_nnmod(x[i], x[i], p, ctx)) abort();
        if (BN_is_zero(x[i])) usable = 0;
        for (int j = 0; j < i; j++) if (!BN_cmp(x[i], x[j])) usable = 0;
    }
    for (int i = 0; usable && i < t; i++) {
        BN_zero(y);
        BN_one(power);
        for (int k = 0; k < t; k++) {
            if (!BN_bin2bn(coefficients + k * 32, 32, a) || !BN_nnmod(a, a, p, ctx) || !BN_mod_mul(term, a, power, p, ctx)
                || !BN_mod_add(y, y, term, p, ctx) || !BN_mod_mul(power, power, x[i], p, ctx))
                abort();
        }
        if (BN_bn2binpad(x[i], shares[i], 32) != 32 || BN_bn2binpad(y, shares[i] + 32, 32) != 32) abort();
        points[i] = shares[i];
    }
    if (usable) {
        unsigned char cek[32], expected[32];
        if (!BN_bin2bn(coefficients, 32, a) || !BN_nnmod(a, a, p, ctx) || BN_bn2binpad(a, expected, 32) != 32) abort();
        if (sss_combine(clevis_prime, 32, points, t, cek) != OB_OK || memcmp(cek, expected, 32)) abort();
    }
    for (int i = 0; i < t; i++) BN_free(x[i]);
    BN_free(p);
    BN_free(a);
    BN_free(y);
    BN_free(power);
    BN_free(term);
    BN_CTX_free(ctx);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 256 * 1024) return -1;
    if (size >= 2 && data[0] == 'p') {
        property(data, size);
        return 0;
    }
    if (size >= 2 && data[0] == 's') {
        int count = data[1] % (SSS_MAX_PINS + 1);
        if (size < 2 + 32 + (size_t)count * 64) return 0;
        const unsigned char *shares[SSS_MAX_PINS];
        for (int i = 0; i < count; i++) shares[i] = data + 2 + 32 + i * 64;
        unsigned char cek[32];
        (void)sss_combine(data + 2, 32, shares, count, cek);
        return 0;
    }
    char *text = fuzz_text(data, size);
    sss_token token;
    if (sss_token_read(text, &token) == OB_OK) {
        int total = 0;
        int status = sss_count_children(&token, 0, &total);
        if (total < token.count || total > SSS_MAX_CHILDREN + 1 || (status == OB_OK) != (total <= SSS_MAX_CHILDREN)) abort();
        sss_token_free(&token);
    }
    free(text);
    return 0;
}
