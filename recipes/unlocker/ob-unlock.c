/*
 * ob-unlock: the unattended half of ownerboot's unlocker. It reads one Clevis LUKS2 token
 * (the JSON `cryptsetup token export` prints) on standard input and, when it can recover the
 * key without a person, writes the LUKS passphrase to standard output (a pipe into
 * `cryptsetup open --key-file=-`; it never reaches the console).
 *
 * Pins: tpm2 (Clevis 19's format: an ECC primary in the owner hierarchy, the sealed JWK
 * loaded under it and unsealed through a PCR policy session; pcr_bank sha256 or sha1), and
 * tang (ECDH-ES with the McCallum-Relyea exchange: one HTTP POST to the server's /rec/KID,
 * three seconds at most to reach it), and sss (Clevis's threshold pin: Shamir's secret sharing
 * over the token's prime field; each inner pin runs in a child process, side by side, and the
 * key is recovered as soon as t of them answered).
 * The TPM is spoken to directly (TPM2 command bytes on /dev/tpmrm0), and the JWE
 * (alg "dir", enc "A256GCM") is decrypted with OpenSSL's libcrypto, which cryptsetup already
 * brings into the initramfs: no bash, jose or tpm2-tools, a few KiB instead of ~11 MB.
 *
 * Exit status: 0 key written; 2 pin not handled here; 3 the TPM refused (its PCRs differ
 * from those the key was sealed to); 4 tang not reachable; 5 (-o) the key did not open the
 * disk; 1 anything else. An sss token that fewer than t pins answered exits 3 when a TPM
 * refused, else 4 when a tang server was not reachable, else 1. Messages go to standard error and
 * never contain key material.
 *
 * Usage: ob-unlock [-d DEVICE | -t PORT] [-o LUKSDEVICE NAME]   (-t: a TPM simulator's raw
 * command port on 127.0.0.1, for host tests; -o: open LUKSDEVICE as /dev/mapper/NAME with the
 * key instead of printing it)
 *        ob-unlock [-t PORT] [-V 1|2] -x PCR FILE   (before a kexec hand-over: extend PCR with
 * FILE's digest on /dev/tpm0, TPM 2.0 or 1.2 (-V, else sysfs); prints FILE's SHA-256)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOKEN_LIMIT (256 * 1024)
#define MAX_FIELD (64 * 1024)
#define TPM_BUF 4096

static void fail(int status, const char *message) {
    fprintf(stderr, "ob-unlock: %s\n", message);
    exit(status);
}

/* ---- a bounded JSON string lookup: the value of the first "key": "string" ---- */

/* Finds "key" followed by ':' and a string; copies the string (no escapes allowed: every
 * field Clevis writes here is base64url, a name or a number list). NULL when absent. */
static char *json_string(const char *json, const char *key) {
    size_t klen = strlen(key);
    const char *p = json;
    while ((p = strchr(p, '"')) != NULL) {
        if (strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '"') {
            const char *q = p + 2 + klen;
            while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
            if (*q == ':') {
                q++;
                while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
                if (*q != '"') return NULL;
                const char *start = ++q;
                while (*q && *q != '"' && *q != '\\' && q - start < MAX_FIELD) q++;
                if (*q != '"') return NULL;
                char *out = malloc((size_t)(q - start) + 1);
                if (!out) fail(1, "out of memory");
                memcpy(out, start, (size_t)(q - start));
                out[q - start] = 0;
                return out;
            }
        }
        p++;
    }
    return NULL;
}

/* base64url (no padding) to bytes; returns the length or -1. */
static long b64url_decode(const char *in, unsigned char **out) {
    size_t n = strlen(in);
    if (n > MAX_FIELD) return -1;
    char *std = malloc(n + 4);
    if (!std) fail(1, "out of memory");
    size_t i;
    for (i = 0; i < n; i++) {
        char c = in[i];
        std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    while (i % 4) std[i++] = '=';
    std[i] = 0;
    *out = malloc(i / 4 * 3 + 1);
    if (!*out) fail(1, "out of memory");
    int len = EVP_DecodeBlock(*out, (unsigned char *)std, (int)i);
    if (len < 0) { free(std); return -1; }
    /* EVP_DecodeBlock counts the padding as zero bytes: take them off again. */
    size_t pad = i - n;
    free(std);
    return len - (long)pad;
}

/* ---- TPM 2.0 commands, marshalled by hand (TPM 2.0 Part 3) ---- */

static int tpm_fd = -1;

typedef struct { unsigned char b[TPM_BUF]; size_t n; } buf_t;

static void put8(buf_t *b, uint8_t v) { if (b->n + 1 > TPM_BUF) fail(1, "TPM command too long"); b->b[b->n++] = v; }
static void put16(buf_t *b, uint16_t v) { put8(b, v >> 8); put8(b, v & 0xff); }
static void put32(buf_t *b, uint32_t v) { put16(b, v >> 16); put16(b, v & 0xffff); }
static void putbytes(buf_t *b, const unsigned char *p, size_t n) {
    if (b->n + n > TPM_BUF) fail(1, "TPM command too long");
    memcpy(b->b + b->n, p, n);
    b->n += n;
}
static uint32_t get32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void start(buf_t *b, uint16_t tag, uint32_t cc) { b->n = 0; put16(b, tag); put32(b, 0); put32(b, cc); }

/* The empty-password authorization (TPM_RS_PW) for the owner hierarchy and the primary. */
static void password_session(buf_t *b) {
    put32(b, 9);
    put32(b, 0x40000009);
    put16(b, 0);
    put8(b, 0);
    put16(b, 0);
}

/* Sends the command, reads the response; returns the response code. */
static uint32_t transact(buf_t *cmd, buf_t *rsp) {
    cmd->b[2] = cmd->n >> 24; cmd->b[3] = cmd->n >> 16; cmd->b[4] = cmd->n >> 8; cmd->b[5] = cmd->n;
    if (write(tpm_fd, cmd->b, cmd->n) != (ssize_t)cmd->n) fail(1, "cannot write to the TPM");
    rsp->n = 0;
    /* A device returns the response in one read; a socket may need several. */
    while (rsp->n < 10 || rsp->n < get32(rsp->b + 2)) {
        ssize_t r = read(tpm_fd, rsp->b + rsp->n, TPM_BUF - rsp->n);
        if (r <= 0) fail(1, "cannot read the TPM's response");
        rsp->n += (size_t)r;
        if (rsp->n >= 10 && get32(rsp->b + 2) > TPM_BUF) fail(1, "the TPM's response is too long");
    }
    return get32(rsp->b + 6);
}

static void flush(uint32_t handle) {
    buf_t c, r;
    start(&c, 0x8001, 0x165);
    put32(&c, handle);
    transact(&c, &r);
}

/* A PCR selection of one bank: TPML_PCR_SELECTION with one entry. */
static void pcr_selection(buf_t *b, uint16_t bank, const char *ids) {
    unsigned char select[3] = {0, 0, 0};
    const char *p = ids;
    while (*p) {
        char *end;
        long id = strtol(p, &end, 10);
        if (end == p || id < 0 || id > 23) fail(1, "the token's pcr_ids are not PCR numbers 0-23");
        select[id / 8] |= 1u << (id % 8);
        p = end;
        while (*p == ',' || *p == ' ') p++;
    }
    put32(b, 1);
    put16(b, bank);
    put8(b, 3);
    putbytes(b, select, 3);
}

/* Unseals the JWK of a tpm2 pin; writes it (NUL-terminated) to out. */
static void tpm2_unseal(const char *header, char *out, size_t outsize) {
    char *hash = json_string(header, "hash"), *key = json_string(header, "key");
    char *pub64 = json_string(header, "jwk_pub"), *priv64 = json_string(header, "jwk_priv");
    char *bank = json_string(header, "pcr_bank"), *ids = json_string(header, "pcr_ids");
    if (!pub64 || !priv64) fail(1, "the tpm2 token has no jwk_pub/jwk_priv");
    if (hash && strcmp(hash, "sha256")) fail(2, "tpm2 token: only hash sha256 is handled");
    if (key && strcmp(key, "ecc")) fail(2, "tpm2 token: only key ecc (Clevis's default) is handled");
    uint16_t bank_alg = 0x000B;
    if (bank && !strcmp(bank, "sha1")) bank_alg = 0x0004;
    else if (bank && strcmp(bank, "sha256")) fail(2, "tpm2 token: pcr_bank must be sha256 or sha1");
    unsigned char *pub, *priv;
    long publen = b64url_decode(pub64, &pub), privlen = b64url_decode(priv64, &priv);
    if (publen < 2 || privlen < 2 || publen > 1024 || privlen > 1024) fail(1, "the tpm2 token's jwk_pub/jwk_priv are not TPM2B blobs");

    buf_t c, r;
    /* CreatePrimary: tpm2_createprimary -C o -g sha256 -G ecc's template, so the TPM derives
     * the same parent key the token's object was created under. */
    start(&c, 0x8002, 0x131);
    put32(&c, 0x40000001);
    password_session(&c);
    put16(&c, 4); put16(&c, 0); put16(&c, 0);
    static const unsigned char ecc_template[] = {
        0x00, 0x1a, 0x00, 0x23, 0x00, 0x0b, 0x00, 0x03, 0x00, 0x72, 0x00, 0x00, 0x00, 0x06, 0x00, 0x80,
        0x00, 0x43, 0x00, 0x10, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
    };
    putbytes(&c, ecc_template, sizeof ecc_template);
    put16(&c, 0); put32(&c, 0);
    uint32_t rc = transact(&c, &r);
    if (rc) { fprintf(stderr, "ob-unlock: TPM2 CreatePrimary failed (0x%x)\n", rc); exit(1); }
    uint32_t primary = get32(r.b + 10);

    start(&c, 0x8002, 0x157);
    put32(&c, primary);
    password_session(&c);
    putbytes(&c, priv, (size_t)privlen);
    putbytes(&c, pub, (size_t)publen);
    rc = transact(&c, &r);
    flush(primary);
    if (rc) { fprintf(stderr, "ob-unlock: TPM2 Load failed (0x%x): the key was sealed by another TPM\n", rc); exit(1); }
    uint32_t object = get32(r.b + 10);

    unsigned char nonce[32];
    if (getrandom(nonce, sizeof nonce, 0) != sizeof nonce) fail(1, "no random numbers");
    start(&c, 0x8001, 0x176);
    put32(&c, 0x40000007); put32(&c, 0x40000007);
    put16(&c, sizeof nonce); putbytes(&c, nonce, sizeof nonce);
    put16(&c, 0);
    put8(&c, 0x01);          /* TPM_SE_POLICY */
    put16(&c, 0x0010);       /* no parameter encryption */
    put16(&c, 0x000B);       /* SHA-256 */
    rc = transact(&c, &r);
    if (rc) { flush(object); fprintf(stderr, "ob-unlock: TPM2 StartAuthSession failed (0x%x)\n", rc); exit(1); }
    uint32_t session = get32(r.b + 10);

    if (ids && *ids) {
        start(&c, 0x8001, 0x17F);
        put32(&c, session);
        put16(&c, 0);
        pcr_selection(&c, bank_alg, ids);
        rc = transact(&c, &r);
        if (rc) { flush(session); flush(object); fprintf(stderr, "ob-unlock: TPM2 PolicyPCR failed (0x%x)\n", rc); exit(1); }
    }

    start(&c, 0x8002, 0x15E);
    put32(&c, object);
    put32(&c, 4 + 2 + sizeof nonce + 1 + 2);
    put32(&c, session);
    put16(&c, sizeof nonce); putbytes(&c, nonce, sizeof nonce);
    put8(&c, 0);             /* the session ends with the command */
    put16(&c, 0);
    rc = transact(&c, &r);
    flush(object);
    /* A failed command leaves its session loaded (a TPM without a resource manager keeps it). */
    if (rc) flush(session);
    if ((rc & 0x0BF) == 0x09D) {
        fprintf(stderr, "ob-unlock: the TPM refused to unseal: its PCRs (%s bank, PCRs %s) differ from those the key was sealed to\n", bank ? bank : "sha256", ids ? ids : "none");
        exit(3);
    }
    if (rc) { fprintf(stderr, "ob-unlock: TPM2 Unseal failed (0x%x)\n", rc); exit(1); }
    if (r.n < 16) fail(1, "short TPM2 Unseal response");
    size_t len = get16(r.b + 14);
    if (len + 16 > r.n || len + 1 > outsize) fail(1, "bad TPM2 Unseal response");
    memcpy(out, r.b + 16, len);
    out[len] = 0;
    OPENSSL_cleanse(r.b, r.n);
}


/* ---- tang (McCallum-Relyea exchange over HTTP, as clevis-decrypt-tang does) ---- */

static char *b64url_encode(const unsigned char *in, size_t n) {
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out) fail(1, "out of memory");
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    while (len > 0 && out[len - 1] == '=') len--;
    out[len] = 0;
    for (int i = 0; i < len; i++) out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    return out;
}

/* The JSON object (a copy) around the first occurrence of `needle` (no nested objects). */
static char *enclosing_object(const char *json, const char *needle) {
    const char *at = strstr(json, needle);
    if (!at) return NULL;
    const char *open = at, *close = at;
    while (open > json && *open != '{') open--;
    while (*close && *close != '}') close++;
    if (*open != '{' || *close != '}') return NULL;
    char *out = malloc((size_t)(close - open) + 2);
    if (!out) fail(1, "out of memory");
    memcpy(out, open, (size_t)(close - open) + 1);
    out[close - open + 1] = 0;
    return out;
}

static EC_POINT *point_from_jwk(const EC_GROUP *group, const char *jwk, BN_CTX *ctx) {
    char *x64 = json_string(jwk, "x"), *y64 = json_string(jwk, "y");
    if (!x64 || !y64) return NULL;
    unsigned char *x, *y;
    long xl = b64url_decode(x64, &x), yl = b64url_decode(y64, &y);
    if (xl <= 0 || yl <= 0) return NULL;
    BIGNUM *bx = BN_bin2bn(x, (int)xl, NULL), *by = BN_bin2bn(y, (int)yl, NULL);
    EC_POINT *p = EC_POINT_new(group);
    if (!bx || !by || !p || !EC_POINT_set_affine_coordinates(group, p, bx, by, ctx)) return NULL;
    BN_free(bx); BN_free(by);
    return p;
}

static char *jwk_from_point(const EC_GROUP *group, const char *crv, const EC_POINT *p, BN_CTX *ctx) {
    int len = (EC_GROUP_get_degree(group) + 7) / 8;
    BIGNUM *bx = BN_new(), *by = BN_new();
    unsigned char x[80], y[80];
    if (!bx || !by || len > 80 || !EC_POINT_get_affine_coordinates(group, p, bx, by, ctx)
        || BN_bn2binpad(bx, x, len) != len || BN_bn2binpad(by, y, len) != len) fail(1, "EC point encoding failed");
    char *x64 = b64url_encode(x, (size_t)len), *y64 = b64url_encode(y, (size_t)len);
    char *out = malloc(strlen(x64) + strlen(y64) + 100);
    if (!out) fail(1, "out of memory");
    sprintf(out, "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", crv, x64, y64);
    BN_free(bx); BN_free(by);
    return out;
}

/* POSTs `body` to http://host[:port]/path; returns the response body, or NULL (messages on
 * stderr) when tang cannot be reached within `seconds`. */
static char *http_post(const char *url, const char *path, const char *body, int seconds) {
    char host[256]; int port = 80;
    if (strncmp(url, "http://", 7)) { fprintf(stderr, "ob-unlock: tang URL %s is not http://\n", url); return NULL; }
    const char *h = url + 7;
    size_t hl = strcspn(h, ":/");
    if (hl == 0 || hl >= sizeof host) return NULL;
    memcpy(host, h, hl); host[hl] = 0;
    if (h[hl] == ':') port = atoi(h + hl + 1);
    const char *base = strchr(h, '/');
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
    char ports[8]; snprintf(ports, sizeof ports, "%d", port);
    if (getaddrinfo(host, ports, &hints, &ai)) { fprintf(stderr, "ob-unlock: cannot resolve tang host %s\n", host); return NULL; }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return NULL;
    int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    if (r < 0 && errno == EINPROGRESS) r = poll(&pfd, 1, seconds * 1000) == 1 ? 0 : -1;
    int err = 0; socklen_t el = sizeof err;
    if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
        fprintf(stderr, "ob-unlock: tang at %s is not reachable\n", url); close(fd); return NULL;
    }
    char req[4096];
    int n = snprintf(req, sizeof req, "POST %s%s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/jwk+json\r\nContent-Length: %zu\r\n\r\n%s",
                     base ? base : "", path, host, strlen(body), body);
    if (n <= 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) { close(fd); return NULL; }
    static char rsp[65536];
    size_t got = 0;
    pfd.events = POLLIN;
    while (got < sizeof rsp - 1 && poll(&pfd, 1, seconds * 1000) == 1) {
        ssize_t k = read(fd, rsp + got, sizeof rsp - 1 - got);
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    rsp[got] = 0;
    char *bodyp = strstr(rsp, "\r\n\r\n");
    if (strncmp(rsp, "HTTP/1.", 7) || !strstr(rsp, " 200") || !bodyp) { fprintf(stderr, "ob-unlock: tang at %s refused the recovery\n", url); return NULL; }
    return bodyp + 4;
}

/* Recovers the JWE's content key from tang; writes 32 bytes to cek. Exit 4 when tang is down. */
static void tang_recover(const char *header, unsigned char cek[32]) {
    const char *epk_at = strstr(header, "\"epk\"");
    char *kid = json_string(header, "kid"), *url = json_string(header, "url");
    char *epk = epk_at ? enclosing_object(epk_at, "\"x\"") : NULL;
    char *srv = enclosing_object(header, "\"ECMR\"");
    char *crv = epk ? json_string(epk, "crv") : NULL;
    if (!kid || !url || !epk || !srv || !crv) fail(1, "the tang token lacks kid, url, epk or an ECMR key in its advertisement");
    int nid = !strcmp(crv, "P-521") ? NID_secp521r1 : !strcmp(crv, "P-384") ? NID_secp384r1 : !strcmp(crv, "P-256") ? NID_X9_62_prime256v1 : 0;
    if (!nid) fail(2, "tang token: unknown curve");
    BN_CTX *ctx = BN_CTX_new();
    EC_GROUP *group = EC_GROUP_new_by_curve_name(nid);
    EC_POINT *C = point_from_jwk(group, epk, ctx), *S = point_from_jwk(group, srv, ctx);
    if (!ctx || !group || !C || !S) fail(1, "the tang token's keys are not points on their curve");
    /* X = C + e·G goes to tang, which answers Y = s·X; then K = Y - e·S = s·C. */
    BIGNUM *e = BN_new(), *order = BN_new();
    EC_POINT *E = EC_POINT_new(group), *X = EC_POINT_new(group), *Z = EC_POINT_new(group), *K = EC_POINT_new(group);
    if (!e || !order || !E || !X || !Z || !K || !EC_GROUP_get_order(group, order, ctx) || !BN_priv_rand_range(e, order)
        || !EC_POINT_mul(group, E, e, NULL, NULL, ctx) || !EC_POINT_add(group, X, C, E, ctx)
        || !EC_POINT_mul(group, Z, NULL, S, e, ctx)) fail(1, "EC arithmetic failed");
    char *xfr = jwk_from_point(group, crv, X, ctx);
    char path[300];
    snprintf(path, sizeof path, "/rec/%s", kid);
    char *reply = http_post(url, path, xfr, 3);
    if (!reply) exit(4);
    EC_POINT *Y = point_from_jwk(group, reply, ctx);
    if (!Y || !EC_POINT_invert(group, Z, ctx) || !EC_POINT_add(group, K, Y, Z, ctx)) fail(1, "tang's answer is not a point on the curve");
    /* Z = K's x coordinate; Concat KDF (RFC 7518 4.6.2) for enc A256GCM, no apu/apv. */
    int len = (EC_GROUP_get_degree(group) + 7) / 8;
    BIGNUM *kx = BN_new();
    unsigned char z[80];
    if (!kx || len > 80 || !EC_POINT_get_affine_coordinates(group, K, kx, NULL, ctx) || BN_bn2binpad(kx, z, len) != len) fail(1, "EC point encoding failed");
    static const unsigned char other[] = {0, 0, 0, 7, 'A', '2', '5', '6', 'G', 'C', 'M', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    static const unsigned char counter[] = {0, 0, 0, 1};
    unsigned int outlen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) || !EVP_DigestUpdate(md, counter, 4) || !EVP_DigestUpdate(md, z, (size_t)len)
        || !EVP_DigestUpdate(md, other, sizeof other) || !EVP_DigestFinal_ex(md, cek, &outlen) || outlen != 32) fail(1, "Concat KDF failed");
    OPENSSL_cleanse(z, sizeof z);
    BN_clear_free(e);
    EVP_MD_CTX_free(md);
}

static int open_tpm(const char *device, int port) {
    if (port > 0) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) fail(1, "cannot connect to the TPM simulator");
        return fd;
    }
    int fd = open(device, O_RDWR);
    if (fd < 0) { fprintf(stderr, "ob-unlock: no TPM at %s (%s)\n", device, strerror(errno)); exit(1); }
    return fd;
}

/* ---- JWE: one Clevis pin's key, then AES-256-GCM ---- */

static unsigned char *jwe_decrypt(const char *protected64, const char *iv64, const char *ct64, const char *tag64,
                                  const char *device, int port, int depth, size_t *plainlen);

/* A number member ("t": 2) of a JSON object; -1 when absent or not a small number. */
static long json_number(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(json, pattern);
    if (!p) return -1;
    p += strlen(pattern);
    while (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p < '0' || *p > '9') return -1;
    char *end;
    long v = strtol(p, &end, 10);
    return v > 1000000 ? -1 : v;
}

#define SSS_MAX_PINS 16

/* One share of an sss token, recovered by a child process so that a pin that fails (exit
 * status) or hangs (tang, three seconds at most) costs the others nothing, as clevis-decrypt-sss
 * runs its pins side by side. */
typedef struct { pid_t pid; int fd; unsigned char *share; size_t got; int status; } share_t;

/* Splits a compact JWE (protected.encrypted_key.iv.ciphertext.tag) and decrypts it in a child
 * that writes the plaintext (the share: x || y) into a pipe. */
static void sss_start(share_t *s, const char *compact, size_t sharelen, const char *device, int port, int depth) {
    int dots = 0;
    for (const char *c = compact; *c; c++) dots += *c == '.';
    if (dots != 4) fail(1, "an sss token's inner JWE is not a compact JWE of five parts");
    char *copy = strdup(compact), *part[5];
    if (!copy) fail(1, "out of memory");
    char *p = copy;
    for (int n = 0; n < 5; n++) {
        part[n] = p;
        char *dot = strchr(p, '.');
        if (dot) { *dot = 0; p = dot + 1; }
    }
    int fds[2];
    if (pipe(fds) < 0) fail(1, "pipe failed");
    s->share = malloc(sharelen);
    s->got = 0;
    s->status = -1;
    if (!s->share) fail(1, "out of memory");
    fflush(stderr);
    s->pid = fork();
    if (s->pid < 0) fail(1, "fork failed");
    if (s->pid == 0) {
        close(fds[0]);
        size_t len = 0;
        unsigned char *plain = jwe_decrypt(part[0], part[2], part[3], part[4], device, port, depth + 1, &len);
        ssize_t w = write(fds[1], plain, len);
        OPENSSL_cleanse(plain, len);
        _exit(w == (ssize_t)len ? 0 : 1);
    }
    close(fds[1]);
    s->fd = fds[0];
    free(copy);
}

/* Clevis's sss pin (src/pins/sss): the header holds t, the prime p and one inner JWE per
 * pin, each encrypting a point (x, y) of a polynomial of degree t-1 over GF(p) whose value at
 * 0 is the outer JWE's key. Any t recovered points give it back (Lagrange at 0). */
static void sss_recover(const char *header, const char *device, int port, int depth, unsigned char cek[32]) {
    if (depth > 3) fail(2, "sss token nested more than three deep");
    long t = json_number(header, "t");
    char *p64 = json_string(header, "p");
    const char *list = strstr(header, "\"jwe\"");
    if (t < 1 || !p64 || !list) fail(1, "the sss token lacks t, p or its inner JWEs");
    unsigned char *prime;
    long plen = b64url_decode(p64, &prime);
    if (plen != 32) fail(2, "sss token: only 32-byte primes (A256GCM keys, Clevis's default) are handled");
    list += 5;
    while (*list == ' ' || *list == ':' || *list == '\n' || *list == '\t' || *list == '\r') list++;
    if (*list != '[') fail(1, "the sss token's jwe member is not a list");
    list++;
    share_t shares[SSS_MAX_PINS];
    int count = 0;
    while (1) {
        while (*list == ' ' || *list == ',' || *list == '\n' || *list == '\t' || *list == '\r') list++;
        if (*list == ']') break;
        if (*list != '"' || count == SSS_MAX_PINS) fail(1, "the sss token's jwe list is not a list of at most 16 strings");
        const char *end = strchr(list + 1, '"');
        if (!end || end - list > MAX_FIELD) fail(1, "the sss token's inner JWE is not a string");
        char *compact = strndup(list + 1, (size_t)(end - list - 1));
        if (!compact) fail(1, "out of memory");
        sss_start(&shares[count++], compact, (size_t)plen * 2, device, port, depth);
        free(compact);
        list = end + 1;
    }
    if (t > count) fail(1, "the sss token's threshold is larger than its number of pins");

    /* Collect shares as the children finish; stop at t. */
    int have = 0, running = count;
    while (have < t && running > 0) {
        struct pollfd pfd[SSS_MAX_PINS];
        int map[SSS_MAX_PINS], n = 0;
        for (int i = 0; i < count; i++) if (shares[i].fd >= 0 && shares[i].status < 0) { pfd[n].fd = shares[i].fd; pfd[n].events = POLLIN; map[n++] = i; }
        if (poll(pfd, (nfds_t)n, -1) <= 0) fail(1, "poll failed");
        for (int k = 0; k < n; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            share_t *s = &shares[map[k]];
            ssize_t r = read(s->fd, s->share + s->got, (size_t)plen * 2 - s->got);
            if (r > 0) { s->got += (size_t)r; if (s->got < (size_t)plen * 2) continue; }
            close(s->fd);
            s->fd = -1;
            int wstatus = 0;
            waitpid(s->pid, &wstatus, 0);
            s->pid = 0;
            s->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1;
            if (s->status == 0 && s->got != (size_t)plen * 2) s->status = 1;
            if (s->status == 0) have++;
            running--;
        }
    }
    for (int i = 0; i < count; i++) if (shares[i].pid > 0) { kill(shares[i].pid, SIGTERM); waitpid(shares[i].pid, NULL, 0); close(shares[i].fd); }
    if (have < t) {
        /* Too few shares: say why with the most telling pin status (the unlocker prints it). */
        int why = 1;
        for (int i = 0; i < count; i++) if (shares[i].status == 3) why = 3;
        for (int i = 0; i < count; i++) if (shares[i].status == 4 && why != 3) why = 4;
        fprintf(stderr, "ob-unlock: sss: %d of %d pins answered, %ld needed\n", have, count, t);
        exit(why);
    }

    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *pp = BN_bin2bn(prime, (int)plen, NULL), *k = BN_new(), *acc = BN_new(), *tmp = BN_new();
    if (!ctx || !pp || !k || !acc || !tmp) fail(1, "out of memory");
    BN_zero(k);
    const unsigned char *pts[SSS_MAX_PINS];
    int used = 0;
    for (int i = 0; i < count && used < t; i++) if (shares[i].status == 0) pts[used++] = shares[i].share;
    for (int i = 0; i < used; i++) {
        BIGNUM *xo = BN_bin2bn(pts[i], (int)plen, NULL), *yo = BN_bin2bn(pts[i] + plen, (int)plen, NULL);
        if (!xo || !yo || !BN_one(acc)) fail(1, "out of memory");
        for (int j = 0; j < used; j++) {
            if (i == j) continue;
            BIGNUM *xi = BN_bin2bn(pts[j], (int)plen, NULL);
            /* acc *= (0 - xi) / (xo - xi) mod p */
            if (!xi || !BN_set_word(tmp, 0) || !BN_mod_sub(tmp, tmp, xi, pp, ctx) || !BN_mod_mul(acc, acc, tmp, pp, ctx)
                || !BN_mod_sub(tmp, xo, xi, pp, ctx) || BN_mod_inverse(tmp, tmp, pp, ctx) != tmp || !BN_mod_mul(acc, acc, tmp, pp, ctx))
                fail(1, "sss: two shares have the same x (damaged token?)");
            BN_free(xi);
        }
        if (!BN_mod_mul(acc, acc, yo, pp, ctx) || !BN_mod_add(k, k, acc, pp, ctx)) fail(1, "sss arithmetic failed");
        BN_clear_free(xo);
        BN_clear_free(yo);
    }
    if (BN_bn2binpad(k, cek, 32) != 32) fail(1, "sss: the recovered key is not 32 bytes");
    for (int i = 0; i < count; i++) { OPENSSL_cleanse(shares[i].share, (size_t)plen * 2); free(shares[i].share); }
    BN_clear_free(k); BN_clear_free(acc); BN_clear_free(tmp); BN_free(pp); BN_CTX_free(ctx);
}

/* Recovers the content key of the JWE whose protected header is `protected64` from its pin
 * (tpm2, tang, or sss of those), then decrypts. Exits with the pin's status when it cannot. */
static unsigned char *jwe_decrypt(const char *protected64, const char *iv64, const char *ct64, const char *tag64,
                                  const char *device, int port, int depth, size_t *plainlen) {
    unsigned char *header_bytes;
    long hlen = b64url_decode(protected64, &header_bytes);
    if (hlen <= 0) fail(1, "the JWE's protected header is not base64url");
    char *header = malloc((size_t)hlen + 1);
    if (!header) fail(1, "out of memory");
    memcpy(header, header_bytes, (size_t)hlen);
    header[hlen] = 0;
    char *pin = json_string(header, "pin"), *enc = json_string(header, "enc"), *alg = json_string(header, "alg");
    if (!pin) fail(1, "the JWE names no Clevis pin");
    if (!enc || strcmp(enc, "A256GCM")) fail(2, "only enc A256GCM is handled");
    unsigned char *cek = NULL, *iv, *ct, *tag;
    long keylen = 0;
    if (!strcmp(pin, "tpm2")) {
        if (!alg || strcmp(alg, "dir")) fail(2, "tpm2 token: only alg dir is handled");
        tpm_fd = open_tpm(device, port);
        static char jwk[2048];
        tpm2_unseal(header, jwk, sizeof jwk);
        close(tpm_fd);
        tpm_fd = -1;
        char *k64 = json_string(jwk, "k");
        OPENSSL_cleanse(jwk, sizeof jwk);
        if (!k64) fail(1, "the unsealed JWK has no key");
        keylen = b64url_decode(k64, &cek);
        OPENSSL_cleanse(k64, strlen(k64));
    } else if (!strcmp(pin, "tang")) {
        if (!alg || strcmp(alg, "ECDH-ES")) fail(2, "tang token: only alg ECDH-ES is handled");
        cek = malloc(32);
        if (!cek) fail(1, "out of memory");
        tang_recover(header, cek);
        keylen = 32;
    } else if (!strcmp(pin, "sss")) {
        if (!alg || strcmp(alg, "dir")) fail(2, "sss token: only alg dir is handled");
        cek = malloc(32);
        if (!cek) fail(1, "out of memory");
        sss_recover(header, device, port, depth, cek);
        keylen = 32;
    } else {
        fprintf(stderr, "ob-unlock: pin %s is not handled here\n", pin);
        exit(2);
    }
    long ivlen = b64url_decode(iv64, &iv);
    long ctlen = b64url_decode(ct64, &ct), taglen = b64url_decode(tag64, &tag);
    if (keylen != 32 || ivlen != 12 || ctlen < 0 || taglen != 16) fail(1, "the JWE's key, iv or tag has the wrong length");

    unsigned char *plain = malloc((size_t)ctlen + 1);
    int outl = 0, finl = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!plain || !ctx
        || !EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL)
        || !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL)
        || !EVP_DecryptInit_ex(ctx, NULL, NULL, cek, iv)
        || !EVP_DecryptUpdate(ctx, NULL, &outl, (unsigned char *)protected64, (int)strlen(protected64))
        || !EVP_DecryptUpdate(ctx, plain, &outl, ct, (int)ctlen)
        || !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag)
        || EVP_DecryptFinal_ex(ctx, plain + outl, &finl) <= 0)
        fail(1, "the JWE does not decrypt with the recovered key (damaged token?)");
    OPENSSL_cleanse(cek, 32);
    EVP_CIPHER_CTX_free(ctx);
    free(header);
    *plainlen = (size_t)(outl + finl);
    return plain;
}

/* -x PCR FILE: extend PCR with FILE's digest before a kexec hand-over (kexec itself measures
 * nothing, so what the OS's kernel is would not reach the TPM). TPM 2.0: TPM2_PCR_Extend of
 * the SHA-256 bank; TPM 1.2 (the X230's): TPM_Extend with the SHA-1 digest. Prints the SHA-256. */
static int measure(const char *device, int port, int major, long pcr, const char *path) {
    if (pcr < 0 || pcr > 23) fail(1, "usage: ob-unlock -x PCR FILE (PCR 0-23)");
    FILE *file = fopen(path, "rb");
    if (!file) fail(1, "cannot open the file to measure");
    EVP_MD_CTX *sha256 = EVP_MD_CTX_new(), *sha1 = EVP_MD_CTX_new();
    if (!sha256 || !sha1 || !EVP_DigestInit_ex(sha256, EVP_sha256(), NULL) || !EVP_DigestInit_ex(sha1, EVP_sha1(), NULL)) fail(1, "no SHA-256/SHA-1");
    static unsigned char chunk[1 << 16];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0) { EVP_DigestUpdate(sha256, chunk, got); EVP_DigestUpdate(sha1, chunk, got); }
    if (ferror(file)) fail(1, "cannot read the file to measure (a verity error?)");
    fclose(file);
    unsigned char d256[32], d1[20];
    EVP_DigestFinal_ex(sha256, d256, NULL);
    EVP_DigestFinal_ex(sha1, d1, NULL);
    EVP_MD_CTX_free(sha256);
    EVP_MD_CTX_free(sha1);
    /* The TPM's version (-V, else sysfs's tpm_version_major: "1" or "2"); TPM 2.0 if unknown. */
    if (major == 0) {
        major = 2;
        FILE *version = fopen("/sys/class/tpm/tpm0/tpm_version_major", "r");
        if (version) { if (fscanf(version, "%d", &major) != 1) major = 2; fclose(version); }
    }
    tpm_fd = port > 0 ? open_tpm(device, port) : open(device, O_RDWR);
    if (tpm_fd < 0) fail(6, "no TPM device to measure into");
    buf_t c, r;
    uint32_t rc;
    if (major == 1) {
        start(&c, 0x00C1, 0x14);            /* TPM_TAG_RQU_COMMAND, TPM_ORD_Extend */
        put32(&c, (uint32_t)pcr);
        putbytes(&c, d1, sizeof d1);
    } else {
        start(&c, 0x8002, 0x182);           /* TPM_ST_SESSIONS, TPM2_CC_PCR_Extend */
        put32(&c, (uint32_t)pcr);
        password_session(&c);
        put32(&c, 1);                       /* TPML_DIGEST_VALUES: one, SHA-256 */
        put16(&c, 0x000B);
        putbytes(&c, d256, sizeof d256);
    }
    rc = transact(&c, &r);
    close(tpm_fd);
    if (rc != 0) { fprintf(stderr, "ob-unlock: the TPM refused the PCR extend (response code 0x%x)\n", rc); return 1; }
    for (size_t i = 0; i < sizeof d256; i++) printf("%02x", d256[i]);
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    const char *device = "/dev/tpmrm0", *luks = NULL, *name = NULL;
    int port = 0, major = 0;
    const char *pcr = NULL, *measured = NULL, *given = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-x") && i + 2 < argc) { pcr = argv[++i]; measured = argv[++i]; }
        else if (!strcmp(argv[i], "-V") && i + 1 < argc) major = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-d") && i + 1 < argc) device = given = argv[++i];
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-o") && i + 2 < argc) { luks = argv[++i]; name = argv[++i]; }
        else fail(1, "usage: ob-unlock [-d DEVICE | -t PORT] [-o LUKSDEVICE NAME] < token.json [> passphrase] | ob-unlock [-t PORT] [-V 1|2] -x PCR FILE");
    }
    /* Measuring extends a PCR: the TPM itself (/dev/tpm0, also a TPM 1.2), not the resource manager. */
    if (pcr) return measure(given ? given : "/dev/tpm0", port, major, strtol(pcr, NULL, 10), measured);
    static char input[TOKEN_LIMIT + 1];
    size_t n = fread(input, 1, TOKEN_LIMIT, stdin);
    input[n] = 0;
    if (n == TOKEN_LIMIT) fail(1, "the token is too large");
    const char *jwe = strstr(input, "\"jwe\"");
    if (!strstr(input, "\"clevis\"") || !jwe) fail(2, "not a Clevis token");
    char *protected64 = json_string(jwe, "protected"), *iv64 = json_string(jwe, "iv");
    char *ct64 = json_string(jwe, "ciphertext"), *tag64 = json_string(jwe, "tag");
    if (!protected64 || !iv64 || !ct64 || !tag64) fail(1, "the Clevis token's JWE lacks protected/iv/ciphertext/tag");
    size_t plainlen = 0;
    unsigned char *plain = jwe_decrypt(protected64, iv64, ct64, tag64, device, port, 0, &plainlen);
    if (!luks) {
        if (fwrite(plain, 1, plainlen, stdout) != plainlen) fail(1, "cannot write the key");
        OPENSSL_cleanse(plain, plainlen);
        return 0;
    }
    /* -o: hand the key to `cryptsetup open` through a pipe (cryptsetup runs only when there
     * is a key to try, so a refused token costs no key-slot search). */
    int fds[2];
    if (pipe(fds) < 0) fail(1, "pipe failed");
    pid_t child = fork();
    if (child < 0) fail(1, "fork failed");
    if (child == 0) {
        close(fds[1]);
        dup2(fds[0], 0);
        /* Before a kexec hand-over (OB_VOLUME_KEY_FILE set by the unlocker), the key yields the
         * volume key instead (one PBKDF run, as `open` costs); the unlocker opens the disk with
         * it and passes it, in RAM, to the OS kernel's stage 2. The dump's text is not shown. */
        const char *vkfile = getenv("OB_VOLUME_KEY_FILE");
        if (vkfile && *vkfile) {
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) dup2(null, 1);
            execlp("cryptsetup", "cryptsetup", "luksDump", "--dump-volume-key", "--volume-key-file", vkfile,
                   "--batch-mode", "--key-file=-", luks, (char *)NULL);
        } else {
            execlp("cryptsetup", "cryptsetup", "open", "--key-file=-", luks, name, (char *)NULL);
        }
        _exit(127);
    }
    close(fds[0]);
    ssize_t written = write(fds[1], plain, plainlen);
    OPENSSL_cleanse(plain, plainlen);
    close(fds[1]);
    int wstatus = 0;
    waitpid(child, &wstatus, 0);
    if (written != (ssize_t)plainlen || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) fail(5, "the recovered key did not open the disk");
    return 0;
}
