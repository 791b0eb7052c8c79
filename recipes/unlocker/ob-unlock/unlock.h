/* One Clevis JWE: its pin's key (tpm2, tang, or sss of those), then AES-256-GCM. */
#ifndef OB_UNLOCK_H
#define OB_UNLOCK_H

#include <stddef.h>

#include "jwe.h"

/* The plaintext in a new buffer (wipe it), or the pin's exit status. depth counts sss levels. */
int ob_jwe_decrypt(const jwe_parts *jwe, const char *device, int port, int depth, unsigned char **plain, size_t *plainlen);

/* The tpm2 pin's content key (32 bytes, a new buffer) from the TPM on fd: the TPM unseals a
 * JWK whose "k" is the key. srk: the pinned name of the TPM's storage key (the token's
 * "ownerboot":{"srk":HEX}), or NULL. OB_OK, OB_REFUSED, OB_UNHANDLED or OB_ERROR. */
int ob_tpm2_key(const char *header, const char *srk, int fd, unsigned char **cek, long *keylen);

/* -n: prints the name of Clevis's ECC primary on this TPM (hex, a line), the "srk" enrolment
 * pins: the exit status. */
int ob_print_srk(const char *device, int port);

/* -x: extends PCR with FILE's digest (see main.c): the exit status. */
int ob_measure(const char *device, int port, int major, long pcr, const char *path);

#endif
