/* ob-unlock: exit statuses, messages and allocation shared by every part. */
#ifndef OB_UTIL_H
#define OB_UTIL_H

#include <stddef.h>

/* The longest base64url field, JSON string or list a token may hold. */
#define OB_MAX_FIELD (64 * 1024)

/* Exit statuses (ob-unlock's contract with the unlocker's shell stages). */
enum {
    OB_OK = 0,
    OB_ERROR = 1,       /* anything else: a damaged token, an I/O error */
    OB_UNHANDLED = 2,   /* a pin or an option this unlocker does not handle */
    OB_REFUSED = 3,     /* the TPM refused: its PCRs differ from those sealed to */
    OB_UNREACHABLE = 4, /* tang not reachable */
    OB_NOT_OPENED = 5,  /* -o: the recovered key did not open the disk */
    OB_NO_TPM = 6,      /* -x: no TPM device to measure into */
};

/* Set by the fuzz harnesses: messages are not printed. */
extern int ob_quiet;

/* Prints "ob-unlock: MESSAGE" on standard error (never key material) and returns status. */
int ob_error(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* malloc/strndup that end the process (status 1) when memory runs out. */
void *ob_malloc(size_t size);
char *ob_strndup(const char *text, size_t length);

/* Wipes and frees a buffer that held key material (NULL is fine). */
void ob_free_secret(void *buffer, size_t size);

/* Deadlines on CLOCK_MONOTONIC (a clock the network or a settimeofday cannot move), in
 * milliseconds: ob_deadline(ms) is that far from now; ob_ms_left is what remains of one, 0 when
 * it has passed, as poll() takes it. */
long long ob_deadline(long long ms);
int ob_ms_left(long long deadline);

#endif
