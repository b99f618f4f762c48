/* `convgraph shapes --json`: the same facts as the text report, as one JSON
 * document (docs/shapes-json.md). */
#include "cli.h"
#include "json_out.h"

/* Integer when known, the expression text when symbolic, "?" when unknown. */
static void write_dim(json_out *j, cg_dim d)
{
    char text[256];
    if (cg_dim_is_known(d)) {
        json_int(j, d.v);
        return;
    }
    cg_dim_format(d, text, sizeof text);
    json_string(j, text);
}

static void write_shape(json_out *j, const cg_shape *s)
{
    if (s->rank < 0) {
        json_null(j);
        return;
    }
    json_begin_array(j, true);
    for (int i = 0; i < s->rank; i++)
        write_dim(j, s->d[i]);
    json_end_array(j);
}

static void write_count(json_out *j, int64_t n)
{
    if (n < 0)
        json_null(j);
    else
        json_int(j, n);
}

static void write_value(json_out *j, const cg_value *v)
{
    json_begin_object(j, true);
    json_key(j, "name");
    json_string(j, v->name);
    json_key(j, "dtype");
    json_string(j, cli_dtype_text(v->dtype));
    json_key(j, "shape");
    write_shape(j, &v->shape);
    json_end_object(j);
}

/* Omitted optional inputs and outputs (index -1) are left out. */
static void write_value_list(json_out *j, const cg_graph *g, const char *key, const int *values,
                             int n)
{
    json_key(j, key);
    json_begin_array(j, false);
    for (int i = 0; i < n; i++)
        if (values[i] >= 0)
            write_value(j, &g->values[values[i]]);
    json_end_array(j);
}

static void write_ints(json_out *j, const char *key, const int64_t *v, int n)
{
    json_key(j, key);
    json_begin_array(j, true);
    for (int i = 0; i < n; i++)
        json_int(j, v[i]);
    json_end_array(j);
}

static void write_window(json_out *j, const cg_window_report *r)
{
    const cg_window *w = &r->w;
    write_ints(j, "kernel", w->kernel, w->spatial);
    write_ints(j, "strides", w->strides, w->spatial);
    write_ints(j, "dilations", w->dilations, w->spatial);
    json_key(j, "auto_pad");
    json_string(j, cg_auto_pad_name(w->auto_pad));
    /* ONNX order: all begins, then all ends; null where a symbol decides it. */
    json_key(j, "pads");
    json_begin_array(j, true);
    for (int a = 0; a < w->spatial; a++)
        write_count(j, r->axes[a].pad_begin);
    for (int a = 0; a < w->spatial; a++)
        write_count(j, r->axes[a].pad_end);
    json_end_array(j);
}

static void write_node(json_out *j, const cg_graph *g, const cg_node *n)
{
    json_begin_object(j, false);
    json_key(j, "name");
    json_string(j, n->name);
    json_key(j, "op");
    json_string(j, n->op_type);
    write_value_list(j, g, "inputs", n->inputs, n->n_inputs);
    write_value_list(j, g, "outputs", n->outputs, n->n_outputs);
    json_key(j, "macs");
    write_count(j, n->macs);
    if (n->window)
        write_window(j, n->window);
    json_end_object(j);
}

static void write_header(json_out *j, const cg_graph *g)
{
    json_key(j, "model");
    json_string(j, g->source);
    json_key(j, "graph");
    json_string(j, g->name ? g->name : "");
    json_key(j, "opset");
    json_int(j, cg_graph_opset(g, ""));
    write_value_list(j, g, "inputs", g->inputs, g->n_inputs);
    write_value_list(j, g, "outputs", g->outputs, g->n_outputs);
    json_key(j, "parameters");
    json_int(j, cg_graph_param_count(g));
    json_key(j, "macs");
    write_count(j, cg_graph_total_macs(g));
}

int shapes_print_json(const cg_graph *g, FILE *out)
{
    json_out j;
    json_init(&j, out);
    json_begin_object(&j, false);
    write_header(&j, g);
    json_key(&j, "nodes");
    json_begin_array(&j, false);
    for (int i = 0; i < g->n_nodes; i++)
        write_node(&j, g, &g->nodes[i]);
    json_end_array(&j);
    json_end_object(&j);
    json_finish(&j);
    return CLI_EXIT_OK;
}
