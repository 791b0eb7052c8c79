/*
 * ob-unlock: the unattended half of ownerboot's unlocker. It reads one Clevis LUKS2 token
 * (the JSON `cryptsetup token export` prints) on standard input and, when it can recover the
 * key without a person, writes the LUKS passphrase to standard output (a pipe into
 * `cryptsetup open --key-file=-`; it never reaches the console).
 *
 * Pins: tpm2 (Clevis 19's format: an ECC primary in the owner hierarchy, the sealed JWK
 * loaded under it and unsealed through a PCR policy session; pcr_bank sha256 or sha1), and
 * tang (ECDH-ES with the McCallum-Relyea exchange: one HTTP POST to the server's /rec/KID,
 * three seconds at most to reach it), and sss (Clevis's threshold pin: Shamir's secret sharing
 * over the token's prime field; each inner pin runs in a child process, side by side, and the
 * key is recovered as soon as t of them answered).
 * The TPM is spoken to directly (TPM2 command bytes on /dev/tpmrm0), and the JWE
 * (alg "dir", enc "A256GCM") is decrypted with OpenSSL's libcrypto, which cryptsetup already
 * brings into the initramfs: no bash, jose or tpm2-tools, a few KiB instead of ~11 MB.
 *
 * Exit status: 0 key written; 2 pin not handled here; 3 the TPM refused (its PCRs differ
 * from those the key was sealed to); 4 tang not reachable; 5 (-o) the key did not open the
 * disk; 1 anything else. An sss token that fewer than t pins answered exits 3 when a TPM
 * refused, else 4 when a tang server was not reachable, else 1. Messages go to standard error and
 * never contain key material.
 *
 * Usage: ob-unlock [-d DEVICE | -t PORT] [-o LUKSDEVICE NAME]   (-t: a TPM simulator's raw
 * command port on 127.0.0.1, for host tests; -o: open LUKSDEVICE as /dev/mapper/NAME with the
 * key instead of printing it)
 *        ob-unlock [-d DEVICE | -t PORT] -n   (prints the TPM name of Clevis's ECC primary, the
 * "srk" an enrolment pins in the token's "ownerboot" member; with it, the unseal's salt goes only
 * to that key)
 *        ob-unlock [-t PORT] [-V 1|2] -x PCR FILE   (before a kexec hand-over: extend PCR with
 * FILE's digest on /dev/tpm0, TPM 2.0 or 1.2 (-V, else sysfs); prints FILE's SHA-256; the
 * unlocker's cap is -x 2 with its cap event)
 *        ob-unlock -s VKFILE   (prints the state's key, derived from the root's volume key)
 *        ob-unlock -R VKFILE DUMP < token.json   (prints "GENERATION PATH SLOT" when the token's
 * ownerboot tag is authentic for the container whose volume key and luksDump text these are)
 *
 * Sources, one concern each: main.c (arguments, the token on standard input, -o), unlock.c (a
 * JWE: its pin's key, then AES-GCM), jwe.c (JWE parts and header), json.c (bounded lookups),
 * b64.c (base64url), tpm.c (TPM commands and responses), tang.c and http.c (the tang exchange),
 * sss.c (threshold shares), measure.c (-x), derive.c (-s, -R). The Makefile holds the one set of hardening flags
 * the recipe, the host tests and the fuzz build all use; Fuzz/Unlocker holds the harnesses.
 */
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "derive.h"
#include "jwe.h"
#include "unlock.h"
#include "util.h"

#define TOKEN_LIMIT (256 * 1024)

static int usage(void) {
    return ob_error(OB_ERROR, "usage: ob-unlock [-d DEVICE | -t PORT] [-o LUKSDEVICE NAME] < token.json [> passphrase] | ob-unlock [-t PORT] [-V 1|2] -x PCR FILE | ob-unlock -s VKFILE | ob-unlock -R VKFILE DUMP < token.json");
}

/* -o: hands the key to `cryptsetup open` through a pipe (cryptsetup runs only when there is a
 * key to try, so a refused token costs no key-slot search). */
static int open_with(const unsigned char *plain, size_t plainlen, const char *luks, const char *name) {
    int fds[2];
    if (pipe(fds) < 0) return ob_error(OB_ERROR, "pipe failed");
    pid_t child = fork();
    if (child < 0) return ob_error(OB_ERROR, "fork failed");
    if (child == 0) {
        close(fds[1]);
        dup2(fds[0], 0);
        /* With OB_VOLUME_KEY_FILE (the unlocker always sets it) the key yields the volume key
         * instead (one PBKDF run, as `open` costs), into that RAM file: the unlocker opens the
         * disk with it, derives the state's key and checks the token tags with it, and before a
         * kexec hand-over passes it to the OS kernel's stage 2. The dump's text is not shown. */
        const char *vkfile = getenv("OB_VOLUME_KEY_FILE");
        if (vkfile && *vkfile) {
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) dup2(null, 1);
            execlp("cryptsetup", "cryptsetup", "luksDump", "--dump-volume-key", "--volume-key-file", vkfile,
                   "--batch-mode", "--key-file=-", luks, (char *)NULL);
        } else {
            execlp("cryptsetup", "cryptsetup", "open", "--key-file=-", luks, name, (char *)NULL);
        }
        _exit(127);
    }
    close(fds[0]);
    ssize_t written = write(fds[1], plain, plainlen);
    close(fds[1]);
    int wstatus = 0;
    waitpid(child, &wstatus, 0);
    if (written != (ssize_t)plainlen || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
        return ob_error(OB_NOT_OPENED, "the recovered key did not open the disk");
    return OB_OK;
}

int main(int argc, char **argv) {
    const char *device = "/dev/tpmrm0", *luks = NULL, *name = NULL;
    int port = 0, major = 0, print_srk = 0;
    const char *pcr = NULL, *measured = NULL, *given = NULL, *state_vk = NULL, *tag_vk = NULL, *tag_dump = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-x") && i + 2 < argc) { pcr = argv[++i]; measured = argv[++i]; }
        else if (!strcmp(argv[i], "-V") && i + 1 < argc) major = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-d") && i + 1 < argc) device = given = argv[++i];
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-o") && i + 2 < argc) { luks = argv[++i]; name = argv[++i]; }
        else if (!strcmp(argv[i], "-n")) print_srk = 1;
        else if (!strcmp(argv[i], "-s") && i + 1 < argc) state_vk = argv[++i];
        else if (!strcmp(argv[i], "-R") && i + 2 < argc) { tag_vk = argv[++i]; tag_dump = argv[++i]; }
        else return usage();
    }
    /* Measuring extends a PCR: the TPM itself (/dev/tpm0, also a TPM 1.2), not the resource manager. */
    if (pcr) return ob_measure(given ? given : "/dev/tpm0", port, major, strtol(pcr, NULL, 10), measured);
    /* -n: the name of Clevis's ECC primary, which enrolment pins as the token's "srk". */
    if (print_srk) return ob_print_srk(device, port);
    /* -s: the state's key, derived from the root's volume key (derive.c). */
    if (state_vk) return ob_print_derived(state_vk, OB_STATE_LABEL);
    static char input[TOKEN_LIMIT + 1];
    size_t n = fread(input, 1, TOKEN_LIMIT, stdin);
    input[n] = 0;
    if (n == TOKEN_LIMIT) return ob_error(OB_ERROR, "the token is too large");
    /* -R: is this token's ownerboot tag authentic (a key slot the unlocker may retire)? */
    if (tag_vk) return ob_verify_tag(tag_vk, tag_dump, input);
    jwe_parts jwe;
    int status = jwe_from_luks_token(input, &jwe);
    if (status) return status;
    unsigned char *plain = NULL;
    size_t plainlen = 0;
    status = ob_jwe_decrypt(&jwe, device, port, 0, &plain, &plainlen);
    jwe_parts_free(&jwe);
    if (status) return status;
    if (!luks) {
        if (fwrite(plain, 1, plainlen, stdout) != plainlen || fflush(stdout)) status = ob_error(OB_ERROR, "cannot write the key");
    } else {
        status = open_with(plain, plainlen, luks, name);
    }
    ob_free_secret(plain, plainlen);
    return status;
}
