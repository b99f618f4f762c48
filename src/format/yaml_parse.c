/* Loading a YAML document with libyaml's document API, and typed access to its
 * nodes with errors that carry the node's file position. */
#include "format/yaml_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/format.h"

/* A model spec is hand-written text; anything larger is a mistake, and libyaml
 * keeps the whole node tree in memory. */
#define YAML_MAX_FILE_BYTES ((size_t)64 << 20)
/* Weight specs inside node attributes are the deepest part: about 5 levels. */
#define YAML_MAX_DEPTH 64

/* Messages quote names and values from the file; control characters in them
 * (a quoted "a\nb") would break the one-line promise. */
static void make_one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

cg_code yd_fail(ydoc *d, const yaml_node_t *n, cg_code code, const char *fmt, ...)
{
    char what[CG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    make_one_line(what);
    if (!n)
        return cg_fail(d->st, code, "%s: %s", d->path, what);
    /* libyaml marks are 0-based; editors count from 1. */
    return cg_fail(d->st, code, "%s:%zu:%zu: %s", d->path, n->start_mark.line + 1,
                   n->start_mark.column + 1, what);
}

cg_code yd_fail_wrap(ydoc *d, const yaml_node_t *n, const char *what)
{
    char inner[CG_MSG_MAX];
    snprintf(inner, sizeof inner, "%s", d->st ? d->st->msg : "");
    return yd_fail(d, n, d->st ? d->st->code : CG_ERR_FORMAT, "%s: %s", what, inner);
}

/* 1-based line and column of a byte offset, for libyaml reader errors that
 * only report an offset (invalid UTF-8, control characters). */
static void offset_position(const char *buf, size_t len, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static cg_code parser_error(ydoc *d, const yaml_parser_t *p, const char *buf, size_t len)
{
    const char *problem = p->problem ? p->problem : "unknown problem";
    if (p->error == YAML_MEMORY_ERROR)
        return cg_fail(d->st, CG_ERR_NOMEM, "%s: out of memory parsing YAML", d->path);
    if (p->error == YAML_READER_ERROR) {
        size_t line, col;
        offset_position(buf, len, p->problem_offset, &line, &col);
        return cg_fail(d->st, CG_ERR_FORMAT, "%s:%zu:%zu: YAML syntax error: %s", d->path, line,
                       col, problem);
    }
    if (p->context)
        return cg_fail(d->st, CG_ERR_FORMAT,
                       "%s:%zu:%zu: YAML syntax error: %s (%s at line %zu, column %zu)", d->path,
                       p->problem_mark.line + 1, p->problem_mark.column + 1, problem, p->context,
                       p->context_mark.line + 1, p->context_mark.column + 1);
    return cg_fail(d->st, CG_ERR_FORMAT, "%s:%zu:%zu: YAML syntax error: %s", d->path,
                   p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

/* libyaml's scanner does work proportional to the flow nesting depth for every
 * token, so a crafted "[[[[..." takes quadratic time, while a spec never needs
 * more than a few levels. One pass over the events refuses deep nesting before
 * the document is built. */
static cg_code check_nesting(ydoc *d, yaml_parser_t *p, const char *buf, size_t len)
{
    int depth = 0;
    cg_code rc = CG_OK;
    for (bool done = false; !done && !rc;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev))
            return parser_error(d, p, buf, len);
        if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
            if (++depth > YAML_MAX_DEPTH)
                rc = cg_fail(d->st, CG_ERR_FORMAT, "%s:%zu:%zu: nested deeper than %d levels",
                             d->path, ev.start_mark.line + 1, ev.start_mark.column + 1,
                             YAML_MAX_DEPTH);
        } else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    return rc;
}

/* Loads the first document and insists there is no second one. */
static cg_code load_single_document(ydoc *d, yaml_parser_t *p, const char *buf, size_t len)
{
    if (!yaml_parser_load(p, &d->doc))
        return parser_error(d, p, buf, len);
    d->loaded = true;
    if (!yd_root(d))
        return cg_fail(d->st, CG_ERR_FORMAT, "%s: the model spec is empty", d->path);
    yaml_document_t extra;
    if (!yaml_parser_load(p, &extra))
        return parser_error(d, p, buf, len);
    bool more = yaml_document_get_root_node(&extra) != NULL;
    size_t line = extra.start_mark.line + 1, col = extra.start_mark.column + 1;
    yaml_document_delete(&extra);
    if (more)
        return cg_fail(d->st, CG_ERR_FORMAT,
                       "%s:%zu:%zu: a second YAML document; a spec is one document", d->path,
                       line, col);
    return CG_OK;
}

cg_code yd_load(ydoc *d, const char *path, cg_status *st)
{
    memset(d, 0, sizeof *d);
    d->path = path;
    d->st = st;
    size_t len = 0;
    char *buf = cg_read_file(path, &len, YAML_MAX_FILE_BYTES, st);
    if (!buf)
        return st ? st->code : CG_ERR_IO;
    cg_code rc = CG_OK;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        yaml_parser_t parser;
        if (!yaml_parser_initialize(&parser)) {
            rc = cg_fail(st, CG_ERR_NOMEM, "%s: out of memory starting the YAML parser", path);
            break;
        }
        yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
        rc = pass == 0 ? check_nesting(d, &parser, buf, len)
                       : load_single_document(d, &parser, buf, len);
        yaml_parser_delete(&parser);
    }
    free(buf);
    return rc;
}

void yd_free(ydoc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    d->loaded = false;
}

yaml_node_t *yd_root(ydoc *d) { return yaml_document_get_root_node(&d->doc); }

int yd_len(const yaml_node_t *n)
{
    if (n->type == YAML_SEQUENCE_NODE)
        return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (n->type == YAML_MAPPING_NODE)
        return (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    return 0;
}

yaml_node_t *yd_item(ydoc *d, const yaml_node_t *seq, int i)
{
    return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}

yaml_node_t *yd_pair_key(ydoc *d, const yaml_node_t *map, int i)
{
    return yaml_document_get_node(&d->doc, map->data.mapping.pairs.start[i].key);
}

yaml_node_t *yd_pair_value(ydoc *d, const yaml_node_t *map, int i)
{
    return yaml_document_get_node(&d->doc, map->data.mapping.pairs.start[i].value);
}

bool yd_is_scalar(const yaml_node_t *n) { return n->type == YAML_SCALAR_NODE; }
bool yd_is_seq(const yaml_node_t *n) { return n->type == YAML_SEQUENCE_NODE; }
bool yd_is_map(const yaml_node_t *n) { return n->type == YAML_MAPPING_NODE; }

const char *yd_text(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "";
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool is_one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

/* YAML 1.2 core schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
 * plus .inf and .nan spellings. */
static bool looks_float(const char *s)
{
    static const char *const specials[] = {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL};
    if (*s == '-' || *s == '+')
        s++;
    if (is_one_of(s, specials))
        return true;
    size_t int_digits = strspn(s, "0123456789");
    s += int_digits;
    size_t frac_digits = 0;
    if (*s == '.') {
        s++;
        frac_digits = strspn(s, "0123456789");
        s += frac_digits;
    }
    if (int_digits + frac_digits == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        if (!all_digits(s))
            return false;
        return true;
    }
    return *s == '\0';
}

yscalar_kind yd_kind(const yaml_node_t *n)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL", "", NULL};
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE", NULL};
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return YS_STRING;
    const char *s = yd_text(n);
    if (is_one_of(s, nulls))
        return YS_NULL;
    if (is_one_of(s, bools))
        return YS_BOOL;
    if (all_digits(s + (*s == '-' || *s == '+')))
        return YS_INT;
    return looks_float(s) ? YS_FLOAT : YS_STRING;
}

static const char *kind_name(const yaml_node_t *n)
{
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    switch (yd_kind(n)) {
    case YS_NULL: return "null";
    case YS_BOOL: return "a boolean";
    case YS_INT: return "an integer";
    case YS_FLOAT: return "a float";
    case YS_STRING: break;
    }
    return "a string";
}

cg_code yd_int(ydoc *d, const yaml_node_t *n, const char *what, int64_t *out)
{
    if (yd_kind(n) != YS_INT || n->type != YAML_SCALAR_NODE)
        return yd_fail(d, n, CG_ERR_FORMAT, "%s must be an integer, not %s", what, kind_name(n));
    errno = 0;
    char *end;
    long long v = strtoll(yd_text(n), &end, 10);
    if (errno == ERANGE || *end)
        return yd_fail(d, n, CG_ERR_FORMAT, "%s: integer '%s' does not fit in 64 bits", what,
                       yd_text(n));
    *out = (int64_t)v;
    return CG_OK;
}

cg_code yd_number(ydoc *d, const yaml_node_t *n, const char *what, double *out)
{
    yscalar_kind k = yd_kind(n);
    if (n->type != YAML_SCALAR_NODE || (k != YS_INT && k != YS_FLOAT))
        return yd_fail(d, n, CG_ERR_FORMAT, "%s must be a number, not %s", what, kind_name(n));
    const char *s = yd_text(n);
    const char *body = s + (*s == '-' || *s == '+');
    if (body[0] == '.' && (body[1] == 'i' || body[1] == 'I')) {
        *out = *s == '-' ? -INFINITY : INFINITY;
    } else if (body[0] == '.' && (body[1] == 'n' || body[1] == 'N')) {
        *out = NAN;
    } else {
        errno = 0;
        *out = strtod(s, NULL);
        if (errno == ERANGE && isinf(*out))
            return yd_fail(d, n, CG_ERR_FORMAT, "%s: number '%s' is out of range", what, s);
    }
    return CG_OK;
}

cg_code yd_name(ydoc *d, const yaml_node_t *n, const char *what, const char **out)
{
    if (n->type != YAML_SCALAR_NODE || yd_kind(n) == YS_NULL)
        return yd_fail(d, n, CG_ERR_FORMAT, "%s must be a name, not %s", what, kind_name(n));
    if (strlen(yd_text(n)) != n->data.scalar.length)
        return yd_fail(d, n, CG_ERR_FORMAT, "%s contains a NUL character", what);
    *out = yd_text(n);
    return CG_OK;
}

cg_code yd_expect_seq(ydoc *d, const yaml_node_t *n, const char *what)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return yd_fail(d, n, CG_ERR_FORMAT, "%s must be a list, not %s", what, kind_name(n));
    return CG_OK;
}

cg_code yd_expect_map(ydoc *d, const yaml_node_t *n, const char *what)
{
    if (n->type != YAML_MAPPING_NODE)
        return yd_fail(d, n, CG_ERR_FORMAT, "%s must be a mapping, not %s", what, kind_name(n));
    return CG_OK;
}

/* Keys sorted by text, then by position, to find repeats in n log n time (a
 * crafted mapping can have millions of keys). */
typedef struct key_ref {
    const char *text;
    int index;
} key_ref;

static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

cg_code yd_check_unique_keys(ydoc *d, const yaml_node_t *map, const char *what)
{
    int n = yd_len(map);
    for (int i = 0; i < n; i++) {
        yaml_node_t *k = yd_pair_key(d, map, i);
        if (k->type != YAML_SCALAR_NODE)
            return yd_fail(d, k, CG_ERR_FORMAT, "keys of %s must be plain names", what);
    }
    key_ref *keys = malloc((n > 0 ? (size_t)n : 1) * sizeof *keys);
    if (!keys)
        return cg_fail(d->st, CG_ERR_NOMEM, "%s: out of memory", d->path);
    for (int i = 0; i < n; i++)
        keys[i] = (key_ref){yd_text(yd_pair_key(d, map, i)), i};
    qsort(keys, (size_t)n, sizeof *keys, key_ref_cmp);
    int repeat = n; /* the first repeated key in file order */
    for (int i = 1; i < n; i++)
        if (strcmp(keys[i].text, keys[i - 1].text) == 0 && keys[i].index < repeat)
            repeat = keys[i].index;
    free(keys);
    if (repeat == n)
        return CG_OK;
    yaml_node_t *k = yd_pair_key(d, map, repeat);
    return yd_fail(d, k, CG_ERR_FORMAT, "%s: key '%s' appears twice", what, yd_text(k));
}

static void list_keys(const char *const *keys, int n_keys, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n_keys && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", keys[i]);
}

cg_code yd_fields(ydoc *d, const yaml_node_t *map, const char *what, const char *const *keys,
                  int n_keys, yaml_node_t **vals)
{
    cg_code rc = yd_expect_map(d, map, what);
    if (rc || (rc = yd_check_unique_keys(d, map, what)))
        return rc;
    for (int k = 0; k < n_keys; k++)
        vals[k] = NULL;
    for (int i = 0; i < yd_len(map); i++) {
        yaml_node_t *key = yd_pair_key(d, map, i);
        int k = 0;
        while (k < n_keys && strcmp(yd_text(key), keys[k]) != 0)
            k++;
        if (k == n_keys) {
            char expected[256];
            list_keys(keys, n_keys, expected, sizeof expected);
            return yd_fail(d, key, CG_ERR_FORMAT, "unknown key '%s' in %s (expected %s)",
                           yd_text(key), what, expected);
        }
        vals[k] = yd_pair_value(d, map, i);
    }
    return CG_OK;
}

cg_code yd_dtype(ydoc *d, const yaml_node_t *n, const char *what, cg_dtype *out)
{
    const char *name;
    cg_code rc = yd_name(d, n, what, &name);
    if (rc)
        return rc;
    if (!cg_dtype_parse(name, out) || cg_dtype_size(*out) == 0)
        return yd_fail(d, n, CG_ERR_FORMAT, "%s: unknown dtype '%s' (use float32, float16, "
                       "float64, int8, uint8, int16, int32, int64, bool, ...)", what, name);
    return CG_OK;
}

char *yd_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
