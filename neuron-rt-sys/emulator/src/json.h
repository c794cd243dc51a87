/* json.h: a strict, bounded JSON (RFC 8259) parser for the metadata members of compiler NEFFs
   (FORMAT.md §5). Written for this emulator; no global state, thread-safe.

   Strict: exactly one value with optional whitespace around it; no comments, trailing commas,
   NaN/Infinity, leading zeros or '+'; strings are valid UTF-8 (no overlongs, surrogates or code
   points above U+10FFFF), contain no raw control characters, and \u escapes pair surrogates
   correctly; \u0000 is rejected (names become C strings); an object's member names are unique.
   Bounded: nesting depth at most NRTEMU_JSON_MAX_DEPTH; the caller bounds the input size.
   Numbers are validated by the grammar; only integers that fit in int64 have a value
   (nrtemu_json_int). */
#ifndef NRTEMU_JSON_H
#define NRTEMU_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NRTEMU_JSON_MAX_DEPTH 64

enum {
    NRTEMU_JSON_NULL,
    NRTEMU_JSON_BOOL,
    NRTEMU_JSON_NUMBER,
    NRTEMU_JSON_STRING,
    NRTEMU_JSON_ARRAY,
    NRTEMU_JSON_OBJECT
};

typedef struct nrtemu_json nrtemu_json;
struct nrtemu_json {
    int kind;
    bool boolean;        /* BOOL */
    bool is_int;         /* NUMBER: an integer within int64 */
    int64_t integer;     /* NUMBER when is_int */
    const char *str;     /* STRING: decoded, NUL-terminated (no NUL inside) */
    size_t str_len;
    const char *key;     /* member name when this node is an object member, else NULL */
    size_t count;        /* ARRAY / OBJECT: number of children */
    nrtemu_json *first;  /* ARRAY / OBJECT: first child */
    nrtemu_json *next;   /* next sibling */
};

typedef struct nrtemu_json_doc nrtemu_json_doc;

/* Parses text[0..len) (need not be NUL-terminated). 0 on success with *doc set (free it with
   nrtemu_json_free); -1 with a one-line reason naming the byte offset in err and *doc NULL. */
int nrtemu_json_parse(const char *text, size_t len, nrtemu_json_doc **doc, char *err,
                      size_t err_len);
const nrtemu_json *nrtemu_json_root(const nrtemu_json_doc *doc);
void nrtemu_json_free(nrtemu_json_doc *doc); /* NULL is a no-op */

/* Member lookup in an object: 0 found (*out set), 1 absent or obj not an object (-1 only if a
   name appeared twice, which the parser already rejects); *out is NULL unless found. */
int nrtemu_json_get(const nrtemu_json *obj, const char *key, const nrtemu_json **out);
/* i-th element of an array (NULL when out of range or not an array). O(i). */
const nrtemu_json *nrtemu_json_at(const nrtemu_json *arr, size_t i);
/* true and *out set when v is an integer NUMBER. */
bool nrtemu_json_int(const nrtemu_json *v, int64_t *out);
/* v's string, or NULL when v is not a STRING. */
const char *nrtemu_json_str(const nrtemu_json *v);

#endif
