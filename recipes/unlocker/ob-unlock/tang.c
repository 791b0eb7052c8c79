#include "tang.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "http.h"
#include "json.h"
#include "util.h"

/* The largest coordinate: P-521's 66 bytes. */
#define COORDINATE_MAX 80

void tang_exchange_free(tang_exchange *x) {
    free(x->kid);
    free(x->url);
    free(x->crv);
    EC_POINT_free(x->C);
    EC_POINT_free(x->S);
    EC_POINT_clear_free(x->Z);
    BN_clear_free(x->e);
    EC_GROUP_free(x->group);
    BN_CTX_free(x->ctx);
    memset(x, 0, sizeof *x);
}

EC_POINT *tang_point_from_jwk(const tang_exchange *x, const char *jwk) {
    char *x64 = json_string(jwk, "x"), *y64 = json_string(jwk, "y");
    unsigned char *xb = NULL, *yb = NULL;
    long xl = x64 ? b64url_decode(x64, &xb) : -1, yl = y64 ? b64url_decode(y64, &yb) : -1;
    BIGNUM *bx = NULL, *by = NULL;
    EC_POINT *p = NULL;
    int len = (EC_GROUP_get_degree(x->group) + 7) / 8;
    /* Coordinates are at most the field's size (RFC 7518 6.2.1.2 says exactly; jose pads). */
    if (xl > 0 && yl > 0 && xl <= len && yl <= len && (bx = BN_bin2bn(xb, (int)xl, NULL)) && (by = BN_bin2bn(yb, (int)yl, NULL))
        && (p = EC_POINT_new(x->group))) {
        /* OpenSSL checks the point is on the curve. */
        if (!EC_POINT_set_affine_coordinates(x->group, p, bx, by, x->ctx)) {
            EC_POINT_free(p);
            p = NULL;
        }
    }
    BN_free(bx);
    BN_free(by);
    free(xb);
    free(yb);
    free(x64);
    free(y64);
    return p;
}

static char *jwk_from_point(const tang_exchange *x, const EC_POINT *p) {
    int len = (EC_GROUP_get_degree(x->group) + 7) / 8;
    BIGNUM *bx = BN_new(), *by = BN_new();
    unsigned char xb[COORDINATE_MAX], yb[COORDINATE_MAX];
    char *out = NULL;
    if (bx && by && len <= COORDINATE_MAX && EC_POINT_get_affine_coordinates(x->group, p, bx, by, x->ctx)
        && BN_bn2binpad(bx, xb, len) == len && BN_bn2binpad(by, yb, len) == len) {
        char *x64 = b64url_encode(xb, (size_t)len), *y64 = b64url_encode(yb, (size_t)len);
        size_t size = strlen(x->crv) + strlen(x64) + strlen(y64) + 100;
        out = ob_malloc(size);
        snprintf(out, size, "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", x->crv, x64, y64);
        free(x64);
        free(y64);
    }
    BN_free(bx);
    BN_free(by);
    return out;
}

/* A key ID tang answers to: its thumbprint, base64url. */
static int valid_kid(const char *kid) {
    size_t n = strlen(kid);
    return n > 0 && n <= 256 && strspn(kid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

int tang_exchange_read(const char *header, tang_exchange *x) {
    memset(x, 0, sizeof *x);
    const char *epk_at = strstr(header, "\"epk\"");
    x->kid = json_string(header, "kid");
    x->url = json_string(header, "url");
    char *epk = epk_at ? json_object_around(epk_at, "\"x\"") : NULL;
    char *srv = json_object_around(header, "\"ECMR\"");
    x->crv = epk ? json_string(epk, "crv") : NULL;
    int status = OB_OK;
    if (!x->kid || !x->url || !epk || !srv || !x->crv) {
        status = ob_error(OB_ERROR, "the tang token lacks kid, url, epk or an ECMR key in its advertisement");
        goto done;
    }
    if (!valid_kid(x->kid)) {
        status = ob_error(OB_ERROR, "the tang token's kid is not a key thumbprint");
        goto done;
    }
    int nid = !strcmp(x->crv, "P-521") ? NID_secp521r1 : !strcmp(x->crv, "P-384") ? NID_secp384r1
            : !strcmp(x->crv, "P-256") ? NID_X9_62_prime256v1 : 0;
    if (!nid) {
        status = ob_error(OB_UNHANDLED, "tang token: unknown curve");
        goto done;
    }
    x->ctx = BN_CTX_new();
    x->group = EC_GROUP_new_by_curve_name(nid);
    if (!x->ctx || !x->group) {
        status = ob_error(OB_ERROR, "EC arithmetic failed");
        goto done;
    }
    x->C = tang_point_from_jwk(x, epk);
    x->S = tang_point_from_jwk(x, srv);
    if (!x->C || !x->S) status = ob_error(OB_ERROR, "the tang token's keys are not points on their curve");
done:
    free(epk);
    free(srv);
    if (status != OB_OK) tang_exchange_free(x);
    return status;
}

int tang_request(tang_exchange *x, char **jwk) {
    *jwk = NULL;
    BIGNUM *order = BN_new();
    EC_POINT *E = EC_POINT_new(x->group), *X = EC_POINT_new(x->group);
    x->e = BN_new();
    x->Z = EC_POINT_new(x->group);
    int status = OB_OK;
    /* X = C + e·G goes to tang; Z = e·S is taken off its answer. */
    if (!x->e || !order || !E || !X || !x->Z || !EC_GROUP_get_order(x->group, order, x->ctx) || !BN_priv_rand_range(x->e, order)
        || !EC_POINT_mul(x->group, E, x->e, NULL, NULL, x->ctx) || !EC_POINT_add(x->group, X, x->C, E, x->ctx)
        || !EC_POINT_mul(x->group, x->Z, NULL, x->S, x->e, x->ctx) || !(*jwk = jwk_from_point(x, X)))
        status = ob_error(OB_ERROR, "EC arithmetic failed");
    BN_free(order);
    EC_POINT_clear_free(E);
    EC_POINT_free(X);
    return status;
}

int tang_answer(const tang_exchange *x, const char *reply, unsigned char cek[32]) {
    EC_POINT *Y = tang_point_from_jwk(x, reply), *minusZ = EC_POINT_dup(x->Z, x->group), *K = EC_POINT_new(x->group);
    BIGNUM *kx = BN_new();
    unsigned char z[COORDINATE_MAX];
    int len = (EC_GROUP_get_degree(x->group) + 7) / 8;
    int status = OB_OK;
    if (!Y || !minusZ || !K || !EC_POINT_invert(x->group, minusZ, x->ctx) || !EC_POINT_add(x->group, K, Y, minusZ, x->ctx)) {
        status = ob_error(OB_ERROR, "tang's answer is not a point on the curve");
        goto done;
    }
    /* Z = K's x coordinate; Concat KDF (RFC 7518 4.6.2) for enc A256GCM, no apu/apv. K is the
     * point at infinity only when tang answered -Z: no coordinates, no key. */
    if (!kx || len > COORDINATE_MAX || EC_POINT_is_at_infinity(x->group, K)
        || !EC_POINT_get_affine_coordinates(x->group, K, kx, NULL, x->ctx) || BN_bn2binpad(kx, z, len) != len) {
        status = ob_error(OB_ERROR, "tang's answer gives no key");
        goto done;
    }
    static const unsigned char other[] = {0, 0, 0, 7, 'A', '2', '5', '6', 'G', 'C', 'M', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    static const unsigned char counter[] = {0, 0, 0, 1};
    unsigned int outlen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) || !EVP_DigestUpdate(md, counter, 4) || !EVP_DigestUpdate(md, z, (size_t)len)
        || !EVP_DigestUpdate(md, other, sizeof other) || !EVP_DigestFinal_ex(md, cek, &outlen) || outlen != 32)
        status = ob_error(OB_ERROR, "Concat KDF failed");
    EVP_MD_CTX_free(md);
done:
    OPENSSL_cleanse(z, sizeof z);
    EC_POINT_free(Y);
    EC_POINT_clear_free(minusZ);
    EC_POINT_clear_free(K);
    BN_clear_free(kx);
    return status;
}

int tang_recover(const char *header, unsigned char cek[32]) {
    tang_exchange x;
    int status = tang_exchange_read(header, &x);
    if (status) return status;
    char *request = NULL;
    status = tang_request(&x, &request);
    if (status == OB_OK) {
        char path[300];
        snprintf(path, sizeof path, "/rec/%s", x.kid);
        const char *reply = NULL;
        status = http_post(x.url, path, request, TANG_SECONDS, &reply);
        if (status == OB_OK) status = tang_answer(&x, reply, cek);
    }
    free(request);
    tang_exchange_free(&x);
    return status;
}
