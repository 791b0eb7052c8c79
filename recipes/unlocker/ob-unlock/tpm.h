/* TPM 2.0 (and one TPM 1.2) command, marshalled by hand (TPM 2.0 Part 3), over a device
 * (/dev/tpmrm0, /dev/tpm0) or a simulator's raw command port. Every response is read from a
 * TPM the unlocker does not trust to be well formed: lengths are checked before use. */
#ifndef OB_TPM_H
#define OB_TPM_H

#include <stddef.h>
#include <stdint.h>

#define TPM_BUF 4096

typedef struct {
    unsigned char b[TPM_BUF];
    size_t n;
    int overflow; /* a put went past TPM_BUF: the command is not sent */
} tpm_buf;

/* The tpm2 pin's token (its protected header), checked. */
typedef struct {
    unsigned char *pub, *priv; /* TPM2B_PUBLIC and TPM2B_PRIVATE of the sealed JWK */
    long publen, privlen;
    uint16_t bank;             /* TPM_ALG_SHA256 or TPM_ALG_SHA1 */
    unsigned char select[3];   /* PCRs 0-23 */
    int has_pcrs;
    char *bank_name, *ids;     /* as the token says them, for messages */
} tpm2_token;

/* OB_OK, OB_ERROR (damaged), OB_UNHANDLED (hash, key or bank Clevis can write but this does not read). */
int tpm2_token_read(const char *header, tpm2_token *out);
void tpm2_token_free(tpm2_token *token);

/* A connected file descriptor: the simulator's port on 127.0.0.1 when port > 0, else the
 * device. OB_OK and *fd, or OB_ERROR. */
int tpm_open(const char *device, int port, int *fd);

/* Sends cmd, reads one response into rsp: OB_OK and its response code in *rc, or OB_ERROR
 * when the TPM cannot be written or read or its response is malformed. */
int tpm_transact(int fd, tpm_buf *cmd, tpm_buf *rsp, uint32_t *rc);

/* Unseals the token's JWK (NUL-terminated into out): OB_OK, OB_REFUSED (PCR policy), OB_ERROR.
 * The Unseal is authorised by a session salted to Clevis's ECC primary (a policy session with
 * PolicyPCR when the token has PCRs, else an HMAC session), with its response encrypted
 * (AES-128-CFB) and its HMAC checked: session.c. srk, when not NULL, is the primary's name as
 * enrolled (SESSION_NAME bytes): a primary with another name gets no salt (OB_ERROR). */
int tpm2_unseal(int fd, const tpm2_token *token, const unsigned char *srk, char *out, size_t outsize);

/* The name (0x000B || SHA-256 of its TPMT_PUBLIC) of Clevis's ECC primary on this TPM, which
 * enrolment pins as the token's "srk": OB_OK or OB_ERROR. */
int tpm2_primary_name(int fd, unsigned char name[34]);

/* A pinned name as the token holds it (68 hex digits, "000b..."): OB_OK, or OB_ERROR. */
int tpm2_name_from_hex(const char *hex, unsigned char name[34]);

/* Extends PCR (0-23) with the SHA-1 digest on a TPM 1.2 (major 1) or the SHA-256 one on a
 * TPM 2.0: OB_OK, or OB_ERROR with *rc the TPM's response code when it refused. */
int tpm_extend(int fd, int major, uint32_t pcr, const unsigned char sha1[20], const unsigned char sha256[32], uint32_t *rc);

#endif
