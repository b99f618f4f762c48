/* IR -> YAML model spec (docs/yaml-spec.md), weights as .npy files in a folder
 * next to the spec. Everything is written so that cg_yaml_load reads back the
 * same graph: names are quoted unless they are plain identifiers, floats always
 * look like floats (1.0, not 1) and carry enough digits to round-trip float32,
 * and the text depends only on the graph, so YAML -> IR -> YAML is a fixed point. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "convgraph/format.h"

/* TENSOR attributes up to this many elements are written inline as values. */
enum { INLINE_TENSOR_MAX = 64 };

/* Keys of a node entry that are not attributes (an attribute cannot take them). */
static const char *const k_node_keys[] = {"name", "op", "domain", "inputs", "outputs",
                                          "padding", NULL};

/* ---------------------------------------------------------------- text buffer */

typedef struct text {
    char *buf;
    size_t len, cap;
    bool oom;
    bool bad_utf8; /* a name or string was not UTF-8 */
} text;

static void put_mem(text *t, const char *s, size_t n)
{
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *b = realloc(t->buf, cap);
        if (!b) {
            t->oom = true;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void put(text *t, const char *s) { put_mem(t, s, strlen(s)); }

static void putf(text *t, const char *fmt, ...) CG_PRINTF(2, 3);
static void putf(text *t, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        t->oom = true;
    else if ((size_t)n < sizeof small)
        put_mem(t, small, (size_t)n);
    else {
        char *big = malloc((size_t)n + 1);
        if (!big) {
            t->oom = true;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        put_mem(t, big, (size_t)n);
        free(big);
    }
}

/* ---------------------------------------------------------------- scalars */

/* Plain YAML scalars that the spec reader takes as strings: identifiers that are
 * not null/bool words. Anything else is double-quoted. */
static bool plain_safe(const char *s, size_t len)
{
    static const char *const words[] = {"null", "Null", "NULL", "true", "True", "TRUE",
                                        "false", "False", "FALSE", NULL};
    if (len == 0 || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = c == '_' || c == '.' || c == '/' || c == '-' || (c >= '0' && c <= '9') ||
                  (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (!ok)
            return false;
    }
    for (const char *const *w = words; *w; w++)
        if (strlen(*w) == len && memcmp(*w, s, len) == 0)
            return false;
    return true;
}

/* YAML streams are UTF-8; bytes that are not cannot be written as they are. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        /* continuation bytes after a lead byte; 9: not a lead byte */
        size_t extra = c < 0x80          ? 0
                       : (c >> 5) == 0x6  ? 1
                       : (c >> 4) == 0xe  ? 2
                       : (c >> 3) == 0x1e ? 3
                                          : 9;
        if (extra == 9 || i + extra >= len)
            return false;
        for (size_t k = 1; k <= extra; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += extra + 1;
    }
    return true;
}

/* A string scalar: plain when safe, else double-quoted with escapes. */
static void put_str(text *t, const char *s, size_t len)
{
    if (!utf8_valid((const unsigned char *)s, len))
        t->bad_utf8 = true;
    if (plain_safe(s, len)) {
        put_mem(t, s, len);
        return;
    }
    put(t, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* YAML folds the Unicode line breaks NEL, LS and PS inside quotes: escape them. */
        if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] == 0x85) {
            put(t, "\\N");
            i++;
            continue;
        }
        if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            put(t, (unsigned char)s[i + 2] == 0xa8 ? "\\L" : "\\P");
            i += 2;
            continue;
        }
        if (c == '"' || c == '\\')
            putf(t, "\\%c", c);
        else if (c == '\n')
            put(t, "\\n");
        else if (c == '\t')
            put(t, "\\t");
        else if (c < 0x20 || c == 0x7f)
            putf(t, "\\x%02x", c);
        else
            put_mem(t, (const char *)&c, 1);
    }
    put(t, "\"");
}

static void put_name(text *t, const char *s) { put_str(t, s, strlen(s)); }

/* Shortest %g text that reads back (as the reader does: strtod, then to float)
 * to the same float, made to look like a float ("1" -> "1.0"). */
static void put_float(text *t, float f)
{
    if (isnan(f)) {
        put(t, ".nan");
        return;
    }
    if (isinf(f)) {
        put(t, f < 0 ? "-.inf" : ".inf");
        return;
    }
    char buf[48];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        float back = (float)strtod(buf, NULL);
        if (memcmp(&back, &f, sizeof f) == 0)
            break;
    }
    put(t, buf);
    if (!strpbrk(buf, ".e"))
        put(t, ".0");
}

static void put_double(text *t, double v)
{
    if (isnan(v) || isinf(v)) {
        put(t, isnan(v) ? ".nan" : v < 0 ? "-.inf" : ".inf");
        return;
    }
    char buf[48];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &v, sizeof v) == 0)
            break;
    }
    put(t, buf);
    if (!strpbrk(buf, ".e"))
        put(t, ".0");
}

static void put_dim(text *t, cg_dim d)
{
    if (cg_dim_is_known(d))
        putf(t, "%lld", (long long)d.v);
    else if (cg_dim_is_symbolic(d))
        put_name(t, d.sym);
    else
        put(t, "\"?\"");
}

static void put_shape(text *t, const cg_shape *s)
{
    put(t, "[");
    for (int i = 0; i < s->rank; i++) {
        if (i)
            put(t, ", ");
        put_dim(t, s->d[i]);
    }
    put(t, "]");
}

/* ---------------------------------------------------------------- the writer */

typedef struct writer {
    const cg_graph *g;
    const char *path;
    char *dir;     /* the weights folder, as a path to create */
    char *dir_rel; /* the same folder as the spec names it: relative to the spec */
    bool dir_made;
    char **used; /* .npy names given out so far */
    int n_used;
    text t;
    cg_status *st;
} writer;

static cg_code nomem(writer *w)
{
    return cg_fail(w->st, CG_ERR_NOMEM, "%s: out of memory", w->path);
}

/* PATH's folder + "STEM_weights", STEM being the file name less .yaml / .yml. */
static cg_code weights_folder(writer *w)
{
    const char *slash = strrchr(w->path, '/');
    const char *base = slash ? slash + 1 : w->path;
    size_t stem = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && (strcasecmp(dot, ".yaml") == 0 || strcasecmp(dot, ".yml") == 0))
        stem = (size_t)(dot - base);
    size_t dir_len = (size_t)(base - w->path);
    w->dir_rel = malloc(stem + 9);
    w->dir = malloc(dir_len + stem + 9);
    if (!w->dir_rel || !w->dir)
        return nomem(w);
    snprintf(w->dir_rel, stem + 9, "%.*s_weights", (int)stem, base);
    snprintf(w->dir, dir_len + stem + 9, "%.*s%s", (int)dir_len, w->path, w->dir_rel);
    return CG_OK;
}

static cg_code make_folder(writer *w)
{
    if (w->dir_made)
        return CG_OK;
    if (mkdir(w->dir, 0777) != 0) {
        int err = errno;
        struct stat sb;
        if (!(err == EEXIST && stat(w->dir, &sb) == 0 && S_ISDIR(sb.st_mode)))
            return cg_fail(w->st, CG_ERR_IO, "%s: cannot create the weights folder %s: %s",
                           w->path, w->dir, strerror(err));
    }
    w->dir_made = true;
    return CG_OK;
}

static bool name_used(const writer *w, const char *name)
{
    for (int i = 0; i < w->n_used; i++)
        if (strcasecmp(w->used[i], name) == 0) /* case-insensitive file systems */
            return true;
    return false;
}

/* A file name for `base` of safe characters, not given out before; malloc'd. */
static char *unique_file_name(writer *w, const char *base)
{
    char clean[112];
    size_t n = 0;
    for (; base[n] && n < 100; n++) {
        char c = base[n];
        bool ok = c == '_' || c == '-' || (c == '.' && n > 0) || (c >= '0' && c <= '9') ||
                  (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        clean[n] = ok ? c : '_';
    }
    clean[n] = '\0';
    if (!n)
        snprintf(clean, sizeof clean, "tensor");
    char *name = malloc(sizeof clean + 24);
    char **used = realloc(w->used, (size_t)(w->n_used + 1) * sizeof *used);
    if (!name || !used) {
        free(name);
        return NULL;
    }
    w->used = used;
    snprintf(name, sizeof clean + 24, "%s.npy", clean);
    for (int k = 2; name_used(w, name); k++)
        snprintf(name, sizeof clean + 24, "%s_%d.npy", clean, k);
    w->used[w->n_used++] = name;
    return name;
}

/* Writes t as DIR/NAME.npy and puts `{file: DIR/NAME.npy}` in the text. */
static cg_code put_tensor_file(writer *w, const char *base, const cg_tensor *t, const char *what)
{
    cg_code rc = make_folder(w);
    char *name = rc == CG_OK ? unique_file_name(w, base) : NULL;
    if (rc != CG_OK || !name)
        return rc != CG_OK ? rc : nomem(w);
    size_t full_len = strlen(w->dir) + strlen(name) + 2;
    char *full = malloc(full_len);
    if (!full)
        return nomem(w);
    snprintf(full, full_len, "%s/%s", w->dir, name);
    cg_status inner = {0};
    rc = cg_npy_write(full, t, &inner);
    free(full);
    if (rc != CG_OK)
        return cg_fail(w->st, rc, "%s: %s: %s", w->path, what, inner.msg);
    put(&w->t, "{file: ");
    size_t rel_len = strlen(w->dir_rel) + strlen(name) + 2;
    char *rel = malloc(rel_len);
    if (!rel)
        return nomem(w);
    snprintf(rel, rel_len, "%s/%s", w->dir_rel, name);
    put_name(&w->t, rel);
    put(&w->t, "}");
    free(rel);
    return CG_OK;
}

static bool inline_dtype(cg_dtype d)
{
    return d == CG_FLOAT || d == CG_DOUBLE || d == CG_FLOAT16 || d == CG_BOOL ||
           (cg_dtype_is_int(d) && d != CG_UINT64);
}

static void put_element(text *t, const cg_tensor *x, int64_t i)
{
    if (x->dtype == CG_FLOAT)
        put_float(t, ((const float *)x->data)[i]);
    else if (x->dtype == CG_FLOAT16)
        put_float(t, cg_half_to_float(((const uint16_t *)x->data)[i]));
    else if (x->dtype == CG_DOUBLE)
        put_double(t, ((const double *)x->data)[i]);
    else
        putf(t, "%lld", (long long)cg_tensor_get_i64(x, i));
}

/* {dtype: int64, shape: [2], values: [1, 2]}: a small TENSOR attribute in place. */
static void put_tensor_inline(text *t, const cg_tensor *x)
{
    putf(t, "{dtype: %s, shape: [", cg_dtype_name(x->dtype));
    for (int i = 0; i < x->rank; i++)
        putf(t, "%s%lld", i ? ", " : "", (long long)x->dims[i]);
    put(t, "], values: [");
    for (int64_t i = 0; i < x->numel; i++) {
        if (i)
            put(t, ", ");
        put_element(t, x, i);
    }
    put(t, "]}");
}

/* ---------------------------------------------------------------- sections */

static void write_header(writer *w)
{
    const cg_graph *g = w->g;
    put(&w->t, "model: ");
    put_name(&w->t, g->name);
    put(&w->t, "\n");
    int64_t opset = cg_graph_opset(g, "");
    if (opset > 0)
        putf(&w->t, "opset: %lld\n", (long long)opset);
    bool any = false;
    for (int i = 0; i < g->n_opsets; i++) {
        if (!g->opsets[i].domain[0])
            continue;
        put(&w->t, any ? ", " : "opsets: {");
        put_name(&w->t, g->opsets[i].domain);
        putf(&w->t, ": %lld", (long long)g->opsets[i].version);
        any = true;
    }
    if (any)
        put(&w->t, "}\n");
}

/* {name: x, dtype: float32, shape: [N, 3]}, leaving out what is not known. */
static void put_declared(text *t, const char *name, cg_dtype dtype, const cg_shape *shape)
{
    put(t, "{name: ");
    put_name(t, name);
    if (dtype != CG_UNDEFINED)
        putf(t, ", dtype: %s", cg_dtype_name(dtype));
    if (shape->rank >= 0) {
        put(t, ", shape: ");
        put_shape(t, shape);
    }
    put(t, "}");
}

static void write_inputs(writer *w)
{
    const cg_graph *g = w->g;
    if (g->n_inputs == 0)
        return;
    put(&w->t, "inputs:\n");
    for (int i = 0; i < g->n_inputs; i++) {
        const cg_value *v = &g->values[g->inputs[i]];
        put(&w->t, "  - ");
        put_declared(&w->t, v->name, v->has_declared ? v->declared_dtype : v->dtype,
                     v->has_declared ? &v->declared_shape : &v->shape);
        put(&w->t, "\n");
    }
}

static void write_outputs(writer *w)
{
    const cg_graph *g = w->g;
    put(&w->t, "outputs:\n");
    for (int i = 0; i < g->n_outputs; i++) {
        const cg_value *v = &g->values[g->outputs[i]];
        put(&w->t, "  - ");
        bool declares = v->has_declared &&
                        (v->declared_dtype != CG_UNDEFINED || v->declared_shape.rank >= 0);
        if (declares)
            put_declared(&w->t, v->name, v->declared_dtype, &v->declared_shape);
        else
            put_name(&w->t, v->name);
        put(&w->t, "\n");
    }
}

static cg_code write_weights(writer *w)
{
    const cg_graph *g = w->g;
    bool any = false;
    for (int v = 0; v < g->n_values; v++) {
        const cg_value *val = &g->values[v];
        if (!val->is_initializer || !val->data)
            continue;
        put(&w->t, any ? "  " : "weights:\n  ");
        any = true;
        put_name(&w->t, val->name);
        put(&w->t, ": ");
        char what[320];
        snprintf(what, sizeof what, "weight '%s'", val->name);
        cg_code rc = put_tensor_file(w, val->name, val->data, what);
        if (rc != CG_OK)
            return rc;
        put(&w->t, "\n");
    }
    return CG_OK;
}

static void put_name_list(text *t, const cg_graph *g, const int *list, int n)
{
    put(t, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            put(t, ", ");
        if (list[i] < 0)
            put(t, "\"\"");
        else
            put_name(t, g->values[list[i]].name);
    }
    put(t, "]");
}

/* The spec reader keeps NUL bytes in a STRING but not inside STRINGS entries. */
static bool strings_hold_nul(const cg_attr *a)
{
    for (int i = 0; a->type == CG_ATTR_STRINGS && a->string_lens && i < a->n; i++)
        if (memchr(a->strings[i], '\0', a->string_lens[i]))
            return true;
    return false;
}

static cg_code put_attr_value(writer *w, const cg_node *n, const cg_attr *a)
{
    text *t = &w->t;
    if (strings_hold_nul(a))
        return cg_fail_node(w->st, CG_ERR_UNSUPPORTED, w->g, n,
                            "attribute '%s': a list entry holds a NUL byte, which a YAML spec "
                            "cannot carry", a->name);
    switch (a->type) {
    case CG_ATTR_INT: putf(t, "%lld", (long long)a->i); return CG_OK;
    case CG_ATTR_FLOAT: put_float(t, a->f); return CG_OK;
    case CG_ATTR_STRING: put_str(t, a->s ? a->s : "", a->s ? a->s_len : 0); return CG_OK;
    case CG_ATTR_INTS:
    case CG_ATTR_FLOATS:
    case CG_ATTR_STRINGS:
        put(t, "[");
        for (int i = 0; i < a->n; i++) {
            put(t, i ? ", " : "");
            if (a->type == CG_ATTR_INTS)
                putf(t, "%lld", (long long)a->ints[i]);
            else if (a->type == CG_ATTR_FLOATS)
                put_float(t, a->floats[i]);
            else
                put_str(t, a->strings[i],
                        a->string_lens ? a->string_lens[i] : strlen(a->strings[i]));
        }
        put(t, "]");
        return CG_OK;
    case CG_ATTR_TENSOR:
        if (a->t && inline_dtype(a->t->dtype) && a->t->numel <= INLINE_TENSOR_MAX) {
            put_tensor_inline(t, a->t);
            return CG_OK;
        }
        if (a->t) {
            char base[320], what[320], label[160];
            snprintf(base, sizeof base, "%s_%s", n->name[0] ? n->name : n->op_type, a->name);
            snprintf(what, sizeof what, "node %s (%s): attribute '%s'",
                     cg_node_label(w->g, n, label, sizeof label), n->op_type, a->name);
            return put_tensor_file(w, base, a->t, what);
        }
        break;
    default:
        break;
    }
    return cg_fail_node(w->st, CG_ERR_UNSUPPORTED, w->g, n,
                        "attribute '%s' (type %d) cannot be written to a YAML spec", a->name,
                        (int)a->type);
}

static bool reserved_key(const char *name)
{
    for (const char *const *k = k_node_keys; *k; k++)
        if (strcmp(name, *k) == 0)
            return true;
    return false;
}

static cg_code write_node(writer *w, const cg_node *n)
{
    text *t = &w->t;
    put(t, "  - {");
    if (n->name[0]) {
        put(t, "name: ");
        put_name(t, n->name);
        put(t, ", ");
    }
    put(t, "op: ");
    put_name(t, n->op_type);
    if (n->domain[0]) {
        put(t, ", domain: ");
        put_name(t, n->domain);
    }
    if (n->n_inputs > 0) {
        put(t, ", inputs: ");
        put_name_list(t, w->g, n->inputs, n->n_inputs);
    }
    put(t, ", outputs: ");
    put_name_list(t, w->g, n->outputs, n->n_outputs);
    for (int i = 0; i < n->n_attrs; i++) {
        const cg_attr *a = &n->attrs[i];
        if (reserved_key(a->name))
            return cg_fail_node(w->st, CG_ERR_UNSUPPORTED, w->g, n,
                                "attribute '%s' has the name of a node key in the YAML spec",
                                a->name);
        put(t, ",\n     ");
        put_name(t, a->name);
        put(t, ": ");
        cg_code rc = put_attr_value(w, n, a);
        if (rc != CG_OK)
            return rc;
    }
    put(t, "}\n");
    return CG_OK;
}

static cg_code write_spec(writer *w)
{
    write_header(w);
    write_inputs(w);
    write_outputs(w);
    cg_code rc = write_weights(w);
    if (rc == CG_OK)
        put(&w->t, "nodes:\n");
    for (int i = 0; rc == CG_OK && i < w->g->n_nodes; i++)
        rc = write_node(w, &w->g->nodes[i]);
    if (rc == CG_OK && w->g->n_nodes == 0)
        put(&w->t, "  []\n");
    if (rc == CG_OK && w->t.oom)
        rc = nomem(w);
    if (rc == CG_OK && w->t.bad_utf8)
        rc = cg_fail(w->st, CG_ERR_UNSUPPORTED,
                     "%s: a name or string attribute is not valid UTF-8, which YAML cannot hold",
                     w->path);
    return rc;
}

cg_code cg_yaml_save(const cg_graph *g, const char *path, cg_status *st)
{
    writer w;
    memset(&w, 0, sizeof w);
    w.g = g;
    w.path = path;
    w.st = st;
    cg_code rc = weights_folder(&w);
    if (rc == CG_OK && g->n_outputs == 0)
        rc = cg_fail(st, CG_ERR_INVALID, "%s: the graph has no outputs; a YAML spec needs one",
                     path);
    if (rc == CG_OK)
        rc = write_spec(&w);
    /* The weights are on disk before the spec that names them appears. */
    if (rc == CG_OK)
        rc = cg_write_file_atomic(path, w.t.buf, w.t.len, st);
    for (int i = 0; i < w.n_used; i++)
        free(w.used[i]);
    free(w.used);
    free(w.dir);
    free(w.dir_rel);
    free(w.t.buf);
    return rc;
}
