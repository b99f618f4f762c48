/* Validation for `convgraph check`: structural checks on the loaded graph, the
 * shape functions' own checks (run with problem collection on), and declared
 * types compared with what inference derived. Every problem is one line. */
#include "convgraph/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 1024

static void add_problem(cg_diag_list *problems, const char *fmt, ...) CG_PRINTF(2, 3);

static void add_problem(cg_diag_list *problems, const char *fmt, ...)
{
    char line[LINE_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cg_diag_add(problems, line);
}

static const char *source_of(const cg_graph *g)
{
    return g->source ? g->source : "<graph>";
}

/* onnx checker: "Nodes in a graph must be topologically sorted". The loader
 * sorted them, so only the fact is left to report. */
static void check_file_order(const cg_graph *g, cg_diag_list *problems)
{
    if (!g->file_order_sorted)
        add_problem(problems,
                    "%s: nodes are not in topological order in the file (ONNX requires it; "
                    "convgraph sorted them)",
                    source_of(g));
}

typedef struct named_node {
    const char *name;
    int index;
} named_node;

/* By name, then file position, so each name's first node leads its group. */
static int compare_named(const void *pa, const void *pb)
{
    const named_node *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

typedef struct name_group {
    int first, count;
} name_group;

static int compare_group_first(const void *pa, const void *pb)
{
    const name_group *a = pa, *b = pb;
    return (a->first > b->first) - (a->first < b->first);
}

/* Groups of nodes sharing a non-empty name, in file order of each group's first
 * node; sorting keeps this O(n log n) on big graphs. Returns the group count. */
static int find_shared_names(const cg_graph *g, named_node *sorted, name_group *groups)
{
    int n_groups = 0;
    for (int i = 0; i < g->n_nodes; i++)
        sorted[i] = (named_node){g->nodes[i].name, i};
    qsort(sorted, (size_t)g->n_nodes, sizeof *sorted, compare_named);
    for (int i = 0; i < g->n_nodes;) {
        int j = i + 1;
        while (j < g->n_nodes && strcmp(sorted[j].name, sorted[i].name) == 0)
            j++;
        if (j - i > 1 && sorted[i].name[0] != '\0')
            groups[n_groups++] = (name_group){sorted[i].index, j - i};
        i = j;
    }
    qsort(groups, (size_t)n_groups, sizeof *groups, compare_group_first);
    return n_groups;
}

/* ONNX IR.md, "Names Within a Graph": node names form a namespace in which each
 * name must be unique. Empty names are allowed and not compared. */
static cg_code check_duplicate_names(const cg_graph *g, cg_diag_list *problems, cg_status *st)
{
    if (g->n_nodes < 2)
        return CG_OK;
    named_node *sorted = malloc((size_t)g->n_nodes * sizeof *sorted);
    name_group *groups = malloc((size_t)g->n_nodes * sizeof *groups);
    if (!sorted || !groups) {
        free(sorted);
        free(groups);
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory checking node names", source_of(g));
    }
    int n_groups = find_shared_names(g, sorted, groups);
    for (int k = 0; k < n_groups; k++) {
        const cg_node *n = &g->nodes[groups[k].first];
        add_problem(problems, "%s: node '%s' (%s): %d nodes share this name", source_of(g),
                    n->name, n->op_type, groups[k].count);
    }
    free(sorted);
    free(groups);
    return CG_OK;
}

/* ONNX IR.md: every graph output must be a graph input, an initializer or the
 * output of a node. The loader's sort only checks node inputs. */
static void check_outputs_produced(const cg_graph *g, cg_diag_list *problems)
{
    for (int i = 0; i < g->n_outputs; i++) {
        const cg_value *v = &g->values[g->outputs[i]];
        if (v->producer < 0 && !v->is_input && !v->is_initializer)
            add_problem(problems, "%s: graph output '%s' is not produced by any node",
                        source_of(g), v->name);
    }
}

/* Where a value comes from, for messages: "node 'conv1' (Conv)", "initializer". */
static void describe_origin(const cg_graph *g, const cg_value *v, char *buf, size_t len)
{
    char label[160];
    if (v->producer >= 0) {
        const cg_node *n = &g->nodes[v->producer];
        snprintf(buf, len, "node %s (%s)", cg_node_label(g, n, label, sizeof label),
                 n->op_type);
    } else if (v->is_initializer) {
        snprintf(buf, len, "initializer");
    } else {
        snprintf(buf, len, "graph input");
    }
}

/* "float32[1,3,8,8]"; a dtype alone when the rank is unknown; "?" when nothing is. */
static void format_type(cg_dtype dtype, const cg_shape *shape, char *buf, size_t len)
{
    char dims[160] = "";
    if (shape->rank >= 0)
        cg_shape_format(shape, dims, sizeof dims);
    snprintf(buf, len, "%s%s", dtype == CG_UNDEFINED ? "?" : cg_dtype_name(dtype),
             dims);
}

/* Index of the first axis where both dims are known and differ; -1 if none. */
static int first_dim_conflict(const cg_shape *a, const cg_shape *b)
{
    for (int i = 0; i < a->rank && i < b->rank; i++)
        if (cg_dim_is_known(a->d[i]) && cg_dim_is_known(b->d[i]) && a->d[i].v != b->d[i].v)
            return i;
    return -1;
}

/* What is wrong between declared and inferred type, or NULL when they agree as
 * far as both are known. */
static const char *declared_conflict(const cg_value *v, int *axis)
{
    *axis = -1;
    if (v->declared_dtype != CG_UNDEFINED && v->dtype != CG_UNDEFINED &&
        v->declared_dtype != v->dtype)
        return "dtype";
    if (v->declared_shape.rank >= 0 && v->shape.rank >= 0 &&
        v->declared_shape.rank != v->shape.rank)
        return "rank";
    *axis = first_dim_conflict(&v->declared_shape, &v->shape);
    return *axis >= 0 ? "dim" : NULL;
}

static void report_declared_conflict(const cg_graph *g, const cg_value *v, const char *what,
                                     int axis, cg_diag_list *problems)
{
    char origin[224], declared[180], inferred[180], detail[32] = "";
    describe_origin(g, v, origin, sizeof origin);
    format_type(v->declared_dtype, &v->declared_shape, declared, sizeof declared);
    format_type(v->dtype, &v->shape, inferred, sizeof inferred);
    if (axis >= 0)
        snprintf(detail, sizeof detail, " %d", axis);
    add_problem(problems, "%s: %s: '%s' is declared %s but inferred %s (%s%s differs)",
                source_of(g), origin, v->name, declared, inferred, what, detail);
}

/* Graph inputs are skipped: their declared type is what inference starts from
 * (pins deliberately override it). */
static void check_declared_types(const cg_graph *g, cg_diag_list *problems)
{
    for (int i = 0; i < g->n_values; i++) {
        const cg_value *v = &g->values[i];
        int axis;
        if (!v->has_declared || v->is_input)
            continue;
        const char *what = declared_conflict(v, &axis);
        if (what)
            report_declared_conflict(g, v, what, axis, problems);
    }
}

static void check_unsupported(const cg_graph *g, cg_diag_list *problems)
{
    char ops[LINE_MAX_LEN / 2];
    int n = cg_graph_unsupported_ops(g, ops, sizeof ops);
    if (n > 0)
        add_problem(problems, "%s: %d unsupported op type%s (outputs left unknown): %s",
                    source_of(g), n, n == 1 ? "" : "s", ops);
}

cg_code cg_graph_check(cg_graph *g, const cg_infer_options *opt, cg_diag_list *problems,
                       cg_status *st)
{
    cg_infer_options run = {0};
    if (opt) {
        run.pins = opt->pins;
        run.n_pins = opt->n_pins;
    }
    cg_code rc = cg_pins_validate(g, run.pins, run.n_pins, st);
    if (rc != CG_OK)
        return rc;
    check_file_order(g, problems);
    rc = check_duplicate_names(g, problems, st);
    if (rc != CG_OK)
        return rc;
    check_outputs_produced(g, problems);
    int before = problems->n;
    run.diags = problems;
    rc = cg_graph_infer_shapes(g, &run, st);
    /* A failure that left no line behind is not about the model (no memory). */
    if (rc != CG_OK && problems->n == before)
        return rc;
    cg_status_clear(st);
    check_declared_types(g, problems);
    check_unsupported(g, problems);
    return CG_OK;
}
