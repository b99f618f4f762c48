/* The YAML model spec (docs/yaml-spec.md) -> graph IR: model name and opsets,
 * graph inputs, weights, nodes with their attributes, graph outputs. Names are
 * checked while building so every mistake points at its line and column. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convgraph/format.h"
#include "format/yaml_parse.h"

/* The default-domain opset when the spec names none: ONNX 1.12's latest. */
#define SPEC_DEFAULT_OPSET 17

enum {
    TOP_MODEL, TOP_OPSET, TOP_OPSETS, TOP_INPUTS, TOP_WEIGHTS, TOP_NODES, TOP_OUTPUTS, TOP_COUNT
};
static const char *const k_top_keys[TOP_COUNT] = {"model", "opset",   "opsets", "inputs",
                                                  "weights", "nodes", "outputs"};

enum { DECL_NAME, DECL_DTYPE, DECL_SHAPE, DECL_COUNT };
static const char *const k_decl_keys[DECL_COUNT] = {"name", "dtype", "shape"};

/* Node keys that are not ONNX attributes. */
static const char *const k_node_keys[] = {"name", "op", "domain", "inputs", "outputs", NULL};

/* Ops whose `padding: same | valid` is TensorFlow's rule (auto_pad SAME_UPPER / VALID). */
static const char *const k_windowed_ops[] = {"Conv",        "ConvTranspose", "MaxPool",
                                             "AveragePool", "LpPool",        NULL};

typedef struct spec_ctx {
    ydoc d;
    cg_graph *g;
    yaml_node_t *top[TOP_COUNT];
} spec_ctx;

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* The value of `key` in a mapping whose keys are known unique; NULL if absent. */
static yaml_node_t *map_get(ydoc *d, const yaml_node_t *map, const char *key)
{
    for (int i = 0; i < yd_len(map); i++)
        if (strcmp(yd_text(yd_pair_key(d, map, i)), key) == 0)
            return yd_pair_value(d, map, i);
    return NULL;
}

/* ---- model, opsets ---- */

static cg_code read_opset_version(spec_ctx *c, const yaml_node_t *n, const char *what,
                                  int64_t *out)
{
    cg_code rc = yd_int(&c->d, n, what, out);
    if (!rc && (*out < 1 || *out > 100000))
        return yd_fail(&c->d, n, CG_ERR_FORMAT, "%s must be a positive opset version, not %lld",
                       what, (long long)*out);
    return rc;
}

static cg_code build_header(spec_ctx *c)
{
    const char *name;
    cg_code rc = yd_name(&c->d, c->top[TOP_MODEL], "model", &name);
    if (rc)
        return rc;
    char *copy = yd_strdup(name);
    if (!copy)
        return cg_fail(c->d.st, CG_ERR_NOMEM, "%s: out of memory", c->d.path);
    free(c->g->name);
    c->g->name = copy;
    int64_t opset = SPEC_DEFAULT_OPSET;
    if (c->top[TOP_OPSET] && (rc = read_opset_version(c, c->top[TOP_OPSET], "opset", &opset)))
        return rc;
    if ((rc = cg_graph_add_opset(c->g, "", opset, c->d.st)))
        return rc;
    const yaml_node_t *extra = c->top[TOP_OPSETS];
    if (!extra)
        return CG_OK;
    if ((rc = yd_expect_map(&c->d, extra, "opsets")) ||
        (rc = yd_check_unique_keys(&c->d, extra, "opsets")))
        return rc;
    for (int i = 0; i < yd_len(extra) && !rc; i++) {
        yaml_node_t *key = yd_pair_key(&c->d, extra, i);
        const char *domain = yd_text(key);
        if (!domain[0] || strcmp(domain, "ai.onnx") == 0)
            return yd_fail(&c->d, key, CG_ERR_FORMAT,
                           "opsets: the default domain's version goes in 'opset'");
        if (!(rc = read_opset_version(c, yd_pair_value(&c->d, extra, i), "opsets", &opset)))
            rc = cg_graph_add_opset(c->g, domain, opset, c->d.st);
    }
    return rc;
}

/* ---- declared values: graph inputs and outputs ---- */

/* One dim of a declared shape: a size, a symbol (`N`) or `?` for unknown. */
static cg_code read_dim(spec_ctx *c, const yaml_node_t *n, const char *what, cg_dim *out)
{
    yscalar_kind k = yd_kind(n);
    if (yd_is_scalar(n) && k == YS_STRING) {
        const char *s = yd_text(n);
        if (strcmp(s, "?") == 0) {
            *out = cg_dim_unknown();
            return CG_OK;
        }
        if (!s[0] || strlen(s) != n->data.scalar.length)
            return yd_fail(&c->d, n, CG_ERR_FORMAT, "%s: a symbolic dim needs a name", what);
        const char *sym = cg_strpool_add(c->g->pool, s, strlen(s));
        if (!sym)
            return cg_fail(c->d.st, CG_ERR_NOMEM, "%s: out of memory", c->d.path);
        *out = cg_dim_symbol(sym);
        return CG_OK;
    }
    int64_t v;
    cg_code rc = yd_int(&c->d, n, what, &v);
    if (rc)
        return rc;
    if (v < 0)
        return yd_fail(&c->d, n, CG_ERR_FORMAT, "%s: dim %lld is negative", what, (long long)v);
    *out = cg_dim_known(v);
    return CG_OK;
}

static cg_code read_declared_shape(spec_ctx *c, const yaml_node_t *n, const char *what,
                                   cg_shape *out)
{
    cg_code rc = yd_expect_seq(&c->d, n, what);
    if (rc)
        return rc;
    if (yd_len(n) > CG_MAX_RANK)
        return yd_fail(&c->d, n, CG_ERR_UNSUPPORTED, "%s has rank %d; at most %d is supported",
                       what, yd_len(n), CG_MAX_RANK);
    out->rank = yd_len(n);
    for (int i = 0; i < out->rank && !rc; i++)
        rc = read_dim(c, yd_item(&c->d, n, i), what, &out->d[i]);
    return rc;
}

/* An entry {name, dtype?, shape?}, or (outputs only) a bare name. The value is
 * created if new; *value is its index (callers judge repeats). */
static cg_code read_declared(spec_ctx *c, const yaml_node_t *item, const char *what,
                             cg_dtype dflt_dtype, int *value)
{
    yaml_node_t *f[DECL_COUNT] = {NULL};
    cg_code rc;
    if (yd_is_scalar(item))
        f[DECL_NAME] = (yaml_node_t *)item;
    else if ((rc = yd_fields(&c->d, item, what, k_decl_keys, DECL_COUNT, f)))
        return rc;
    if (!f[DECL_NAME])
        return yd_fail(&c->d, item, CG_ERR_FORMAT, "%s needs a name", what);
    const char *name;
    if ((rc = yd_name(&c->d, f[DECL_NAME], what, &name)))
        return rc;
    char label[160];
    snprintf(label, sizeof label, "%s '%s'", what, name);
    cg_dtype dtype = dflt_dtype;
    cg_shape shape = cg_shape_unknown();
    if ((f[DECL_DTYPE] && (rc = yd_dtype(&c->d, f[DECL_DTYPE], label, &dtype))) ||
        (f[DECL_SHAPE] && (rc = read_declared_shape(c, f[DECL_SHAPE], label, &shape))))
        return rc;
    if ((*value = cg_graph_intern(c->g, name, c->d.st)) < 0)
        return CG_ERR_NOMEM;
    cg_value *v = &c->g->values[*value];
    /* A bare output name declares nothing (and keeps an input's declaration). */
    if (f[DECL_DTYPE] || f[DECL_SHAPE] || dflt_dtype != CG_UNDEFINED) {
        v->has_declared = true;
        v->declared_dtype = dtype;
        v->declared_shape = shape;
    }
    return CG_OK;
}

static cg_code build_inputs(spec_ctx *c)
{
    const yaml_node_t *list = c->top[TOP_INPUTS];
    cg_code rc = yd_expect_seq(&c->d, list, "inputs");
    for (int i = 0; !rc && i < yd_len(list); i++) {
        yaml_node_t *item = yd_item(&c->d, list, i);
        int before = c->g->n_values, v;
        if (!yd_is_map(item))
            return yd_fail(&c->d, item, CG_ERR_FORMAT,
                           "inputs: each entry is {name, dtype, shape}");
        if ((rc = read_declared(c, item, "input", CG_FLOAT, &v)))
            return rc;
        if (v < before)
            return yd_fail(&c->d, item, CG_ERR_FORMAT, "input '%s' is declared twice",
                           c->g->values[v].name);
        cg_value *val = &c->g->values[v];
        val->dtype = val->declared_dtype;
        val->shape = val->declared_shape;
        rc = cg_graph_add_input(c->g, v, c->d.st);
    }
    return rc;
}

static cg_code build_outputs(spec_ctx *c)
{
    const yaml_node_t *list = c->top[TOP_OUTPUTS];
    cg_code rc = yd_expect_seq(&c->d, list, "outputs");
    if (!rc && yd_len(list) == 0)
        return yd_fail(&c->d, list, CG_ERR_FORMAT, "outputs must name at least one value");
    for (int i = 0; !rc && i < yd_len(list); i++) {
        yaml_node_t *item = yd_item(&c->d, list, i);
        int before = c->g->n_values, v;
        if ((rc = read_declared(c, item, "output", CG_UNDEFINED, &v)))
            return rc;
        /* Every existing value was checked to be defined, so a new one is not. */
        if (v >= before)
            return yd_fail(&c->d, item, CG_ERR_FORMAT,
                           "output '%s' is not a graph input, a weight or any node's output",
                           c->g->values[v].name);
        if (c->g->values[v].is_output)
            return yd_fail(&c->d, item, CG_ERR_FORMAT, "output '%s' is listed twice",
                           c->g->values[v].name);
        rc = cg_graph_add_output(c->g, v, c->d.st);
    }
    return rc;
}

/* ---- weights ---- */

static cg_code build_weights(spec_ctx *c)
{
    const yaml_node_t *map = c->top[TOP_WEIGHTS];
    cg_code rc;
    if ((rc = yd_expect_map(&c->d, map, "weights")) ||
        (rc = yd_check_unique_keys(&c->d, map, "weights")))
        return rc;
    for (int i = 0; i < yd_len(map); i++) {
        yaml_node_t *key = yd_pair_key(&c->d, map, i);
        const char *name;
        if ((rc = yd_name(&c->d, key, "weight name", &name)))
            return rc;
        if (cg_graph_find(c->g, name) >= 0)
            return yd_fail(&c->d, key, CG_ERR_FORMAT, "weight '%s' has the name of a graph input",
                           name);
        char what[160];
        snprintf(what, sizeof what, "weight '%s'", name);
        cg_tensor *t = yd_tensor(&c->d, yd_pair_value(&c->d, map, i), what);
        int v = t ? cg_graph_intern(c->g, name, c->d.st) : -1;
        if (v < 0) {
            cg_tensor_free(t);
            return c->d.st ? c->d.st->code : CG_ERR_FORMAT;
        }
        cg_value *val = &c->g->values[v];
        val->is_initializer = true;
        val->data = t;
        val->dtype = t->dtype;
        val->shape = cg_tensor_shape(t);
    }
    return CG_OK;
}

/* ---- nodes and attributes ---- */

/* Value names of a node's inputs or outputs; null or "" marks an omitted
 * optional slot. *out is malloc'd; its strings belong to the document. */
static cg_code read_names(spec_ctx *c, const yaml_node_t *list, const char *what,
                          const char ***out, int *n)
{
    cg_code rc = yd_expect_seq(&c->d, list, what);
    if (rc)
        return rc;
    *n = yd_len(list);
    const char **names = calloc(*n ? (size_t)*n : 1, sizeof *names);
    if (!names)
        return cg_fail(c->d.st, CG_ERR_NOMEM, "%s: out of memory", c->d.path);
    for (int i = 0; i < *n && !rc; i++) {
        yaml_node_t *item = yd_item(&c->d, list, i);
        if (yd_is_scalar(item) && yd_kind(item) == YS_NULL)
            names[i] = "";
        else
            rc = yd_name(&c->d, item, what, &names[i]);
    }
    if (rc)
        free(names);
    else
        *out = names;
    return rc;
}

static cg_code add_attr(spec_ctx *c, cg_node *n, const yaml_node_t *key, const yaml_node_t *v,
                        const char *node_what)
{
    char what[256];
    snprintf(what, sizeof what, "%s: attribute '%s'", node_what, yd_text(key));
    const char *name;
    cg_code rc = yd_name(&c->d, key, what, &name);
    if (rc)
        return rc;
    if (!name[0])
        return yd_fail(&c->d, key, CG_ERR_FORMAT, "%s: an attribute needs a name", node_what);
    cg_attr *a = cg_node_add_attr(n, yd_text(key), c->d.st);
    return a ? yd_attr_value(&c->d, a, v, what) : CG_ERR_NOMEM;
}

/* `padding: same | valid` -> auto_pad SAME_UPPER / VALID: TensorFlow's 'SAME' puts
 * the odd pixel at the end, which is ONNX SAME_UPPER (ONNX Conv spec, auto_pad). */
static cg_code apply_padding(spec_ctx *c, cg_node *n, const yaml_node_t *key,
                             const yaml_node_t *v, const char *node_what)
{
    if (n->domain[0] || !in_list(n->op_type, k_windowed_ops))
        return yd_fail(&c->d, key, CG_ERR_FORMAT,
                       "%s: padding applies to Conv, ConvTranspose, MaxPool, AveragePool and "
                       "LpPool only", node_what);
    const char *clash = cg_node_attr(n, "auto_pad") ? "auto_pad" : NULL;
    if (!clash && cg_node_attr(n, "pads"))
        clash = "pads";
    if (clash)
        return yd_fail(&c->d, key, CG_ERR_FORMAT, "%s: padding cannot be combined with %s",
                       node_what, clash);
    const char *mode = NULL;
    if (yd_kind(v) == YS_STRING && strcasecmp(yd_text(v), "same") == 0)
        mode = "SAME_UPPER";
    else if (yd_kind(v) == YS_STRING && strcasecmp(yd_text(v), "valid") == 0)
        mode = "VALID";
    if (!mode || !yd_is_scalar(v))
        return yd_fail(&c->d, v, CG_ERR_FORMAT, "%s: padding must be same or valid", node_what);
    cg_attr *a = cg_node_add_attr(n, "auto_pad", c->d.st);
    if (!a || !(a->s = yd_strdup(mode)))
        return cg_fail(c->d.st, CG_ERR_NOMEM, "%s: out of memory", c->d.path);
    a->type = CG_ATTR_STRING;
    a->s_len = strlen(mode);
    return CG_OK;
}

static cg_code add_attrs(spec_ctx *c, cg_node *n, const yaml_node_t *item, const char *node_what)
{
    const yaml_node_t *padding_key = NULL, *padding_val = NULL;
    cg_code rc = CG_OK;
    for (int i = 0; i < yd_len(item) && !rc; i++) {
        yaml_node_t *key = yd_pair_key(&c->d, item, i);
        if (in_list(yd_text(key), k_node_keys))
            continue;
        if (strcmp(yd_text(key), "padding") == 0) {
            padding_key = key;
            padding_val = yd_pair_value(&c->d, item, i);
            continue;
        }
        rc = add_attr(c, n, key, yd_pair_value(&c->d, item, i), node_what);
    }
    if (!rc && padding_key)
        rc = apply_padding(c, n, padding_key, padding_val, node_what);
    return rc;
}

static cg_code node_header_fail(spec_ctx *c, const yaml_node_t *item, const char *name,
                                int index, const char *problem)
{
    if (name[0])
        return yd_fail(&c->d, item, CG_ERR_FORMAT, "node '%s' %s", name, problem);
    return yd_fail(&c->d, item, CG_ERR_FORMAT, "node #%d %s", index, problem);
}

/* The node's name, op and domain, checked; name and domain may be absent. */
static cg_code read_node_header(spec_ctx *c, const yaml_node_t *item, int index,
                                const char **name, const char **op, const char **domain)
{
    const yaml_node_t *name_n = map_get(&c->d, item, "name"), *op_n = map_get(&c->d, item, "op");
    const yaml_node_t *domain_n = map_get(&c->d, item, "domain");
    cg_code rc;
    *name = "";
    *domain = "";
    if (name_n && (rc = yd_name(&c->d, name_n, "node name", name)))
        return rc;
    if (!op_n)
        return node_header_fail(c, item, *name, index, "needs an op");
    if ((rc = yd_name(&c->d, op_n, "op", op)))
        return rc;
    if (domain_n && (rc = yd_name(&c->d, domain_n, "domain", domain)))
        return rc;
    if (!map_get(&c->d, item, "outputs"))
        return node_header_fail(c, item, *name, index, "needs outputs");
    return CG_OK;
}

/* "node 'conv1' (Conv)" or "node #3 (output 'y') (Relu)", as cg_fail_node says it. */
static void node_what(const cg_graph *g, const cg_node *n, char *buf, size_t len)
{
    char label[160];
    snprintf(buf, len, "node %s (%s)", cg_node_label(g, n, label, sizeof label), n->op_type);
}

static cg_code build_node(spec_ctx *c, const yaml_node_t *item, int index)
{
    cg_code rc;
    if (!yd_is_map(item))
        return yd_fail(&c->d, item, CG_ERR_FORMAT,
                       "nodes: each entry is a mapping {name, op, inputs, outputs, ...}");
    if ((rc = yd_check_unique_keys(&c->d, item, "node")))
        return rc;
    const char *name, *op, *domain, **ins = NULL, **outs = NULL;
    int n_ins = 0, n_outs = 0;
    const yaml_node_t *ins_n = map_get(&c->d, item, "inputs");
    const yaml_node_t *outs_n = map_get(&c->d, item, "outputs");
    if ((rc = read_node_header(c, item, index, &name, &op, &domain)) ||
        (ins_n && (rc = read_names(c, ins_n, "inputs", &ins, &n_ins))) ||
        (rc = read_names(c, outs_n, "outputs", &outs, &n_outs)))
        goto done;
    if (n_outs == 0) {
        rc = yd_fail(&c->d, outs_n, CG_ERR_FORMAT, "a node needs at least one output");
        goto done;
    }
    cg_node *n = cg_graph_add_node(c->g, name, op, domain, c->d.st);
    char what[224];
    if (!n)
        rc = CG_ERR_NOMEM;
    else if (!(rc = cg_node_set_inputs(c->g, n, ins, n_ins, c->d.st)) &&
             !(rc = cg_node_set_outputs(c->g, n, outs, n_outs, c->d.st))) {
        node_what(c->g, n, what, sizeof what);
        rc = add_attrs(c, n, item, what);
    }
done:
    free(ins);
    free(outs);
    return rc;
}

static cg_code build_nodes(spec_ctx *c)
{
    const yaml_node_t *list = c->top[TOP_NODES];
    cg_code rc = yd_expect_seq(&c->d, list, "nodes");
    for (int i = 0; i < yd_len(list) && !rc; i++)
        rc = build_node(c, yd_item(&c->d, list, i), i);
    return rc;
}

/* ---- references ---- */

static cg_code check_node_refs(spec_ctx *c, int i, bool *defined, bool outputs)
{
    const cg_node *n = &c->g->nodes[i];
    const yaml_node_t *item = yd_item(&c->d, c->top[TOP_NODES], i);
    const yaml_node_t *list = map_get(&c->d, item, outputs ? "outputs" : "inputs");
    char what[224];
    node_what(c->g, n, what, sizeof what);
    int count = outputs ? n->n_outputs : n->n_inputs;
    for (int j = 0; j < count; j++) {
        int v = outputs ? n->outputs[j] : n->inputs[j];
        if (v < 0)
            continue;
        const char *vname = c->g->values[v].name;
        if (outputs && defined[v])
            return yd_fail(&c->d, yd_item(&c->d, list, j), CG_ERR_FORMAT,
                           "%s: output '%s' is already defined", what, vname);
        if (!outputs && !defined[v])
            return yd_fail(&c->d, yd_item(&c->d, list, j), CG_ERR_FORMAT,
                           "%s: input '%s' is not a graph input, a weight or any node's output",
                           what, vname);
        defined[v] = true;
    }
    return CG_OK;
}

/* Every value is defined once (graph input, weight or one node output) and
 * every node input is defined somewhere; order is toposort's business. */
static cg_code check_references(spec_ctx *c)
{
    cg_graph *g = c->g;
    bool *defined = calloc(g->n_values ? (size_t)g->n_values : 1, sizeof *defined);
    if (!defined)
        return cg_fail(c->d.st, CG_ERR_NOMEM, "%s: out of memory", c->d.path);
    for (int v = 0; v < g->n_values; v++)
        defined[v] = g->values[v].is_input || g->values[v].is_initializer;
    cg_code rc = CG_OK;
    for (int i = 0; i < g->n_nodes && !rc; i++)
        rc = check_node_refs(c, i, defined, true);
    for (int i = 0; i < g->n_nodes && !rc; i++)
        rc = check_node_refs(c, i, defined, false);
    free(defined);
    return rc;
}

/* ---- the whole spec ---- */

static cg_code build_graph(spec_ctx *c)
{
    yaml_node_t *root = yd_root(&c->d);
    cg_code rc = yd_fields(&c->d, root, "the model spec", k_top_keys, TOP_COUNT, c->top);
    if (rc)
        return rc;
    static const int required[] = {TOP_MODEL, TOP_NODES, TOP_OUTPUTS};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!c->top[required[i]])
            return yd_fail(&c->d, root, CG_ERR_FORMAT, "the model spec needs '%s'",
                           k_top_keys[required[i]]);
    if ((rc = build_header(c)) || (c->top[TOP_INPUTS] && (rc = build_inputs(c))) ||
        (c->top[TOP_WEIGHTS] && (rc = build_weights(c))) || (rc = build_nodes(c)) ||
        (rc = check_references(c)) || (rc = build_outputs(c)))
        return rc;
    return cg_graph_toposort(c->g, c->d.st);
}

cg_graph *cg_yaml_load(const char *path, cg_status *st)
{
    spec_ctx c;
    memset(&c, 0, sizeof c);
    cg_code rc = yd_load(&c.d, path, st);
    if (!rc && !(c.g = cg_graph_new(path)))
        rc = cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", path);
    if (!rc)
        rc = build_graph(&c);
    yd_free(&c.d);
    if (rc) {
        cg_graph_free(c.g);
        return NULL;
    }
    return c.g;
}
