/* Shared unit-test graph builders: see graph_build.h. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/graph_build.h"

cg_graph *gb_graph(int64_t opset)
{
    cg_status st = {0};
    cg_graph *g = cg_graph_new("test.onnx");
    assert_non_null(g);
    assert_int_equal(cg_graph_add_opset(g, "", opset, &st), CG_OK);
    return g;
}

int gb_value(cg_graph *g, const char *name)
{
    cg_status st = {0};
    int v = cg_graph_intern(g, name, &st);
    if (v < 0)
        fail_msg("cannot make value '%s': %s", name, st.msg);
    return v;
}

cg_shape gb_parse_shape(cg_graph *g, const char *spec)
{
    cg_shape s = {0};
    if (!spec || strcmp(spec, "*") == 0)
        return cg_shape_unknown();
    for (const char *p = spec; *p;) {
        size_t len = strcspn(p, ",");
        assert_true(s.rank < CG_MAX_RANK);
        if (p[0] == '?')
            s.d[s.rank++] = cg_dim_unknown();
        else if (p[0] >= '0' && p[0] <= '9')
            s.d[s.rank++] = cg_dim_known(strtoll(p, NULL, 10));
        else
            s.d[s.rank++] = cg_dim_symbol(cg_strpool_add(g->pool, p, len));
        p += len + (p[len] == ',');
    }
    return s;
}

cg_tensor *gb_tensor(cg_dtype t, int rank, const int64_t *dims, const void *data)
{
    cg_tensor *x = cg_tensor_new(t, rank, dims, NULL);
    assert_non_null(x);
    if (x->nbytes && data)
        memcpy(x->data, data, x->nbytes);
    return x;
}

int gb_input(cg_graph *g, const char *name, cg_dtype t, cg_shape shape)
{
    int v = gb_value(g, name);
    g->values[v].dtype = t;
    g->values[v].shape = shape;
    assert_int_equal(cg_graph_add_input(g, v, NULL), CG_OK);
    return v;
}

cg_tensor *gb_initializer(cg_graph *g, const char *name, cg_tensor *t)
{
    /* Only the initializer's own fields: unlike cg_graph_make_initializer this
     * leaves a producer in place, so tests can build such conflicts on purpose. */
    int v = gb_value(g, name); /* first: interning may move g->values */
    cg_value *val = &g->values[v];
    val->data = t;
    val->dtype = t->dtype;
    val->shape = cg_tensor_shape(t);
    val->is_initializer = true;
    return t;
}

void gb_float_input(cg_graph *g, const char *name, int rank, const int64_t *dims,
                    const char *const *syms)
{
    cg_shape s = {.rank = rank};
    for (int i = 0; i < rank; i++)
        s.d[i] = dims[i] >= 0 ? cg_dim_known(dims[i])
                              : cg_dim_symbol(cg_strpool_add(g->pool, syms[i], strlen(syms[i])));
    int v = gb_input(g, name, CG_FLOAT, s); /* first: interning may move g->values */
    cg_value *val = &g->values[v];
    val->has_declared = true;
    val->declared_dtype = CG_FLOAT;
    val->declared_shape = s;
}

void gb_fill_seeded(cg_tensor *t, int seed)
{
    float *f = t->data;
    for (int64_t i = 0; i < t->numel; i++)
        f[i] = (float)((i * 7 + seed * 13) % 23 - 11) / 8.0f;
}

void gb_seeded_weight(cg_graph *g, const char *name, int rank, const int64_t *dims, int seed)
{
    cg_tensor *t = gb_tensor(CG_FLOAT, rank, dims, NULL);
    gb_fill_seeded(t, seed);
    gb_initializer(g, name, t);
}

int gb_split_names(const char *csv, char buf[][GB_NAME_LEN], const char **names)
{
    int n = 0;
    if (!*csv)
        return 0;
    for (const char *p = csv;;) {
        size_t len = strcspn(p, ",");
        assert_true(n < GB_MAX_NAMES && len < GB_NAME_LEN);
        memcpy(buf[n], p, len);
        buf[n][len] = '\0';
        names[n] = buf[n];
        n++;
        if (!p[len])
            return n;
        p += len + 1;
    }
}

cg_node *gb_node(cg_graph *g, const char *name, const char *op, const char *ins,
                 const char *outs)
{
    cg_status st = {0};
    char ibuf[GB_MAX_NAMES][GB_NAME_LEN], obuf[GB_MAX_NAMES][GB_NAME_LEN];
    const char *in[GB_MAX_NAMES], *out[GB_MAX_NAMES];
    int ni = gb_split_names(ins, ibuf, in), no = gb_split_names(outs, obuf, out);
    cg_node *n = cg_graph_add_node(g, name ? name : (no ? out[0] : ""), op, "", &st);
    if (!n)
        fail_msg("cannot add node: %s", st.msg);
    assert_int_equal(cg_node_set_inputs(g, n, in, ni, &st), CG_OK);
    assert_int_equal(cg_node_set_outputs(g, n, out, no, &st), CG_OK);
    return n;
}

cg_node *gb_node_list(cg_graph *g, const char *name, const char *op, int n_in,
                      const char *const *ins, int n_out, const char *const *outs)
{
    return gb_node_in_domain(g, name, op, "", n_in, ins, n_out, outs);
}

cg_node *gb_node_in_domain(cg_graph *g, const char *name, const char *op, const char *domain,
                           int n_in, const char *const *ins, int n_out, const char *const *outs)
{
    cg_node *n = cg_graph_add_node(g, name, op, domain, NULL);
    assert_non_null(n);
    assert_int_equal(cg_node_set_inputs(g, n, ins, n_in, NULL), CG_OK);
    assert_int_equal(cg_node_set_outputs(g, n, outs, n_out, NULL), CG_OK);
    return n;
}

void gb_output(cg_graph *g, const char *name)
{
    int v = cg_graph_find(g, name);
    if (v < 0)
        fail_msg("no value '%s' to make an output", name);
    assert_int_equal(cg_graph_add_output(g, v, NULL), CG_OK);
}

void gb_outputs(cg_graph *g, const char *csv)
{
    char buf[GB_MAX_NAMES][GB_NAME_LEN];
    const char *names[GB_MAX_NAMES];
    int n = gb_split_names(csv, buf, names);
    for (int i = 0; i < n; i++)
        if (names[i][0])
            assert_int_equal(cg_graph_add_output(g, gb_value(g, names[i]), NULL), CG_OK);
}

cg_attr *gb_attr(cg_node *n, const char *name, cg_attr_type type)
{
    cg_attr *a = cg_node_add_attr(n, name, NULL);
    assert_non_null(a);
    a->type = type;
    return a;
}

void gb_attr_int(cg_node *n, const char *name, int64_t v) { gb_attr(n, name, CG_ATTR_INT)->i = v; }

void gb_attr_float(cg_node *n, const char *name, float v)
{
    gb_attr(n, name, CG_ATTR_FLOAT)->f = v;
}

void gb_attr_str(cg_node *n, const char *name, const char *s)
{
    cg_attr *a = gb_attr(n, name, CG_ATTR_STRING);
    a->s_len = strlen(s);
    a->s = malloc(a->s_len + 1);
    assert_non_null(a->s);
    memcpy(a->s, s, a->s_len + 1);
}

/* A heap copy of count items of `size` bytes; never NULL, even for 0 items,
 * so an empty list still reads as present. */
static void *copy_list(int count, const void *v, size_t size)
{
    void *p = malloc((size_t)(count ? count : 1) * size);
    assert_non_null(p);
    if (count)
        memcpy(p, v, (size_t)count * size);
    return p;
}

void gb_attr_ints(cg_node *n, const char *name, int count, const int64_t *v)
{
    cg_attr *a = gb_attr(n, name, CG_ATTR_INTS);
    a->ints = copy_list(count, v, sizeof *v);
    a->n = count;
}

void gb_attr_floats(cg_node *n, const char *name, int count, const float *v)
{
    cg_attr *a = gb_attr(n, name, CG_ATTR_FLOATS);
    a->floats = copy_list(count, v, sizeof *v);
    a->n = count;
}

void gb_attr_ints_csv(cg_node *n, const char *name, const char *csv)
{
    int64_t v[8];
    int count = 0;
    for (const char *p = csv; *p && count < 8; count++) {
        char *end;
        v[count] = strtoll(p, &end, 10);
        p = *end ? end + 1 : end;
    }
    gb_attr_ints(n, name, count, v);
}

cg_value *gb_find(const cg_graph *g, const char *name)
{
    int v = cg_graph_find(g, name);
    if (v < 0)
        fail_msg("no value '%s'", name);
    return &g->values[v];
}

const cg_node *gb_node_named(const cg_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0)
            return &g->nodes[i];
    return NULL;
}

void gb_sort_and_infer(cg_graph *g)
{
    cg_status st = {0};
    if (cg_graph_toposort(g, &st) != CG_OK || cg_graph_infer_shapes(g, NULL, &st) != CG_OK)
        fail_msg("%s", st.msg);
}

void gb_infer_ok(cg_graph *g)
{
    cg_status st = {0};
    if (cg_graph_infer_shapes(g, NULL, &st) != CG_OK)
        fail_msg("inference failed: %s", st.msg);
}

void gb_infer_fails(cg_graph *g, cg_code code, const char *frag1, const char *frag2)
{
    cg_status st = {0};
    assert_int_equal(cg_graph_infer_shapes(g, NULL, &st), code);
    assert_null(strchr(st.msg, '\n')); /* one line */
    if (!strstr(st.msg, frag1) || (frag2 && !strstr(st.msg, frag2)))
        fail_msg("message '%s' lacks '%s' / '%s'", st.msg, frag1, frag2 ? frag2 : "");
}

void gb_expect_shape(const cg_graph *g, const char *name, const char *want)
{
    char have[256];
    cg_shape_format(&gb_find(g, name)->shape, have, sizeof have);
    assert_string_equal(have, want);
}

cg_code gb_try_run(cg_graph *g, int n_in, const char *const *names, cg_tensor *const *tensors,
                   cg_named_tensor **out, int *n_out, cg_status *st)
{
    cg_named_tensor in[GB_MAX_NAMES];
    assert_true(n_in <= GB_MAX_NAMES);
    cg_code rc = cg_graph_toposort(g, st);
    if (rc != CG_OK)
        return rc;
    for (int i = 0; i < n_in; i++) {
        in[i].name = (char *)names[i];
        in[i].tensor = tensors[i];
    }
    return cg_graph_run(g, in, n_in, out, n_out, st);
}

cg_named_tensor *gb_run(cg_graph *g, int n_in, const char *const *names,
                        cg_tensor *const *tensors, int *n_out)
{
    cg_status st = {0};
    cg_named_tensor *out = NULL;
    if (gb_try_run(g, n_in, names, tensors, &out, n_out, &st) != CG_OK)
        fail_msg("run failed: %s", st.msg);
    return out;
}

void gb_expect_dims(const cg_tensor *t, int rank, const int64_t *dims)
{
    assert_int_equal(t->rank, rank);
    for (int d = 0; d < rank; d++)
        assert_int_equal(t->dims[d], dims[d]);
}

void gb_expect_values(const cg_tensor *t, int64_t n, const double *want, double tol)
{
    assert_int_equal(t->numel, n);
    for (int64_t i = 0; i < n; i++) {
        double got = cg_tensor_get_f64(t, i);
        if (isnan(want[i]) ? !isnan(got) : fabs(got - want[i]) > tol * (1 + fabs(want[i])))
            fail_msg("element %lld: got %.9g, want %.9g", (long long)i, got, want[i]);
    }
}

void gb_expect_close(const cg_tensor *a, const cg_tensor *b, double tol)
{
    gb_expect_dims(b, a->rank, a->dims);
    for (int64_t i = 0; i < a->numel; i++) {
        double x = ((const float *)a->data)[i], y = ((const float *)b->data)[i];
        if (fabs(x - y) > tol * (1 + fabs(x)))
            fail_msg("element %lld: %.9g vs %.9g", (long long)i, x, y);
    }
}

void gb_conv3x3(cg_graph *g, const char *name, const char *in, const char *out, int64_t m, int64_t c,
                int seed)
{
    char w[64], b[64];
    snprintf(w, sizeof w, "%s_w", name);
    snprintf(b, sizeof b, "%s_b", name);
    gb_seeded_weight(g, w, 4, (const int64_t[]){m, c, 3, 3}, seed);
    gb_seeded_weight(g, b, 1, (const int64_t[]){m}, seed + 1);
    cg_node *n = gb_node_list(g, name, "Conv", 3, (const char *[]){in, w, b}, 1, (const char *[]){out});
    gb_attr_ints_csv(n, "kernel_shape", "3,3");
    gb_attr_ints_csv(n, "pads", "1,1,1,1");
}

cg_session *gb_session(cg_graph *g, cg_kernel_choice k)
{
    cg_run_options o = {k, 1};
    cg_status st = {0};
    cg_session *s = cg_session_new(g, &o, &st);
    if (!s)
        fail_msg("%s", st.msg);
    return s;
}

cg_named_tensor *gb_session_run_x(cg_session *s, int rank, const int64_t *dims, int seed, int *n_out)
{
    cg_tensor *x = cg_tensor_new(CG_FLOAT, rank, dims, NULL);
    assert_non_null(x);
    gb_fill_seeded(x, seed);
    cg_named_tensor in = {"x", x}, *outs = NULL;
    cg_status st = {0};
    if (cg_session_run(s, &in, 1, &outs, n_out, &st) != CG_OK)
        fail_msg("%s", st.msg);
    cg_tensor_free(x);
    return outs;
}

static cg_session *session_on(cg_graph *g, cg_kernel_choice k, int threads)
{
    cg_run_options o = {k, threads};
    cg_status st = {0};
    cg_session *s = cg_session_new(g, &o, &st);
    if (!s)
        fail_msg("%s", st.msg);
    return s;
}

static void expect_same_outputs(const cg_named_tensor *got, int n_got, const cg_named_tensor *want, int n_want,
                                double tol)
{
    assert_int_equal(n_got, n_want);
    for (int i = 0; i < n_got; i++) {
        assert_string_equal(got[i].name, want[i].name);
        cg_compare_result cmp;
        if (!cg_tensor_compare(got[i].tensor, want[i].tensor, tol, tol, &cmp))
            fail_msg("output '%s': %s", got[i].name, cmp.msg);
    }
}

cg_graph *gb_fast_vs_reference(cg_graph *(*build)(void), int rank, const int64_t *const *dims, int n_dims,
                               int threads, double tol, cg_graph **ref)
{
    cg_graph *gf = build(), *gr = build();
    cg_session *f = session_on(gf, CG_KERNELS_FAST, threads), *r = session_on(gr, CG_KERNELS_REFERENCE, threads);
    for (int round = 0; round < 2 * n_dims; round++) {
        int nf, nr;
        cg_named_tensor *of = gb_session_run_x(f, rank, dims[round % n_dims], round, &nf);
        cg_named_tensor *or = gb_session_run_x(r, rank, dims[round % n_dims], round, &nr);
        expect_same_outputs(of, nf, or, nr, tol);
        cg_named_tensors_free(of, nf);
        cg_named_tensors_free(or, nr);
    }
    cg_session_free(f);
    cg_session_free(r);
    if (ref)
        *ref = gr;
    else
        cg_graph_free(gr);
    return gf;
}
