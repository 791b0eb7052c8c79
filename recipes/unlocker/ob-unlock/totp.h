/* ownerboot's TOTP code (RFC 6238: HMAC-SHA1 over RFC 4226's counter, 30-second steps, six
 * digits) from a secret sealed to the firmware's predicted PCR 2, and the LUKS2 token that
 * holds it: {"type":"ownerboot-totp","keyslots":[],"jwe":{flattened JWE, Clevis's tpm2 pin},
 * "ownerboot":{"generation":N,"path":"fallback","srk":HEX}} (`ownerboot totp enroll` writes it). */
#ifndef OB_TOTP_H
#define OB_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "jwe.h"

#define TOTP_PERIOD 30
#define TOTP_DIGITS 6

/* The JWE of an ownerboot-totp token (srk from its "ownerboot" member, as a Clevis token's):
 * OB_OK, OB_UNHANDLED when the token is of another type, OB_ERROR when its JWE lacks a part. */
int totp_jwe_from_token(const char *token, jwe_parts *out);

/* The JWE's pin is Clevis's tpm2 (the only pin that says which firmware runs): OB_OK, or
 * OB_UNHANDLED for any other pin (a code that a server or a share could recover means nothing
 * about the firmware), OB_ERROR when the header cannot be read. */
int totp_check_pin(const jwe_parts *jwe);

/* RFC 4226's HOTP value of `secret` for `counter`, truncated to TOTP_DIGITS digits: 0-999999,
 * or -1 when HMAC-SHA1 fails. */
long totp_hotp(const unsigned char *secret, size_t secretlen, uint64_t counter);

/* The code for `unix_time` (seconds since 1970, UTC) as TOTP_DIGITS digits and a NUL in out
 * (at least TOTP_DIGITS + 1 bytes): OB_OK or OB_ERROR. */
int totp_code(const unsigned char *secret, size_t secretlen, uint64_t unix_time, char *out, size_t outsize);

#endif
