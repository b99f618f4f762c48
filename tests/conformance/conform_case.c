/* One backend test: load, check every op has a shape function, infer, compare. */
#include "conform_case.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/convgraph.h"
#include "onnx.pb-c.h"
#include "shape_inputs.h"

/* Models in the backend suite are small; anything larger is not one of them. */
#define MODEL_MAX_BYTES ((size_t)1 << 28)

static void verdict(case_result *r, case_verdict v, const char *fmt, ...) CG_PRINTF(3, 4);

static void verdict(case_result *r, case_verdict v, const char *fmt, ...)
{
    va_list ap;
    r->verdict = v;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
}

/* Appends "; text" (or just text when empty) to r->why, truncating safely. */
static void append_why(case_result *r, const char *text)
{
    size_t used = strlen(r->why);
    snprintf(r->why + used, sizeof r->why - used, "%s%s", used ? "; " : "", text);
}

static const char *type_kind_name(Onnx__TypeProto__ValueCase c)
{
    switch (c) {
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE: return "a sequence";
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE: return "a map";
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE: return "an optional";
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: return "a sparse tensor";
    default: return "not a tensor";
    }
}

/* output_K.pb of a sequence or optional output is not a TensorProto, so such tests
 * say nothing about tensor shapes. Reads the declared output types straight from the
 * file (independently of the loader under test); true and r filled when one is not
 * a dense tensor. A file protobuf-c cannot parse is left to the loader to report. */
static bool skip_non_tensor_outputs(const char *model_path, case_result *r)
{
    size_t len = 0;
    void *buf = cg_read_file(model_path, &len, MODEL_MAX_BYTES, NULL);
    if (!buf)
        return false;
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    free(buf);
    if (!m)
        return false;
    bool skip = false;
    for (size_t i = 0; m->graph && i < m->graph->n_output && !skip; i++) {
        const Onnx__ValueInfoProto *vi = m->graph->output[i];
        if (vi->type && vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
            verdict(r, CASE_SKIP, "output '%s' is %s, not a tensor", vi->name ? vi->name : "",
                    type_kind_name(vi->type->value_case));
            skip = true;
        }
    }
    onnx__model_proto__free_unpacked(m, NULL);
    return skip;
}

/* "Op" for ai.onnx, "domain.Op" otherwise: how the op is named in a SKIP line;
 * "Op@opset7" when other versions of the op have a shape function. */
static void op_label(const cg_graph *g, const cg_node *n, char *buf, size_t len)
{
    bool other_domain = n->domain[0] && strcmp(n->domain, "ai.onnx") != 0;
    int used = snprintf(buf, len, "%s%s%s", other_domain ? n->domain : "",
                        other_domain ? "." : "", n->op_type);
    if (used >= 0 && (size_t)used < len && cg_op_known(n->domain, n->op_type))
        snprintf(buf + used, len - (size_t)used, "@opset%lld",
                 (long long)cg_graph_opset(g, n->domain));
}

static bool same_op(const cg_node *a, const cg_node *b)
{
    return strcmp(a->op_type, b->op_type) == 0 && strcmp(a->domain, b->domain) == 0;
}

/* True when an earlier node has the same op (already listed). */
static bool seen_before(const cg_graph *g, int i)
{
    for (int j = 0; j < i; j++) {
        if (same_op(&g->nodes[j], &g->nodes[i]))
            return true;
    }
    return false;
}

/* Lists, once each, the ops with no shape function for the model's opset. */
static bool skip_unsupported_ops(const cg_graph *g, case_result *r)
{
    char list[CASE_WHY_MAX] = "";
    for (int i = 0; i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        if (cg_op_find(n->domain, n->op_type, cg_graph_opset(g, n->domain)) ||
            seen_before(g, i))
            continue;
        char label[256];
        op_label(g, n, label, sizeof label);
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? "," : "", label);
    }
    if (!list[0])
        return false;
    verdict(r, CASE_SKIP, "unsupported op %s", list);
    return true;
}

/* How an inferred output compares with the reference. */
typedef enum agreement {
    AGREE,
    UNDETERMINED, /* right dtype and no wrong number, but some dim or the rank unknown */
    DISAGREE,     /* a wrong dtype, rank or number, or an unreadable reference */
} agreement;

static agreement compare_shape(const cg_shape *inferred, const cg_tensor *expected)
{
    if (inferred->rank < 0)
        return UNDETERMINED;
    if (inferred->rank != expected->rank)
        return DISAGREE;
    agreement a = AGREE;
    for (int i = 0; i < inferred->rank; i++) {
        if (!cg_dim_is_known(inferred->d[i]))
            a = UNDETERMINED; /* a symbol or "?" where the file has a number */
        else if (inferred->d[i].v != expected->dims[i])
            return DISAGREE;
    }
    return a;
}

static agreement worse(agreement a, agreement b) { return a > b ? a : b; }

/* Compares output k and appends a description of any difference to r->why.
 * *unsupported_ref is set when the reader refuses the reference file's type. */
static agreement compare_output(const cg_graph *g, int k, const char *dir, case_result *r,
                                bool *unsupported_ref)
{
    const cg_value *v = &g->values[g->outputs[k]];
    char path[4096], line[CASE_WHY_MAX];
    snprintf(path, sizeof path, "%s/test_data_set_0/output_%d.pb", dir, k);
    cg_status st;
    cg_status_clear(&st);
    cg_tensor *t = cg_onnx_read_tensor(path, &st);
    if (!t) {
        *unsupported_ref |= st.code == CG_ERR_UNSUPPORTED;
        snprintf(line, sizeof line, "reading output_%d.pb: %s", k, st.msg);
        append_why(r, line);
        return DISAGREE;
    }
    agreement a = compare_shape(&v->shape, t);
    if (v->dtype != t->dtype)
        a = DISAGREE;
    if (a != AGREE) {
        char got[256], want[256];
        cg_shape ts = cg_tensor_shape(t);
        cg_shape_format(&v->shape, got, sizeof got);
        cg_shape_format(&ts, want, sizeof want);
        snprintf(line, sizeof line, "output '%s' inferred %s%s expected %s%s", v->name,
                 cg_dtype_name(v->dtype), got, cg_dtype_name(t->dtype), want);
        append_why(r, line);
    }
    cg_tensor_free(t);
    return a;
}

/* Fills r (PASS, FAIL, or SKIP when the reader refuses a reference) and returns
 * the worst agreement over all outputs. */
static agreement compare_outputs(const cg_graph *g, const char *dir, case_result *r)
{
    agreement all = AGREE;
    bool unsupported_ref = false;
    r->why[0] = '\0';
    for (int k = 0; k < g->n_outputs; k++)
        all = worse(all, compare_output(g, k, dir, r, &unsupported_ref));
    if (all == AGREE)
        r->verdict = CASE_PASS;
    else
        r->verdict = unsupported_ref ? CASE_SKIP : CASE_FAIL;
    return all;
}

/* Runs inference; false with r filled when it stops on an error. */
static bool infer(cg_graph *g, case_result *r)
{
    cg_infer_options opt;
    memset(&opt, 0, sizeof opt);
    cg_status st;
    cg_status_clear(&st);
    cg_code rc = cg_graph_infer_shapes(g, &opt, &st);
    if (rc == CG_OK)
        return true;
    /* UNSUPPORTED: a shape function refusing an attribute combination it does not
     * implement, which is a gap, not a wrong answer. */
    verdict(r, rc == CG_ERR_UNSUPPORTED ? CASE_SKIP : CASE_FAIL, "%s%s",
            rc == CG_ERR_UNSUPPORTED ? "" : "inference: ", st.msg);
    return false;
}

/* True when graph input v is consumed where its contents decide an output shape. */
static bool feeds_shape_input(const cg_graph *g, int v)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        bool default_domain = !n->domain[0] || strcmp(n->domain, "ai.onnx") == 0;
        for (int k = 0; default_domain && k < n->n_inputs; k++) {
            if (n->inputs[k] == v && is_shape_determining_input(n->op_type, k))
                return true;
        }
    }
    return false;
}

/* Gives the graph inputs that decide shapes (see shape_inputs.c) the contents of
 * test_data_set_0/input_K.pb, as if they were initializers; returns how many. Data
 * inputs stay unknown so no output shape can come from folding their values. A file
 * that does not match the declared dtype and rank is not used. */
static int know_shape_input_values(cg_graph *g, const char *dir)
{
    int given = 0;
    for (int k = 0; k < g->n_inputs; k++) {
        cg_value *v = &g->values[g->inputs[k]];
        char path[4096];
        if (v->data || !feeds_shape_input(g, g->inputs[k]))
            continue;
        snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, k);
        cg_tensor *t = cg_onnx_read_tensor(path, NULL);
        if (!t || t->dtype != v->dtype || t->rank != v->shape.rank) {
            cg_tensor_free(t);
            continue;
        }
        v->data = t;
        given++;
    }
    return given;
}

/* In the backend tests the shape-determining inputs (Reshape's shape, Slice's starts,
 * Resize's scales, ...) are graph inputs fed at run time, so a first pass over the
 * static shapes alone cannot know those outputs. Only when that pass left dims
 * unknown without getting any wrong does a second pass, knowing those inputs'
 * values, decide the case. */
static void judge_graph(cg_graph *g, const char *dir, case_result *r)
{
    if (skip_unsupported_ops(g, r) || !infer(g, r))
        return;
    if (compare_outputs(g, dir, r) != UNDETERMINED || know_shape_input_values(g, dir) == 0)
        return;
    r->used_input_values = true;
    if (infer(g, r))
        compare_outputs(g, dir, r);
}

void conform_run_case(const char *dir, case_result *r)
{
    char model[4096];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    r->used_input_values = false;
    if (skip_non_tensor_outputs(model, r))
        return;
    cg_status st;
    cg_status_clear(&st);
    cg_graph *g = cg_onnx_load(model, &st);
    if (!g) {
        if (st.code == CG_ERR_UNSUPPORTED)
            verdict(r, CASE_SKIP, "%s", st.msg);
        else
            verdict(r, CASE_FAIL, "load: %s", st.msg);
        return;
    }
    judge_graph(g, dir, r);
    cg_graph_free(g);
}
