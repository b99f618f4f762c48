/* One tensor as an ONNX TensorProto (.pb), the backend tests' tensor format. */
#include <stdlib.h>

#include "convgraph/format.h"
#include "onnx.pb-c.h"

cg_code cg_onnx_write_tensor(const char *path, const cg_tensor *t, const char *name, cg_status *st)
{
    if (cg_dtype_size(t->dtype) == 0)
        return cg_fail(st, CG_ERR_UNSUPPORTED, "%s: cannot write %s tensors", path, cg_dtype_name(t->dtype));
    Onnx__TensorProto msg = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[CG_MAX_RANK];
    for (int i = 0; i < t->rank; i++)
        dims[i] = t->dims[i];
    msg.n_dims = (size_t)t->rank;
    msg.dims = dims;
    msg.has_data_type = 1;
    msg.data_type = (int32_t)t->dtype; /* cg_dtype uses TensorProto.DataType numbers */
    msg.name = (char *)(name ? name : "");
    msg.has_raw_data = 1;
    msg.raw_data.len = t->nbytes; /* little-endian host: raw_data is little-endian by spec */
    msg.raw_data.data = t->data;
    size_t len = protobuf_c_message_get_packed_size(&msg.base);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", path);
    protobuf_c_message_pack(&msg.base, buf);
    cg_code rc = cg_write_file_atomic(path, buf, len, st);
    free(buf);
    return rc;
}
