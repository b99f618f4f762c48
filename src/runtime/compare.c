/* Tensor comparison with absolute + relative tolerance, for conformance runs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "convgraph/conform.h"

/* Element agreement: NaN only where the reference has NaN, infinities exactly. */
static bool element_close(double g, double r, double atol, double rtol)
{
    if (isnan(r) || isnan(g))
        return isnan(r) && isnan(g);
    if (isinf(r) || isinf(g))
        return g == r;
    return fabs(g - r) <= atol + rtol * fabs(r);
}

static void note_error(cg_compare_result *res, double g, double r, int64_t i)
{
    if (isnan(g) || isnan(r) || isinf(g) || isinf(r))
        return;
    double abs_err = fabs(g - r);
    double rel_err = r != 0 ? abs_err / fabs(r) : 0;
    if (abs_err > res->max_abs) {
        res->max_abs = abs_err;
        res->worst_index = i;
    }
    if (rel_err > res->max_rel)
        res->max_rel = rel_err;
}

bool cg_tensor_compare(const cg_tensor *got, const cg_tensor *ref, double atol, double rtol,
                       cg_compare_result *res)
{
    char gs[112], rs[112];
    cg_shape a = cg_tensor_shape(got), b = cg_tensor_shape(ref);
    memset(res, 0, sizeof *res);
    res->worst_index = -1;
    if (!cg_tensor_same_shape(got, ref)) {
        cg_shape_format(&a, gs, sizeof gs);
        cg_shape_format(&b, rs, sizeof rs);
        snprintf(res->msg, sizeof res->msg, "got %s %s, expected %s %s", cg_dtype_name(got->dtype), gs,
                 cg_dtype_name(ref->dtype), rs);
        return false;
    }
    bool exact = !cg_dtype_is_float(ref->dtype); /* integers and bools: equal or not */
    int64_t first_bad = -1;
    for (int64_t i = 0; i < ref->numel; i++) {
        double g = cg_tensor_get_f64(got, i), r = cg_tensor_get_f64(ref, i);
        note_error(res, g, r, i);
        bool close = exact ? cg_tensor_get_i64(got, i) == cg_tensor_get_i64(ref, i)
                           : element_close(g, r, atol, rtol);
        if (first_bad < 0 && !close)
            first_bad = i;
    }
    res->ok = first_bad < 0;
    if (!res->ok)
        snprintf(res->msg, sizeof res->msg, "element %lld is %.9g, expected %.9g", (long long)first_bad,
                 cg_tensor_get_f64(got, first_bad), cg_tensor_get_f64(ref, first_bad));
    return res->ok;
}
