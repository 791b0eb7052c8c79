#include "session.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <string.h>
#include <sys/random.h>

#include "util.h"

/* A KDF's fixed input: [counter]32 || label NUL || u || v (|| [bits]32), at most this long. */
#define KDF_INPUT 256
#define KDF_PARTY 64
#define KDF_LABEL 16

static void be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

int session_name(const unsigned char *public, size_t len, unsigned char name[SESSION_NAME]) {
    unsigned int outlen = 0;
    name[0] = 0x00;
    name[1] = 0x0B;
    if (!EVP_Digest(public, len, name + 2, &outlen, EVP_sha256(), NULL) || outlen != SESSION_DIGEST)
        return ob_error(OB_ERROR, "SHA-256 failed");
    return OB_OK;
}

/* The shared part of KDFa and KDFe: in = [counter] || label NUL || u || v (|| [bits]), the
 * counter rewritten for each block of 32 bytes; hmac_key NULL: SHA-256 of [counter] || z || rest. */
static int kdf(int hmac, const unsigned char *key, size_t keylen, const char *label, const unsigned char *u, size_t ulen,
               const unsigned char *v, size_t vlen, unsigned char *out, size_t outlen) {
    size_t labellen = strlen(label) + 1;
    if (labellen > KDF_LABEL || ulen > KDF_PARTY || vlen > KDF_PARTY || outlen > 1024 || keylen > KDF_INPUT)
        return ob_error(OB_ERROR, "KDF input too long");
    unsigned char in[4 + KDF_INPUT + KDF_LABEL + 2 * KDF_PARTY + 4];
    size_t n = 4;
    if (!hmac) {
        memcpy(in + n, key, keylen);
        n += keylen;
    }
    memcpy(in + n, label, labellen);
    n += labellen;
    if (ulen) memcpy(in + n, u, ulen);
    n += ulen;
    if (vlen) memcpy(in + n, v, vlen);
    n += vlen;
    if (hmac) {
        be32(in + n, (uint32_t)(outlen * 8));
        n += 4;
    }
    int status = OB_OK;
    for (uint32_t counter = 1, done = 0; done < outlen; counter++) {
        unsigned char block[SESSION_DIGEST];
        unsigned int blocklen = 0;
        be32(in, counter);
        int ok = hmac ? HMAC(EVP_sha256(), key, (int)keylen, in, n, block, &blocklen) != NULL
                      : EVP_Digest(in, n, block, &blocklen, EVP_sha256(), NULL);
        if (!ok || blocklen != SESSION_DIGEST) {
            status = ob_error(OB_ERROR, "KDF failed");
            break;
        }
        size_t take = outlen - done < SESSION_DIGEST ? outlen - done : SESSION_DIGEST;
        memcpy(out + done, block, take);
        done += (uint32_t)take;
        OPENSSL_cleanse(block, sizeof block);
    }
    OPENSSL_cleanse(in, sizeof in);
    return status;
}

int session_kdfa(const unsigned char *key, size_t keylen, const char *label, const unsigned char *u, size_t ulen,
                 const unsigned char *v, size_t vlen, unsigned char *out, size_t outlen) {
    return kdf(1, key, keylen, label, u, ulen, v, vlen, out, outlen);
}

int session_kdfe(const unsigned char *z, size_t zlen, const char *label, const unsigned char *u, size_t ulen,
                 const unsigned char *v, size_t vlen, unsigned char *out, size_t outlen) {
    return kdf(0, z, zlen, label, u, ulen, v, vlen, out, outlen);
}

int session_salt(const unsigned char *qx, size_t qxlen, const unsigned char *qy, size_t qylen,
                 unsigned char encrypted_salt[4 + 2 * SESSION_POINT], unsigned char salt[SESSION_DIGEST]) {
    if (qxlen < 1 || qylen < 1 || qxlen > SESSION_POINT || qylen > SESSION_POINT)
        return ob_error(OB_ERROR, "the TPM's storage key is not a P-256 point");
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *x = BN_bin2bn(qx, (int)qxlen, NULL), *y = BN_bin2bn(qy, (int)qylen, NULL);
    BIGNUM *d = BN_new(), *order = BN_new(), *ex = BN_new(), *ey = BN_new(), *zx = BN_new();
    EC_POINT *qs = group ? EC_POINT_new(group) : NULL, *qe = group ? EC_POINT_new(group) : NULL;
    EC_POINT *shared = group ? EC_POINT_new(group) : NULL;
    unsigned char z[SESSION_POINT], ux[SESSION_POINT], uy[SESSION_POINT];
    int status = OB_OK;
    if (!group || !ctx || !x || !y || !d || !order || !ex || !ey || !zx || !qs || !qe || !shared) {
        status = ob_error(OB_ERROR, "EC arithmetic failed");
        goto done;
    }
    /* OpenSSL checks the point is on the curve. */
    if (!EC_POINT_set_affine_coordinates(group, qs, x, y, ctx)) {
        status = ob_error(OB_ERROR, "the TPM's storage key is not a point on P-256");
        goto done;
    }
    /* d in [1, n-1]: Qe = d·G goes to the TPM, Z = (d·Qs).x stays here (and in the TPM). */
    do {
        if (!EC_GROUP_get_order(group, order, ctx) || !BN_priv_rand_range(d, order)) {
            status = ob_error(OB_ERROR, "no random numbers");
            goto done;
        }
    } while (BN_is_zero(d));
    if (!EC_POINT_mul(group, qe, d, NULL, NULL, ctx) || !EC_POINT_mul(group, shared, NULL, qs, d, ctx)
        || EC_POINT_is_at_infinity(group, shared) || !EC_POINT_get_affine_coordinates(group, qe, ex, ey, ctx)
        || !EC_POINT_get_affine_coordinates(group, shared, zx, NULL, ctx) || BN_bn2binpad(ex, ux, SESSION_POINT) != SESSION_POINT
        || BN_bn2binpad(ey, uy, SESSION_POINT) != SESSION_POINT || BN_bn2binpad(zx, z, SESSION_POINT) != SESSION_POINT) {
        status = ob_error(OB_ERROR, "EC arithmetic failed");
        goto done;
    }
    /* salt = KDFe(Z, "SECRET", Qe.x, Qs.x): Qs.x as the TPM holds it (its public area's bytes). */
    status = session_kdfe(z, sizeof z, "SECRET", ux, sizeof ux, qx, qxlen, salt, SESSION_DIGEST);
    encrypted_salt[0] = 0;
    encrypted_salt[1] = SESSION_POINT;
    memcpy(encrypted_salt + 2, ux, SESSION_POINT);
    encrypted_salt[2 + SESSION_POINT] = 0;
    encrypted_salt[3 + SESSION_POINT] = SESSION_POINT;
    memcpy(encrypted_salt + 4 + SESSION_POINT, uy, SESSION_POINT);
done:
    OPENSSL_cleanse(z, sizeof z);
    EC_POINT_free(qs);
    EC_POINT_free(qe);
    EC_POINT_clear_free(shared);
    BN_free(x);
    BN_free(y);
    BN_clear_free(d);
    BN_free(order);
    BN_free(ex);
    BN_free(ey);
    BN_clear_free(zx);
    BN_CTX_free(ctx);
    EC_GROUP_free(group);
    return status;
}

int session_start(tpm_session *s, const unsigned char salt[SESSION_DIGEST], const unsigned char *nonce_tpm, size_t nonce_tpm_len) {
    if (nonce_tpm_len < 16 || nonce_tpm_len > SESSION_DIGEST) return ob_error(OB_ERROR, "the TPM's session nonce has the wrong size");
    memcpy(s->nonce_tpm, nonce_tpm, nonce_tpm_len);
    s->nonce_tpm_len = nonce_tpm_len;
    /* The key is bind's authValue || salt; bind is TPM_RH_NULL, so the salt alone. */
    return session_kdfa(salt, SESSION_DIGEST, "ATH", s->nonce_tpm, s->nonce_tpm_len, s->nonce_caller, SESSION_DIGEST,
                        s->key, SESSION_DIGEST);
}

/* HMAC-SHA-256 under the sessionKey (the object's authValue is empty, as Clevis leaves it, and
 * a policy session without PolicyAuthValue does not add it) of pHash || newer || older || attributes. */
static int session_hmac(const tpm_session *s, const unsigned char phash[SESSION_DIGEST], const unsigned char *newer, size_t newerlen,
                        const unsigned char *older, size_t olderlen, uint8_t attributes, unsigned char hmac[SESSION_DIGEST]) {
    unsigned char in[3 * SESSION_DIGEST + 1];
    if (newerlen > SESSION_DIGEST || olderlen > SESSION_DIGEST) return ob_error(OB_ERROR, "session nonce too long");
    size_t n = 0;
    memcpy(in, phash, SESSION_DIGEST);
    n += SESSION_DIGEST;
    memcpy(in + n, newer, newerlen);
    n += newerlen;
    memcpy(in + n, older, olderlen);
    n += olderlen;
    in[n++] = attributes;
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), s->key, SESSION_DIGEST, in, n, hmac, &len) || len != SESSION_DIGEST)
        return ob_error(OB_ERROR, "HMAC failed");
    return OB_OK;
}

int session_command_hmac(tpm_session *s, uint32_t cc, const unsigned char name[SESSION_NAME], uint8_t attributes,
                         unsigned char hmac[SESSION_DIGEST]) {
    if (getrandom(s->nonce_caller, SESSION_DIGEST, 0) != SESSION_DIGEST) return ob_error(OB_ERROR, "no random numbers");
    unsigned char in[4 + SESSION_NAME], cphash[SESSION_DIGEST];
    unsigned int len = 0;
    be32(in, cc);
    memcpy(in + 4, name, SESSION_NAME);
    if (!EVP_Digest(in, sizeof in, cphash, &len, EVP_sha256(), NULL) || len != SESSION_DIGEST) return ob_error(OB_ERROR, "SHA-256 failed");
    return session_hmac(s, cphash, s->nonce_caller, SESSION_DIGEST, s->nonce_tpm, s->nonce_tpm_len, attributes, hmac);
}

int session_response_check(tpm_session *s, uint32_t cc, const unsigned char *parameters, size_t paramlen,
                           const unsigned char *nonce_tpm, size_t nonce_tpm_len, uint8_t attributes,
                           const unsigned char *hmac, size_t hmaclen) {
    if (hmaclen != SESSION_DIGEST || nonce_tpm_len < 16 || nonce_tpm_len > SESSION_DIGEST)
        return ob_error(OB_ERROR, "the TPM's response session is malformed");
    unsigned char head[8], rphash[SESSION_DIGEST], expected[SESSION_DIGEST];
    unsigned int len = 0;
    be32(head, 0); /* TPM_RC_SUCCESS */
    be32(head + 4, cc);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) && EVP_DigestUpdate(md, head, sizeof head)
             && EVP_DigestUpdate(md, parameters, paramlen) && EVP_DigestFinal_ex(md, rphash, &len) && len == SESSION_DIGEST;
    EVP_MD_CTX_free(md);
    if (!ok) return ob_error(OB_ERROR, "SHA-256 failed");
    if (session_hmac(s, rphash, nonce_tpm, nonce_tpm_len, s->nonce_caller, SESSION_DIGEST, attributes, expected)) return OB_ERROR;
    if (CRYPTO_memcmp(expected, hmac, SESSION_DIGEST))
        return ob_error(OB_ERROR, "the TPM's response fails its session HMAC: something between the TPM and this program changed it");
    memcpy(s->nonce_tpm, nonce_tpm, nonce_tpm_len);
    s->nonce_tpm_len = nonce_tpm_len;
    return OB_OK;
}

int session_decrypt_response(const tpm_session *s, unsigned char *data, size_t len) {
    if (len == 0) return OB_OK;
    if (len > 0x7fffffff) return ob_error(OB_ERROR, "response parameter too long");
    /* Response: nonceNewer is nonceTPM, nonceOlder nonceCaller; 128 key bits, then the IV. */
    unsigned char keyiv[32];
    if (session_kdfa(s->key, SESSION_DIGEST, "CFB", s->nonce_tpm, s->nonce_tpm_len, s->nonce_caller, SESSION_DIGEST, keyiv, sizeof keyiv))
        return OB_ERROR;
    int outl = 0, finl = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_128_cfb128(), NULL, keyiv, keyiv + 16)
             && EVP_DecryptUpdate(ctx, data, &outl, data, (int)len) && EVP_DecryptFinal_ex(ctx, data + outl, &finl)
             && (size_t)outl + (size_t)finl == len;
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(keyiv, sizeof keyiv);
    return ok ? OB_OK : ob_error(OB_ERROR, "AES-CFB failed");
}

void session_clear(tpm_session *s) {
    OPENSSL_cleanse(s, sizeof *s);
}
