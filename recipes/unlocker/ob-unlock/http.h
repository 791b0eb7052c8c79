/* The one HTTP exchange of the tang pin: POST to http://host[:port][/base]/rec/KID. */
#ifndef OB_HTTP_H
#define OB_HTTP_H

#include <stddef.h>

typedef struct {
    char host[256];
    int port;
    char base[256]; /* the URL's path ("" for none) */
} http_url;

/* http://host[:port][/path]; host of letters, digits, '.', '-', '_', port 1-65535. OB_OK or OB_ERROR. */
int http_url_parse(const char *url, http_url *out);

/* The body of a complete reply (`reply` holds `length` bytes and a NUL after them) when its
 * status line is HTTP/1.x 200, else NULL. */
const char *http_reply_body(const char *reply, size_t length);

/* 1 when `length` bytes of a reply are all of it before the server closes: its header ends and
 * a Content-Length it names has arrived (tangd names one); else 0 (read on until the server
 * closes the connection or the deadline passes). */
int http_reply_complete(const char *reply, size_t length);

/* POSTs body (application/jwk+json) to url's base + path. One deadline, `seconds` after the
 * call, bounds all of it: resolving a host name, connecting, sending and every read (a server
 * that answers a byte at a time cannot stretch it). OB_OK and *reply, the reply's body (a static
 * buffer, overwritten by the next call); OB_UNREACHABLE (message on standard error) when the
 * server cannot be reached, did not answer completely within `seconds`, or answered with another
 * status than 200; OB_ERROR when the URL is not one. */
int http_post(const char *url, const char *path, const char *body, int seconds, const char **reply);

#endif
