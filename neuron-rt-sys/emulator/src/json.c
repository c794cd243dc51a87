/* json.c: strict JSON parser, see json.h. Recursive descent (depth-limited) into a tree of nodes
 * allocated from one arena per document, freed at once. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

typedef struct chunk {
    struct chunk *prev;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
} chunk;

struct nrtemu_json_doc {
    chunk *arena;
    nrtemu_json *root;
};

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    nrtemu_json_doc *doc;
    char *err;
    size_t err_len;
    bool oom;
} parser;

static void *arena_alloc(parser *ps, size_t n) {
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    chunk *c = ps->doc->arena;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        chunk *nc = malloc(sizeof *nc + cap);
        if (nc == NULL) {
            ps->oom = true;
            nrtemu_set_err(ps->err, ps->err_len, "json: out of memory");
            return NULL;
        }
        nc->prev = c;
        nc->used = 0;
        nc->cap = cap;
        ps->doc->arena = nc;
        c = nc;
    }
    void *r = c->data + c->used;
    c->used += n;
    return r;
}

static int fail(parser *ps, const char *what) {
    if (!ps->oom) nrtemu_set_err(ps->err, ps->err_len, "json: %s at byte %zu", what, ps->pos);
    return -1;
}

static void skip_ws(parser *ps) {
    while (ps->pos < ps->len) {
        unsigned char c = ps->p[ps->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        ps->pos++;
    }
}

static bool literal(parser *ps, const char *word) {
    size_t n = strlen(word);
    if (ps->len - ps->pos < n || memcmp(ps->p + ps->pos, word, n) != 0) return false;
    ps->pos += n;
    return true;
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int number(parser *ps, nrtemu_json *v) {
    bool neg = false;
    if (ps->pos < ps->len && ps->p[ps->pos] == '-') {
        neg = true;
        ps->pos++;
    }
    if (ps->pos >= ps->len || !is_digit(ps->p[ps->pos])) return fail(ps, "invalid number");
    uint64_t mag = 0;
    bool fits = true;
    if (ps->p[ps->pos] == '0') {
        ps->pos++;
        if (ps->pos < ps->len && is_digit(ps->p[ps->pos]))
            return fail(ps, "number with a leading zero");
    } else {
        while (ps->pos < ps->len && is_digit(ps->p[ps->pos])) {
            unsigned d = ps->p[ps->pos++] - '0';
            if (mag > (UINT64_MAX - d) / 10) fits = false;
            else mag = mag * 10 + d;
        }
    }
    bool integral = true;
    if (ps->pos < ps->len && ps->p[ps->pos] == '.') {
        integral = false;
        ps->pos++;
        if (ps->pos >= ps->len || !is_digit(ps->p[ps->pos]))
            return fail(ps, "number with no digits after '.'");
        while (ps->pos < ps->len && is_digit(ps->p[ps->pos])) ps->pos++;
    }
    if (ps->pos < ps->len && (ps->p[ps->pos] == 'e' || ps->p[ps->pos] == 'E')) {
        integral = false;
        ps->pos++;
        if (ps->pos < ps->len && (ps->p[ps->pos] == '+' || ps->p[ps->pos] == '-')) ps->pos++;
        if (ps->pos >= ps->len || !is_digit(ps->p[ps->pos]))
            return fail(ps, "number with no digits in the exponent");
        while (ps->pos < ps->len && is_digit(ps->p[ps->pos])) ps->pos++;
    }
    v->kind = NRTEMU_JSON_NUMBER;
    if (integral && fits && mag <= (uint64_t)INT64_MAX + (neg ? 1u : 0u)) {
        v->is_int = true;
        v->integer = neg ? (mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag)
                         : (int64_t)mag;
    }
    return 0;
}

static int hex4(parser *ps, uint32_t *out) {
    if (ps->len - ps->pos < 4) return fail(ps, "truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = ps->p[ps->pos++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return fail(ps, "invalid hex digit in a \\u escape");
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Length of the valid UTF-8 sequence at p[0..n), 0 when invalid (RFC 3629 table). */
static size_t utf8_seq(const unsigned char *p, size_t n) {
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c == 0xe0) { len = 3; lo = 0xa0; }
    else if (c >= 0xe1 && c <= 0xec) len = 3;
    else if (c == 0xed) { len = 3; hi = 0x9f; }
    else if (c >= 0xee && c <= 0xef) len = 3;
    else if (c == 0xf0) { len = 4; lo = 0x90; }
    else if (c >= 0xf1 && c <= 0xf3) len = 4;
    else if (c == 0xf4) { len = 4; hi = 0x8f; }
    else return 0;
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xbf) return 0;
    return len;
}

/* Parses a string starting at the opening quote. The decoded text is never longer than the
   source, so one allocation of the source length suffices. */
static int string(parser *ps, const char **out, size_t *out_len) {
    ps->pos++; /* opening quote */
    size_t end = ps->pos;
    while (end < ps->len && ps->p[end] != '"') end += ps->p[end] == '\\' ? 2 : 1;
    if (end >= ps->len) return fail(ps, "unterminated string");
    char *o = arena_alloc(ps, end - ps->pos + 1);
    if (o == NULL) return -1;
    size_t n = 0;
    while (ps->p[ps->pos] != '"') {
        unsigned char c = ps->p[ps->pos];
        if (c < 0x20) return fail(ps, "raw control character in a string");
        if (c != '\\') {
            size_t l = utf8_seq(ps->p + ps->pos, ps->len - ps->pos);
            if (l == 0) return fail(ps, "invalid UTF-8 in a string");
            memcpy(o + n, ps->p + ps->pos, l);
            n += l;
            ps->pos += l;
            continue;
        }
        ps->pos++;
        c = ps->p[ps->pos++];
        switch (c) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (hex4(ps, &cp) != 0) return -1;
            if (cp >= 0xdc00 && cp <= 0xdfff) return fail(ps, "unpaired low surrogate escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                uint32_t lo;
                if (!literal(ps, "\\u")) return fail(ps, "unpaired high surrogate escape");
                if (hex4(ps, &lo) != 0) return -1;
                if (lo < 0xdc00 || lo > 0xdfff) return fail(ps, "unpaired high surrogate escape");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0) return fail(ps, "\\u0000 (NUL) in a string is not supported");
            n += put_utf8(o + n, cp);
            break;
        }
        default: return fail(ps, "invalid escape in a string");
        }
    }
    ps->pos++; /* closing quote */
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return 0;
}

static int value(parser *ps, nrtemu_json *v, int depth);

static int cmp_key(const void *a, const void *b) {
    return strcmp((*(const nrtemu_json *const *)a)->key, (*(const nrtemu_json *const *)b)->key);
}

/* Rejects an object whose member names repeat (sorted copy of the member pointers). */
static int check_unique(parser *ps, const nrtemu_json *obj) {
    if (obj->count < 2) return 0;
    const nrtemu_json **v = malloc(obj->count * sizeof *v);
    if (v == NULL) {
        ps->oom = true;
        nrtemu_set_err(ps->err, ps->err_len, "json: out of memory");
        return -1;
    }
    size_t n = 0;
    for (const nrtemu_json *c = obj->first; c != NULL; c = c->next) v[n++] = c;
    qsort(v, n, sizeof *v, cmp_key);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++) {
        if (strcmp(v[i - 1]->key, v[i]->key) == 0) {
            nrtemu_set_err(ps->err, ps->err_len, "json: object member \"%.64s\" appears twice "
                                                 "(object ending at byte %zu)", v[i]->key, ps->pos);
            rc = -1;
        }
    }
    free(v);
    return rc;
}

static int container(parser *ps, nrtemu_json *v, int depth, bool object) {
    if (depth >= NRTEMU_JSON_MAX_DEPTH) return fail(ps, "nesting deeper than 64 levels");
    v->kind = object ? NRTEMU_JSON_OBJECT : NRTEMU_JSON_ARRAY;
    char close = object ? '}' : ']';
    ps->pos++;
    skip_ws(ps);
    if (ps->pos < ps->len && ps->p[ps->pos] == close) {
        ps->pos++;
        return 0;
    }
    nrtemu_json **tail = &v->first;
    for (;;) {
        nrtemu_json *c = arena_alloc(ps, sizeof *c);
        if (c == NULL) return -1;
        memset(c, 0, sizeof *c);
        skip_ws(ps);
        if (object) {
            size_t kl;
            if (ps->pos >= ps->len || ps->p[ps->pos] != '"') return fail(ps, "expected a member name");
            if (string(ps, &c->key, &kl) != 0) return -1;
            skip_ws(ps);
            if (ps->pos >= ps->len || ps->p[ps->pos] != ':') return fail(ps, "expected ':'");
            ps->pos++;
        }
        if (value(ps, c, depth + 1) != 0) return -1;
        *tail = c;
        tail = &c->next;
        v->count++;
        skip_ws(ps);
        if (ps->pos >= ps->len) return fail(ps, object ? "unterminated object" : "unterminated array");
        if (ps->p[ps->pos] == close) {
            ps->pos++;
            return object ? check_unique(ps, v) : 0;
        }
        if (ps->p[ps->pos] != ',') return fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        ps->pos++;
    }
}

static int value(parser *ps, nrtemu_json *v, int depth) {
    skip_ws(ps);
    if (ps->pos >= ps->len) return fail(ps, "unexpected end of input");
    switch (ps->p[ps->pos]) {
    case '{': return container(ps, v, depth, true);
    case '[': return container(ps, v, depth, false);
    case '"':
        v->kind = NRTEMU_JSON_STRING;
        return string(ps, &v->str, &v->str_len);
    case 't':
    case 'f':
        v->kind = NRTEMU_JSON_BOOL;
        v->boolean = ps->p[ps->pos] == 't';
        if (!literal(ps, v->boolean ? "true" : "false")) return fail(ps, "invalid literal");
        return 0;
    case 'n':
        v->kind = NRTEMU_JSON_NULL;
        if (!literal(ps, "null")) return fail(ps, "invalid literal");
        return 0;
    default: return number(ps, v);
    }
}

void nrtemu_json_free(nrtemu_json_doc *doc) {
    if (doc == NULL) return;
    for (chunk *c = doc->arena; c != NULL;) {
        chunk *p = c->prev;
        free(c);
        c = p;
    }
    free(doc);
}

int nrtemu_json_parse(const char *text, size_t len, nrtemu_json_doc **doc, char *err,
                      size_t err_len) {
    *doc = NULL;
    nrtemu_json_doc *d = calloc(1, sizeof *d);
    if (d == NULL) {
        nrtemu_set_err(err, err_len, "json: out of memory");
        return -1;
    }
    parser ps = {.p = (const unsigned char *)text, .len = text ? len : 0, .doc = d, .err = err,
                 .err_len = err_len};
    d->root = arena_alloc(&ps, sizeof *d->root);
    int rc = -1;
    if (d->root != NULL) {
        memset(d->root, 0, sizeof *d->root);
        rc = value(&ps, d->root, 0);
        if (rc == 0) {
            skip_ws(&ps);
            if (ps.pos != ps.len) rc = fail(&ps, "trailing characters after the value");
        }
    }
    if (rc != 0) {
        nrtemu_json_free(d);
        return -1;
    }
    *doc = d;
    return 0;
}

const nrtemu_json *nrtemu_json_root(const nrtemu_json_doc *doc) { return doc->root; }

int nrtemu_json_get(const nrtemu_json *obj, const char *key, const nrtemu_json **out) {
    const nrtemu_json *found = NULL;
    *out = NULL; /* callers may read *out whatever the result (absent -> NULL, never stale) */
    if (obj == NULL || obj->kind != NRTEMU_JSON_OBJECT) return 1;
    for (const nrtemu_json *c = obj->first; c != NULL; c = c->next) {
        if (strcmp(c->key, key) != 0) continue;
        if (found != NULL) return -1;
        found = c;
    }
    if (found == NULL) return 1;
    *out = found;
    return 0;
}

const nrtemu_json *nrtemu_json_at(const nrtemu_json *arr, size_t i) {
    if (arr == NULL || arr->kind != NRTEMU_JSON_ARRAY || i >= arr->count) return NULL;
    const nrtemu_json *c = arr->first;
    while (i--) c = c->next;
    return c;
}

bool nrtemu_json_int(const nrtemu_json *v, int64_t *out) {
    if (v == NULL || v->kind != NRTEMU_JSON_NUMBER || !v->is_int) return false;
    *out = v->integer;
    return true;
}

const char *nrtemu_json_str(const nrtemu_json *v) {
    return v != NULL && v->kind == NRTEMU_JSON_STRING ? v->str : NULL;
}
