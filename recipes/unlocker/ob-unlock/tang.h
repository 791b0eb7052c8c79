/* Clevis's tang pin: ECDH-ES with the McCallum-Relyea exchange (as clevis-decrypt-tang does).
 * The token holds the client's ephemeral key C (epk) and the server's advertisement (its ECMR
 * key S); the unlocker sends X = C + e·G to tang's /rec/KID, tang answers Y = s·X, and
 * K = Y - e·S = s·C gives the content key through the Concat KDF. */
#ifndef OB_TANG_H
#define OB_TANG_H

#include <openssl/ec.h>

typedef struct {
    char *kid, *url, *crv;
    EC_GROUP *group;
    BN_CTX *ctx;
    EC_POINT *C, *S; /* from the token */
    BIGNUM *e;       /* this exchange's secret */
    EC_POINT *Z;     /* e·S */
} tang_exchange;

/* Reads the tang pin's protected header: OB_OK, OB_ERROR (damaged), OB_UNHANDLED (curve). */
int tang_exchange_read(const char *header, tang_exchange *x);
void tang_exchange_free(tang_exchange *x);

/* A point of the exchange's curve from a JWK's x and y (NULL when it is not on the curve). */
EC_POINT *tang_point_from_jwk(const tang_exchange *x, const char *jwk);

/* Picks e and returns the request body, X as a JWK (free it): OB_OK or OB_ERROR. */
int tang_request(tang_exchange *x, char **jwk);

/* From tang's reply (a JWK of Y), the 32-byte content key: OB_OK or OB_ERROR. */
int tang_answer(const tang_exchange *x, const char *reply, unsigned char cek[32]);

/* The time the tang exchange may take, all of it (resolve, connect, send, every read): a server
 * that has not answered by then is not reachable, and the passphrase prompt follows. */
#define TANG_SECONDS 5

/* The whole exchange with the token's server, TANG_SECONDS at most: OB_OK, OB_UNREACHABLE,
 * OB_UNHANDLED, OB_ERROR. */
int tang_recover(const char *header, unsigned char cek[32]);

#endif
