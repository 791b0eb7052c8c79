/* ob-pcr-extend: extend one SHA-256 PCR with a digest, by a raw TPM2_PCR_Extend on /dev/tpm0
 * (no tpm2-tools in the unlocker). Stage 1 uses it before kexec: kexec itself extends nothing.
 *   ob-pcr-extend PCR HEX-SHA256     e.g. ob-pcr-extend 8 $(sha256sum vmlinuz | cut -d' ' -f1)
 * Build: gcc -Os -o ob-pcr-extend ob-pcr-extend.c */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void be32(unsigned char *p, unsigned v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

int main(int argc, char **argv) {
    if (argc != 3 || strlen(argv[2]) != 64) { fprintf(stderr, "usage: ob-pcr-extend PCR HEX-SHA256\n"); return 2; }
    unsigned char c[65] = {0x80, 0x02};                 /* TPM_ST_SESSIONS */
    be32(c + 2, sizeof c);                              /* commandSize */
    be32(c + 6, 0x00000182);                            /* TPM_CC_PCR_Extend */
    be32(c + 10, (unsigned)atoi(argv[1]));              /* pcrHandle */
    be32(c + 14, 9);                                    /* authorizationSize */
    be32(c + 18, 0x40000009);                           /* TPM_RS_PW, empty nonce/attrs/hmac */
    be32(c + 27, 1);                                    /* TPML_DIGEST_VALUES.count */
    c[31] = 0x00; c[32] = 0x0b;                         /* TPM_ALG_SHA256 */
    for (int i = 0; i < 32; i++) { unsigned b; sscanf(argv[2] + 2 * i, "%2x", &b); c[33 + i] = b; }
    int fd = open("/dev/tpm0", O_RDWR);
    if (fd < 0) { perror("ob-pcr-extend: /dev/tpm0"); return 1; }
    if (write(fd, c, sizeof c) != (ssize_t)sizeof c) { perror("ob-pcr-extend: write"); return 1; }
    unsigned char r[64];
    ssize_t n = read(fd, r, sizeof r);
    if (n < 10) { perror("ob-pcr-extend: read"); return 1; }
    unsigned rc = (unsigned)r[6] << 24 | r[7] << 16 | r[8] << 8 | r[9];
    if (rc != 0) { fprintf(stderr, "ob-pcr-extend: TPM response code 0x%x\n", rc); return 1; }
    return 0;
}
