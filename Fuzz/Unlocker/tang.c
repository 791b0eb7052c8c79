/* unlocker-tang: a reply from a tang server, as http_post hands it on (the bytes read, NUL
 * after them): the status line and body, then the body as tang's answer Y to the exchange on
 * P-256, P-384 and P-521 (Y's point, K = Y - Z, the Concat KDF); whether the bytes read so far
 * are the whole reply (its Content-Length: http_post stops reading there), which must hold for
 * every longer read too; and the same text as a tang URL. Seeds: replies tangd sent to `clevis luks bind` and to ob-unlock, and its errors. */
/* memmem */
#define _GNU_SOURCE
#include <openssl/bn.h>
#include <openssl/obj_mac.h>

#include "fuzz.h"
#include "http.h"
#include "tang.h"

static tang_exchange exchanges[3];

/* C = 2·G, S = 3·G, e = 5, Z = e·S: any fixed exchange; the answer's parsing is under test. */
static void setup(tang_exchange *x, int nid, const char *crv) {
    memset(x, 0, sizeof *x);
    x->crv = strdup(crv);
    x->ctx = BN_CTX_new();
    x->group = EC_GROUP_new_by_curve_name(nid);
    BIGNUM *c = BN_new(), *s = BN_new();
    x->e = BN_new();
    x->C = EC_POINT_new(x->group);
    x->S = EC_POINT_new(x->group);
    x->Z = EC_POINT_new(x->group);
    if (!x->crv || !x->ctx || !x->group || !c || !s || !x->e || !x->C || !x->S || !x->Z || !BN_set_word(c, 2) || !BN_set_word(s, 3)
        || !BN_set_word(x->e, 5) || !EC_POINT_mul(x->group, x->C, c, NULL, NULL, x->ctx) || !EC_POINT_mul(x->group, x->S, s, NULL, NULL, x->ctx)
        || !EC_POINT_mul(x->group, x->Z, NULL, x->S, x->e, x->ctx))
        abort();
    BN_free(c);
    BN_free(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_quiet();
    setup(&exchanges[0], NID_X9_62_prime256v1, "P-256");
    setup(&exchanges[1], NID_secp384r1, "P-384");
    setup(&exchanges[2], NID_secp521r1, "P-521");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65535) return -1; /* http_post reads at most 64 KiB - 1 */
    char *text = fuzz_text(data, size);
    const char *body = http_reply_body(text, size);
    if (body && (body < text + 4 || body > text + size)) abort();
    if (body) {
        unsigned char cek[32];
        for (int i = 0; i < 3; i++) (void)tang_answer(&exchanges[i], body, cek);
    }
    /* Complete means the header ended; and what is complete stays complete as more bytes come. */
    if (http_reply_complete(text, size) && !memmem(text, size, "\r\n\r\n", 4)) abort();
    if (http_reply_complete(text, size / 2) && !http_reply_complete(text, size)) abort();
    http_url url;
    /* A URL it takes has a host of its own characters and a port ob-unlock can connect to. */
    if (http_url_parse(text, &url) == OB_OK
        && (!url.host[0] || url.port < 1 || url.port > 65535 || strcspn(url.host, ":/ \r\n") != strlen(url.host) || strcspn(url.base, " \r\n") != strlen(url.base)))
        abort();
    free(text);
    return 0;
}
