/* Dimensions: a known integer, a symbol or expression (`N`, `ceil(H/2)`), or unknown.
 * Symbol strings live in a cg_strpool owned by the graph, so dims copy by value. */
#ifndef CONVGRAPH_DIM_H
#define CONVGRAPH_DIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convgraph/status.h"

#define CG_MAX_RANK 8

typedef struct cg_strpool cg_strpool;

/* v >= 0, sym == NULL: known.  sym != NULL: symbolic (v ignored).
 * v < 0, sym == NULL: unknown. */
typedef struct cg_dim {
    int64_t v;
    const char *sym;
} cg_dim;

/* rank < 0: unknown rank (d unused). */
typedef struct cg_shape {
    int rank;
    cg_dim d[CG_MAX_RANK];
} cg_shape;

/* ---- string pool: owns symbol and expression strings ---- */
cg_strpool *cg_strpool_new(void);
void cg_strpool_free(cg_strpool *p);
/* Copies s (len bytes, NUL added) into the pool; NULL on allocation failure. */
const char *cg_strpool_add(cg_strpool *p, const char *s, size_t len);
const char *cg_strpool_printf(cg_strpool *p, const char *fmt, ...) CG_PRINTF(2, 3);

/* ---- dims ---- */
static inline cg_dim cg_dim_known(int64_t v) { cg_dim d = {v, NULL}; return d; }
static inline cg_dim cg_dim_unknown(void) { cg_dim d = {-1, NULL}; return d; }
static inline cg_dim cg_dim_symbol(const char *s) { cg_dim d = {-1, s}; return d; }
static inline bool cg_dim_is_known(cg_dim d) { return d.sym == NULL && d.v >= 0; }
static inline bool cg_dim_is_symbolic(cg_dim d) { return d.sym != NULL; }
static inline bool cg_dim_is_unknown(cg_dim d) { return d.sym == NULL && d.v < 0; }

/* Known dims equal by value, symbolic ones by expression text; unknown never equal. */
bool cg_dim_equal(cg_dim a, cg_dim b);
/* Writes "32", "N", "ceil(H/2)" or "?"; returns what snprintf returns. */
int cg_dim_format(cg_dim d, char *buf, size_t n);

/* Arithmetic: known op known -> known (unknown on overflow or division by <= 0);
 * any unknown -> unknown; otherwise a readable expression built in pool. */
cg_dim cg_dim_add(cg_strpool *p, cg_dim a, cg_dim b);
cg_dim cg_dim_sub(cg_strpool *p, cg_dim a, cg_dim b);
cg_dim cg_dim_mul(cg_strpool *p, cg_dim a, cg_dim b);
cg_dim cg_dim_div_floor(cg_strpool *p, cg_dim a, cg_dim b);
cg_dim cg_dim_div_ceil(cg_strpool *p, cg_dim a, cg_dim b);

/* Elements of int64 vectors (Reshape's -1, negative Slice bounds and axes) as
 * dims: a dim cannot hold a negative number (v < 0 means unknown), so a negative
 * literal is kept as a symbol whose text is the number, e.g. "-1". */
cg_dim cg_dim_of_i64(cg_strpool *p, int64_t v);
/* True when d is a known number or a negative literal; *v gets the number. */
bool cg_dim_to_i64(cg_dim d, int64_t *v);

/* ---- shapes ---- */
static inline cg_shape cg_shape_unknown(void) { cg_shape s; s.rank = -1; return s; }
cg_shape cg_shape_of(int rank, const int64_t *dims);
bool cg_shape_is_static(const cg_shape *s);
bool cg_shape_equal(const cg_shape *a, const cg_shape *b);
/* Product of dims; -1 when any dim is not known or the product overflows. */
int64_t cg_shape_numel(const cg_shape *s);
/* "[1,3,224,224]", "[N,64,ceil(H/2),?]", "?" for unknown rank. */
int cg_shape_format(const cg_shape *s, char *buf, size_t n);

/* Overflow-checked helpers shared by readers and shape functions. */
bool cg_mul_overflows(int64_t a, int64_t b, int64_t *out);
bool cg_add_overflows(int64_t a, int64_t b, int64_t *out);

#endif
