/* Bounded lookups in the JSON Clevis writes (the LUKS2 token, JWE headers, JWKs, tang's
 * replies). Not a JSON parser: each lookup finds the first member of that name anywhere in
 * the text, which is all Clevis's flat objects need. Every function reads a NUL-terminated
 * string and never past its end. */
#ifndef OB_JSON_H
#define OB_JSON_H

/* A copy of the string value of the first "key": "..." member, or NULL when absent or when
 * it holds an escape (no field Clevis writes here has one: base64url, names, number lists)
 * or is longer than OB_MAX_FIELD. */
char *json_string(const char *json, const char *key);

/* The value of the first "key": NUMBER member (0-1000000), or -1. */
long json_number(const char *json, const char *key);

/* A copy of the innermost {...} around the first occurrence of `needle` (an object without
 * nested objects, such as a JWK), or NULL. */
char *json_object_around(const char *json, const char *needle);

/* A copy of the flat object the first "key": {...} member holds (no object nested in it, at most
 * OB_MAX_FIELD characters), or NULL: ownerboot's own member of a LUKS2 token. */
char *json_member_object(const char *json, const char *key);
/* Lists of strings ("jwe": ["...", "..."]): json_list opens the first "key": [ and returns a
 * cursor after the '[', or NULL. json_list_next copies the next string (at most OB_MAX_FIELD
 * characters, no escapes) into *item and returns 1, returns 0 at the closing ']', -1 when
 * the list is not a list of strings. */
const char *json_list(const char *json, const char *key);
int json_list_next(const char **cursor, char **item);

#endif
