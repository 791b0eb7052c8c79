/* unlocker-sss: an input that starts with 's' is shares to combine: a count byte (mod 17), the
 * 32-byte prime p, then count shares of 64 bytes (x ‖ y), as the children of sss_recover hand
 * them over; anything else is an sss pin's protected header (t, p, the inner JWEs). Seeds: the
 * headers of two `clevis luks bind sss` tokens and the shares `clevis decrypt` recovers from one. */
#include "fuzz.h"
#include "sss.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 256 * 1024) return -1;
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
    if (sss_token_read(text, &token) == OB_OK) sss_token_free(&token);
    free(text);
    return 0;
}
