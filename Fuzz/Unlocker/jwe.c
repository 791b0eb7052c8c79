/* unlocker-jwe: a compact JWE (protected.encrypted_key.iv.ciphertext.tag, the form of an sss
 * token's inner pins): split, header read, and AES-256-GCM decryption with the key 00 01 .. 1f
 * (the seed jose made with that key decrypts; the others fail their tag). Seeds: `clevis
 * encrypt` tpm2, tang and sss, `jose jwe enc`. */
#include "fuzz.h"
#include "jwe.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 256 * 1024) return -1;
    static unsigned char key[32];
    for (int i = 0; i < 32; i++) key[i] = (unsigned char)i;
    char *text = fuzz_text(data, size);
    jwe_parts parts;
    if (jwe_from_compact(text, &parts) == OB_OK) {
        /* The parts are the text's own fields: the four kept ones, the encrypted key and four dots. */
        size_t kept = strlen(parts.protected64) + strlen(parts.iv64) + strlen(parts.ciphertext64) + strlen(parts.tag64);
        if (kept + 4 > strlen(text) || strncmp(text, parts.protected64, strlen(parts.protected64))) abort();
        jwe_header header;
        if (jwe_header_read(parts.protected64, &header) == OB_OK) jwe_header_free(&header);
        unsigned char *plain = NULL;
        size_t plainlen = 0;
        if (jwe_decrypt_with(&parts, key, sizeof key, &plain, &plainlen) == OB_OK) ob_free_secret(plain, plainlen);
        jwe_parts_free(&parts);
    }
    free(text);
    return 0;
}
