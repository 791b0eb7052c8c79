/* unlocker-derive: what ob-unlock -R reads from the disk before it kills a key slot: the text
 * of `cryptsetup luksDump` (each key slot's salt, ob_slot_salt) and a token's ownerboot tag
 * (ob_verify_tag: the tag object, generation, path, slot, mac, the token's keyslots). The input
 * is the dump, a NUL, then the token. A fixed volume key; no tag an input makes may verify
 * (the fuzzer cannot make an HMAC), which the harness checks. Seeds: real luksDump text and
 * tags (scripts/fuzz-seeds-unlocker.sh). */
#include <stdio.h>
#include <unistd.h>

#include "derive.h"
#include "fuzz.h"

static char vkfile[] = "/tmp/ob-fuzz-vk-XXXXXX", dumpfile[] = "/tmp/ob-fuzz-dump-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_quiet();
    int vk = mkstemp(vkfile), dump = mkstemp(dumpfile);
    if (vk < 0 || dump < 0) abort();
    unsigned char key[64];
    for (size_t i = 0; i < sizeof key; i++) key[i] = (unsigned char)(i * 7 + 1);
    if (write(vk, key, sizeof key) != (ssize_t)sizeof key) abort();
    close(vk);
    close(dump);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 256 * 1024) return -1;
    char *text = fuzz_text(data, size);
    size_t dumplen = strlen(text);
    const char *token = dumplen < size ? text + dumplen + 1 : "";
    char salt[129];
    for (long slot = 0; slot < 32; slot++) {
        if (ob_slot_salt(text, slot, salt, sizeof salt) && (strlen(salt) % 2 || strlen(salt) >= sizeof salt)) abort();
    }
    FILE *dump = fopen(dumpfile, "wb");
    if (!dump) abort();
    if (fwrite(text, 1, dumplen, dump) != dumplen) abort();
    fclose(dump);
    int saved = dup(1);
    FILE *null = freopen("/dev/null", "w", stdout);
    if (!null) abort();
    /* Without the volume key's HMAC no tag verifies. */
    if (ob_verify_tag(vkfile, dumpfile, token) == OB_OK) abort();
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    free(text);
    return 0;
}
