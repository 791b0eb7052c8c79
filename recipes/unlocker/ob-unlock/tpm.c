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
#include "util.h"

#define TPM_ALG_SHA1 0x0004
#define TPM_ALG_SHA256 0x000B
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

/* Sends the Unseal command c, flushes the object (and a policy session the failed command
 * left loaded), and copies the unsealed data into out. */
static int unseal_response(int fd, uint32_t object, uint32_t session, const tpm2_token *token, tpm_buf *c, tpm_buf *r, char *out, size_t outsize) {
    uint32_t rc = 0;
    int status = tpm_transact(fd, c, r, &rc);
    flush(fd, object);
    if (status) return OB_ERROR;
    /* A failed command leaves its session loaded (a TPM without a resource manager keeps it). */
    if (rc && session) flush(fd, session);
    if ((rc & 0x0BF) == 0x09D)
        return ob_error(OB_REFUSED, "the TPM refused to unseal: its PCRs (%s bank, PCRs %s) differ from those the key was sealed to",
                        token->bank_name ? token->bank_name : "sha256", token->ids ? token->ids : "none");
    if (rc) return ob_error(OB_ERROR, "TPM2 Unseal failed (0x%x)", rc);
    /* header, parameterSize, TPM2B_SENSITIVE_DATA outData */
    if (r->n < 16) return ob_error(OB_ERROR, "short TPM2 Unseal response");
    size_t len = get16(r->b + 14);
    int bad = len + 16 > r->n || len + 1 > outsize;
    if (!bad) {
        memcpy(out, r->b + 16, len);
        out[len] = 0;
    }
    OPENSSL_cleanse(r->b, r->n);
    return bad ? ob_error(OB_ERROR, "bad TPM2 Unseal response") : OB_OK;
}

int tpm2_unseal(int fd, const tpm2_token *token, char *out, size_t outsize) {
    tpm_buf c, r;
    uint32_t rc = 0, primary = 0, object = 0, session = 0;
    /* The owner password and the object's are empty, as Clevis leaves them. CreatePrimary: tpm2_createprimary -C o -g sha256 -G ecc's template, so the TPM derives
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
    if (tpm_transact(fd, &c, &r, &rc)) return OB_ERROR;
    if (rc) return ob_error(OB_ERROR, "TPM2 CreatePrimary failed (0x%x)", rc);
    if (response_handle(&r, &primary)) return OB_ERROR;

    start(&c, 0x8002, 0x157);
    put32(&c, primary);
    password_session(&c);
    putbytes(&c, token->priv, (size_t)token->privlen);
    putbytes(&c, token->pub, (size_t)token->publen);
    int status = tpm_transact(fd, &c, &r, &rc);
    flush(fd, primary);
    if (status) return OB_ERROR;
    if (rc) return ob_error(OB_ERROR, "TPM2 Load failed (0x%x): the key was sealed by another TPM", rc);
    if (response_handle(&r, &object)) return OB_ERROR;

    /* Without pcr_ids Clevis seals with userwithauth and no policy: the empty password unseals. */
    if (!token->has_pcrs) {
        start(&c, 0x8002, 0x15E);
        put32(&c, object);
        password_session(&c);
        return unseal_response(fd, object, 0, token, &c, &r, out, outsize);
    }

    unsigned char nonce[32];
    if (getrandom(nonce, sizeof nonce, 0) != sizeof nonce) {
        flush(fd, object);
        return ob_error(OB_ERROR, "no random numbers");
    }
    start(&c, 0x8001, 0x176);
    put32(&c, 0x40000007); put32(&c, 0x40000007);
    put16(&c, sizeof nonce); putbytes(&c, nonce, sizeof nonce);
    put16(&c, 0);
    put8(&c, 0x01);          /* TPM_SE_POLICY */
    put16(&c, 0x0010);       /* no parameter encryption */
    put16(&c, TPM_ALG_SHA256);
    if (tpm_transact(fd, &c, &r, &rc)) return OB_ERROR;
    if (rc || response_handle(&r, &session)) {
        flush(fd, object);
        return rc ? ob_error(OB_ERROR, "TPM2 StartAuthSession failed (0x%x)", rc) : OB_ERROR;
    }

    start(&c, 0x8001, 0x17F);    /* PolicyPCR */
    put32(&c, session);
    put16(&c, 0);
    put32(&c, 1);                /* TPML_PCR_SELECTION: one bank */
    put16(&c, token->bank);
    put8(&c, 3);
    putbytes(&c, token->select, 3);
    if (tpm_transact(fd, &c, &r, &rc)) return OB_ERROR;
    if (rc) {
        flush(fd, session);
        flush(fd, object);
        return ob_error(OB_ERROR, "TPM2 PolicyPCR failed (0x%x)", rc);
    }

    start(&c, 0x8002, 0x15E);
    put32(&c, object);
    put32(&c, 4 + 2 + sizeof nonce + 1 + 2);
    put32(&c, session);
    put16(&c, sizeof nonce); putbytes(&c, nonce, sizeof nonce);
    put8(&c, 0);             /* the session ends with the command */
    put16(&c, 0);
    return unseal_response(fd, object, session, token, &c, &r, out, outsize);
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
