#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *skip_space(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

char *json_string(const char *json, const char *key) {
    size_t klen = strlen(key);
    const char *p = json;
    while ((p = strchr(p, '"')) != NULL) {
        /* strncmp stops at the text's NUL, so p[1 + klen] is inside the text when it matched. */
        if (strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '"') {
            const char *q = skip_space(p + 2 + klen);
            if (*q == ':') {
                q = skip_space(q + 1);
                if (*q != '"') return NULL;
                const char *start = ++q;
                while (*q && *q != '"' && *q != '\\' && q - start < OB_MAX_FIELD) q++;
                if (*q != '"') return NULL;
                return ob_strndup(start, (size_t)(q - start));
            }
        }
        p++;
    }
    return NULL;
}

long json_number(const char *json, const char *key) {
    char pattern[64];
    int n = snprintf(pattern, sizeof pattern, "\"%s\"", key);
    if (n < 0 || (size_t)n >= sizeof pattern) return -1;
    const char *p = strstr(json, pattern);
    if (!p) return -1;
    p += n;
    while (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p < '0' || *p > '9') return -1;
    long v = strtol(p, NULL, 10);
    return v > 1000000 ? -1 : v;
}

char *json_object_around(const char *json, const char *needle) {
    const char *at = strstr(json, needle);
    if (!at) return NULL;
    const char *open = at, *close = at;
    while (open > json && *open != '{') open--;
    while (*close && *close != '}') close++;
    if (*open != '{' || *close != '}') return NULL;
    return ob_strndup(open, (size_t)(close - open) + 1);
}

const char *json_list(const char *json, const char *key) {
    char pattern[64];
    int n = snprintf(pattern, sizeof pattern, "\"%s\"", key);
    if (n < 0 || (size_t)n >= sizeof pattern) return NULL;
    const char *p = strstr(json, pattern);
    if (!p) return NULL;
    p += n;
    while (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    return *p == '[' ? p + 1 : NULL;
}

int json_list_next(const char **cursor, char **item) {
    const char *p = *cursor;
    while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    if (*p == ']') {
        *cursor = p;
        return 0;
    }
    if (*p != '"') return -1;
    const char *start = p + 1, *end = start;
    while (*end && *end != '"' && *end != '\\' && end - start < OB_MAX_FIELD) end++;
    if (*end != '"') return -1;
    *item = ob_strndup(start, (size_t)(end - start));
    *cursor = end + 1;
    return 1;
}

char *json_member_object(const char *json, const char *key) {
    char pattern[64];
    int n = snprintf(pattern, sizeof pattern, "\"%s\"", key);
    if (n < 0 || (size_t)n >= sizeof pattern) return NULL;
    const char *p = strstr(json, pattern);
    if (!p) return NULL;
    p = skip_space(p + n);
    if (*p != ':') return NULL;
    p = skip_space(p + 1);
    if (*p != '{') return NULL;
    const char *end = p + 1;
    while (*end && *end != '}' && *end != '{' && end - p < OB_MAX_FIELD) end++;
    if (*end != '}') return NULL;
    return ob_strndup(p, (size_t)(end - p) + 1);
}
