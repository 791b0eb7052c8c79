#include "totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

int totp_jwe_from_token(const char *token, jwe_parts *out) {
    memset(out, 0, sizeof *out);
    /* The first "type" member is the token's own: the JWE's members are base64url. */
    char *type = json_string(token, "type");
    int ours = type && !strcmp(type, "ownerboot-totp");
    free(type);
    const char *jwe = strstr(token, "\"jwe\"");
    if (!ours || !jwe) return ob_error(OB_UNHANDLED, "not an ownerboot-totp token");
    return jwe_from_token_member(token, jwe, "ownerboot-totp", out);
}

int totp_check_pin(const jwe_parts *jwe) {
    jwe_header header;
    int status = jwe_header_read(jwe->protected64, &header);
    if (status) return status;
    if (strcmp(header.pin, "tpm2")) status = ob_error(OB_UNHANDLED, "the TOTP secret is sealed with the %s pin, not tpm2: its code would say nothing about the firmware", header.pin);
    jwe_header_free(&header);
    return status;
}

long totp_hotp(const unsigned char *secret, size_t secretlen, uint64_t counter) {
    unsigned char message[8];
    for (int i = 7; i >= 0; i--) {
        message[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (secretlen > 0x7fffffff || !HMAC(EVP_sha1(), secret, (int)secretlen, message, sizeof message, mac, &maclen) || maclen != 20)
        return -1;
    /* RFC 4226 5.3: dynamic truncation at the offset the last nibble gives. */
    unsigned offset = mac[19] & 0x0fu;
    unsigned long binary = ((unsigned long)(mac[offset] & 0x7f) << 24) | ((unsigned long)mac[offset + 1] << 16) |
                           ((unsigned long)mac[offset + 2] << 8) | (unsigned long)mac[offset + 3];
    OPENSSL_cleanse(mac, sizeof mac);
    unsigned long modulus = 1;
    for (int i = 0; i < TOTP_DIGITS; i++) modulus *= 10;
    return (long)(binary % modulus);
}

int totp_code(const unsigned char *secret, size_t secretlen, uint64_t unix_time, char *out, size_t outsize) {
    if (outsize < TOTP_DIGITS + 1) return ob_error(OB_ERROR, "no room for the code");
    long value = totp_hotp(secret, secretlen, unix_time / TOTP_PERIOD);
    if (value < 0) return ob_error(OB_ERROR, "HMAC-SHA1 failed");
    int written = snprintf(out, outsize, "%0*ld", TOTP_DIGITS, value);
    return written == TOTP_DIGITS ? OB_OK : ob_error(OB_ERROR, "the code is not %d digits", TOTP_DIGITS);
}
