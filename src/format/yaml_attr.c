/* ONNX attributes from YAML values: the value's YAML type picks the attribute
 * type (docs/yaml-spec.md, "Attributes"). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/yaml_parse.h"

static cg_code read_float32(ydoc *d, const yaml_node_t *n, const char *what, float *out)
{
    double v;
    cg_code rc = yd_number(d, n, what, &v);
    if (!rc && isfinite(v) && fabs(v) > FLT_MAX)
        return yd_fail(d, n, CG_ERR_FORMAT, "%s: %s is out of float32 range", what, yd_text(n));
    *out = (float)v;
    return rc;
}

/* ONNX has no boolean attributes; flags such as ceil_mode are INTs, so YAML
 * true/false read as 1/0. */
static cg_code read_attr_int(ydoc *d, const yaml_node_t *n, const char *what, int64_t *out)
{
    if (yd_kind(n) == YS_BOOL) {
        *out = yd_text(n)[0] == 't' || yd_text(n)[0] == 'T';
        return CG_OK;
    }
    return yd_int(d, n, what, out);
}

static cg_code attr_from_scalar(ydoc *d, cg_attr *a, const yaml_node_t *v, const char *what)
{
    switch (yd_kind(v)) {
    case YS_NULL:
        return yd_fail(d, v, CG_ERR_FORMAT, "%s has no value", what);
    case YS_BOOL:
    case YS_INT:
        a->type = CG_ATTR_INT;
        return read_attr_int(d, v, what, &a->i);
    case YS_FLOAT:
        a->type = CG_ATTR_FLOAT;
        return read_float32(d, v, what, &a->f);
    case YS_STRING:
        break;
    }
    a->type = CG_ATTR_STRING;
    a->s_len = v->data.scalar.length;
    if (!(a->s = malloc(a->s_len + 1)))
        return cg_fail(d->st, CG_ERR_NOMEM, "%s: out of memory", d->path);
    memcpy(a->s, yd_text(v), a->s_len + 1);
    return CG_OK;
}

/* A list attribute's type: STRINGS if all strings, FLOATS if any float,
 * otherwise INTS (an empty list too). */
static cg_code list_attr_type(ydoc *d, const yaml_node_t *v, const char *what,
                              cg_attr_type *out)
{
    bool any_float = false, any_string = false, any_number = false;
    for (int i = 0; i < yd_len(v); i++) {
        yaml_node_t *item = yd_item(d, v, i);
        yscalar_kind k = yd_kind(item);
        if (!yd_is_scalar(item) || k == YS_NULL)
            return yd_fail(d, item, CG_ERR_FORMAT,
                           "%s: list entries must be numbers or strings", what);
        any_string |= k == YS_STRING;
        any_float |= k == YS_FLOAT;
        any_number |= k != YS_STRING;
    }
    if (any_string && any_number)
        return yd_fail(d, v, CG_ERR_FORMAT, "%s mixes strings and numbers", what);
    *out = any_string ? CG_ATTR_STRINGS : any_float ? CG_ATTR_FLOATS : CG_ATTR_INTS;
    return CG_OK;
}

static cg_code attr_from_list(ydoc *d, cg_attr *a, const yaml_node_t *v, const char *what)
{
    cg_code rc = list_attr_type(d, v, what, &a->type);
    if (rc)
        return rc;
    size_t n = (size_t)yd_len(v), cap = n ? n : 1;
    if (a->type == CG_ATTR_INTS)
        a->ints = calloc(cap, sizeof *a->ints);
    else if (a->type == CG_ATTR_FLOATS)
        a->floats = calloc(cap, sizeof *a->floats);
    else
        a->strings = calloc(cap, sizeof *a->strings);
    if (!a->ints && !a->floats && !a->strings)
        return cg_fail(d->st, CG_ERR_NOMEM, "%s: out of memory", d->path);
    a->n = (int)n;
    for (int i = 0; i < a->n && !rc; i++) {
        yaml_node_t *item = yd_item(d, v, i);
        if (a->type == CG_ATTR_INTS)
            rc = read_attr_int(d, item, what, &a->ints[i]);
        else if (a->type == CG_ATTR_FLOATS)
            rc = read_float32(d, item, what, &a->floats[i]);
        else if (!(a->strings[i] = yd_strdup(yd_text(item))))
            rc = cg_fail(d->st, CG_ERR_NOMEM, "%s: out of memory", d->path);
    }
    return rc;
}

cg_code yd_attr_value(ydoc *d, cg_attr *a, const yaml_node_t *v, const char *what)
{
    if (yd_is_seq(v))
        return attr_from_list(d, a, v, what);
    if (!yd_is_map(v))
        return attr_from_scalar(d, a, v, what);
    /* A mapping is a TENSOR attribute (Constant's value) in weight syntax. */
    a->type = CG_ATTR_TENSOR;
    a->t = yd_tensor(d, v, what);
    return a->t ? CG_OK : d->st ? d->st->code : CG_ERR_FORMAT;
}
