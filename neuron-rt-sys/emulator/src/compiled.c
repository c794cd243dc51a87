/* compiled.c: reads the I/O tensors of a compiler NEFF (FORMAT.md §5). The Rust reader
 * (neuron-neff, compiler.rs) follows the same written rules; keep them in step. */
#include "compiled.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "inflate.h"
#include "json.h"
#include "tar.h"

struct nrtemu_compiled {
    size_t n_io, n_in, n_sub;
    nrtemu_io_desc *io; /* names and dims owned (malloc'd) */
};

typedef struct {
    const uint8_t *tar;
    size_t len;
    char *err;
    size_t err_len;
    nrtemu_compiled *c;
    const nrtemu_json *nodes, *row_ptr, *shapes, *dtypes, *sig_in, *sig_out;
    nrtemu_json_doc *tmap; /* first subgraph's tensor_map.json (fallback), may be NULL */
} ctx;

uint32_t nrtemu_compiled_dtype(const char *s) {
    static const struct {
        const char *name;
        uint32_t code;
    } map[] = {{"float32", 0xA}, {"float16", 0x7}, {"bfloat16", 0x6}, {"int8", 0x2},
               {"uint8", 0x3},   {"int16", 0x4},   {"uint16", 0x5},   {"int32", 0x8},
               {"uint32", 0x9},  {"int64", 0xC},   {"uint64", 0x1}};
    for (size_t i = 0; s != NULL && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(s, map[i].name) == 0) return map[i].code;
    return 0;
}

int nrtemu_compiled_gunzip(const uint8_t *payload, size_t len, size_t max_out, uint8_t **tar,
                           size_t *tar_len, char *err, size_t err_len) {
    size_t used = 0;
    char why[256];
    if (nrtemu_gunzip(payload, len, max_out, tar, tar_len, &used, why, sizeof why) != 0) {
        nrtemu_set_err(err, err_len, "%s", why); /* "gzip: ..." or "deflate: ..." */
        return -1;
    }
    for (size_t i = used; i < len; i++) {
        if (payload[i] != 0) {
            nrtemu_set_err(err, err_len, "gzip: non-zero byte at offset %zu after the gzip "
                                         "member (only zero padding may follow it)", i);
            free(*tar);
            *tar = NULL;
            return -1;
        }
    }
    return 0;
}

/* Loads and parses a JSON member. 0 ok, 1 absent, -1 malformed (err set). */
static int load_json(ctx *x, const char *member, nrtemu_json_doc **doc) {
    const uint8_t *data;
    size_t size;
    char why[256];
    *doc = NULL;
    int rc = nrtemu_tar_find(x->tar, x->len, member, &data, &size, why, sizeof why);
    if (rc < 0) {
        nrtemu_set_err(x->err, x->err_len, "malformed tar payload: %s", why);
        return -1;
    }
    if (rc == 1) return 1;
    if (size > NRTEMU_COMPILED_MAX_JSON) {
        nrtemu_set_err(x->err, x->err_len, "%s: %zu bytes exceeds the 64 MiB limit of a JSON member",
                       member, size);
        return -1;
    }
    if (nrtemu_json_parse((const char *)data, size, doc, why, sizeof why) != 0) {
        nrtemu_set_err(x->err, x->err_len, "%s: %s", member, why);
        return -1;
    }
    return 0;
}

static int bad(ctx *x, const char *member, const char *what) {
    nrtemu_set_err(x->err, x->err_len, "%s: %s", member, what);
    return -1;
}

/* Member lookup that treats a duplicate name as malformed. 0 found, 1 absent, -1 error. */
static int get(ctx *x, const char *member, const nrtemu_json *obj, const char *key,
               const nrtemu_json **out) {
    int rc = nrtemu_json_get(obj, key, out);
    if (rc < 0) {
        nrtemu_set_err(x->err, x->err_len, "%s: object member \"%s\" appears twice", member, key);
        return -1;
    }
    return rc;
}

static bool as_index(const nrtemu_json *v, size_t limit, size_t *out) {
    int64_t i;
    if (!nrtemu_json_int(v, &i) || i < 0 || (uint64_t)i >= limit) return false;
    *out = (size_t)i;
    return true;
}

/* ["list_shape", [...]] / ["list_str", [...]]: the list, or NULL when the attr is absent. */
static int tagged_list(ctx *x, const nrtemu_json *attrs, const char *key, const char *tag,
                       const nrtemu_json **out) {
    const nrtemu_json *a;
    *out = NULL;
    int rc = get(x, "neff.json", attrs, key, &a);
    if (rc != 0) return rc < 0 ? -1 : 0;
    const char *t = nrtemu_json_str(nrtemu_json_at(a, 0));
    const nrtemu_json *list = nrtemu_json_at(a, 1);
    if (a->count != 2 || t == NULL || strcmp(t, tag) != 0 || list == NULL ||
        list->kind != NRTEMU_JSON_ARRAY) {
        nrtemu_set_err(x->err, x->err_len, "neff.json: attrs.%s is not [\"%s\", [...]]", key, tag);
        return -1;
    }
    *out = list;
    return 0;
}

/* Fills shape + dtype of io slot d from a shape array and a dtype string. */
static int set_type(ctx *x, nrtemu_io_desc *d, const char *where, const nrtemu_json *shape,
                    const char *dtype) {
    if (shape == NULL || shape->kind != NRTEMU_JSON_ARRAY) {
        nrtemu_set_err(x->err, x->err_len, "%s: the shape of tensor '%s' is not an array", where,
                       d->name);
        return -1;
    }
    if (shape->count > NRTEMU_COMPILED_MAX_NDIM) {
        nrtemu_set_err(x->err, x->err_len, "%s: tensor '%s' has %zu dimensions (at most %u)", where,
                       d->name, shape->count, NRTEMU_COMPILED_MAX_NDIM);
        return -1;
    }
    d->dtype = nrtemu_compiled_dtype(dtype);
    if (d->dtype == 0) {
        nrtemu_set_err(x->err, x->err_len, "%s: tensor '%s' has dtype '%s', which the emulator does "
                                           "not know (known: float32, float16, bfloat16, int8, "
                                           "uint8, int16, uint16, int32, uint32, int64, uint64)",
                       where, d->name, dtype ? dtype : "(none)");
        return -1;
    }
    uint32_t *dims = malloc((shape->count ? shape->count : 1) * sizeof *dims);
    if (dims == NULL) return bad(x, where, "out of memory");
    uint64_t bytes = nrtemu_dtype_size(d->dtype);
    size_t i = 0;
    for (const nrtemu_json *e = shape->first; e != NULL; e = e->next, i++) {
        int64_t v;
        if (!nrtemu_json_int(e, &v) || v < 1 || v > UINT32_MAX) {
            free(dims);
            nrtemu_set_err(x->err, x->err_len, "%s: dimension %zu of tensor '%s' is not an integer "
                                               "in 1..4294967295", where, i, d->name);
            return -1;
        }
        dims[i] = (uint32_t)v;
        if ((uint64_t)v > NRTEMU_MAX_TOTAL_TENSOR_BYTES / bytes) {
            free(dims);
            nrtemu_set_err(x->err, x->err_len, "%s: tensor '%s' is larger than the 16 GiB limit of "
                                               "one tensor", where, d->name);
            return -1;
        }
        bytes *= (uint64_t)v; /* <= 16 GiB by the check above */
    }
    free((void *)d->dims);
    d->dims = dims;
    d->ndim = (uint32_t)shape->count;
    d->size_bytes = (size_t)bytes;
    return 0;
}

/* Type of entry `entry` named `name`: attrs.shape/dltype, else the signature, else the first
   subgraph's tensor_map.json. */
static int resolve_type(ctx *x, nrtemu_io_desc *d, size_t entry, bool input) {
    const nrtemu_json *shape = nrtemu_json_at(x->shapes, entry);
    const char *dtype = nrtemu_json_str(nrtemu_json_at(x->dtypes, entry));
    const char *where = "neff.json";
    const nrtemu_json *sig = NULL, *m = NULL;
    if ((x->shapes && !shape) || (x->dtypes && !dtype)) {
        nrtemu_set_err(x->err, x->err_len, "neff.json: attrs.shape/dltype have no entry %zu (tensor "
                                           "'%s')", entry, d->name);
        return -1;
    }
    if (shape == NULL || dtype == NULL) {
        if (get(x, "neff.json", input ? x->sig_in : x->sig_out, d->name, &sig) < 0) return -1;
        if (sig != NULL) {
            const nrtemu_json *s = NULL, *t = NULL;
            if (get(x, "neff.json", sig, "shape", &s) < 0 || get(x, "neff.json", sig, "dtype", &t) < 0)
                return -1;
            if (!shape) shape = s;
            if (!dtype) dtype = nrtemu_json_str(t);
            where = "neff.json metadata.signatures.default";
        }
    }
    if ((shape == NULL || dtype == NULL) && x->tmap != NULL) {
        if (get(x, "tensor_map.json", nrtemu_json_root(x->tmap), d->name, &m) < 0) return -1;
        if (m != NULL) {
            const nrtemu_json *s = NULL, *t = NULL;
            if (get(x, "tensor_map.json", m, "tf_shape", &s) < 0 ||
                get(x, "tensor_map.json", m, "dtype", &t) < 0)
                return -1;
            if (!shape) shape = s;
            if (!dtype) dtype = nrtemu_json_str(t);
            where = "tensor_map.json";
        }
    }
    if (shape == NULL || dtype == NULL) {
        nrtemu_set_err(x->err, x->err_len, "neff.json: no %s for tensor '%s' (not in attrs, the "
                                           "signature or tensor_map.json)",
                       shape == NULL ? "shape" : "dtype", d->name);
        return -1;
    }
    return set_type(x, d, where, shape, dtype);
}

static int add_io(ctx *x, const char *name, uint32_t usage, size_t entry, bool *dup) {
    nrtemu_compiled *c = x->c;
    *dup = false;
    if (name[0] == '\0' || strlen(name) > 255) {
        nrtemu_set_err(x->err, x->err_len, "neff.json: tensor name '%.40s' must be 1 to 255 bytes",
                       name);
        return -1;
    }
    for (size_t i = 0; i < c->n_io; i++) {
        if (strcmp(c->io[i].name, name) != 0) continue;
        if (usage == 0 || c->io[i].usage == 0) {
            nrtemu_set_err(x->err, x->err_len, "neff.json: tensor name '%s' is used twice (%s)",
                           name, usage == 0 ? "two inputs" : "an input and an output");
            return -1;
        }
        *dup = true; /* a repeated head (same output listed twice): checked below, reported once */
        nrtemu_io_desc tmp = {.name = name};
        if (resolve_type(x, &tmp, entry, false) != 0) return -1;
        bool same = tmp.dtype == c->io[i].dtype && tmp.ndim == c->io[i].ndim &&
                    (tmp.ndim == 0 || memcmp(tmp.dims, c->io[i].dims, tmp.ndim * sizeof *tmp.dims) == 0);
        free((void *)tmp.dims);
        if (!same) {
            nrtemu_set_err(x->err, x->err_len, "neff.json: output '%s' is listed twice with "
                                               "different dtypes or shapes", name);
            return -1;
        }
        return 0;
    }
    if (c->n_io >= NRTEMU_COMPILED_MAX_TENSORS) return bad(x, "neff.json", "more than 65535 tensors");
    nrtemu_io_desc *d = &c->io[c->n_io];
    memset(d, 0, sizeof *d);
    size_t n = strlen(name) + 1;
    char *copy = malloc(n);
    if (copy == NULL) return bad(x, "neff.json", "out of memory");
    memcpy(copy, name, n);
    d->name = copy;
    d->usage = usage;
    c->n_io++;
    return resolve_type(x, d, entry, usage == 0);
}

/* def.json cross-check: a var named like an io tensor, of type input/output, must have its size. */
static int check_def(ctx *x, const char *member) {
    nrtemu_json_doc *doc;
    int rc = load_json(x, member, &doc);
    if (rc != 0) {
        if (rc == 1) nrtemu_set_err(x->err, x->err_len, "%s (named by the kelf file) is missing", member);
        return -1;
    }
    const nrtemu_json *vars = NULL;
    rc = get(x, member, nrtemu_json_root(doc), "var", &vars);
    if (rc == 0 && vars->kind != NRTEMU_JSON_OBJECT) rc = bad(x, member, "\"var\" is not an object");
    for (size_t i = 0; rc >= 0 && vars != NULL && i < x->c->n_io; i++) {
        const nrtemu_io_desc *d = &x->c->io[i];
        const nrtemu_json *v, *type, *size;
        int r = get(x, member, vars, d->name, &v);
        if (r != 0) {
            rc = r < 0 ? -1 : 0;
            continue;
        }
        if (get(x, member, v, "type", &type) < 0 || get(x, member, v, "size", &size) < 0) {
            rc = -1;
            break;
        }
        const char *t = nrtemu_json_str(type);
        int64_t sz;
        if (t == NULL || (strcmp(t, "input") != 0 && strcmp(t, "output") != 0)) continue;
        if (strcmp(t, d->usage == 0 ? "input" : "output") != 0) {
            nrtemu_set_err(x->err, x->err_len, "%s: var '%s' has type '%s' but neff.json makes it an "
                                               "%s", member, d->name, t, d->usage == 0 ? "input" : "output");
            rc = -1;
        } else if (!nrtemu_json_int(size, &sz) || sz < 0 || (uint64_t)sz != d->size_bytes) {
            nrtemu_set_err(x->err, x->err_len, "%s: var '%s' has size %lld bytes but neff.json gives "
                                               "%zu bytes (%u dims of dtype code 0x%x)", member,
                           d->name, nrtemu_json_int(size, &sz) ? (long long)sz : -1LL, d->size_bytes,
                           d->ndim, d->dtype);
            rc = -1;
        }
    }
    nrtemu_json_free(doc);
    return rc < 0 ? -1 : 0;
}

/* Reads the kelf JSON named by a tvm_op node; checks each graph's def.json. The first graph's
   tensor_map.json becomes the type fallback (loaded before the tensors are resolved). */
static int read_kelf(ctx *x, const char *kelf, bool first_pass) {
    nrtemu_json_doc *doc;
    int rc = load_json(x, kelf, &doc);
    if (rc != 0) {
        if (rc == 1) nrtemu_set_err(x->err, x->err_len, "%s (named by neff.json) is missing", kelf);
        return -1;
    }
    const nrtemu_json *graphs = NULL;
    rc = get(x, kelf, nrtemu_json_root(doc), "graphs", &graphs);
    if (rc != 0 || graphs->kind != NRTEMU_JSON_ARRAY) {
        if (rc >= 0) bad(x, kelf, "\"graphs\" is missing or not an array");
        nrtemu_json_free(doc);
        return -1;
    }
    for (const nrtemu_json *g = graphs->first; g != NULL; g = g->next) {
        const nrtemu_json *def = NULL;
        const char *path = NULL;
        if (get(x, kelf, g, "definition", &def) < 0) break;
        if ((path = nrtemu_json_str(def)) == NULL) {
            bad(x, kelf, "a graph has no \"definition\" string");
            rc = -1;
            break;
        }
        if (first_pass) {
            x->c->n_sub++;
            if (x->tmap == NULL) {
                /* tensor_map.json beside the first definition */
                const char *slash = strrchr(path, '/');
                size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
                char tm[512];
                if (dir + sizeof "tensor_map.json" <= sizeof tm) {
                    memcpy(tm, path, dir);
                    memcpy(tm + dir, "tensor_map.json", sizeof "tensor_map.json");
                    if (load_json(x, tm, &x->tmap) < 0) {
                        rc = -1;
                        break;
                    }
                    if (x->tmap && nrtemu_json_root(x->tmap)->kind != NRTEMU_JSON_OBJECT) {
                        bad(x, tm, "not a JSON object");
                        rc = -1;
                        break;
                    }
                }
            }
        } else if (check_def(x, path) != 0) {
            rc = -1;
            break;
        }
    }
    nrtemu_json_free(doc);
    return rc < 0 ? -1 : 0;
}

static int parse_graph(ctx *x, const nrtemu_json *root) {
    const nrtemu_json *arg_nodes = NULL, *heads = NULL, *attrs = NULL, *meta = NULL;
    if (root->kind != NRTEMU_JSON_OBJECT) return bad(x, "neff.json", "not a JSON object");
    if (get(x, "neff.json", root, "nodes", &x->nodes) != 0 || x->nodes->kind != NRTEMU_JSON_ARRAY)
        return bad(x, "neff.json", "\"nodes\" is missing or not an array");
    if (get(x, "neff.json", root, "arg_nodes", &arg_nodes) != 0 ||
        arg_nodes->kind != NRTEMU_JSON_ARRAY)
        return bad(x, "neff.json", "\"arg_nodes\" is missing or not an array");
    if (get(x, "neff.json", root, "heads", &heads) != 0 || heads->kind != NRTEMU_JSON_ARRAY)
        return bad(x, "neff.json", "\"heads\" is missing or not an array");
    if (get(x, "neff.json", root, "node_row_ptr", &x->row_ptr) != 0 ||
        x->row_ptr->kind != NRTEMU_JSON_ARRAY || x->row_ptr->count != x->nodes->count + 1)
        return bad(x, "neff.json", "\"node_row_ptr\" is missing or does not have one entry per "
                                   "node plus one");
    int64_t prev = 0, v;
    for (const nrtemu_json *e = x->row_ptr->first; e != NULL; e = e->next) {
        if (!nrtemu_json_int(e, &v) || v < prev || (e == x->row_ptr->first && v != 0))
            return bad(x, "neff.json", "\"node_row_ptr\" is not a non-decreasing integer list "
                                       "starting at 0");
        prev = v;
    }
    if (get(x, "neff.json", root, "attrs", &attrs) < 0) return -1;
    if (attrs != NULL) {
        if (tagged_list(x, attrs, "shape", "list_shape", &x->shapes) != 0 ||
            tagged_list(x, attrs, "dltype", "list_str", &x->dtypes) != 0)
            return -1;
    }
    const nrtemu_json *sigs = NULL, *def = NULL;
    if (get(x, "neff.json", root, "metadata", &meta) < 0 ||
        get(x, "neff.json", meta, "signatures", &sigs) < 0 ||
        get(x, "neff.json", sigs, "default", &def) < 0 ||
        get(x, "neff.json", def, "inputs", &x->sig_in) < 0 ||
        get(x, "neff.json", def, "outputs", &x->sig_out) < 0)
        return -1;

    /* kelf files named by tvm_op nodes: count subgraphs and find tensor_map.json first */
    for (const nrtemu_json *n = x->nodes->first; n != NULL; n = n->next) {
        const nrtemu_json *op = NULL, *na = NULL, *kelf = NULL;
        if (get(x, "neff.json", n, "op", &op) < 0) return -1;
        if (nrtemu_json_str(op) == NULL) return bad(x, "neff.json", "a node has no \"op\" string");
        if (strcmp(op->str, "tvm_op") != 0) continue;
        if (get(x, "neff.json", n, "attrs", &na) < 0 || get(x, "neff.json", na, "kelf", &kelf) < 0)
            return -1;
        if (kelf != NULL && nrtemu_json_str(kelf) == NULL)
            return bad(x, "neff.json", "a tvm_op node's attrs.kelf is not a string");
        if (kelf != NULL && read_kelf(x, kelf->str, true) != 0) return -1;
    }

    size_t cap = arg_nodes->count + heads->count;
    if (cap > NRTEMU_COMPILED_MAX_TENSORS) return bad(x, "neff.json", "more than 65535 tensors");
    x->c->io = calloc(cap ? cap : 1, sizeof *x->c->io);
    if (x->c->io == NULL) return bad(x, "neff.json", "out of memory");
    size_t nn = x->nodes->count;
    for (const nrtemu_json *a = arg_nodes->first; a != NULL; a = a->next) {
        size_t id;
        const nrtemu_json *name = NULL, *op = NULL;
        int64_t entry;
        bool dup;
        if (!as_index(a, nn, &id)) return bad(x, "neff.json", "an arg_nodes entry is not a node id");
        const nrtemu_json *node = nrtemu_json_at(x->nodes, id);
        if (get(x, "neff.json", node, "name", &name) < 0 || get(x, "neff.json", node, "op", &op) < 0)
            return -1;
        if (nrtemu_json_str(name) == NULL || nrtemu_json_str(op) == NULL || strcmp(op->str, "null") != 0)
            return bad(x, "neff.json", "an arg_nodes entry is not a named \"null\" (input) node");
        nrtemu_json_int(nrtemu_json_at(x->row_ptr, id), &entry);
        if (add_io(x, name->str, 0, (size_t)entry, &dup) != 0) return -1;
    }
    x->c->n_in = x->c->n_io;
    for (const nrtemu_json *h = heads->first; h != NULL; h = h->next) {
        size_t id, idx;
        int64_t lo, hi;
        bool dup;
        if (h->kind != NRTEMU_JSON_ARRAY || h->count < 2 || !as_index(nrtemu_json_at(h, 0), nn, &id))
            return bad(x, "neff.json", "a heads entry is not [node, output_index, version]");
        nrtemu_json_int(nrtemu_json_at(x->row_ptr, id), &lo);
        nrtemu_json_int(nrtemu_json_at(x->row_ptr, id + 1), &hi);
        if (!as_index(nrtemu_json_at(h, 1), (size_t)(hi - lo), &idx))
            return bad(x, "neff.json", "a heads entry's output index is out of the node's range");
        const nrtemu_json *node = nrtemu_json_at(x->nodes, id), *names = NULL, *nm = NULL;
        if (get(x, "neff.json", node, "output_names", &names) < 0) return -1;
        const char *name = nrtemu_json_str(nrtemu_json_at(names, idx));
        if (name == NULL) {
            if (get(x, "neff.json", node, "name", &nm) < 0) return -1;
            name = nrtemu_json_str(nm);
        }
        if (name == NULL) return bad(x, "neff.json", "a head's node has no output_names entry or name");
        if (add_io(x, name, 1, (size_t)lo + idx, &dup) != 0) return -1;
    }
    if (x->c->n_io == x->c->n_in)
        return bad(x, "neff.json", "the graph has no outputs (\"heads\" is empty)");
    /* second pass: size cross-check against each subgraph's def.json */
    for (const nrtemu_json *n = x->nodes->first; n != NULL; n = n->next) {
        const nrtemu_json *op = NULL, *na = NULL, *kelf = NULL;
        get(x, "neff.json", n, "op", &op);
        if (strcmp(op->str, "tvm_op") != 0) continue;
        get(x, "neff.json", n, "attrs", &na);
        get(x, "neff.json", na, "kelf", &kelf);
        if (kelf != NULL && read_kelf(x, kelf->str, false) != 0) return -1;
    }
    return 0;
}

int nrtemu_compiled_parse(const uint8_t *tar, size_t len, nrtemu_compiled **out, char *err,
                          size_t err_len) {
    *out = NULL;
    ctx x = {.tar = tar, .len = len, .err = err, .err_len = err_len};
    nrtemu_json_doc *graph;
    int rc = load_json(&x, "neff.json", &graph);
    if (rc != 0) return rc;
    x.c = calloc(1, sizeof *x.c);
    if (x.c == NULL) {
        nrtemu_json_free(graph);
        return bad(&x, "neff.json", "out of memory");
    }
    rc = parse_graph(&x, nrtemu_json_root(graph));
    nrtemu_json_free(x.tmap);
    nrtemu_json_free(graph);
    if (rc != 0) {
        nrtemu_compiled_free(x.c);
        return -1;
    }
    *out = x.c;
    return 0;
}

void nrtemu_compiled_free(nrtemu_compiled *c) {
    if (c == NULL) return;
    for (size_t i = 0; i < c->n_io; i++) {
        free((void *)c->io[i].name);
        free((void *)c->io[i].dims);
    }
    free(c->io);
    free(c);
}

size_t nrtemu_compiled_io_count(const nrtemu_compiled *c) { return c->n_io; }
size_t nrtemu_compiled_input_count(const nrtemu_compiled *c) { return c->n_in; }
size_t nrtemu_compiled_subgraph_count(const nrtemu_compiled *c) { return c->n_sub; }
const nrtemu_io_desc *nrtemu_compiled_io(const nrtemu_compiled *c, size_t i) {
    return i < c->n_io ? &c->io[i] : NULL;
}
