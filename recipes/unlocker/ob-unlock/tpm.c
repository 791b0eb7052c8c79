#include "tpm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "b64.h"
#include "json.h"
#include "session.h"
#include "util.h"

#define TPM_ALG_SHA1 0x0004
#define TPM_ALG_SHA256 0x000B
#define TPM_ALG_AES 0x0006
#define TPM_ALG_CFB 0x0043
#define TPM_CC_UNSEAL 0x15E
#define TPM_HEADER 10

static void put8(tpm_buf *b, uint8_t v) {
    if (b->n + 1 > TPM_BUF) { b->overflow = 1; return; }
    b->b[b->n++] = v;
}
static void put16(tpm_buf *b, uint16_t v) { put8(b, (uint8_t)(v >> 8)); put8(b, (uint8_t)v); }
static void put32(tpm_buf *b, uint32_t v) { put16(b, (uint16_t)(v >> 16)); put16(b, (uint16_t)v); }
static void putbytes(tpm_buf *b, const unsigned char *p, size_t n) {
    if (n > TPM_BUF - b->n) { b->overflow = 1; return; }
    memcpy(b->b + b->n, p, n);
    b->n += n;
}
static uint32_t get32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void start(tpm_buf *b, uint16_t tag, uint32_t cc) {
    b->n = 0;
    b->overflow = 0;
    put16(b, tag);
    put32(b, 0);
    put32(b, cc);
}

/* The empty-password authorization (TPM_RS_PW) for the owner hierarchy and the primary. */
static void password_session(tpm_buf *b) {
    put32(b, 9);
    put32(b, 0x40000009);
    put16(b, 0);
    put8(b, 0);
    put16(b, 0);
}

int tpm_open(const char *device, int port, int *fd) {
    if (port > 0) {
        *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (*fd < 0 || connect(*fd, (struct sockaddr *)&a, sizeof a) < 0) {
            if (*fd >= 0) close(*fd);
            return ob_error(OB_ERROR, "cannot connect to the TPM simulator");
        }
        return OB_OK;
    }
    *fd = open(device, O_RDWR | O_CLOEXEC);
    if (*fd < 0) return ob_error(OB_ERROR, "no TPM at %s (%s)", device, strerror(errno));
    return OB_OK;
}

int tpm_transact(int fd, tpm_buf *cmd, tpm_buf *rsp, uint32_t *rc) {
    if (cmd->overflow || cmd->n < TPM_HEADER) return ob_error(OB_ERROR, "TPM command too long");
    cmd->b[2] = (unsigned char)(cmd->n >> 24);
    cmd->b[3] = (unsigned char)(cmd->n >> 16);
    cmd->b[4] = (unsigned char)(cmd->n >> 8);
    cmd->b[5] = (unsigned char)cmd->n;
    if (write(fd, cmd->b, cmd->n) != (ssize_t)cmd->n) return ob_error(OB_ERROR, "cannot write to the TPM");
    rsp->n = 0;
    rsp->overflow = 0;
    /* A device returns the response in one read; a socket may need several. */
    size_t size = TPM_BUF;
    while (rsp->n < TPM_HEADER || rsp->n < size) {
        ssize_t r = read(fd, rsp->b + rsp->n, TPM_BUF - rsp->n);
        if (r <= 0) return ob_error(OB_ERROR, "cannot read the TPM's response");
        rsp->n += (size_t)r;
        if (rsp->n >= TPM_HEADER) {
            uint32_t declared = get32(rsp->b + 2);
            if (declared > TPM_BUF) return ob_error(OB_ERROR, "the TPM's response is too long");
            if (declared < TPM_HEADER) return ob_error(OB_ERROR, "the TPM's response is malformed");
            size = declared;
        }
    }
    /* Anything after the declared size is not part of this response. */
    rsp->n = size;
    *rc = get32(rsp->b + 6);
    return OB_OK;
}

/* The handle a successful CreatePrimary, Load or StartAuthSession returns first. */
static int response_handle(const tpm_buf *rsp, uint32_t *handle) {
    if (rsp->n < TPM_HEADER + 4) return ob_error(OB_ERROR, "short TPM response (no handle)");
    *handle = get32(rsp->b + TPM_HEADER);
    return OB_OK;
}

static void flush(int fd, uint32_t handle) {
    tpm_buf c, r;
    uint32_t rc;
    start(&c, 0x8001, 0x165);
    put32(&c, handle);
    (void)tpm_transact(fd, &c, &r, &rc);
}

/* pcr_ids "0,2,7" as a PCR bitmap; OB_ERROR when an entry is not a PCR number 0-23. */
static int pcr_bitmap(const char *ids, unsigned char select[3]) {
    memset(select, 0, 3);
    const char *p = ids;
    while (*p) {
        char *end;
        long id = strtol(p, &end, 10);
        if (end == p || id < 0 || id > 23) return ob_error(OB_ERROR, "the token's pcr_ids are not PCR numbers 0-23");
        select[id / 8] = (unsigned char)(select[id / 8] | 1u << (id % 8));
        p = end;
        while (*p == ',' || *p == ' ') p++;
    }
    return OB_OK;
}

void tpm2_token_free(tpm2_token *token) {
    free(token->pub);
    free(token->priv);
    free(token->bank_name);
    free(token->ids);
    memset(token, 0, sizeof *token);
}

int tpm2_token_read(const char *header, tpm2_token *out) {
    memset(out, 0, sizeof *out);
    char *hash = json_string(header, "hash"), *key = json_string(header, "key");
    char *pub64 = json_string(header, "jwk_pub"), *priv64 = json_string(header, "jwk_priv");
    out->bank_name = json_string(header, "pcr_bank");
    out->ids = json_string(header, "pcr_ids");
    int status = OB_OK;
    if (!pub64 || !priv64) status = ob_error(OB_ERROR, "the tpm2 token has no jwk_pub/jwk_priv");
    else if (hash && strcmp(hash, "sha256")) status = ob_error(OB_UNHANDLED, "tpm2 token: only hash sha256 is handled");
    else if (key && strcmp(key, "ecc")) status = ob_error(OB_UNHANDLED, "tpm2 token: only key ecc (Clevis's default) is handled");
    else if (out->bank_name && strcmp(out->bank_name, "sha1") && strcmp(out->bank_name, "sha256"))
        status = ob_error(OB_UNHANDLED, "tpm2 token: pcr_bank must be sha256 or sha1");
    if (status == OB_OK) {
        out->bank = out->bank_name && !strcmp(out->bank_name, "sha1") ? TPM_ALG_SHA1 : TPM_ALG_SHA256;
        out->publen = b64url_decode(pub64, &out->pub);
        out->privlen = b64url_decode(priv64, &out->priv);
        /* Each a TPM2B: a 16-bit size and that many bytes. */
        if (out->publen < 2 || out->privlen < 2 || out->publen > 1024 || out->privlen > 1024
            || get16(out->pub) + 2 != out->publen || get16(out->priv) + 2 != out->privlen)
            status = ob_error(OB_ERROR, "the tpm2 token's jwk_pub/jwk_priv are not TPM2B blobs");
    }
    if (status == OB_OK && out->ids && *out->ids) {
        status = pcr_bitmap(out->ids, out->select);
        out->has_pcrs = 1;
    }
    free(hash);
    free(key);
    free(pub64);
    free(priv64);
    if (status != OB_OK) tpm2_token_free(out);
    return status;
}

/* Clevis's parent, tpm2_createprimary -C o -g sha256 -G ecc's template (a TPM2B_PUBLIC): ECC
 * P-256, nameAlg SHA-256, a restricted decryption key with AES-128-CFB, unique empty. The TPM
 * derives the same key the token's object was created under. */
static const unsigned char ecc_template[] = {
    0x00, 0x1a, 0x00, 0x23, 0x00, 0x0b, 0x00, 0x03, 0x00, 0x72, 0x00, 0x00, 0x00, 0x06, 0x00, 0x80,
    0x00, 0x43, 0x00, 0x10, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
};
/* The TPMT_PUBLIC before unique: the TPM answers these bytes as they were asked for. */
#define TEMPLATE_FIXED 22

typedef struct {
    uint32_t handle;
    unsigned char name[SESSION_NAME];
    unsigned char x[SESSION_POINT], y[SESSION_POINT];
    size_t xlen, ylen;
} primary_key;

/* CreatePrimary's response: handle, parameterSize, outPublic (TPM2B_PUBLIC), ...: the public
 * point and the name, every length checked against the bytes read. */
static int primary_public(const tpm_buf *r, primary_key *p) {
    const size_t at = TPM_HEADER + 4;
    if (r->n < at + 4 + 2) return ob_error(OB_ERROR, "short TPM2 CreatePrimary response");
    size_t params = get32(r->b + at);
    if (params > r->n - at - 4 || params < 2) return ob_error(OB_ERROR, "bad TPM2 CreatePrimary response");
    const unsigned char *pub = r->b + at + 4 + 2;
    size_t publen = get16(pub - 2);
    if (publen > params - 2) return ob_error(OB_ERROR, "bad TPM2 CreatePrimary response");
    if (publen < TEMPLATE_FIXED + 4 || memcmp(pub, ecc_template + 2, TEMPLATE_FIXED))
        return ob_error(OB_ERROR, "the TPM's storage key is not Clevis's ECC P-256 primary");
    size_t xlen = get16(pub + TEMPLATE_FIXED);
    if (xlen < 1 || xlen > SESSION_POINT || xlen > publen - TEMPLATE_FIXED - 4) return ob_error(OB_ERROR, "bad TPM2 CreatePrimary response");
    size_t ylen = get16(pub + TEMPLATE_FIXED + 2 + xlen);
    if (ylen < 1 || ylen > SESSION_POINT || ylen != publen - TEMPLATE_FIXED - 4 - xlen) return ob_error(OB_ERROR, "bad TPM2 CreatePrimary response");
    memcpy(p->x, pub + TEMPLATE_FIXED + 2, xlen);
    memcpy(p->y, pub + TEMPLATE_FIXED + 4 + xlen, ylen);
    p->xlen = xlen;
    p->ylen = ylen;
    return session_name(pub, publen, p->name);
}

/* Clevis's ECC primary in the owner hierarchy (the owner password is empty, as Clevis leaves
 * it): loaded (flush p->handle) on OB_OK. */
static int create_primary(int fd, primary_key *p) {
    tpm_buf c, r;
    uint32_t rc = 0;
    memset(p, 0, sizeof *p);
    start(&c, 0x8002, 0x131);
    put32(&c, 0x40000001);
    password_session(&c);
    put16(&c, 4); put16(&c, 0); put16(&c, 0);
    putbytes(&c, ecc_template, sizeof ecc_template);
    put16(&c, 0); put32(&c, 0);
    if (tpm_transact(fd, &c, &r, &rc)) return OB_ERROR;
    if (rc) return ob_error(OB_ERROR, "TPM2 CreatePrimary failed (0x%x)", rc);
    if (response_handle(&r, &p->handle)) return OB_ERROR;
    int status = primary_public(&r, p);
    if (status) flush(fd, p->handle);
    return status;
}

int tpm2_primary_name(int fd, unsigned char name[SESSION_NAME]) {
    primary_key p;
    int status = create_primary(fd, &p);
    if (status) return status;
    flush(fd, p.handle);
    memcpy(name, p.name, SESSION_NAME);
    return OB_OK;
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int tpm2_name_from_hex(const char *hex, unsigned char name[SESSION_NAME]) {
    if (strlen(hex) != 2 * SESSION_NAME) return ob_error(OB_ERROR, "the token's srk is not a TPM name (68 hex digits)");
    for (size_t i = 0; i < SESSION_NAME; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return ob_error(OB_ERROR, "the token's srk is not a TPM name (68 hex digits)");
        name[i] = (unsigned char)(hi << 4 | lo);
    }
    if (name[0] != 0x00 || name[1] != 0x0B) return ob_error(OB_ERROR, "the token's srk is not a SHA-256 TPM name (000b...)");
    return OB_OK;
}

/* StartAuthSession salted to the primary (tpmKey; bind TPM_RH_NULL), AES-128-CFB for
 * parameter encryption, SHA-256: the session's handle and, in s, its key and nonces. */
static int start_session(int fd, const primary_key *p, uint8_t type, uint32_t *handle, tpm_session *s) {
    tpm_buf c, r;
    uint32_t rc = 0;
    unsigned char encrypted_salt[4 + 2 * SESSION_POINT], salt[SESSION_DIGEST];
    if (getrandom(s->nonce_caller, SESSION_DIGEST, 0) != SESSION_DIGEST) return ob_error(OB_ERROR, "no random numbers");
    if (session_salt(p->x, p->xlen, p->y, p->ylen, encrypted_salt, salt)) return OB_ERROR;
    start(&c, 0x8001, 0x176);
    put32(&c, p->handle);
    put32(&c, 0x40000007);
    put16(&c, SESSION_DIGEST); putbytes(&c, s->nonce_caller, SESSION_DIGEST);
    put16(&c, sizeof encrypted_salt); putbytes(&c, encrypted_salt, sizeof encrypted_salt);
    put8(&c, type);
    put16(&c, TPM_ALG_AES); put16(&c, 128); put16(&c, TPM_ALG_CFB);
    put16(&c, TPM_ALG_SHA256);
    int status = tpm_transact(fd, &c, &r, &rc);
    if (status == OB_OK && rc) status = ob_error(OB_ERROR, "TPM2 StartAuthSession failed (0x%x)", rc);
    if (status == OB_OK) status = response_handle(&r, handle);
    /* handle, then nonceTPM (TPM2B_NONCE) */
    if (status == OB_OK) {
        size_t len = r.n >= TPM_HEADER + 6 ? get16(r.b + TPM_HEADER + 4) : 0;
        if (r.n < TPM_HEADER + 6 || len > r.n - TPM_HEADER - 6) status = ob_error(OB_ERROR, "bad TPM2 StartAuthSession response");
        else status = session_start(s, salt, r.b + TPM_HEADER + 6, len);
        if (status) flush(fd, *handle);
    }
    OPENSSL_cleanse(salt, sizeof salt);
    return status;
}

/* Sends the Unseal command c, flushes the object (and the session the failed command left
 * loaded), checks the response's HMAC and decrypts the unsealed data into out. */
static int unseal_response(int fd, uint32_t object, uint32_t session, tpm_session *s, const tpm2_token *token, tpm_buf *c, tpm_buf *r, char *out, size_t outsize) {
    uint32_t rc = 0;
    int status = tpm_transact(fd, c, r, &rc);
    flush(fd, object);
    if (status) return OB_ERROR;
    /* A failed command leaves its session loaded (a TPM without a resource manager keeps it). */
    if (rc) flush(fd, session);
    if ((rc & 0x0BF) == 0x09D)
        return ob_error(OB_REFUSED, "the TPM refused to unseal: its PCRs (%s bank, PCRs %s) differ from those the key was sealed to",
                        token->bank_name ? token->bank_name : "sha256", token->ids ? token->ids : "none");
    if (rc) return ob_error(OB_ERROR, "TPM2 Unseal failed (0x%x)", rc);
    /* header, parameterSize, outData (TPM2B_SENSITIVE_DATA, encrypted), then the session:
     * nonceTPM (TPM2B), attributes, hmac (TPM2B). */
    if (r->n < TPM_HEADER + 4 || get16(r->b) != 0x8002) return ob_error(OB_ERROR, "short TPM2 Unseal response");
    size_t params = get32(r->b + TPM_HEADER);
    if (params < 2 || params > r->n - TPM_HEADER - 4) return ob_error(OB_ERROR, "bad TPM2 Unseal response");
    unsigned char *data = r->b + TPM_HEADER + 4 + 2;
    size_t len = get16(data - 2);
    const unsigned char *auth = data - 2 + params;
    size_t left = r->n - TPM_HEADER - 4 - params;
    size_t noncelen = left >= 2 ? get16(auth) : 0;
    if (len != params - 2 || len + 1 > outsize || left < 5 || noncelen > left - 5)
        return ob_error(OB_ERROR, "bad TPM2 Unseal response");
    size_t hmaclen = get16(auth + 3 + noncelen);
    if (hmaclen != left - 5 - noncelen) return ob_error(OB_ERROR, "bad TPM2 Unseal response");
    status = session_response_check(s, TPM_CC_UNSEAL, data - 2, params, auth + 2, noncelen, auth[2 + noncelen], auth + 5 + noncelen, hmaclen);
    if (status == OB_OK) status = session_decrypt_response(s, data, len);
    if (status == OB_OK) {
        memcpy(out, data, len);
        out[len] = 0;
    }
    OPENSSL_cleanse(r->b, r->n);
    return status;
}

int tpm2_unseal(int fd, const tpm2_token *token, const unsigned char *srk, char *out, size_t outsize) {
    tpm_buf c, r;
    uint32_t rc = 0, object = 0, session = 0;
    primary_key primary;
    int status = create_primary(fd, &primary);
    if (status) return status;
    /* The salt goes only to the key this token was enrolled with: another key (an interposer's)
     * would learn the session key, and with it the unsealed data. */
    if (srk && CRYPTO_memcmp(srk, primary.name, SESSION_NAME)) {
        flush(fd, primary.handle);
        return ob_error(OB_ERROR, "the TPM's storage key is not the one this token was enrolled with");
    }

    start(&c, 0x8002, 0x157);
    put32(&c, primary.handle);
    password_session(&c);
    putbytes(&c, token->priv, (size_t)token->privlen);
    putbytes(&c, token->pub, (size_t)token->publen);
    status = tpm_transact(fd, &c, &r, &rc);
    if (status || rc || response_handle(&r, &object)) {
        flush(fd, primary.handle);
        return status || !rc ? OB_ERROR : ob_error(OB_ERROR, "TPM2 Load failed (0x%x): the key was sealed by another TPM", rc);
    }
    /* The sealed object's name (the command HMAC covers it): as its public area says. */
    unsigned char object_name[SESSION_NAME];
    if (session_name(token->pub + 2, (size_t)token->publen - 2, object_name)) {
        flush(fd, primary.handle);
        flush(fd, object);
        return OB_ERROR;
    }

    /* With pcr_ids, Clevis seals to a PolicyPCR policy: a policy session. Without, it seals
     * with userwithauth and an empty password: an HMAC session (the empty authValue). */
    tpm_session s;
    memset(&s, 0, sizeof s);
    status = start_session(fd, &primary, token->has_pcrs ? 0x01 : 0x00, &session, &s);
    flush(fd, primary.handle);
    if (status) {
        flush(fd, object);
        session_clear(&s);
        return status;
    }

    if (token->has_pcrs) {
        start(&c, 0x8001, 0x17F);    /* PolicyPCR */
        put32(&c, session);
        put16(&c, 0);
        put32(&c, 1);                /* TPML_PCR_SELECTION: one bank */
        put16(&c, token->bank);
        put8(&c, 3);
        putbytes(&c, token->select, 3);
        status = tpm_transact(fd, &c, &r, &rc);
        if (status || rc) {
            flush(fd, session);
            flush(fd, object);
            session_clear(&s);
            return status ? OB_ERROR : ob_error(OB_ERROR, "TPM2 PolicyPCR failed (0x%x)", rc);
        }
    }

    /* encrypt: the TPM returns outData encrypted; continueSession clear: the session ends with
     * the command. */
    const uint8_t attributes = 0x40;
    unsigned char hmac[SESSION_DIGEST];
    if (session_command_hmac(&s, TPM_CC_UNSEAL, object_name, attributes, hmac)) {
        flush(fd, session);
        flush(fd, object);
        session_clear(&s);
        return OB_ERROR;
    }
    start(&c, 0x8002, TPM_CC_UNSEAL);
    put32(&c, object);
    put32(&c, 4 + 2 + SESSION_DIGEST + 1 + 2 + SESSION_DIGEST);
    put32(&c, session);
    put16(&c, SESSION_DIGEST); putbytes(&c, s.nonce_caller, SESSION_DIGEST);
    put8(&c, attributes);
    put16(&c, SESSION_DIGEST); putbytes(&c, hmac, SESSION_DIGEST);
    status = unseal_response(fd, object, session, &s, token, &c, &r, out, outsize);
    session_clear(&s);
    return status;
}

int tpm_extend(int fd, int major, uint32_t pcr, const unsigned char sha1[20], const unsigned char sha256[32], uint32_t *rc) {
    tpm_buf c, r;
    if (major == 1) {
        start(&c, 0x00C1, 0x14);            /* TPM_TAG_RQU_COMMAND, TPM_ORD_Extend */
        put32(&c, pcr);
        putbytes(&c, sha1, 20);
    } else {
        start(&c, 0x8002, 0x182);           /* TPM_ST_SESSIONS, TPM2_CC_PCR_Extend */
        put32(&c, pcr);
        password_session(&c);
        put32(&c, 1);                       /* TPML_DIGEST_VALUES: one, SHA-256 */
        put16(&c, TPM_ALG_SHA256);
        putbytes(&c, sha256, 32);
    }
    *rc = 0;
    if (tpm_transact(fd, &c, &r, rc)) return OB_ERROR;
    return *rc ? OB_ERROR : OB_OK;
}
