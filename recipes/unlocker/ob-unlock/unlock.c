#include "unlock.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "json.h"
#include "sss.h"
#include "tang.h"
#include "tpm.h"
#include "util.h"

/* The outer token's pinned storage key, for every tpm2 pin inside it (an sss token's pins run
 * in children forked after it is set). */
static const char *token_srk;

int ob_tpm2_key(const char *header, const char *srk, int fd, unsigned char **cek, long *keylen) {
    *cek = NULL;
    *keylen = 0;
    unsigned char name[34];
    if (srk && tpm2_name_from_hex(srk, name)) return OB_ERROR;
    tpm2_token token;
    int status = tpm2_token_read(header, &token);
    if (status) return status;
    static char jwk[2048];
    status = tpm2_unseal(fd, &token, srk ? name : NULL, jwk, sizeof jwk);
    tpm2_token_free(&token);
    if (status) return status;
    char *k64 = json_string(jwk, "k");
    OPENSSL_cleanse(jwk, sizeof jwk);
    if (!k64) return ob_error(OB_ERROR, "the unsealed JWK has no key");
    *keylen = b64url_decode(k64, cek);
    ob_free_secret(k64, strlen(k64));
    if (*keylen != 32) {
        ob_free_secret(*cek, *keylen > 0 ? (size_t)*keylen : 0);
        *cek = NULL;
        *keylen = 0;
        return ob_error(OB_ERROR, "the unsealed JWK's key is not 32 bytes");
    }
    return OB_OK;
}

/* The tpm2 pin on the device or the simulator's port. */
static int tpm2_key(const char *header, const char *device, int port, unsigned char **cek, long *keylen) {
    int fd;
    int status = tpm_open(device, port, &fd);
    if (status) return status;
    status = ob_tpm2_key(header, token_srk, fd, cek, keylen);
    close(fd);
    return status;
}

int ob_print_srk(const char *device, int port) {
    int fd;
    int status = tpm_open(device, port, &fd);
    if (status) return status;
    unsigned char name[34];
    status = tpm2_primary_name(fd, name);
    close(fd);
    if (status) return status;
    for (size_t i = 0; i < sizeof name; i++) printf("%02x", name[i]);
    putchar('\n');
    return fflush(stdout) ? ob_error(OB_ERROR, "cannot write the name") : OB_OK;
}

int ob_jwe_decrypt(const jwe_parts *jwe, const char *device, int port, int depth, unsigned char **plain, size_t *plainlen) {
    *plain = NULL;
    *plainlen = 0;
    if (depth == 0) token_srk = jwe->srk;
    jwe_header header;
    int status = jwe_header_read(jwe->protected64, &header);
    if (status) return status;
    /* The pin and its alg first (a pin this unlocker does not handle is exit 2, whatever else
     * the JWE holds), then the iv and tag, before any pin asks a TPM or a server. */
    enum { TPM2, TANG, SSS } pin;
    if (!strcmp(header.pin, "tpm2")) {
        pin = TPM2;
        if (!header.alg || strcmp(header.alg, "dir")) status = ob_error(OB_UNHANDLED, "tpm2 token: only alg dir is handled");
    } else if (!strcmp(header.pin, "tang")) {
        pin = TANG;
        if (!header.alg || strcmp(header.alg, "ECDH-ES")) status = ob_error(OB_UNHANDLED, "tang token: only alg ECDH-ES is handled");
    } else if (!strcmp(header.pin, "sss")) {
        pin = SSS;
        if (!header.alg || strcmp(header.alg, "dir")) status = ob_error(OB_UNHANDLED, "sss token: only alg dir is handled");
    } else {
        status = ob_error(OB_UNHANDLED, "pin %.64s is not handled here", header.pin);
        jwe_header_free(&header);
        return status;
    }
    if (status == OB_OK) status = jwe_check_lengths(jwe);
    unsigned char *cek = NULL;
    long keylen = 0;
    if (status) {
        /* reported */
    } else if (pin == TPM2) {
        status = tpm2_key(header.json, device, port, &cek, &keylen);
    } else {
        cek = ob_malloc(32);
        keylen = 32;
        status = pin == TANG ? tang_recover(header.json, cek) : sss_recover(header.json, device, port, depth, cek);
    }
    if (status == OB_OK) status = jwe_decrypt_with(jwe, cek, keylen > 0 ? (size_t)keylen : 0, plain, plainlen);
    ob_free_secret(cek, keylen > 0 ? (size_t)keylen : 0);
    jwe_header_free(&header);
    return status;
}
