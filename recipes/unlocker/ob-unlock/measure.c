/* -x PCR FILE: extend PCR with FILE's digest before a kexec hand-over (kexec itself measures
 * nothing, so what the OS's kernel is would not reach the TPM). TPM 2.0: TPM2_PCR_Extend of
 * the SHA-256 bank; TPM 1.2 (the X230's): TPM_Extend with the SHA-1 digest. Prints the SHA-256. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>

#include "tpm.h"
#include "unlock.h"
#include "util.h"

int ob_measure(const char *device, int port, int major, long pcr, const char *path) {
    if (pcr < 0 || pcr > 23) return ob_error(OB_ERROR, "usage: ob-unlock -x PCR FILE (PCR 0-23)");
    FILE *file = fopen(path, "rb");
    if (!file) return ob_error(OB_ERROR, "cannot open the file to measure");
    EVP_MD_CTX *sha256 = EVP_MD_CTX_new(), *sha1 = EVP_MD_CTX_new();
    if (!sha256 || !sha1 || !EVP_DigestInit_ex(sha256, EVP_sha256(), NULL) || !EVP_DigestInit_ex(sha1, EVP_sha1(), NULL))
        return ob_error(OB_ERROR, "no SHA-256/SHA-1");
    static unsigned char chunk[1 << 16];
    size_t got;
    int hashed = 1;
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
        hashed &= EVP_DigestUpdate(sha256, chunk, got) && EVP_DigestUpdate(sha1, chunk, got);
    int unreadable = ferror(file);
    fclose(file);
    if (unreadable) return ob_error(OB_ERROR, "cannot read the file to measure (a verity error?)");
    unsigned char d256[32], d1[20];
    if (!hashed || !EVP_DigestFinal_ex(sha256, d256, NULL) || !EVP_DigestFinal_ex(sha1, d1, NULL)) return ob_error(OB_ERROR, "no SHA-256/SHA-1");
    EVP_MD_CTX_free(sha256);
    EVP_MD_CTX_free(sha1);
    /* The TPM's version (-V, else sysfs's tpm_version_major: "1" or "2"); TPM 2.0 if unknown. */
    if (major == 0) {
        major = 2;
        FILE *version = fopen("/sys/class/tpm/tpm0/tpm_version_major", "r");
        if (version) {
            if (fscanf(version, "%d", &major) != 1) major = 2;
            fclose(version);
        }
    }
    int fd = -1;
    if (port > 0) {
        if (tpm_open(device, port, &fd)) return OB_ERROR;
    } else if ((fd = open(device, O_RDWR | O_CLOEXEC)) < 0) {
        return ob_error(OB_NO_TPM, "no TPM device to measure into");
    }
    uint32_t rc = 0;
    int status = tpm_extend(fd, major, (uint32_t)pcr, d1, d256, &rc);
    close(fd);
    if (status) return rc ? ob_error(OB_ERROR, "the TPM refused the PCR extend (response code 0x%x)", rc) : OB_ERROR;
    for (size_t i = 0; i < sizeof d256; i++) printf("%02x", d256[i]);
    printf("\n");
    return OB_OK;
}
