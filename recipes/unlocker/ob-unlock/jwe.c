#include "jwe.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "json.h"
#include "util.h"

void jwe_parts_free(jwe_parts *parts) {
    free(parts->protected64);
    free(parts->iv64);
    free(parts->ciphertext64);
    free(parts->tag64);
    free(parts->srk);
    memset(parts, 0, sizeof *parts);
}

/* A string member of the token's "ownerboot": {...} (flat, as the enrolment writes it), or NULL. */
static char *ownerboot_member(const char *token, const char *key) {
    char *object = json_member_object(token, "ownerboot");
    if (!object) return NULL;
    char *value = json_string(object, key);
    free(object);
    return value;
}

int jwe_from_token_member(const char *token, const char *jwe, const char *what, jwe_parts *out) {
    memset(out, 0, sizeof *out);
    out->protected64 = json_string(jwe, "protected");
    out->iv64 = json_string(jwe, "iv");
    out->ciphertext64 = json_string(jwe, "ciphertext");
    out->tag64 = json_string(jwe, "tag");
    if (!out->protected64 || !out->iv64 || !out->ciphertext64 || !out->tag64) {
        jwe_parts_free(out);
        return ob_error(OB_ERROR, "the %s token's JWE lacks protected/iv/ciphertext/tag", what);
    }
    out->srk = ownerboot_member(token, "srk");
    return OB_OK;
}

int jwe_from_luks_token(const char *token, jwe_parts *out) {
    memset(out, 0, sizeof *out);
    const char *jwe = strstr(token, "\"jwe\"");
    if (!strstr(token, "\"clevis\"") || !jwe) return ob_error(OB_UNHANDLED, "not a Clevis token");
    return jwe_from_token_member(token, jwe, "Clevis", out);
}

int jwe_from_compact(const char *compact, jwe_parts *out) {
    memset(out, 0, sizeof *out);
    const char *dot[4];
    int dots = 0;
    for (const char *c = compact; *c; c++) {
        if (*c != '.') continue;
        if (dots == 4) return ob_error(OB_ERROR, "an sss token's inner JWE is not a compact JWE of five parts");
        dot[dots++] = c;
    }
    if (dots != 4) return ob_error(OB_ERROR, "an sss token's inner JWE is not a compact JWE of five parts");
    out->protected64 = ob_strndup(compact, (size_t)(dot[0] - compact));
    out->iv64 = ob_strndup(dot[1] + 1, (size_t)(dot[2] - dot[1] - 1));
    out->ciphertext64 = ob_strndup(dot[2] + 1, (size_t)(dot[3] - dot[2] - 1));
    out->tag64 = ob_strndup(dot[3] + 1, strlen(dot[3] + 1));
    return OB_OK;
}

void jwe_header_free(jwe_header *header) {
    free(header->json);
    free(header->pin);
    free(header->enc);
    free(header->alg);
    memset(header, 0, sizeof *header);
}

int jwe_header_read(const char *protected64, jwe_header *out) {
    memset(out, 0, sizeof *out);
    unsigned char *bytes;
    long len = b64url_decode(protected64, &bytes);
    if (len <= 0) {
        free(bytes);
        return ob_error(OB_ERROR, "the JWE's protected header is not base64url");
    }
    out->json = ob_strndup((const char *)bytes, (size_t)len);
    free(bytes);
    out->pin = json_string(out->json, "pin");
    out->enc = json_string(out->json, "enc");
    out->alg = json_string(out->json, "alg");
    if (!out->pin) {
        jwe_header_free(out);
        return ob_error(OB_ERROR, "the JWE names no Clevis pin");
    }
    if (!out->enc || strcmp(out->enc, "A256GCM")) {
        jwe_header_free(out);
        return ob_error(OB_UNHANDLED, "only enc A256GCM is handled");
    }
    return OB_OK;
}

int jwe_check_lengths(const jwe_parts *parts) {
    unsigned char *iv, *tag, *ct;
    long ivlen = b64url_decode(parts->iv64, &iv), taglen = b64url_decode(parts->tag64, &tag);
    long ctlen = b64url_decode(parts->ciphertext64, &ct);
    free(iv);
    free(tag);
    free(ct);
    if (ivlen != 12 || ctlen < 0 || taglen != 16) return ob_error(OB_ERROR, "the JWE's iv, ciphertext or tag has the wrong length");
    return OB_OK;
}

int jwe_decrypt_with(const jwe_parts *parts, const unsigned char *cek, size_t keylen, unsigned char **plain, size_t *plainlen) {
    *plain = NULL;
    *plainlen = 0;
    if (keylen != 32) return ob_error(OB_ERROR, "the JWE's key has the wrong length");
    unsigned char *iv, *ct, *tag;
    long ivlen = b64url_decode(parts->iv64, &iv), ctlen = b64url_decode(parts->ciphertext64, &ct);
    long taglen = b64url_decode(parts->tag64, &tag);
    size_t aadlen = strlen(parts->protected64);
    int status = OB_OK;
    if (ivlen != 12 || ctlen < 0 || taglen != 16 || aadlen > OB_MAX_FIELD) {
        status = ob_error(OB_ERROR, "the JWE's iv, ciphertext or tag has the wrong length");
        goto done;
    }
    unsigned char *out = ob_malloc((size_t)ctlen + 1);
    int outl = 0, finl = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx
        || !EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL)
        || !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL)
        || !EVP_DecryptInit_ex(ctx, NULL, NULL, cek, iv)
        || !EVP_DecryptUpdate(ctx, NULL, &outl, (const unsigned char *)parts->protected64, (int)aadlen)
        || !EVP_DecryptUpdate(ctx, out, &outl, ct, (int)ctlen)
        || !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag)
        || EVP_DecryptFinal_ex(ctx, out + outl, &finl) <= 0) {
        ob_free_secret(out, (size_t)ctlen + 1);
        status = ob_error(OB_ERROR, "the JWE does not decrypt with the recovered key (damaged token?)");
    } else {
        *plain = out;
        *plainlen = (size_t)outl + (size_t)finl;
    }
    EVP_CIPHER_CTX_free(ctx);
done:
    free(iv);
    ob_free_secret(ct, ctlen > 0 ? (size_t)ctlen : 0);
    free(tag);
    return status;
}
