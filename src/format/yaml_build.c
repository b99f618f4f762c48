/* Tensors from the model spec's weight entries (and TENSOR attributes):
 *   {shape: [6, 3, 4, 4], init: {random: 7}}    seeded uniform in [-1, 1)
 *   {shape: [6], init: zeros}                   or ones
 *   {file: weights/k.npy}                       relative to the spec's folder
 *   {dtype: int64, values: [1, -1]}             literal elements, row-major */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/format.h"
#include "format/yaml_parse.h"

enum { TK_DTYPE, TK_SHAPE, TK_INIT, TK_FILE, TK_VALUES, TK_COUNT };
static const char *const k_tensor_keys[TK_COUNT] = {"dtype", "shape", "init", "file", "values"};

/* A tensor's static shape as the spec gives it. */
typedef struct spec_shape {
    bool given;
    int rank;
    int64_t dims[CG_MAX_RANK];
} spec_shape;

void yd_random_fill(uint64_t seed, float *out, int64_t n)
{
    uint64_t state = seed;
    for (int64_t i = 0; i < n; i++) {
        /* The top 24 bits scaled to [-1, 1): k / 2^23 - 1 is exact in float32. */
        int64_t k = (int64_t)(cg_splitmix64(&state) >> 40);
        out[i] = (float)((double)k / 8388608.0 - 1.0);
    }
}

/* Inclusive range of an integer dtype (uint64 is capped by the int64 reader). */
static bool int_range(cg_dtype t, int64_t *lo, int64_t *hi)
{
    switch (t) {
    case CG_INT8: *lo = INT8_MIN; *hi = INT8_MAX; return true;
    case CG_UINT8: *lo = 0; *hi = UINT8_MAX; return true;
    case CG_INT16: *lo = INT16_MIN; *hi = INT16_MAX; return true;
    case CG_UINT16: *lo = 0; *hi = UINT16_MAX; return true;
    case CG_INT32: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    case CG_UINT32: *lo = 0; *hi = UINT32_MAX; return true;
    case CG_INT64: *lo = INT64_MIN; *hi = INT64_MAX; return true;
    case CG_UINT64: *lo = 0; *hi = INT64_MAX; return true;
    case CG_BOOL: *lo = 0; *hi = 1; return true;
    default: return false;
    }
}

/* Element i of a float tensor; false for other dtypes. */
static bool put_float(cg_tensor *t, int64_t i, double v)
{
    switch (t->dtype) {
    case CG_FLOAT: ((float *)t->data)[i] = (float)v; return true;
    case CG_DOUBLE: ((double *)t->data)[i] = v; return true;
    case CG_FLOAT16: ((uint16_t *)t->data)[i] = cg_float_to_half((float)v); return true;
    default: return false;
    }
}

static bool dtype_fillable(cg_dtype t)
{
    int64_t lo, hi;
    return t == CG_FLOAT || t == CG_DOUBLE || t == CG_FLOAT16 || int_range(t, &lo, &hi);
}

/* One literal element from a scalar node, checked against the dtype. */
static cg_code put_value(ydoc *d, const yaml_node_t *n, cg_tensor *t, int64_t i, const char *what)
{
    if (cg_dtype_is_float(t->dtype)) {
        double v;
        cg_code rc = yd_number(d, n, what, &v);
        if (!rc && t->dtype != CG_DOUBLE && isfinite(v) && fabs(v) > FLT_MAX)
            return yd_fail(d, n, CG_ERR_FORMAT, "%s: %s is out of %s range", what, yd_text(n),
                           cg_dtype_name(t->dtype));
        return rc ? rc : (put_float(t, i, v), CG_OK);
    }
    int64_t v, lo, hi;
    if (t->dtype == CG_BOOL && yd_kind(n) == YS_BOOL) {
        v = yd_text(n)[0] == 't' || yd_text(n)[0] == 'T';
    } else {
        cg_code rc = yd_int(d, n, what, &v);
        if (rc)
            return rc;
    }
    int_range(t->dtype, &lo, &hi);
    if (v < lo || v > hi)
        return yd_fail(d, n, CG_ERR_FORMAT, "%s: %lld is out of %s range", what, (long long)v,
                       cg_dtype_name(t->dtype));
    cg_tensor_set_i64(t, i, v);
    return CG_OK;
}

static cg_code read_shape(ydoc *d, const yaml_node_t *n, const char *what, spec_shape *out)
{
    char label[160];
    snprintf(label, sizeof label, "%s: shape", what);
    cg_code rc = yd_expect_seq(d, n, label);
    if (rc)
        return rc;
    if (yd_len(n) > CG_MAX_RANK)
        return yd_fail(d, n, CG_ERR_UNSUPPORTED, "%s has rank %d; at most %d is supported",
                       label, yd_len(n), CG_MAX_RANK);
    out->given = true;
    out->rank = yd_len(n);
    for (int i = 0; i < out->rank; i++) {
        yaml_node_t *item = yd_item(d, n, i);
        if ((rc = yd_int(d, item, label, &out->dims[i])))
            return rc;
        if (out->dims[i] < 0)
            return yd_fail(d, item, CG_ERR_FORMAT, "%s: dim %d is negative (%lld)", label, i,
                           (long long)out->dims[i]);
    }
    return CG_OK;
}

/* cg_tensor_new with its message (absurd size, ...) placed at `at`. */
static cg_tensor *new_tensor(ydoc *d, const yaml_node_t *at, const char *what, cg_dtype dtype,
                             const spec_shape *shape)
{
    cg_status inner;
    cg_tensor *t = cg_tensor_new(dtype, shape->rank, shape->dims, &inner);
    if (!t)
        yd_fail(d, at, inner.code, "%s: %s", what, inner.msg);
    return t;
}

static cg_tensor *values_tensor(ydoc *d, yaml_node_t *const *f, const char *what,
                                cg_dtype dtype, spec_shape *shape)
{
    const yaml_node_t *vals = f[TK_VALUES];
    char label[160];
    snprintf(label, sizeof label, "%s: values", what);
    if (yd_expect_seq(d, vals, label))
        return NULL;
    if (!shape->given) {
        shape->rank = 1;
        shape->dims[0] = yd_len(vals);
    }
    cg_tensor *t = new_tensor(d, f[TK_SHAPE] ? f[TK_SHAPE] : vals, what, dtype, shape);
    if (!t)
        return NULL;
    if (t->numel != yd_len(vals)) {
        yd_fail(d, vals, CG_ERR_FORMAT, "%s has %d entries but the shape needs %lld", label,
                yd_len(vals), (long long)t->numel);
        cg_tensor_free(t);
        return NULL;
    }
    for (int i = 0; i < yd_len(vals); i++)
        if (put_value(d, yd_item(d, vals, i), t, i, label)) {
            cg_tensor_free(t);
            return NULL;
        }
    return t;
}

/* The SEED of `init: {random: SEED}`: an integer >= 0, for float32 tensors. */
static cg_code read_seed(ydoc *d, const yaml_node_t *n, const yaml_node_t *init,
                         const char *what, cg_dtype dtype, int64_t *seed)
{
    char label[160];
    snprintf(label, sizeof label, "%s: random seed", what);
    cg_code rc = yd_int(d, n, label, seed);
    if (!rc && *seed < 0)
        return yd_fail(d, n, CG_ERR_FORMAT, "%s must be >= 0", label);
    if (!rc && dtype != CG_FLOAT)
        return yd_fail(d, init, CG_ERR_FORMAT, "%s: random init makes float32 values, not %s",
                       what, cg_dtype_name(dtype));
    return rc;
}

/* The optional `scale: S` of a random init (values become S * [-1, 1)), so a
 * spec can keep activations in range, e.g. S = 1/sqrt(fan-in). */
static cg_code read_scale(ydoc *d, const yaml_node_t *n, const char *what, double *scale)
{
    char label[160];
    snprintf(label, sizeof label, "%s: random scale", what);
    cg_code rc = yd_number(d, n, label, scale);
    if (!rc && !(*scale > 0 && *scale < 1e30))
        return yd_fail(d, n, CG_ERR_FORMAT, "%s must be a positive number", label);
    return rc;
}

/* `init: zeros | ones | {random: SEED [, scale: S]}`. */
static cg_tensor *init_tensor(ydoc *d, yaml_node_t *const *f, const char *what, cg_dtype dtype,
                              const spec_shape *shape)
{
    const yaml_node_t *init = f[TK_INIT];
    if (!shape->given) {
        yd_fail(d, init, CG_ERR_FORMAT, "%s: init needs a shape", what);
        return NULL;
    }
    bool zeros = yd_is_scalar(init) && strcmp(yd_text(init), "zeros") == 0;
    bool ones = yd_is_scalar(init) && strcmp(yd_text(init), "ones") == 0;
    yaml_node_t *random_vals[2] = {NULL, NULL}; /* random: SEED, scale: S */
    static const char *const random_keys[] = {"random", "scale"};
    char label[160];
    snprintf(label, sizeof label, "%s: init", what);
    if (!zeros && !ones) {
        if (!yd_is_map(init) || yd_len(init) == 0) {
            yd_fail(d, init, CG_ERR_FORMAT, "%s must be zeros, ones or {random: SEED}", label);
            return NULL;
        }
        if (yd_fields(d, init, label, random_keys, 2, random_vals))
            return NULL;
        if (!random_vals[0]) {
            yd_fail(d, init, CG_ERR_FORMAT, "%s must be zeros, ones or {random: SEED}", label);
            return NULL;
        }
    }
    yaml_node_t *seed_node = random_vals[0];
    int64_t seed = 0;
    double scale = 1.0;
    if (seed_node && read_seed(d, seed_node, init, what, dtype, &seed))
        return NULL;
    if (random_vals[1] && read_scale(d, random_vals[1], what, &scale))
        return NULL;
    cg_tensor *t = new_tensor(d, f[TK_SHAPE], what, dtype, shape);
    if (t && ones)
        for (int64_t i = 0; i < t->numel; i++)
            if (!put_float(t, i, 1.0))
                cg_tensor_set_i64(t, i, 1);
    if (t && seed_node) {
        yd_random_fill((uint64_t)seed, t->data, t->numel);
        for (int64_t i = 0; scale != 1.0 && i < t->numel; i++)
            ((float *)t->data)[i] = (float)(((float *)t->data)[i] * scale);
    }
    return t;
}

/* `file:` is relative to the spec's folder unless absolute; malloc'd. */
static char *resolve_path(const char *spec_path, const char *rel)
{
    const char *slash = strrchr(spec_path, '/');
    size_t dir_len = rel[0] == '/' || !slash ? 0 : (size_t)(slash - spec_path) + 1;
    size_t rel_len = strlen(rel);
    char *full = malloc(dir_len + rel_len + 1);
    if (full) {
        memcpy(full, spec_path, dir_len);
        memcpy(full + dir_len, rel, rel_len + 1);
    }
    return full;
}

static bool same_dims(const cg_tensor *t, const spec_shape *s)
{
    if (t->rank != s->rank)
        return false;
    for (int i = 0; i < s->rank; i++)
        if (t->dims[i] != s->dims[i])
            return false;
    return true;
}

/* A .npy file; dtype and shape, when also given, must match what it holds. */
static cg_tensor *file_tensor(ydoc *d, yaml_node_t *const *f, const char *what, cg_dtype dtype,
                              const spec_shape *shape)
{
    const char *rel;
    char label[160];
    snprintf(label, sizeof label, "%s: file", what);
    if (yd_name(d, f[TK_FILE], label, &rel))
        return NULL;
    char *full = resolve_path(d->path, rel);
    if (!full) {
        yd_fail(d, f[TK_FILE], CG_ERR_NOMEM, "%s: out of memory", what);
        return NULL;
    }
    cg_tensor *t = cg_npy_read(full, d->st);
    free(full);
    if (!t) {
        yd_fail_wrap(d, f[TK_FILE], what);
        return NULL;
    }
    const char *mismatch = NULL;
    if (f[TK_DTYPE] && t->dtype != dtype)
        mismatch = "dtype";
    else if (shape->given && !same_dims(t, shape))
        mismatch = "shape";
    if (mismatch) {
        yd_fail(d, f[TK_FILE], CG_ERR_FORMAT, "%s: the file's %s differs from the declared one",
                what, mismatch);
        cg_tensor_free(t);
        return NULL;
    }
    return t;
}

cg_tensor *yd_tensor(ydoc *d, const yaml_node_t *spec, const char *what)
{
    yaml_node_t *f[TK_COUNT];
    if (yd_fields(d, spec, what, k_tensor_keys, TK_COUNT, f))
        return NULL;
    if (!!f[TK_INIT] + !!f[TK_FILE] + !!f[TK_VALUES] != 1) {
        yd_fail(d, spec, CG_ERR_FORMAT, "%s needs exactly one of init, file, values", what);
        return NULL;
    }
    char label[160];
    snprintf(label, sizeof label, "%s: dtype", what);
    cg_dtype dtype = CG_FLOAT;
    if (f[TK_DTYPE] && yd_dtype(d, f[TK_DTYPE], label, &dtype))
        return NULL;
    spec_shape shape = {0};
    if (f[TK_SHAPE] && read_shape(d, f[TK_SHAPE], what, &shape))
        return NULL;
    if (f[TK_FILE])
        return file_tensor(d, f, what, dtype, &shape);
    if (!dtype_fillable(dtype)) {
        yd_fail(d, f[TK_DTYPE], CG_ERR_FORMAT, "%s: cannot build %s tensors from a spec", what,
                cg_dtype_name(dtype));
        return NULL;
    }
    if (f[TK_VALUES])
        return values_tensor(d, f, what, dtype, &shape);
    return init_tensor(d, f, what, dtype, &shape);
}
