/* Graph -> Graphviz DOT. Every identifier and label is a quoted string built from
 * escaped text, so no name a model holds can break the syntax. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/dot.h"
#include "convgraph/format.h"

#define LABEL_LINE_WIDTH 40 /* attribute summaries wrap here */
#define LIST_ITEMS_MAX 8    /* longer int/float lists end in "..." */
#define STRING_ATTR_MAX 24  /* longer string attributes are cut */
#define INITIALIZERS_SHOWN 8 /* per node label; the rest are counted */
/* Graphviz refuses quoted strings longer than 16384 bytes; longer text is cut. */
#define QUOTED_MAX 16000

static const char input_style[] = "shape=invhouse style=filled fillcolor=\"#cfe2ff\"";
static const char output_style[] = "shape=house style=filled fillcolor=\"#c8ecc8\"";
static const char op_style[] = "shape=box style=\"rounded,filled\" fillcolor=\"#f2f2f2\"";

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one. */
static int utf8_sequence_length(const unsigned char *p)
{
    int len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
                               : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 2 && p[0] < 0xc2) /* overlong */
        return 0;
    for (int i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* Text inside a DOT quoted string: '"' and '\' escaped, newlines as graphviz's
 * "\n" line break; other control bytes and invalid UTF-8 (graphviz rejects it)
 * become '?'. Cut with "..." before graphviz's length limit. */
static void put_escaped(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t written = 0;
    while (*p) {
        int len = utf8_sequence_length(p);
        if (written + 4 + 3 > QUOTED_MAX) { /* the longest item, then "..." */
            fputs("...", f);
            return;
        }
        if (*p == '"' || *p == '\\' || *p == '\n') {
            fprintf(f, "\\%c", *p == '\n' ? 'n' : *p);
            written += 2;
        } else if (len == 0 || *p < 0x20 || *p == 0x7f) {
            fputc('?', f);
            written++;
        } else {
            fwrite(p, 1, (size_t)len, f);
            written += (size_t)len;
        }
        p += len ? len : 1;
    }
}

static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    put_escaped(f, s);
    fputc('"', f);
}

/* ---- labels, built as plain text (real newlines) and escaped when written ---- */

/* Adds space-separated parts to a label, starting a new line past the width. */
typedef struct label_line {
    FILE *f;
    size_t column;
} label_line;

static void add_part(label_line *l, const char *part)
{
    size_t len = strlen(part);
    if (l->column > 0 && l->column + 1 + len > LABEL_LINE_WIDTH) {
        fputc('\n', l->f);
        l->column = 0;
    } else if (l->column > 0) {
        fputc(' ', l->f);
        l->column++;
    }
    fputs(part, l->f);
    l->column += len;
}

static void format_ints(const int64_t *v, int n, const char *sep, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? sep : "", (long long)v[i]);
}

static bool all_equal(const int64_t *v, int n, int64_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] != x)
            return false;
    return true;
}

/* "s2" when every axis has 2, "s2x1" otherwise; nothing when every axis has 1. */
static void add_per_axis(label_line *l, const char *prefix, const int64_t *v, int n)
{
    char buf[96], ints[80];
    if (all_equal(v, n, 1))
        return;
    if (all_equal(v, n, v[0]))
        snprintf(ints, sizeof ints, "%lld", (long long)v[0]);
    else
        format_ints(v, n, "x", ints, sizeof ints);
    snprintf(buf, sizeof buf, "%s%s", prefix, ints);
    add_part(l, buf);
}

/* "pads 0,0,1,1": begins then ends, as the ONNX attribute; "?" where a symbolic
 * input size decides. */
static void add_resolved_pads(label_line *l, const cg_window_report *r)
{
    char buf[128];
    size_t used = (size_t)snprintf(buf, sizeof buf, "pads ");
    for (int i = 0; i < 2 * r->w.spatial && used < sizeof buf; i++) {
        const cg_window_axis *ax = &r->axes[i % r->w.spatial];
        int64_t pad = i < r->w.spatial ? ax->pad_begin : ax->pad_end;
        const char *sep = i ? "," : "";
        if (pad < 0)
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%s?", sep);
        else
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%lld", sep, (long long)pad);
    }
    add_part(l, buf);
}

/* "3x3 s2 d2 g32 SAME_UPPER ceil pads 0,0,1,1" from what inference resolved. */
static void add_window_summary(label_line *l, const cg_node *n)
{
    const cg_window *w = &n->window->w;
    char buf[96];
    format_ints(w->kernel, w->spatial, "x", buf, sizeof buf);
    add_part(l, buf);
    add_per_axis(l, "s", w->strides, w->spatial);
    add_per_axis(l, "d", w->dilations, w->spatial);
    int64_t group = w->kind == CG_WINDOW_POOL ? 1 : cg_attr_int(n, "group", 1);
    if (group != 1) {
        snprintf(buf, sizeof buf, "g%lld", (long long)group);
        add_part(l, buf);
    }
    if (w->auto_pad != CG_AUTO_PAD_NOTSET)
        add_part(l, cg_auto_pad_name(w->auto_pad));
    if (w->ceil_mode)
        add_part(l, "ceil");
    if (w->kind == CG_WINDOW_CONV_TRANSPOSE && !all_equal(w->output_padding, w->spatial, 0)) {
        char ints[80];
        format_ints(w->output_padding, w->spatial, ",", ints, sizeof ints);
        snprintf(buf, sizeof buf, "output_padding %s", ints);
        add_part(l, buf);
    }
    add_resolved_pads(l, n->window);
}

static void format_floats(const float *v, int n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%g", i ? "," : "", (double)v[i]);
}

/* "axis=1", "perm=0,2,3,1", "mode=nearest", "value=float32[3]"; lists and
 * strings are shortened so a label stays readable. */
static void format_attr(const cg_attr *a, char *buf, size_t len)
{
    char value[160];
    int count = a->n < LIST_ITEMS_MAX ? a->n : LIST_ITEMS_MAX;
    const char *more = a->n > LIST_ITEMS_MAX ? ",..." : "";
    switch (a->type) {
    case CG_ATTR_INT: snprintf(value, sizeof value, "%lld", (long long)a->i); break;
    case CG_ATTR_FLOAT: snprintf(value, sizeof value, "%g", (double)a->f); break;
    case CG_ATTR_STRING:
        snprintf(value, sizeof value, "%.*s%s", STRING_ATTR_MAX, a->s ? a->s : "",
                 a->s && strlen(a->s) > STRING_ATTR_MAX ? "..." : "");
        break;
    case CG_ATTR_INTS: format_ints(a->ints, count, ",", value, sizeof value); break;
    case CG_ATTR_FLOATS: format_floats(a->floats, count, value, sizeof value); break;
    case CG_ATTR_TENSOR: {
        char shape[128];
        cg_shape s = a->t ? cg_tensor_shape(a->t) : cg_shape_unknown();
        cg_shape_format(&s, shape, sizeof shape);
        snprintf(value, sizeof value, "%s%s", a->t ? cg_dtype_name(a->t->dtype) : "?", shape);
        break;
    }
    case CG_ATTR_GRAPH: snprintf(value, sizeof value, "<graph>"); break;
    case CG_ATTR_STRINGS: snprintf(value, sizeof value, "<%d strings>", a->n); break;
    default: snprintf(value, sizeof value, "?"); break;
    }
    if (a->type == CG_ATTR_INTS || a->type == CG_ATTR_FLOATS)
        snprintf(buf, len, "%s=%s%s", a->name, value, more);
    else
        snprintf(buf, len, "%s=%s", a->name, value);
}

static void add_attr_summary(label_line *l, const cg_node *n)
{
    char buf[256];
    for (int i = 0; i < n->n_attrs; i++) {
        format_attr(&n->attrs[i], buf, sizeof buf);
        add_part(l, buf);
    }
}

/* "w_same [6,3,4,4]" for each initializer the node reads, the first few of them. */
static void add_initializer_lines(FILE *f, const cg_graph *g, const cg_node *n)
{
    int shown = 0, total = 0;
    for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] < 0 || !g->values[n->inputs[i]].is_initializer)
            continue;
        if (total++ >= INITIALIZERS_SHOWN)
            continue;
        const cg_value *v = &g->values[n->inputs[i]];
        char shape[256];
        cg_shape_format(&v->shape, shape, sizeof shape);
        fprintf(f, "\n%s %s", v->name, shape);
        shown++;
    }
    if (total > shown)
        fprintf(f, "\n(%d more initializers)", total - shown);
}

/* name, then "Conv 3x3 s2 ..." (wrapped), then one line per initializer. */
static void write_node_label(FILE *label, const cg_graph *g, const cg_node *n)
{
    char name[300];
    fprintf(label, "%s\n", n->name[0] ? n->name : cg_node_label(g, n, name, sizeof name));
    label_line l = {label, 0};
    if (n->domain[0]) {
        snprintf(name, sizeof name, "%s.%s", n->domain, n->op_type);
        add_part(&l, name);
    } else {
        add_part(&l, n->op_type);
    }
    if (n->window)
        add_window_summary(&l, n);
    else
        add_attr_summary(&l, n);
    add_initializer_lines(label, g, n);
}

/* ---- the graph ---- */

typedef struct dot_writer {
    FILE *f;
    const cg_graph *g;
} dot_writer;

/* "id" [style label="..."]; label_text is plain text, escaped here. */
static void write_box(dot_writer *w, const char *id, const char *style, const char *label_text)
{
    fputs("  ", w->f);
    put_quoted(w->f, id);
    fprintf(w->f, " [%s label=", style);
    put_quoted(w->f, label_text);
    fputs("];\n", w->f);
}

static bool write_op_node(dot_writer *w, int index)
{
    char *text = NULL, id[32];
    size_t size = 0;
    FILE *label = open_memstream(&text, &size);
    if (!label)
        return false;
    write_node_label(label, w->g, &w->g->nodes[index]);
    if (fclose(label) != 0) {
        free(text);
        return false;
    }
    snprintf(id, sizeof id, "n%d", index);
    write_box(w, id, op_style, text);
    free(text);
    return true;
}

/* A graph input or output: its name and type. */
static void write_value_node(dot_writer *w, const char *prefix, int value, const char *style)
{
    const cg_value *v = &w->g->values[value];
    char id[32], shape[256], *text;
    cg_shape_format(&v->shape, shape, sizeof shape);
    size_t len = strlen(v->name) + strlen(shape) + 32;
    snprintf(id, sizeof id, "%s%d", prefix, value);
    text = malloc(len);
    if (!text) { /* a label is not worth failing over; the name alone will do */
        write_box(w, id, style, v->name);
        return;
    }
    snprintf(text, len, "%s\n%s%s", v->name,
             v->dtype != CG_UNDEFINED ? cg_dtype_name(v->dtype) : "", shape);
    write_box(w, id, style, text);
    free(text);
}

/* Where an edge for value starts: its producer or its graph-input box; false for
 * initializers (they are listed in their consumers' labels). */
static bool edge_source(const cg_graph *g, int value, char *id, size_t len)
{
    const cg_value *v = &g->values[value];
    if (v->producer >= 0)
        snprintf(id, len, "n%d", v->producer);
    else if (v->is_input)
        snprintf(id, len, "i%d", value);
    else
        return false;
    return true;
}

static void write_edge(dot_writer *w, int value, const char *to)
{
    char from[32], shape[256];
    if (!edge_source(w->g, value, from, sizeof from))
        return;
    cg_shape_format(&w->g->values[value].shape, shape, sizeof shape);
    fputs("  ", w->f);
    put_quoted(w->f, from);
    fputs(" -> ", w->f);
    put_quoted(w->f, to);
    fputs(" [label=", w->f);
    put_quoted(w->f, shape);
    fputs("];\n", w->f);
}

static void write_edges(dot_writer *w)
{
    const cg_graph *g = w->g;
    char to[32];
    for (int i = 0; i < g->n_nodes; i++) {
        snprintf(to, sizeof to, "n%d", i);
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0)
                write_edge(w, g->nodes[i].inputs[k], to);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        snprintf(to, sizeof to, "o%d", g->outputs[i]);
        write_edge(w, g->outputs[i], to);
    }
}

static bool write_graph(dot_writer *w)
{
    const cg_graph *g = w->g;
    fputs("digraph ", w->f);
    put_quoted(w->f, g->name && g->name[0] ? g->name : "graph");
    fputs(" {\n  rankdir=TB;\n  node [fontname=\"Helvetica\" fontsize=10];\n"
          "  edge [fontname=\"Helvetica\" fontsize=9];\n",
          w->f);
    for (int i = 0; i < g->n_inputs; i++)
        write_value_node(w, "i", g->inputs[i], input_style);
    for (int i = 0; i < g->n_nodes; i++)
        if (!write_op_node(w, i))
            return false;
    for (int i = 0; i < g->n_outputs; i++)
        write_value_node(w, "o", g->outputs[i], output_style);
    write_edges(w);
    fputs("}\n", w->f);
    return true;
}

char *cg_dot_text(const cg_graph *g, size_t *len, cg_status *st)
{
    char *text = NULL;
    size_t size = 0;
    dot_writer w = {open_memstream(&text, &size), g};
    if (!w.f) {
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory writing DOT", g->source);
        return NULL;
    }
    bool ok = write_graph(&w);
    if (fclose(w.f) != 0 || !ok) {
        free(text);
        cg_fail(st, CG_ERR_NOMEM, "%s: out of memory writing DOT", g->source);
        return NULL;
    }
    *len = size;
    return text;
}

cg_code cg_dot_save(const cg_graph *g, const char *path, cg_status *st)
{
    size_t len;
    char *text = cg_dot_text(g, &len, st);
    if (!text)
        return st ? st->code : CG_ERR_NOMEM;
    cg_code rc = cg_write_file_atomic(path, text, len, st);
    free(text);
    return rc;
}
