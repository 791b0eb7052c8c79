#include "derive.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* A volume key is 32 or 64 bytes (AES-XTS 256/512); the file is raw bytes. */
#define VK_MAX 128
#define DUMP_LIMIT (256 * 1024)

static int read_volume_key(const char *vkfile, unsigned char *vk, size_t *vklen) {
    FILE *file = fopen(vkfile, "rb");
    if (!file) return ob_error(OB_ERROR, "cannot read the volume key file");
    size_t n = fread(vk, 1, VK_MAX, file);
    int more = fgetc(file) != EOF;
    fclose(file);
    if (n < 16 || more) {
        OPENSSL_cleanse(vk, VK_MAX);
        return ob_error(OB_ERROR, "the volume key file does not hold a volume key (16 to %d bytes)", VK_MAX);
    }
    *vklen = n;
    return OB_OK;
}

static int hmac(const unsigned char *key, size_t keylen, const void *data, size_t datalen, unsigned char out[32]) {
    unsigned int outlen = 0;
    if (keylen > 0x7fffffff) return OB_ERROR;
    if (!HMAC(EVP_sha256(), key, (int)keylen, data, datalen, out, &outlen) || outlen != 32) return ob_error(OB_ERROR, "no HMAC-SHA256");
    return OB_OK;
}

static int derive(const char *vkfile, const char *label, unsigned char out[32]) {
    unsigned char vk[VK_MAX];
    size_t vklen = 0;
    int status = read_volume_key(vkfile, vk, &vklen);
    if (status) return status;
    status = hmac(vk, vklen, label, strlen(label), out);
    OPENSSL_cleanse(vk, sizeof vk);
    return status;
}

static void hex(const unsigned char *bytes, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = 0;
}

int ob_print_derived(const char *vkfile, const char *label) {
    unsigned char key[32];
    char text[65];
    int status = derive(vkfile, label, key);
    if (status) return status;
    hex(key, sizeof key, text);
    OPENSSL_cleanse(key, sizeof key);
    int written = fputs(text, stdout) >= 0 && fflush(stdout) == 0;
    OPENSSL_cleanse(text, sizeof text);
    return written ? OB_OK : ob_error(OB_ERROR, "cannot write the derived key");
}

/* luksDump's key slot section, as cryptsetup 2.6 prints it:
 *   "  1: luks2" then tab-indented lines, among them "\tSalt:       xx xx ..." and its
 *   continuation lines ("\t            xx xx ..."), until the next slot or section. */
int ob_slot_salt(const char *dump, long slot, char *out, size_t outlen) {
    char header[32];
    int n = snprintf(header, sizeof header, "\n  %ld: ", slot);
    if (n < 0 || (size_t)n >= sizeof header || outlen < 1) return 0;
    const char *keyslots = strstr(dump, "\nKeyslots:\n");
    if (!keyslots && strncmp(dump, "Keyslots:\n", 10) == 0) keyslots = dump;
    if (!keyslots) return 0;
    const char *at = strstr(keyslots, header);
    const char *section_end = strstr(keyslots + 1, "\nTokens:");
    if (!at || (section_end && at > section_end)) return 0;
    const char *line = strchr(at + 1, '\n');
    size_t used = 0;
    int in_salt = 0, found = 0;
    while (line && line[1] == '\t') {
        const char *text = line + 2, *end = strchr(text, '\n');
        if (!end) end = text + strlen(text);
        const char *digits = NULL;
        if (strncmp(text, "Salt:", 5) == 0) {
            in_salt = found = 1;
            digits = text + 5;
        } else if (in_salt && *text == ' ') {
            digits = text;
        } else {
            in_salt = 0;
        }
        for (const char *p = digits; p && p < end; p++) {
            if (*p == ' ') continue;
            if (!isxdigit((unsigned char)*p) || used + 1 >= outlen) return 0;
            out[used++] = (char)tolower((unsigned char)*p);
        }
        line = *end ? end : NULL;
    }
    out[used] = 0;
    return found && used > 0 && used % 2 == 0;
}

static char *read_file(const char *path, size_t limit) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    char *text = ob_malloc(limit + 1);
    size_t n = fread(text, 1, limit, file);
    int more = fgetc(file) != EOF;
    fclose(file);
    if (more) { free(text); return NULL; }
    text[n] = 0;
    return text;
}

int ob_verify_tag(const char *vkfile, const char *dumpfile, const char *token) {
    char *tag = json_member_object(token, "ownerboot");
    if (!tag) return ob_error(OB_ERROR, "the token has no ownerboot tag");
    long generation = json_number(tag, "generation"), slot = json_number(tag, "slot");
    char *path = json_string(tag, "path"), *mac = json_string(tag, "mac");
    free(tag);
    int status = OB_ERROR;
    char *dump = NULL, *listed = NULL;
    if (generation < 0 || slot < 0 || slot > 31 || !path || !mac || strlen(path) > 32 || strlen(mac) != 64) {
        ob_error(OB_ERROR, "the token's ownerboot tag lacks a generation, path, slot or mac");
        goto done;
    }
    for (const char *p = path; *p; p++)
        if (!islower((unsigned char)*p)) { ob_error(OB_ERROR, "the token's ownerboot tag has a bad path"); goto done; }
    /* The token's own key slot list must be exactly the tagged slot. */
    char digits[24], *extra = NULL;
    snprintf(digits, sizeof digits, "%ld", slot);
    const char *cursor = json_list(token, "keyslots");
    int first = cursor ? json_list_next(&cursor, &listed) : -1;
    int second = first == 1 ? json_list_next(&cursor, &extra) : -1;
    free(extra);
    if (first != 1 || second != 0 || strcmp(listed, digits) != 0) {
        ob_error(OB_ERROR, "the token's keyslots are not the one slot its ownerboot tag names");
        goto done;
    }
    dump = read_file(dumpfile, DUMP_LIMIT);
    char salt[2 * 64 + 1];
    if (!dump || !ob_slot_salt(dump, slot, salt, sizeof salt)) {
        ob_error(OB_ERROR, "key slot %ld is not in the container's header (luksDump)", slot);
        goto done;
    }
    char message[256];
    int n = snprintf(message, sizeof message, "ownerboot token tag v1\ngeneration=%ld\npath=%s\nslot=%ld\nsalt=%s\n", generation, path, slot, salt);
    if (n < 0 || (size_t)n >= sizeof message) { ob_error(OB_ERROR, "the tag is too long"); goto done; }
    unsigned char key[32], expected[32], given[32];
    if (derive(vkfile, OB_TAG_LABEL, key)) goto done;
    int ok = hmac(key, sizeof key, message, (size_t)n, expected) == OB_OK;
    OPENSSL_cleanse(key, sizeof key);
    for (size_t i = 0; ok && i < 32; i++) {
        unsigned int byte;
        if (!isxdigit((unsigned char)mac[2 * i]) || !isxdigit((unsigned char)mac[2 * i + 1]) || sscanf(mac + 2 * i, "%2x", &byte) != 1) ok = 0;
        else given[i] = (unsigned char)byte;
    }
    if (!ok || CRYPTO_memcmp(expected, given, sizeof expected) != 0) {
        ob_error(OB_ERROR, "the token's ownerboot tag is not authentic (its mac does not match this container's key)");
        goto done;
    }
    printf("%ld %s %ld\n", generation, path, slot);
    status = fflush(stdout) == 0 ? OB_OK : OB_ERROR;
done:
    free(path);
    free(mac);
    free(dump);
    free(listed);
    return status;
}
