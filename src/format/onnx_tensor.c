/* Decodes ONNX TensorProto messages (initializers, Constant values, .pb files)
 * into cg_tensor. Every dim, count and byte length is checked before use. */
#define _XOPEN_SOURCE 700 /* realpath() is XSI, beyond the project's _POSIX_C_SOURCE */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/onnx_internal.h"

/* Where a tensor came from, for messages ("SOURCE: WHAT: ...") and external data. */
typedef struct tensor_src {
    const char *source;
    const char *base_dir;
    const char *what;
} tensor_src;

bool cg_onnx_dtype(int32_t code, cg_dtype *out)
{
    if (code <= CG_UNDEFINED || code >= CG_DTYPE_COUNT)
        return false;
    *out = (cg_dtype)code;
    return true;
}

/* "[2,3,4]" for messages; long lists end in ",...]". */
static const char *format_dims(const int64_t *dims, size_t n, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (size_t i = 0; i < n && used < len; i++) {
        if (i == CG_MAX_RANK) {
            used += (size_t)snprintf(buf + used, len - used, ",...");
            break;
        }
        used += (size_t)snprintf(buf + used, len - used, "%s%" PRId64, i ? "," : "", dims[i]);
    }
    if (used < len)
        snprintf(buf + used, len - used, "]");
    return buf;
}

static cg_code check_dtype(const Onnx__TensorProto *t, const char *source, const char *what,
                           cg_dtype *out, cg_status *st)
{
    if (!t->has_data_type || t->data_type == CG_UNDEFINED)
        return cg_fail(st, CG_ERR_FORMAT, "%s: %s: tensor has no data_type", source, what);
    if (!cg_onnx_dtype(t->data_type, out))
        return cg_fail(st, CG_ERR_UNSUPPORTED, "%s: %s: data_type %" PRId32 " is not supported",
                       source, what, t->data_type);
    return CG_OK;
}

cg_code cg_onnx_tensor_dims(const Onnx__TensorProto *t, const char *source,
                            const char *what, cg_onnx_dims *out, cg_status *st)
{
    char dims[128];
    format_dims(t->dims, t->n_dims, dims, sizeof dims);
    cg_code rc = check_dtype(t, source, what, &out->dtype, st);
    if (rc)
        return rc;
    if (t->n_dims > CG_MAX_RANK)
        return cg_fail(st, CG_ERR_UNSUPPORTED, "%s: %s: rank %zu is above the maximum of %d",
                       source, what, t->n_dims, CG_MAX_RANK);
    int64_t numel = 1;
    for (size_t i = 0; i < t->n_dims; i++)
        if (t->dims[i] < 0)
            return cg_fail(st, CG_ERR_FORMAT, "%s: %s: negative dim in dims %s", source, what,
                           dims);
    for (size_t i = 0; i < t->n_dims; i++)
        if (cg_mul_overflows(numel, t->dims[i], &numel))
            return cg_fail(st, CG_ERR_FORMAT, "%s: %s: element count of dims %s overflows",
                           source, what, dims);
    int64_t nbytes;
    if (cg_mul_overflows(numel, (int64_t)cg_dtype_size(out->dtype), &nbytes))
        return cg_fail(st, CG_ERR_NOMEM, "%s: %s: byte size of dims %s of %s overflows", source,
                       what, dims, cg_dtype_name(out->dtype));
    if (nbytes > CG_TENSOR_MAX_BYTES)
        return cg_fail(st, CG_ERR_NOMEM, "%s: %s: dims %s of %s need %" PRId64 " bytes, above "
                       "the limit of %" PRId64, source, what, dims, cg_dtype_name(out->dtype),
                       nbytes, (int64_t)CG_TENSOR_MAX_BYTES);
    out->rank = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++)
        out->dims[i] = t->dims[i];
    out->numel = numel;
    out->nbytes = (size_t)nbytes;
    return CG_OK;
}

/* ---- raw bytes ---- */

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

size_t cg_onnx_component_size(cg_dtype dtype)
{
    size_t size = cg_dtype_size(dtype);
    return dtype == CG_COMPLEX64 || dtype == CG_COMPLEX128 ? size / 2 : size;
}

/* ONNX raw_data and external data are little-endian (onnx.proto, raw_data). */
static void little_endian_to_host(unsigned char *data, size_t nbytes, size_t width)
{
    if (host_is_little_endian() || width < 2)
        return;
    for (size_t at = 0; at + width <= nbytes; at += width)
        for (size_t i = 0; i < width / 2; i++) {
            unsigned char tmp = data[at + i];
            data[at + i] = data[at + width - 1 - i];
            data[at + width - 1 - i] = tmp;
        }
}

/* Allocates the tensor once its data is known to be there: a corrupt file must not
 * make us allocate what its dims claim. */
static cg_tensor *alloc_tensor(const cg_onnx_dims *d, const tensor_src *src, cg_status *st)
{
    cg_tensor *out = cg_tensor_new(d->dtype, d->rank, d->dims, st);
    if (!out)
        cg_fail(st, CG_ERR_NOMEM, "%s: %s: out of memory for %" PRId64 " elements of %s",
                src->source, src->what, d->numel, cg_dtype_name(d->dtype));
    return out;
}

static bool raw_size_matches(const cg_onnx_dims *d, size_t len, const tensor_src *src,
                             cg_status *st)
{
    if (len == d->nbytes)
        return true;
    char dims[128];
    cg_fail(st, CG_ERR_FORMAT, "%s: %s: raw_data has %zu bytes but dims %s of %s need %zu",
            src->source, src->what, len, format_dims(d->dims, (size_t)d->rank, dims, sizeof dims),
            cg_dtype_name(d->dtype), d->nbytes);
    return false;
}

/* The tensor takes protobuf-c's raw_data buffer (malloc'd by its default
 * allocator) instead of a copy: weights are the bulk of a model file, and one
 * more copy costs load time and peak memory. */
static cg_tensor *adopt_raw(const cg_onnx_dims *d, ProtobufCBinaryData *raw,
                            const tensor_src *src, cg_status *st)
{
    if (!raw_size_matches(d, raw->len, src, st))
        return NULL;
    cg_tensor *out = alloc_tensor(d, src, st); /* its zeroed buffer is never touched */
    if (out && raw->len) {
        free(out->data);
        out->data = raw->data;
        raw->data = NULL; /* protobuf-c frees bytes fields only when non-NULL */
        raw->len = 0;
        little_endian_to_host(out->data, out->nbytes, cg_onnx_component_size(out->dtype));
    }
    return out;
}

/* raw_data left out of the message (cg_onnx_strip_weights): the tensor borrows
 * its bytes from the weights storage the graph keeps alive. */
static cg_tensor *borrow_raw(const cg_onnx_dims *d, const cg_onnx_raw *raw,
                             const tensor_src *src, cg_status *st)
{
    if (!raw_size_matches(d, raw->payload->len, src, st))
        return NULL;
    cg_tensor *out = calloc(1, sizeof *out);
    if (!out) {
        cg_fail(st, CG_ERR_NOMEM, "%s: %s: out of memory", src->source, src->what);
        return NULL;
    }
    size_t align = cg_onnx_component_size(d->dtype);
    if (d->nbytes && cg_onnx_weights_skips(raw->weights, raw->payload->data, d->nbytes, align)) {
        cg_code rc = cg_tensor_unloaded_init(out, d->dtype, d->rank, d->dims, st);
        if (rc != CG_OK)
            free(out);
        return rc == CG_OK ? out : NULL;
    }
    void *data = NULL;
    if (d->nbytes && !(data = cg_onnx_weights_place(raw->weights, raw->payload->data, d->nbytes, align))) {
        free(out);
        cg_fail(st, CG_ERR_IO, "%s: %s: reading %zu bytes of raw_data failed", src->source,
                src->what, d->nbytes);
        return NULL;
    }
    if (cg_tensor_view_init(out, d->dtype, d->rank, d->dims, data, st)) {
        free(out); /* not reached: cg_onnx_tensor_dims checked what view_init checks */
        return NULL;
    }
    little_endian_to_host(out->data, out->nbytes, cg_onnx_component_size(out->dtype));
    return out;
}

/* ---- typed fields ---- */

/* The typed field onnx.proto assigns to each data_type, and values per element. */
typedef struct typed_field {
    const char *name;
    size_t count;
    const void *values;
    int per_element;
} typed_field;

static typed_field typed_field_for(const Onnx__TensorProto *t, cg_dtype dtype)
{
    switch (dtype) {
    case CG_FLOAT: return (typed_field){"float_data", t->n_float_data, t->float_data, 1};
    case CG_COMPLEX64: /* real and imaginary parts interleaved */
        return (typed_field){"float_data", t->n_float_data, t->float_data, 2};
    case CG_DOUBLE: return (typed_field){"double_data", t->n_double_data, t->double_data, 1};
    case CG_COMPLEX128:
        return (typed_field){"double_data", t->n_double_data, t->double_data, 2};
    case CG_INT64: return (typed_field){"int64_data", t->n_int64_data, t->int64_data, 1};
    case CG_UINT32:
    case CG_UINT64: return (typed_field){"uint64_data", t->n_uint64_data, t->uint64_data, 1};
    default: /* int32, int16, int8, uint16, uint8, bool, float16, bfloat16 */
        return (typed_field){"int32_data", t->n_int32_data, t->int32_data, 1};
    }
}

/* Narrower types travel widened in int32_data / uint64_data (onnx.proto); the
 * cast keeps the low bits, as numpy's astype does in onnx.numpy_helper. */
#define CG_NARROW(T, dst, srcv, n)                  \
    do {                                            \
        T *to_ = (T *)(dst);                        \
        for (size_t i_ = 0; i_ < (size_t)(n); i_++) \
            to_[i_] = (T)(srcv)[i_];                \
    } while (0)

static void narrow_int32(cg_tensor *out, const int32_t *v)
{
    switch (out->dtype) {
    case CG_INT32: CG_NARROW(int32_t, out->data, v, out->numel); break;
    case CG_INT16: CG_NARROW(int16_t, out->data, v, out->numel); break;
    case CG_INT8: CG_NARROW(int8_t, out->data, v, out->numel); break;
    case CG_UINT16: /* float16 and bfloat16 travel as their 16 bits */
    case CG_FLOAT16:
    case CG_BFLOAT16: CG_NARROW(uint16_t, out->data, v, out->numel); break;
    case CG_UINT8: CG_NARROW(uint8_t, out->data, v, out->numel); break;
    case CG_BOOL:
        for (int64_t i = 0; i < out->numel; i++)
            ((uint8_t *)out->data)[i] = v[i] != 0;
        break;
    default: break;
    }
}

static void copy_typed_values(cg_tensor *out, const typed_field *f)
{
    if (out->nbytes == 0)
        return;
    switch (out->dtype) {
    case CG_UINT32: CG_NARROW(uint32_t, out->data, (const uint64_t *)f->values, out->numel); break;
    case CG_FLOAT: /* stored at their own width */
    case CG_COMPLEX64:
    case CG_DOUBLE:
    case CG_COMPLEX128:
    case CG_INT64:
    case CG_UINT64: memcpy(out->data, f->values, out->nbytes); break;
    default: narrow_int32(out, f->values); break;
    }
}

static cg_tensor *copy_typed(const cg_onnx_dims *d, const Onnx__TensorProto *t,
                             const tensor_src *src, cg_status *st)
{
    typed_field f = typed_field_for(t, d->dtype);
    /* numel is bounded by CG_TENSOR_MAX_BYTES, so the product cannot overflow */
    uint64_t need = (uint64_t)d->numel * (uint64_t)f.per_element;
    if ((uint64_t)f.count != need) {
        char dims[128];
        cg_fail(st, CG_ERR_FORMAT, "%s: %s: %s has %zu values but dims %s of %s need %" PRIu64,
                src->source, src->what, f.name, f.count,
                format_dims(d->dims, (size_t)d->rank, dims, sizeof dims),
                cg_dtype_name(d->dtype), need);
        return NULL;
    }
    cg_tensor *out = alloc_tensor(d, src, st);
    if (out)
        copy_typed_values(out, &f);
    return out;
}

static size_t typed_value_count(const Onnx__TensorProto *t)
{
    return t->n_float_data + t->n_int32_data + t->n_string_data + t->n_int64_data +
           t->n_double_data + t->n_uint64_data;
}

/* ---- external data (onnx/external_data_helper.py: keys location, offset, length) ---- */

/* A non-negative decimal integer, digits only, no sign, no overflow. */
static bool parse_offset(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - (*s - '0')) / 10)
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

/* Relative, and no ".." component: data must stay inside the model's folder. */
static bool location_is_inside(const char *loc)
{
    if (loc[0] == '/' || loc[0] == '\\')
        return false;
    for (const char *p = loc; *p;) {
        size_t n = strcspn(p, "/\\");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n;
        p += *p != '\0';
    }
    return true;
}

typedef struct external_ref {
    const char *location;
    int64_t offset;
    int64_t length; /* -1: to the end of the file */
} external_ref;

static cg_code parse_external_ref(const Onnx__TensorProto *t, const tensor_src *src,
                                  external_ref *ref, cg_status *st)
{
    *ref = (external_ref){NULL, 0, -1};
    for (size_t i = 0; i < t->n_external_data; i++) {
        const char *key = t->external_data[i]->key, *value = t->external_data[i]->value;
        if (!key)
            continue;
        bool is_offset = strcmp(key, "offset") == 0, is_length = strcmp(key, "length") == 0;
        if (strcmp(key, "location") == 0)
            ref->location = value;
        else if ((is_offset || is_length) &&
                 !parse_offset(value, is_offset ? &ref->offset : &ref->length))
            return cg_fail(st, CG_ERR_FORMAT,
                           "%s: %s: external data %s '%s' is not a non-negative integer",
                           src->source, src->what, key, value ? value : "");
    }
    if (!ref->location || !*ref->location)
        return cg_fail(st, CG_ERR_FORMAT, "%s: %s: external data has no location",
                       src->source, src->what);
    if (!location_is_inside(ref->location))
        return cg_fail(st, CG_ERR_FORMAT,
                       "%s: %s: external data location '%s' must be a relative path inside "
                       "the model's folder", src->source, src->what, ref->location);
    if (!src->base_dir)
        return cg_fail(st, CG_ERR_FORMAT,
                       "%s: %s: external data '%s' needs the model's folder (loaded from memory)",
                       src->source, src->what, ref->location);
    return CG_OK;
}

/* Checks the byte range against the file's size and the tensor's size. */
static cg_code check_external_range(const cg_onnx_dims *d, external_ref *ref,
                                    int64_t file_size, const tensor_src *src, cg_status *st)
{
    if (ref->offset > file_size)
        return cg_fail(st, CG_ERR_FORMAT,
                       "%s: %s: external data offset %" PRId64 " is past the end of '%s' (%"
                       PRId64 " bytes)", src->source, src->what, ref->offset, ref->location,
                       file_size);
    if (ref->length < 0)
        ref->length = file_size - ref->offset;
    if (ref->length > file_size - ref->offset)
        return cg_fail(st, CG_ERR_FORMAT,
                       "%s: %s: external data offset %" PRId64 " + length %" PRId64
                       " runs past the end of '%s' (%" PRId64 " bytes)", src->source, src->what,
                       ref->offset, ref->length, ref->location, file_size);
    if ((uint64_t)ref->length != d->nbytes)
        return cg_fail(st, CG_ERR_FORMAT,
                       "%s: %s: external data length %" PRId64 " but the tensor needs %zu bytes",
                       src->source, src->what, ref->length, d->nbytes);
    return CG_OK;
}

static cg_tensor *read_external_fd(int fd, const cg_onnx_dims *d, external_ref *ref,
                                   const tensor_src *src, cg_status *st)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        cg_fail(st, CG_ERR_IO, "%s: %s: cannot read external data '%s'", src->source,
                src->what, ref->location);
        return NULL;
    }
    if (check_external_range(d, ref, (int64_t)sb.st_size, src, st))
        return NULL;
    cg_tensor *out = alloc_tensor(d, src, st);
    if (out && out->nbytes && !cg_pread_all(fd, out->data, out->nbytes, ref->offset)) {
        cg_fail(st, CG_ERR_IO, "%s: %s: reading external data '%s' failed", src->source,
                src->what, ref->location);
        cg_tensor_free(out);
        return NULL;
    }
    if (out)
        little_endian_to_host(out->data, out->nbytes, cg_onnx_component_size(out->dtype));
    return out;
}

/* The file's real path (symlinks in folders resolved) must lie under the model's
 * real folder: onnx checker.cc resolve_external_data_location, after CVE-2026-34447. */
static bool real_path_inside(const char *base_dir, const char *path)
{
    char *base = realpath(base_dir, NULL), *real = realpath(path, NULL);
    size_t n = base ? strlen(base) : 0;
    bool inside = base && real && strncmp(real, base, n) == 0 &&
                  (real[n] == '/' || (n == 1 && base[0] == '/'));
    free(base);
    free(real);
    return inside;
}

/* Opens the data file refusing symlinks (O_NOFOLLOW), paths that resolve outside
 * the model's folder and hardlinked files (onnx does the same); -1 with st filled. */
static int open_external(const char *path, const external_ref *ref, const tensor_src *src,
                         cg_status *st)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK); /* a FIFO must not block us */
    if (fd < 0) {
        cg_fail(st, CG_ERR_IO, "%s: %s: cannot open external data '%s': %s", src->source,
                src->what, ref->location, errno == ELOOP ? "it is a symbolic link" : strerror(errno));
        return -1;
    }
    struct stat sb;
    const char *why = NULL;
    if (!real_path_inside(src->base_dir, path))
        why = "resolves outside the model's folder";
    else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        why = "is not a regular file";
    else if (sb.st_nlink > 1)
        why = "has several hard links";
    if (why) {
        cg_fail(st, CG_ERR_FORMAT, "%s: %s: external data '%s' %s", src->source, src->what,
                ref->location, why);
        close(fd);
        return -1;
    }
    return fd;
}

static cg_tensor *read_external(const cg_onnx_dims *d, const Onnx__TensorProto *t,
                                const tensor_src *src, cg_status *st)
{
    external_ref ref;
    if (parse_external_ref(t, src, &ref, st))
        return NULL;
    size_t n = strlen(src->base_dir) + 1 + strlen(ref.location) + 1;
    char *path = malloc(n);
    if (!path) {
        cg_fail(st, CG_ERR_NOMEM, "%s: %s: out of memory", src->source, src->what);
        return NULL;
    }
    snprintf(path, n, "%s/%s", src->base_dir, ref.location);
    int fd = open_external(path, &ref, src, st);
    free(path);
    if (fd < 0)
        return NULL;
    cg_tensor *out = read_external_fd(fd, d, &ref, src, st);
    close(fd);
    return out;
}

/* ---- decode ---- */

cg_tensor *cg_onnx_tensor_decode(Onnx__TensorProto *t, const cg_onnx_raw *raw,
                                 const char *source, const char *base_dir, const char *what,
                                 cg_status *st)
{
    tensor_src src = {source, base_dir, what};
    cg_onnx_dims d;
    if (cg_onnx_tensor_dims(t, source, what, &d, st))
        return NULL;
    if (d.dtype == CG_STRING) {
        cg_fail(st, CG_ERR_UNSUPPORTED, "%s: %s: string tensors are not supported", source, what);
        return NULL;
    }
    bool external = t->has_data_location &&
                    t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    size_t raw_len = raw ? raw->payload->len : t->raw_data.len;
    bool has_raw = t->has_raw_data && raw_len > 0;
    /* onnx.proto: the values live in exactly one place */
    if ((external || t->has_raw_data) && typed_value_count(t)) {
        cg_fail(st, CG_ERR_FORMAT, "%s: %s: tensor has both %s and typed data fields", source,
                what, external ? "external data" : "raw_data");
        return NULL;
    }
    if (external && has_raw) {
        cg_fail(st, CG_ERR_FORMAT, "%s: %s: tensor has both external data and raw_data", source,
                what);
        return NULL;
    }
    if (external)
        return read_external(&d, t, &src, st);
    if (t->has_raw_data)
        return raw ? borrow_raw(&d, raw, &src, st) : adopt_raw(&d, &t->raw_data, &src, st);
    return copy_typed(&d, t, &src, st);
}
