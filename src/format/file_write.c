/* Atomic file writes: a reader never sees a half-written output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/format.h"

cg_code cg_write_file_atomic(const char *path, const void *buf, size_t len, cg_status *st)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp)
        return cg_fail(st, CG_ERR_NOMEM, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    cg_code rc = CG_OK;
    if (!f) {
        rc = cg_fail(st, CG_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    } else {
        bool ok = (len == 0 || fwrite(buf, 1, len, f) == len);
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp, path) != 0) {
            rc = cg_fail(st, CG_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
            remove(tmp);
        }
    }
    free(tmp);
    return rc;
}
