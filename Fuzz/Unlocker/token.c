/* unlocker-token: a LUKS2 token as `cryptsetup token export` prints it, read as ob-unlock reads
 * standard input: the JWE's parts, its protected header, and the pin's own header (tpm2: the
 * sealed blobs and PCR list; tang: kid, url, the points of epk and the advertisement's ECMR
 * key; sss: t, p and every inner compact JWE, recursively as deep as ob-unlock follows). No
 * TPM, network or child process is touched. Seeds: tokens from `clevis luks bind`. */
#include "b64.h"
#include "fuzz.h"
#include "jwe.h"
#include "sss.h"
#include "tang.h"
#include "tpm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

static void pin(const jwe_parts *parts, int depth);

static void pin_header(const jwe_header *header, int depth) {
    if (!strcmp(header->pin, "tpm2")) {
        tpm2_token token;
        if (tpm2_token_read(header->json, &token) == OB_OK) tpm2_token_free(&token);
    } else if (!strcmp(header->pin, "tang")) {
        tang_exchange exchange;
        if (tang_exchange_read(header->json, &exchange) == OB_OK) tang_exchange_free(&exchange);
    } else if (!strcmp(header->pin, "sss") && depth <= SSS_MAX_DEPTH) {
        sss_token token;
        if (sss_token_read(header->json, &token) == OB_OK) {
            for (int i = 0; i < token.count; i++) pin(&token.pins[i], depth + 1);
            sss_token_free(&token);
        }
    }
}

/* base64url: what decodes encodes back to the same text when it was canonical, and the bytes
 * always survive encode then decode. */
static void round_trip(const char *b64) {
    unsigned char *bytes, *again;
    long n = b64url_decode(b64, &bytes);
    if (n < 0) return;
    char *text = b64url_encode(bytes, (size_t)n);
    long m = b64url_decode(text, &again);
    if (m != n || memcmp(bytes, again, (size_t)n) || strlen(text) != strlen(b64)) abort();
    free(text);
    free(bytes);
    free(again);
}

static void pin(const jwe_parts *parts, int depth) {
    round_trip(parts->protected64);
    jwe_header header;
    if (jwe_header_read(parts->protected64, &header) != OB_OK) return;
    if (jwe_check_lengths(parts) == OB_OK) pin_header(&header, depth);
    jwe_header_free(&header);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 256 * 1024) return -1; /* ob-unlock reads at most 256 KiB */
    char *text = fuzz_text(data, size);
    jwe_parts parts;
    if (jwe_from_luks_token(text, &parts) == OB_OK) {
        pin(&parts, 0);
        jwe_parts_free(&parts);
    }
    free(text);
    return 0;
}
