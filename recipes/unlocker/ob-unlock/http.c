/* memmem, pipe2 */
#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

int http_url_parse(const char *url, http_url *out) {
    memset(out, 0, sizeof *out);
    out->port = 80;
    if (strncmp(url, "http://", 7)) return ob_error(OB_ERROR, "tang URL %.300s is not http://", url);
    const char *h = url + 7;
    size_t hl = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");
    if (hl == 0 || hl >= sizeof out->host || (h[hl] && h[hl] != ':' && h[hl] != '/'))
        return ob_error(OB_ERROR, "tang URL %.300s has no host name", url);
    memcpy(out->host, h, hl);
    const char *rest = h + hl;
    if (*rest == ':') {
        char *end;
        errno = 0;
        long port = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || errno || port < 1 || port > 65535 || (*end && *end != '/'))
            return ob_error(OB_ERROR, "tang URL %.300s has no valid port", url);
        out->port = (int)port;
        rest = end;
    }
    /* The path as given (clevis-decrypt-tang appends /rec/KID to the URL as written). */
    size_t bl = strlen(rest);
    if (bl >= sizeof out->base || strcspn(rest, " \t\r\n") < bl) return ob_error(OB_ERROR, "tang URL %.300s has no valid path", url);
    memcpy(out->base, rest, bl);
    return OB_OK;
}

const char *http_reply_body(const char *reply, size_t length) {
    /* "HTTP/1.1 200 OK\r\n": the status code is the second field of the first line. */
    if (length < 12 || strncmp(reply, "HTTP/1.", 7) || reply[8] != ' ' || strncmp(reply + 9, "200", 3)
        || (reply[12] != ' ' && reply[12] != '\r'))
        return NULL;
    const char *body = strstr(reply, "\r\n\r\n");
    return body ? body + 4 : NULL;
}

int http_reply_complete(const char *reply, size_t length) {
    const char *end = memmem(reply, length, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t head = (size_t)(end - reply) + 4;
    /* The header lines after the status line: "Content-Length: DIGITS", any case. */
    for (const char *line = memmem(reply, head, "\r\n", 2); line && line + 2 < end;) {
        line += 2;
        const char *next = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
        if (!next) break;
        if ((size_t)(next - line) > 15 && !strncasecmp(line, "Content-Length:", 15)) {
            const char *d = line + 15;
            while (d < next && (*d == ' ' || *d == '\t')) d++;
            size_t value = 0;
            int digits = 0;
            for (; d < next && *d >= '0' && *d <= '9' && value <= 1000000; d++, digits++) value = value * 10 + (size_t)(*d - '0');
            while (d < next && (*d == ' ' || *d == '\t')) d++;
            return digits > 0 && d == next && value <= 1000000 && length - head >= value;
        }
        line = next;
    }
    return 0;
}

/* The host's IPv4 address. A name is resolved in a child process (getaddrinfo has no time
 * limit of its own, and a DNS server may be as slow as a tang server): the parent waits for it
 * until the deadline, then kills it. OB_OK, or OB_UNREACHABLE (reported). */
static int resolve(const char *url, const http_url *u, long long deadline, int seconds, struct sockaddr_in *out) {
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *ai;
    memset(out, 0, sizeof *out);
    if (getaddrinfo(u->host, NULL, &hints, &ai) == 0) {
        memcpy(out, ai->ai_addr, sizeof *out);
        freeaddrinfo(ai);
    } else {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0) return ob_error(OB_UNREACHABLE, "cannot resolve tang host %s (pipe failed)", u->host);
        pid_t parent = getpid();
        fflush(stderr);
        pid_t child = fork();
        if (child < 0) {
            close(fds[0]);
            close(fds[1]);
            return ob_error(OB_UNREACHABLE, "cannot resolve tang host %s (fork failed)", u->host);
        }
        if (child == 0) {
            /* Dies with ob-unlock, whatever ends it. */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) _exit(1);
            close(fds[0]);
            hints.ai_flags = 0;
            if (getaddrinfo(u->host, NULL, &hints, &ai)) _exit(1);
            ssize_t w = write(fds[1], ai->ai_addr, sizeof *out);
            _exit(w == (ssize_t)sizeof *out ? 0 : 1);
        }
        close(fds[1]);
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int left, r;
        while ((left = ob_ms_left(deadline)) > 0 && (r = poll(&pfd, 1, left)) < 0 && errno == EINTR) {}
        ssize_t got = left > 0 && (pfd.revents & (POLLIN | POLLHUP)) ? read(fds[0], out, sizeof *out) : -1;
        close(fds[0]);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        if (left == 0) return ob_error(OB_UNREACHABLE, "tang at %s did not answer within %d s (resolving %s)", url, seconds, u->host);
        if (got != (ssize_t)sizeof *out || out->sin_family != AF_INET) return ob_error(OB_UNREACHABLE, "cannot resolve tang host %s", u->host);
    }
    out->sin_port = htons((uint16_t)u->port);
    return OB_OK;
}

/* Waits for `events` on fd until the deadline: 1 ready, 0 the deadline passed, -1 an error. */
static int wait_for(int fd, short events, long long deadline) {
    struct pollfd pfd = {.fd = fd, .events = events};
    for (;;) {
        int left = ob_ms_left(deadline);
        if (left == 0) return 0;
        int r = poll(&pfd, 1, left);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r > 0) return 1;
    }
}

int http_post(const char *url, const char *path, const char *body, int seconds, const char **reply) {
    *reply = NULL;
    long long deadline = ob_deadline((long long)seconds * 1000);
    http_url u;
    if (http_url_parse(url, &u)) return OB_ERROR;
    static char req[4096];
    int n = snprintf(req, sizeof req, "POST %s%s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/jwk+json\r\nContent-Length: %zu\r\n\r\n%s",
                     u.base, path, u.host, strlen(body), body);
    if (n <= 0 || (size_t)n >= sizeof req) return ob_error(OB_ERROR, "the tang request is too long");
    struct sockaddr_in address;
    int status = resolve(url, &u, deadline, seconds, &address);
    if (status) return status;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return ob_error(OB_UNREACHABLE, "tang at %s is not reachable (no socket)", url);
    /* Connect, send, read: each waits only for what is left of the one deadline. */
    int ready = 1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
        if (errno != EINPROGRESS) ready = -1;
        else if ((ready = wait_for(fd, POLLOUT, deadline)) == 1) {
            int err = 0;
            socklen_t el = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) ready = -1;
        }
    }
    static char rsp[65536];
    size_t got = 0, sent = 0;
    while (ready == 1 && sent < (size_t)n) {
        ssize_t k = send(fd, req + sent, (size_t)n - sent, MSG_NOSIGNAL);
        if (k > 0) sent += (size_t)k;
        else if (k < 0 && (errno == EAGAIN || errno == EINTR)) ready = wait_for(fd, POLLOUT, deadline);
        else ready = -1;
    }
    if (ready != 1) {
        close(fd);
        if (ready == 0) return ob_error(OB_UNREACHABLE, "tang at %s did not answer within %d s", url, seconds);
        return ob_error(OB_UNREACHABLE, "tang at %s is not reachable", url);
    }
    /* Read until the server closes, the reply is complete (Content-Length), or the deadline. */
    while (got < sizeof rsp - 1 && !http_reply_complete(rsp, got)) {
        ssize_t k = read(fd, rsp + got, sizeof rsp - 1 - got);
        if (k > 0) got += (size_t)k;
        else if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
            if ((ready = wait_for(fd, POLLIN, deadline)) != 1) break;
        } else break;
    }
    close(fd);
    rsp[got] = 0;
    if (ready == 0) return ob_error(OB_UNREACHABLE, "tang at %s did not answer within %d s (%zu bytes of its reply came)", url, seconds, got);
    *reply = http_reply_body(rsp, got);
    if (!*reply) return ob_error(OB_UNREACHABLE, "tang at %s refused the recovery", url);
    return OB_OK;
}
