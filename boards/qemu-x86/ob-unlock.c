/*
 * ob-unlock: the unattended half of ownerboot's unlocker. It reads one Clevis LUKS2 token
 * (the JSON `cryptsetup token export` prints) on standard input and, when it can recover the
 * key without a person, writes the LUKS passphrase to standard output (a pipe into
 * `cryptsetup open --key-file=-`; it never reaches the console).
 *
 * Pins: tpm2 (Clevis 19's format: an ECC primary in the owner hierarchy, the sealed JWK
 * loaded under it and unsealed through a PCR policy session; pcr_bank sha256 or sha1).
 * The TPM is spoken to directly (TPM2 command bytes on /dev/tpmrm0), and the JWE
 * (alg "dir", enc "A256GCM") is decrypted with OpenSSL's libcrypto, which cryptsetup already
 * brings into the initramfs: no bash, jose or tpm2-tools, a few KiB instead of ~11 MB.
 *
 * Exit status: 0 key written; 2 pin not handled here; 3 the TPM refused (its PCRs differ
 * from those the key was sealed to); 1 anything else. Messages go to standard error and
 * never contain key material.
 *
 * Usage: ob-unlock [-d DEVICE | -t PORT]   (-t: a TPM simulator's raw command port on
 * 127.0.0.1, for host tests)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
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

int main(int argc, char **argv) {
    const char *device = "/dev/tpmrm0";
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-d") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) port = atoi(argv[++i]);
        else fail(1, "usage: ob-unlock [-d DEVICE | -t PORT] < token.json > passphrase");
    }
    static char input[TOKEN_LIMIT + 1];
    size_t n = fread(input, 1, TOKEN_LIMIT, stdin);
    input[n] = 0;
    if (n == TOKEN_LIMIT) fail(1, "the token is too large");
    const char *jwe = strstr(input, "\"jwe\"");
    if (!strstr(input, "\"clevis\"") || !jwe) fail(2, "not a Clevis token");
    char *protected64 = json_string(jwe, "protected"), *iv64 = json_string(jwe, "iv");
    char *ct64 = json_string(jwe, "ciphertext"), *tag64 = json_string(jwe, "tag");
    if (!protected64 || !iv64 || !ct64 || !tag64) fail(1, "the Clevis token's JWE lacks protected/iv/ciphertext/tag");
    unsigned char *header_bytes;
    long hlen = b64url_decode(protected64, &header_bytes);
    if (hlen <= 0) fail(1, "the JWE's protected header is not base64url");
    char *header = malloc((size_t)hlen + 1);
    if (!header) fail(1, "out of memory");
    memcpy(header, header_bytes, (size_t)hlen);
    header[hlen] = 0;
    char *pin = json_string(header, "pin"), *enc = json_string(header, "enc"), *alg = json_string(header, "alg");
    if (!pin) fail(1, "the JWE names no Clevis pin");
    if (strcmp(pin, "tpm2")) { fprintf(stderr, "ob-unlock: pin %s is not handled here\n", pin); exit(2); }
    if (!enc || strcmp(enc, "A256GCM") || !alg || strcmp(alg, "dir")) fail(2, "only alg dir with enc A256GCM is handled");

    tpm_fd = open_tpm(device, port);
    static char jwk[2048];
    tpm2_unseal(header, jwk, sizeof jwk);
    char *k64 = json_string(jwk, "k");
    OPENSSL_cleanse(jwk, sizeof jwk);
    if (!k64) fail(1, "the unsealed JWK has no key");
    unsigned char *cek, *iv, *ct, *tag;
    long keylen = b64url_decode(k64, &cek), ivlen = b64url_decode(iv64, &iv);
    long ctlen = b64url_decode(ct64, &ct), taglen = b64url_decode(tag64, &tag);
    OPENSSL_cleanse(k64, strlen(k64));
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
        fail(1, "the JWE does not decrypt with the unsealed key (damaged token?)");
    OPENSSL_cleanse(cek, 32);
    EVP_CIPHER_CTX_free(ctx);
    if (fwrite(plain, 1, (size_t)(outl + finl), stdout) != (size_t)(outl + finl)) fail(1, "cannot write the key");
    OPENSSL_cleanse(plain, (size_t)(outl + finl));
    return 0;
}
