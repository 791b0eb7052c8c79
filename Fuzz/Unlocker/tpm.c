/* unlocker-tpm: the first byte picks the conversation, the rest is what the TPM answers: one
 * response per frame (a 16-bit big-endian length, then that many bytes), each handed to one
 * read() as /dev/tpmrm0 does (a SOCK_SEQPACKET pair keeps the frames apart), so the TPM's own
 * size field can lie about the bytes that come:
 *   0  the tpm2 pin with PCRs: CreatePrimary (its public point and name parsed), Load,
 *      StartAuthSession salted to the primary, the flush of the primary, PolicyPCR, Unseal
 *      (its response session parsed and its HMAC checked), the flush of the object
 *   1  the tpm2 pin without PCRs (the same, with an HMAC session instead of PolicyPCR)
 *   2  -x on a TPM 2.0 (PCR_Extend)      3  -x on a TPM 1.2 (TPM_Extend)
 *   +4 (modes 0 and 1) the token pins a storage key name ("srk"), compared before the salt
 * A made-up answer cannot carry the session's HMAC (the salt is random on every run), so the
 * decryption after it is reached only by the host tests (TPMSessionTests).
 * Seeds: swtpm's responses to ob-unlock (a good unseal, a refused one, both extends). */
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "tpm.h"
#include "unlock.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

/* A tpm2 pin's header with TPM2B-shaped blobs (the TPM's answers decide what happens). */
static const char with_pcrs[] = "{\"clevis\":{\"pin\":\"tpm2\",\"tpm2\":{\"hash\":\"sha256\",\"key\":\"ecc\",\"pcr_bank\":\"sha256\","
                                "\"pcr_ids\":\"0,7\",\"jwk_pub\":\"AAIAAA\",\"jwk_priv\":\"AAIAAA\"}}}";
static const char without_pcrs[] = "{\"clevis\":{\"pin\":\"tpm2\",\"tpm2\":{\"hash\":\"sha256\",\"key\":\"ecc\","
                                   "\"jwk_pub\":\"AAIAAA\",\"jwk_priv\":\"AAIAAA\"}}}";

/* A storage key name as enrolment pins it (a public area with this name is beyond the
 * fuzzer: with the pin, made-up answers stop before StartAuthSession). */
static const char pinned[] = "000b5f91d0b89ee4ffa2396c391c7228b9105319b0175413fd438fe52bbe6b35e98e";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 65536) return -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) abort();
    /* At most 16 responses (an unseal takes 7), each at most 8 KiB. */
    size_t at = 1;
    for (int frames = 0; frames < 16 && at + 2 <= size; frames++) {
        size_t len = (size_t)data[at] << 8 | data[at + 1];
        at += 2;
        if (len > size - at) len = size - at;
        if (len > 8192) len = 8192;
        if (len > 0 && write(sv[1], data + at, len) != (ssize_t)len) abort();
        at += len;
    }
    shutdown(sv[1], SHUT_WR);
    int mode = data[0] & 3;
    if (mode < 2) {
        unsigned char *cek = NULL;
        long keylen = 0;
        const char *srk = data[0] & 4 ? pinned : NULL;
        if (ob_tpm2_key(mode == 0 ? with_pcrs : without_pcrs, srk, sv[0], &cek, &keylen) == OB_OK) ob_free_secret(cek, (size_t)keylen);
    } else {
        static const unsigned char sha1[20], sha256[32];
        uint32_t rc;
        (void)tpm_extend(sv[0], mode == 3 ? 1 : 2, 8, sha1, sha256, &rc);
    }
    close(sv[0]);
    close(sv[1]);
    return 0;
}
