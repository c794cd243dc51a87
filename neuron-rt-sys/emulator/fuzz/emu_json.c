/* libFuzzer harness: the emulator's strict JSON parser (json.c) on arbitrary bytes.
 *
 * Built by `make -C neuron-rt-sys/emulator fuzz`, run by .ci/fuzz-smoke (fuzz/README.md). An
 * accepted document is walked completely (every member looked up by its own name must be found
 * once, every string is NUL-free of its reported length), so the tree's invariants are checked
 * on every input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void walk(const nrtemu_json *v, int depth) {
    if (depth > NRTEMU_JSON_MAX_DEPTH) abort();
    if (v->kind == NRTEMU_JSON_STRING && strlen(v->str) != v->str_len) abort();
    size_t n = 0;
    for (const nrtemu_json *c = v->first; c != NULL; c = c->next, n++) {
        if (v->kind == NRTEMU_JSON_OBJECT) {
            const nrtemu_json *found = NULL;
            if (c->key == NULL || nrtemu_json_get(v, c->key, &found) != 0 || found != c) abort();
        } else if (c->key != NULL) {
            abort();
        }
        walk(c, depth + 1);
    }
    if (n != v->count) abort();
    if (v->kind == NRTEMU_JSON_ARRAY && v->count > 0 && nrtemu_json_at(v, v->count - 1) == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nrtemu_json_doc *doc = NULL;
    char err[256];
    if (nrtemu_json_parse((const char *)data, size, &doc, err, sizeof err) == 0) {
        walk(nrtemu_json_root(doc), 0);
        nrtemu_json_free(doc);
    } else if (doc != NULL) {
        abort();
    }
    return 0;
}
