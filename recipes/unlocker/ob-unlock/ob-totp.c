/*
 * ob-totp: the code the owner compares with an authenticator before typing the passphrase.
 * It reads one ownerboot-totp LUKS2 token (`cryptsetup token export` of a token `ownerboot totp
 * enroll` wrote) on standard input, has the TPM unseal the TOTP secret in it (Clevis's tpm2
 * pin, sealed to the PCR 2 ownerboot predicted for one boot path of the firmware: ob-unlock's
 * JWE and TPM code), and prints the RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) for the clock's
 * time, and nothing else. The secret stays in this process's memory and is wiped before it
 * exits: it never reaches the console, a file or a pipe.
 *
 * Exit status (as ob-unlock's): 0 code printed; 2 not an ownerboot-totp token, or a pin other
 * than tpm2; 3 the TPM refused (its PCRs differ from those the secret was sealed to: this is
 * not the firmware it was sealed for); 1 anything else.
 *
 * Usage: ob-totp [-d DEVICE | -t PORT] [-s UNIXTIME] < token.json   (-t: a TPM simulator's raw
 * command port on 127.0.0.1, for host tests; -s: the time to compute the code for, for tests;
 * default: the system clock, which Linux set from the RTC at boot)
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jwe.h"
#include "totp.h"
#include "unlock.h"
#include "util.h"

#define TOKEN_LIMIT (64 * 1024)

static int usage(void) {
    return ob_error(OB_ERROR, "usage: ob-totp [-d DEVICE | -t PORT] [-s UNIXTIME] < ownerboot-totp-token.json");
}

int main(int argc, char **argv) {
    const char *device = "/dev/tpmrm0";
    int port = 0;
    long long at = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-d") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc) at = atoll(argv[++i]);
        else return usage();
    }
    static char input[TOKEN_LIMIT + 1];
    size_t n = fread(input, 1, TOKEN_LIMIT, stdin);
    input[n] = 0;
    if (n == TOKEN_LIMIT) return ob_error(OB_ERROR, "the token is too large");
    jwe_parts jwe;
    int status = totp_jwe_from_token(input, &jwe);
    if (status) return status;
    status = totp_check_pin(&jwe);
    unsigned char *secret = NULL;
    size_t secretlen = 0;
    if (!status) status = ob_jwe_decrypt(&jwe, device, port, 0, &secret, &secretlen);
    jwe_parts_free(&jwe);
    if (status) return status;
    if (at < 0) at = (long long)time(NULL);
    char code[TOTP_DIGITS + 1];
    status = secretlen < 16 ? ob_error(OB_ERROR, "the unsealed TOTP secret is %zu bytes, fewer than RFC 4226's 16", secretlen)
                            : totp_code(secret, secretlen, (uint64_t)at, code, sizeof code);
    ob_free_secret(secret, secretlen);
    if (status) return status;
    if (printf("%s\n", code) < 0 || fflush(stdout)) return ob_error(OB_ERROR, "cannot write the code");
    return OB_OK;
}
