/* JWE (RFC 7516) as Clevis writes it: alg "dir" (tpm2, sss) or "ECDH-ES" (tang), enc A256GCM,
 * in the flattened JSON form of the LUKS2 token or the compact form of sss's inner pins. */
#ifndef OB_JWE_H
#define OB_JWE_H

#include <stddef.h>

/* The base64url parts a decryption needs (encrypted_key is empty with alg dir and ECDH-ES). */
typedef struct {
    char *protected64, *iv64, *ciphertext64, *tag64;
    char *srk; /* a LUKS2 token's "ownerboot":{"srk":HEX}: the TPM storage key it was enrolled with, or NULL */
} jwe_parts;

/* The members of the protected header that choose the pin. */
typedef struct {
    char *json; /* the decoded header, NUL-terminated */
    char *pin, *enc, *alg;
} jwe_header;

/* The LUKS2 token `cryptsetup token export` prints: OB_OK, OB_UNHANDLED when it is not a
 * Clevis token, OB_ERROR when its JWE lacks a part. srk from its "ownerboot" member. */
int jwe_from_luks_token(const char *token, jwe_parts *out);
/* The parts of the flattened JWE at `jwe` (inside `token`) and the "srk" of the token's
 * "ownerboot" member: OB_OK, or OB_ERROR naming the token kind `what` when a part lacks. */
int jwe_from_token_member(const char *token, const char *jwe, const char *what, jwe_parts *out);

/* A compact JWE protected.encrypted_key.iv.ciphertext.tag: OB_OK or OB_ERROR. */
int jwe_from_compact(const char *compact, jwe_parts *out);
void jwe_parts_free(jwe_parts *parts);

/* Decodes and reads the protected header: OB_OK, OB_ERROR (not base64url JSON, no pin),
 * OB_UNHANDLED (enc is not A256GCM). */
int jwe_header_read(const char *protected64, jwe_header *out);
void jwe_header_free(jwe_header *header);

/* Checks the iv (12 bytes) and tag (16) before any pin runs: OB_OK or OB_ERROR. */
int jwe_check_lengths(const jwe_parts *parts);

/* AES-256-GCM with the protected header as associated data. A new buffer in *plain (wipe it),
 * or OB_ERROR when the key does not decrypt it. */
int jwe_decrypt_with(const jwe_parts *parts, const unsigned char *cek, size_t keylen, unsigned char **plain, size_t *plainlen);

#endif
