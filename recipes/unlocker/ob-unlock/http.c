#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

const char *http_post(const char *url, const char *path, const char *body, int seconds) {
    http_url u;
    if (http_url_parse(url, &u)) return NULL;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
    char port[8];
    snprintf(port, sizeof port, "%d", u.port);
    if (getaddrinfo(u.host, port, &hints, &ai)) {
        ob_error(OB_UNREACHABLE, "cannot resolve tang host %s", u.host);
        return NULL;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(ai);
        return NULL;
    }
    int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    if (r < 0 && errno == EINPROGRESS) r = poll(&pfd, 1, seconds * 1000) == 1 ? 0 : -1;
    int err = 0;
    socklen_t el = sizeof err;
    if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
        ob_error(OB_UNREACHABLE, "tang at %s is not reachable", url);
        close(fd);
        return NULL;
    }
    static char req[4096];
    int n = snprintf(req, sizeof req, "POST %s%s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/jwk+json\r\nContent-Length: %zu\r\n\r\n%s",
                     u.base, path, u.host, strlen(body), body);
    if (n <= 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    static char rsp[65536];
    size_t got = 0;
    pfd.events = POLLIN;
    while (got < sizeof rsp - 1 && poll(&pfd, 1, seconds * 1000) == 1) {
        ssize_t k = read(fd, rsp + got, sizeof rsp - 1 - got);
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    rsp[got] = 0;
    const char *reply = http_reply_body(rsp, got);
    if (!reply) ob_error(OB_ERROR, "tang at %s refused the recovery", url);
    return reply;
}
