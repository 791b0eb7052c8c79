/* pipe2 */
#define _GNU_SOURCE
#include "sss.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "b64.h"
#include "json.h"
#include "unlock.h"
#include "util.h"

void sss_token_free(sss_token *token) {
    free(token->prime);
    for (int i = 0; i < token->count; i++) jwe_parts_free(&token->pins[i]);
    memset(token, 0, sizeof *token);
}

int sss_token_read(const char *header, sss_token *out) {
    memset(out, 0, sizeof *out);
    out->t = json_number(header, "t");
    char *p64 = json_string(header, "p");
    const char *list = json_list(header, "jwe");
    int status = OB_OK;
    if (out->t < 1 || !p64 || !strstr(header, "\"jwe\"")) {
        status = ob_error(OB_ERROR, "the sss token lacks t, p or its inner JWEs");
        goto done;
    }
    long plen = b64url_decode(p64, &out->prime);
    if (plen != 32) {
        status = ob_error(OB_UNHANDLED, "sss token: only 32-byte primes (A256GCM keys, Clevis's default) are handled");
        goto done;
    }
    out->plen = (size_t)plen;
    if (!list) {
        status = ob_error(OB_ERROR, "the sss token's jwe member is not a list");
        goto done;
    }
    for (;;) {
        char *compact = NULL;
        int more = json_list_next(&list, &compact);
        if (more == 0) break;
        if (more < 0) {
            status = ob_error(OB_ERROR, "the sss token's jwe member is not a list of strings");
            goto done;
        }
        if (out->count == SSS_MAX_PINS) {
            free(compact);
            status = ob_error(OB_ERROR, "the sss token asks for more than %d pins (at most %d per sss token)", SSS_MAX_PINS, SSS_MAX_PINS);
            goto done;
        }
        status = jwe_from_compact(compact, &out->pins[out->count]);
        free(compact);
        if (status) goto done;
        out->count++;
    }
    if (out->t > out->count) status = ob_error(OB_ERROR, "the sss token's threshold is larger than its number of pins");
done:
    free(p64);
    if (status != OB_OK) sss_token_free(out);
    return status;
}

int sss_combine(const unsigned char *prime, size_t plen, const unsigned char *const *shares, int used, unsigned char cek[32]) {
    if (plen == 0 || plen > 64 || used < 1 || used > SSS_MAX_PINS) return ob_error(OB_ERROR, "sss: bad share size or count");
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *pp = BN_bin2bn(prime, (int)plen, NULL), *k = BN_new(), *acc = BN_new(), *tmp = BN_new();
    BIGNUM *xo = NULL, *yo = NULL, *xi = NULL;
    int status = OB_OK;
    if (!ctx || !pp || !k || !acc || !tmp) {
        status = ob_error(OB_ERROR, "out of memory");
        goto done;
    }
    /* A modulus below 2 leaves nothing to invert. */
    if (BN_cmp(pp, BN_value_one()) <= 0) {
        status = ob_error(OB_ERROR, "sss: the token's prime is not a prime");
        goto done;
    }
    BN_zero(k);
    for (int i = 0; i < used; i++) {
        xo = BN_bin2bn(shares[i], (int)plen, NULL);
        yo = BN_bin2bn(shares[i] + plen, (int)plen, NULL);
        if (!xo || !yo || !BN_one(acc)) {
            status = ob_error(OB_ERROR, "out of memory");
            goto done;
        }
        for (int j = 0; j < used; j++) {
            if (i == j) continue;
            xi = BN_bin2bn(shares[j], (int)plen, NULL);
            /* acc *= (0 - xi) / (xo - xi) mod p */
            if (!xi || !BN_set_word(tmp, 0) || !BN_mod_sub(tmp, tmp, xi, pp, ctx) || !BN_mod_mul(acc, acc, tmp, pp, ctx)
                || !BN_mod_sub(tmp, xo, xi, pp, ctx) || BN_mod_inverse(tmp, tmp, pp, ctx) != tmp || !BN_mod_mul(acc, acc, tmp, pp, ctx)) {
                status = ob_error(OB_ERROR, "sss: two shares have the same x (damaged token?)");
                goto done;
            }
            BN_free(xi);
            xi = NULL;
        }
        if (!BN_mod_mul(acc, acc, yo, pp, ctx) || !BN_mod_add(k, k, acc, pp, ctx)) {
            status = ob_error(OB_ERROR, "sss arithmetic failed");
            goto done;
        }
        BN_clear_free(xo);
        BN_clear_free(yo);
        xo = yo = NULL;
    }
    if (BN_bn2binpad(k, cek, 32) != 32) status = ob_error(OB_ERROR, "sss: the recovered key is not 32 bytes");
done:
    BN_free(xi);
    BN_clear_free(xo);
    BN_clear_free(yo);
    BN_clear_free(k);
    BN_clear_free(acc);
    BN_clear_free(tmp);
    BN_free(pp);
    BN_CTX_free(ctx);
    return status;
}

/* Counts without messages: a pin's own child reports what is wrong with it. */
static void count_pin(const jwe_parts *pin, int depth, int *total) {
    (*total)++;
    if (*total > SSS_MAX_CHILDREN || depth + 1 > SSS_MAX_DEPTH) return;
    jwe_header header;
    if (jwe_header_read(pin->protected64, &header) != OB_OK) return;
    sss_token inner;
    if (header.pin && !strcmp(header.pin, "sss") && sss_token_read(header.json, &inner) == OB_OK) {
        for (int i = 0; i < inner.count && *total <= SSS_MAX_CHILDREN; i++) count_pin(&inner.pins[i], depth + 1, total);
        sss_token_free(&inner);
    }
    jwe_header_free(&header);
}

int sss_count_children(const sss_token *token, int depth, int *total) {
    int quiet = ob_quiet;
    ob_quiet = 1;
    for (int i = 0; i < token->count && *total <= SSS_MAX_CHILDREN; i++) count_pin(&token->pins[i], depth, total);
    ob_quiet = quiet;
    if (*total > SSS_MAX_CHILDREN)
        return ob_error(OB_ERROR, "the sss token and the sss tokens nested in it ask for more than %d pins in all (at most %d)",
                        SSS_MAX_CHILDREN, SSS_MAX_CHILDREN);
    return OB_OK;
}

/* In a child process, its level's deadline (its own sss level ends a margin before it) and the
 * write end of the pipe to its parent (the children it starts must not hold it open). */
static long long enclosing_deadline;
static int upward_fd = -1;

/* One share, recovered by a child process into a pipe. */
typedef struct {
    pid_t pid;
    int fd;
    unsigned char *share;
    size_t got;
    int status; /* -1 while running, then the child's exit status */
} share_t;

static int share_start(share_t *s, const jwe_parts *pin, size_t sharelen, const char *device, int port, int depth, long long deadline) {
    int fds[2];
    s->pid = 0;
    s->fd = -1;
    s->got = 0;
    s->status = 1;
    s->share = ob_malloc(sharelen);
    if (pipe2(fds, O_CLOEXEC) < 0) return ob_error(OB_ERROR, "pipe failed");
    pid_t parent = getpid();
    fflush(stderr);
    s->pid = fork();
    if (s->pid < 0) {
        close(fds[0]);
        close(fds[1]);
        s->pid = 0;
        return ob_error(OB_ERROR, "fork failed");
    }
    if (s->pid == 0) {
        /* Killed when its parent ends, however it ends (the parent may be gone already). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) _exit(OB_ERROR);
        close(fds[0]);
        if (upward_fd >= 0) close(upward_fd);
        upward_fd = fds[1];
        enclosing_deadline = deadline;
        unsigned char *plain = NULL;
        size_t len = 0;
        int status = ob_jwe_decrypt(pin, device, port, depth + 1, &plain, &len);
        if (status) _exit(status);
        ssize_t w = write(fds[1], plain, len);
        OPENSSL_cleanse(plain, len);
        _exit(w == (ssize_t)len ? 0 : 1);
    }
    close(fds[1]);
    s->fd = fds[0];
    s->status = -1;
    return OB_OK;
}

/* Reaps a child (EINTR retried); its exit status, or 1 when it did not exit on its own. */
static int reap(pid_t pid) {
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0)
        if (errno != EINTR) return 1;
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1;
}

int sss_recover(const char *header, const char *device, int port, int depth, unsigned char cek[32]) {
    if (depth > SSS_MAX_DEPTH) return ob_error(OB_UNHANDLED, "sss token nested more than %d deep", SSS_MAX_DEPTH + 1);
    long long deadline = enclosing_deadline ? enclosing_deadline - SSS_NESTED_MARGIN_MS : ob_deadline(SSS_SECONDS * 1000LL);
    sss_token token;
    int status = sss_token_read(header, &token);
    if (status) return status;
    int total = 0;
    status = sss_count_children(&token, depth, &total);
    if (status) {
        sss_token_free(&token);
        return status;
    }
    size_t sharelen = token.plen * 2;
    share_t shares[SSS_MAX_PINS];
    int count = 0, have = 0, running = 0, late = 0;
    for (; count < token.count; count++) {
        if (share_start(&shares[count], &token.pins[count], sharelen, device, port, depth, deadline)) {
            count++;
            break;
        }
        running++;
    }

    /* Collect shares as the children finish (all of them, for the message); stop at t or at the deadline. */
    while (have < token.t && running > 0) {
        struct pollfd pfd[SSS_MAX_PINS];
        int map[SSS_MAX_PINS], n = 0;
        for (int i = 0; i < count; i++)
            if (shares[i].fd >= 0 && shares[i].status < 0) { pfd[n].fd = shares[i].fd; pfd[n].events = POLLIN; map[n++] = i; }
        int left = ob_ms_left(deadline);
        if (left == 0) {
            late = running;
            break;
        }
        int ready = poll(pfd, (nfds_t)n, left);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) break;
        for (int k = 0; k < n; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            share_t *s = &shares[map[k]];
            ssize_t r = read(s->fd, s->share + s->got, sharelen - s->got);
            if (r < 0 && errno == EINTR) continue;
            if (r > 0) { s->got += (size_t)r; if (s->got < sharelen) continue; }
            /* The whole share, or the child closed its end: it has ended or is about to. */
            close(s->fd);
            s->fd = -1;
            s->status = reap(s->pid);
            s->pid = 0;
            if (s->status == 0 && s->got != sharelen) s->status = 1;
            if (s->status == 0) have++;
            running--;
        }
    }
    /* Every child still running is killed and reaped (its own children die with it). */
    for (int i = 0; i < count; i++) {
        if (shares[i].pid > 0) {
            kill(shares[i].pid, SIGKILL);
            (void)reap(shares[i].pid);
            shares[i].pid = 0;
        }
        if (shares[i].fd >= 0) close(shares[i].fd);
    }
    if (have < token.t) {
        /* Too few shares: say why with the most telling pin status (the unlocker prints it). */
        status = OB_ERROR;
        for (int i = 0; i < count; i++) if (shares[i].status == OB_REFUSED) status = OB_REFUSED;
        for (int i = 0; i < count; i++) if (shares[i].status == OB_UNREACHABLE && status != OB_REFUSED) status = OB_UNREACHABLE;
        if (late)
            ob_error(status, "sss: %d of %d pins answered within %d s, %ld needed (%d stopped at the deadline)", have, token.count,
                     SSS_SECONDS, token.t, late);
        else
            ob_error(status, "sss: %d of %d pins answered, %ld needed", have, token.count, token.t);
    } else {
        const unsigned char *points[SSS_MAX_PINS];
        int used = 0;
        for (int i = 0; i < count && used < token.t; i++) if (shares[i].status == 0) points[used++] = shares[i].share;
        status = sss_combine(token.prime, token.plen, points, used, cek);
    }
    for (int i = 0; i < count; i++) ob_free_secret(shares[i].share, sharelen);
    sss_token_free(&token);
    return status;
}
