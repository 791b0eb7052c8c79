/* The TPM session crypto of the unseal (TPM 2.0 Part 1): a session salted to the ECC primary
 * (ECDH on NIST P-256 and KDFe, Annex C.6.1), its sessionKey ("sessionKey Creation": KDFa
 * "ATH"), the command and response HMACs ("HMAC Computation") and response parameter
 * encryption with AES-128 in CFB mode (clause 21, "CFB Mode": KDFa "CFB"). SHA-256
 * throughout; OpenSSL's libcrypto does the arithmetic.
 *
 * What it keeps from a probe that reads the bus: the salt never crosses it (only an ephemeral
 * point, from which the TPM's private key derives the same salt), so neither does the
 * sessionKey; the unsealed data comes back encrypted under a key derived from it, and a
 * response an interposer changed fails its HMAC. What it does not: an interposer that answers
 * CreatePrimary with its own key gets the salt, unless the primary's name is pinned (tpm.c
 * checks it before the salt is sent); and one that sends the TPM commands of its own while
 * the PCRs hold the sealed values can unseal the object itself (the sealed blobs are in the
 * disk's LUKS2 header for anyone to read), which no session of this program prevents. */
#ifndef OB_SESSION_H
#define OB_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define SESSION_DIGEST 32 /* SHA-256 */
#define SESSION_NAME 34   /* a TPM name: nameAlg (0x000B) and SHA-256 of TPMT_PUBLIC */
#define SESSION_POINT 32  /* a P-256 coordinate */

typedef struct {
    unsigned char key[SESSION_DIGEST];          /* sessionKey */
    unsigned char nonce_tpm[SESSION_DIGEST];    /* the TPM's last nonce */
    size_t nonce_tpm_len;
    unsigned char nonce_caller[SESSION_DIGEST]; /* this side's last nonce */
} tpm_session;

/* name = 0x000B || SHA-256(public), the TPM's name of an object whose TPMT_PUBLIC (not the
 * TPM2B around it) is public[0..len). OB_OK or OB_ERROR. */
int session_name(const unsigned char *public, size_t len, unsigned char name[SESSION_NAME]);

/* KDFa (SP 800-108 counter mode with HMAC-SHA-256): outlen bytes. The
 * label is a C string; its NUL is part of the input, as the TPM counts it. */
int session_kdfa(const unsigned char *key, size_t keylen, const char *label, const unsigned char *u, size_t ulen,
                 const unsigned char *v, size_t vlen, unsigned char *out, size_t outlen);

/* KDFe (SP 800-56A concatenation with SHA-256): outlen bytes. */
int session_kdfe(const unsigned char *z, size_t zlen, const char *label, const unsigned char *u, size_t ulen,
                 const unsigned char *v, size_t vlen, unsigned char *out, size_t outlen);

/* The salt for a session whose tpmKey is the P-256 key (qx, qy) (each 1-32 bytes, as the
 * TPM's public area holds them): an ephemeral key pair, the salt from KDFe(Z, "SECRET",
 * Qe.x, Qs.x), and encrypted_salt = Qe as a TPMS_ECC_POINT (x and y, each a TPM2B of 32
 * bytes; 68 bytes) for StartAuthSession's TPM2B_ENCRYPTED_SECRET. OB_OK, or OB_ERROR when
 * (qx, qy) is not a point on the curve. */
int session_salt(const unsigned char *qx, size_t qxlen, const unsigned char *qy, size_t qylen,
                 unsigned char encrypted_salt[4 + 2 * SESSION_POINT], unsigned char salt[SESSION_DIGEST]);

/* After StartAuthSession answered nonceTPM: sessionKey = KDFa(salt, "ATH", nonceTPM,
 * nonceCaller) (no bind: bind is TPM_RH_NULL). s->nonce_caller holds the nonce the command
 * sent. OB_OK, or OB_ERROR when the TPM's nonce is not 16-32 bytes. */
int session_start(tpm_session *s, const unsigned char salt[SESSION_DIGEST], const unsigned char *nonce_tpm, size_t nonce_tpm_len);

/* A new nonceCaller and the command HMAC for a command code and one authorised handle's
 * name, without command parameters (Unseal's case): HMAC(sessionKey, cpHash || nonceCaller
 * || nonceTPM || attributes). OB_OK or OB_ERROR (no random numbers). */
int session_command_hmac(tpm_session *s, uint32_t cc, const unsigned char name[SESSION_NAME], uint8_t attributes,
                         unsigned char hmac[SESSION_DIGEST]);

/* Checks a successful response's HMAC: HMAC(sessionKey, rpHash || nonceTPM || nonceCaller ||
 * attributes) with rpHash = SHA-256(0 || cc || parameters); on success s->nonce_tpm becomes
 * the response's nonce. OB_OK, or OB_ERROR when it differs (constant time). */
int session_response_check(tpm_session *s, uint32_t cc, const unsigned char *parameters, size_t paramlen,
                           const unsigned char *nonce_tpm, size_t nonce_tpm_len, uint8_t attributes,
                           const unsigned char *hmac, size_t hmaclen);

/* Decrypts, in place, the first response parameter's data (the bytes of its TPM2B, not the
 * size): AES-128-CFB with key and IV from KDFa(sessionKey, "CFB", nonceTPM, nonceCaller),
 * the nonces of the response session_response_check accepted. OB_OK or OB_ERROR. */
int session_decrypt_response(const tpm_session *s, unsigned char *data, size_t len);

/* Wipes the session's key and nonces. */
void session_clear(tpm_session *s);

#endif
