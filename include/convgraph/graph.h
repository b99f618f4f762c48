/* The graph IR: values (tensors by name) and nodes, referenced by index. */
#ifndef CONVGRAPH_GRAPH_H
#define CONVGRAPH_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "convgraph/dim.h"
#include "convgraph/dtype.h"
#include "convgraph/padding.h"
#include "convgraph/status.h"
#include "convgraph/tensor.h"

/* Numbered as ONNX AttributeProto.AttributeType. */
typedef enum cg_attr_type {
    CG_ATTR_UNDEFINED = 0,
    CG_ATTR_FLOAT = 1,
    CG_ATTR_INT = 2,
    CG_ATTR_STRING = 3,
    CG_ATTR_TENSOR = 4,
    CG_ATTR_GRAPH = 5,
    CG_ATTR_FLOATS = 6,
    CG_ATTR_INTS = 7,
    CG_ATTR_STRINGS = 8,
} cg_attr_type;

typedef struct cg_attr {
    char *name;
    cg_attr_type type;
    float f;
    int64_t i;
    char *s;      /* STRING: owned copy, NUL-terminated, s_len bytes of content */
    size_t s_len;
    int n;        /* element count of floats / ints / strings */
    float *floats;
    int64_t *ints;
    char **strings;
    size_t *string_lens; /* STRINGS: byte length of each (NUL allowed); NULL: strlen */
    cg_tensor *t; /* TENSOR */
} cg_attr;

/* What shape inference resolved for a windowed op (Conv, pools, ...). */
typedef struct cg_window_report {
    cg_window w;
    cg_window_axis axes[CG_MAX_SPATIAL];
} cg_window_report;

struct cg_op_def;

typedef struct cg_node {
    char *name; /* may be "" in ONNX files; use cg_node_label for messages */
    char *op_type;
    char *domain; /* "" for the default ONNX domain */
    int n_inputs;
    int *inputs; /* value indices; -1 for an omitted optional input ("") */
    int n_outputs;
    int *outputs; /* value indices; -1 for an omitted optional output */
    int n_attrs;
    cg_attr *attrs;
    /* filled by shape inference */
    const struct cg_op_def *def; /* NULL when unsupported */
    int64_t macs;                /* multiply-accumulates; -1 unknown */
    cg_window_report *window;    /* windowed ops only; owned */
    char *doc_string;            /* NULL when the file has none; owned */
} cg_node;

typedef struct cg_value {
    char *name;
    cg_dtype dtype;
    cg_shape shape;  /* inferred (or declared, for graph inputs) */
    int producer;    /* node index, -1 for graph inputs and initializers */
    bool is_input;   /* a graph input (not an initializer) */
    bool is_output;
    bool is_initializer;
    cg_tensor *data; /* known contents: initializer, Constant or folded; owned */
    /* Small int64 vectors known element by element, possibly symbolic, e.g. the
     * output of Shape on [N,3,224,224]; NULL when not known. Owned. */
    cg_dim *dimvals;
    int n_dimvals;
    /* What the file declared (graph input/output, value_info); for `check`. */
    bool has_declared;
    cg_dtype declared_dtype;
    cg_shape declared_shape;
    /* Kept so cg_onnx_save writes the file back as it was. */
    bool listed_as_input; /* an initializer also listed among the graph inputs (IR < 4) */
    char *doc_string;     /* of its ValueInfoProto; NULL when none; owned */
} cg_value;

typedef struct cg_opset {
    char *domain; /* "" for ai.onnx */
    int64_t version;
} cg_opset;

/* One ModelProto.metadata_props entry. */
typedef struct cg_meta_prop {
    char *key;
    char *value;
} cg_meta_prop;

/* ModelProto fields that do not affect computation, kept so a converted model
 * says where it came from. Strings are NULL when the file has none; owned. */
typedef struct cg_model_info {
    char *producer_name;
    char *producer_version;
    char *domain;
    bool has_model_version;
    int64_t model_version;
    char *doc_string;       /* the model's */
    char *graph_doc_string; /* the main graph's */
    int n_props;
    cg_meta_prop *props;
    /* Model-local functions (FunctionProto) are not kept: cg_onnx_save refuses a
     * model that had any rather than write nodes whose definition is gone. */
    int n_functions;
} cg_model_info;

typedef struct cg_graph {
    char *source; /* file the graph came from, for messages */
    char *name;
    int64_t ir_version;
    int n_opsets;
    cg_opset *opsets;
    cg_model_info info;
    int n_values, cap_values;
    cg_value *values;
    int n_nodes, cap_nodes;
    cg_node *nodes;
    int n_inputs;
    int *inputs; /* graph inputs that are not initializers, in file order */
    int n_outputs;
    int *outputs;
    bool file_order_sorted; /* set by cg_graph_toposort: nodes were already in order */
    cg_strpool *pool; /* symbols and expressions */
    struct cg_name_index *index; /* name -> value index */
    /* Storage that borrowed initializer tensors point into (the mapped model
     * file, a block of copied weights); cg_graph_free calls
     * release_backing(backing) after freeing the values. NULL when none. */
    void *backing;
    void (*release_backing)(void *backing);
} cg_graph;

cg_graph *cg_graph_new(const char *source);
void cg_graph_free(cg_graph *g);

/* Index of the value named `name`, or -1. */
int cg_graph_find(const cg_graph *g, const char *name);
/* Index of the value named `name`, created (undefined dtype, unknown shape) if new;
 * -1 on allocation failure. */
int cg_graph_intern(cg_graph *g, const char *name, cg_status *st);
/* Appends a node (name/op/domain copied); NULL on allocation failure. The pointer
 * is valid until the next cg_graph_add_node. */
cg_node *cg_graph_add_node(cg_graph *g, const char *name, const char *op_type,
                           const char *domain, cg_status *st);
/* Sets a node's inputs or outputs by value name ("" = omitted). */
cg_code cg_node_set_inputs(cg_graph *g, cg_node *n, const char *const *names, int count,
                           cg_status *st);
cg_code cg_node_set_outputs(cg_graph *g, cg_node *n, const char *const *names, int count,
                            cg_status *st);
/* Appends a zeroed attribute named `name` to the node; NULL on allocation failure. */
cg_attr *cg_node_add_attr(cg_node *n, const char *name, cg_status *st);
cg_code cg_graph_add_opset(cg_graph *g, const char *domain, int64_t version, cg_status *st);
cg_code cg_graph_add_input(cg_graph *g, int value, cg_status *st);
cg_code cg_graph_add_output(cg_graph *g, int value, cg_status *st);

/* Opset version for a domain ("" and "ai.onnx" are the same); 0 if not imported. */
int64_t cg_graph_opset(const cg_graph *g, const char *domain);

/* Sorts nodes so every input is produced before use. Errors name the node:
 * a cycle, an input that is neither produced, a graph input nor an initializer,
 * or a value produced twice. Sets each value's producer. */
cg_code cg_graph_toposort(cg_graph *g, cg_status *st);

/* "'conv1'" or, for unnamed nodes, "#12 (output 'y')". */
const char *cg_node_label(const cg_graph *g, const cg_node *n, char *buf, size_t len);
/* Fails with "SOURCE: node LABEL (OP): <fmt>". */
cg_code cg_fail_node(cg_status *st, cg_code code, const cg_graph *g, const cg_node *n,
                     const char *fmt, ...) CG_PRINTF(5, 6);

/* Attribute look-up. */
const cg_attr *cg_node_attr(const cg_node *n, const char *name);
int64_t cg_attr_int(const cg_node *n, const char *name, int64_t dflt);
float cg_attr_float(const cg_node *n, const char *name, float dflt);
/* NUL-terminated string value, or dflt when absent. */
const char *cg_attr_string(const cg_node *n, const char *name, const char *dflt);
/* Integer list: sets *count and returns the array (NULL, count 0 when absent). */
const int64_t *cg_attr_ints(const cg_node *n, const char *name, int *count);
const float *cg_attr_floats(const cg_node *n, const char *name, int *count);

/* Sum of initializer element counts. */
int64_t cg_graph_param_count(const cg_graph *g);

void cg_attr_clear(cg_attr *a);

#endif
