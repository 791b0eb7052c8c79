/* Keys the unlocker derives from a root container's volume key (which only someone who could
 * open that container holds): the state's key, which binds the state partition to its root,
 * and the key that authenticates ownerboot's tags on the Clevis tokens (which key slot a token
 * sealed for which generation owns), so a token the disk's attacker forged or edited never
 * makes the unlocker kill a key slot. The Swift side (Orchestrator/Disks: ClevisTokenTag,
 * StateKey) derives the same values when it provisions and enrols. */
#ifndef OB_DERIVE_H
#define OB_DERIVE_H

#include <stddef.h>

/* The labels (HMAC-SHA256(volume key, label)). */
#define OB_STATE_LABEL "ownerboot state key v1"
#define OB_TAG_LABEL "ownerboot token tag v1"

/* -k VKFILE LABEL: prints HMAC-SHA256(the volume key in VKFILE, LABEL) as 64 lowercase hex
 * digits (the state's LUKS passphrase, into a pipe to cryptsetup). */
int ob_print_derived(const char *vkfile, const char *label);

/* -R VKFILE DUMP: the token on standard input (`cryptsetup token export`), DUMP the text of
 * `cryptsetup luksDump` of the same container. Prints "GENERATION PATH SLOT" and returns OB_OK
 * only when the token's "ownerboot" member carries a "mac" that authenticates its generation,
 * path and slot together with that key slot's salt (so a tag copied onto a later key slot of
 * the same number does not verify), and the token's "keyslots" is exactly that slot;
 * otherwise OB_ERROR and a message naming what failed. */
int ob_verify_tag(const char *vkfile, const char *dumpfile, const char *token);

/* For the fuzz harness: the salt of key slot `slot` in a luksDump text, as lowercase hex
 * without spaces, into out (at most outlen - 1 digits): 1 found, 0 not. */
int ob_slot_salt(const char *dump, long slot, char *out, size_t outlen);

#endif
