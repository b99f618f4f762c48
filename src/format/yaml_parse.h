/* Internal: a loaded YAML document plus the helpers the model-spec builder uses
 * to read it. Every error is one line, "FILE:LINE:COL: what is wrong", with the
 * 1-based position of the offending node. */
#ifndef CG_FORMAT_YAML_PARSE_H
#define CG_FORMAT_YAML_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#include "convgraph/dtype.h"
#include "convgraph/graph.h"
#include "convgraph/status.h"
#include "convgraph/tensor.h"

typedef struct ydoc {
    yaml_document_t doc;
    bool loaded;
    const char *path;
    cg_status *st;
} ydoc;

/* How a scalar reads: quoted scalars are always strings; plain ones are typed
 * by their text the way YAML 1.2's core schema does (decimal ints only). */
typedef enum yscalar_kind {
    YS_NULL,
    YS_BOOL,
    YS_INT,
    YS_FLOAT,
    YS_STRING,
} yscalar_kind;

/* Parses the file's single document into d (root is then non-NULL). */
cg_code yd_load(ydoc *d, const char *path, cg_status *st);
void yd_free(ydoc *d);
yaml_node_t *yd_root(ydoc *d);

/* Fails with "PATH:LINE:COL: <message>" at node n (n NULL: no position). */
cg_code yd_fail(ydoc *d, const yaml_node_t *n, cg_code code, const char *fmt, ...) CG_PRINTF(4, 5);
/* Prefixes a message some other layer wrote into d->st with n's position. */
cg_code yd_fail_wrap(ydoc *d, const yaml_node_t *n, const char *what);

yaml_node_t *yd_item(ydoc *d, const yaml_node_t *seq, int i);
int yd_len(const yaml_node_t *n); /* sequence items or mapping pairs; 0 for scalars */
yaml_node_t *yd_pair_key(ydoc *d, const yaml_node_t *map, int i);
yaml_node_t *yd_pair_value(ydoc *d, const yaml_node_t *map, int i);

bool yd_is_scalar(const yaml_node_t *n);
bool yd_is_seq(const yaml_node_t *n);
bool yd_is_map(const yaml_node_t *n);
/* Scalar text (NUL-terminated), "" for non-scalars. */
const char *yd_text(const yaml_node_t *n);
yscalar_kind yd_kind(const yaml_node_t *n);

/* Typed readers: each fails at n naming `what` when n has another type. */
cg_code yd_int(ydoc *d, const yaml_node_t *n, const char *what, int64_t *out);
cg_code yd_number(ydoc *d, const yaml_node_t *n, const char *what, double *out);
/* Any scalar but null, as text: names like `1` or `conv1` (ONNX allows both). */
cg_code yd_name(ydoc *d, const yaml_node_t *n, const char *what, const char **out);
cg_code yd_expect_seq(ydoc *d, const yaml_node_t *n, const char *what);
cg_code yd_expect_map(ydoc *d, const yaml_node_t *n, const char *what);

/* A dtype name as cg_dtype_parse reads it ("float32", "int64", ...). */
cg_code yd_dtype(ydoc *d, const yaml_node_t *n, const char *what, cg_dtype *out);

/* Reads a mapping with a fixed set of keys: vals[i] gets the value of keys[i]
 * (NULL when absent). Unknown or repeated keys are errors naming `what`. */
cg_code yd_fields(ydoc *d, const yaml_node_t *map, const char *what, const char *const *keys,
                  int n_keys, yaml_node_t **vals);
/* A repeated key anywhere in the mapping is an error. */
cg_code yd_check_unique_keys(ydoc *d, const yaml_node_t *map, const char *what);

/* malloc'd copy of s; NULL when out of memory. */
char *yd_strdup(const char *s);

/* ---- yaml_attr.c: ONNX attributes ---- */

/* Fills a (named, zeroed) from YAML value v; `what` names it in messages. */
cg_code yd_attr_value(ydoc *d, cg_attr *a, const yaml_node_t *v, const char *what);

/* ---- yaml_build.c: tensors from weight specs ---- */

/* Builds the tensor a spec {dtype?, shape?, init | file | values} describes.
 * `what` names it in messages ("weight 'w'"); files resolve against the folder
 * of the spec file. NULL with d->st filled on error. */
cg_tensor *yd_tensor(ydoc *d, const yaml_node_t *spec, const char *what);

/* The reproducible generator behind `init: {random: SEED}` (docs/yaml-spec.md):
 * fills n floats in [-1, 1). */
void yd_random_fill(uint64_t seed, float *out, int64_t n);

#endif
