/* A tiny streaming JSON writer: objects and arrays, strings escaped per RFC 8259,
 * integers and null. Containers opened "inline" print on one line. */
#ifndef CG_TOOLS_JSON_OUT_H
#define CG_TOOLS_JSON_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

typedef struct json_out {
    FILE *f;
    int depth;
    bool after_key;                    /* a key was written; the value follows */
    bool has_items[JSON_MAX_DEPTH];    /* the container at this depth is non-empty */
    bool is_inline[JSON_MAX_DEPTH];    /* the container at this depth prints on one line */
} json_out;

void json_init(json_out *j, FILE *f);
void json_begin_object(json_out *j, bool on_one_line);
void json_end_object(json_out *j);
void json_begin_array(json_out *j, bool on_one_line);
void json_end_array(json_out *j);
void json_key(json_out *j, const char *key);
void json_string(json_out *j, const char *s);
void json_int(json_out *j, int64_t v);
void json_null(json_out *j);
/* Ends the document with a newline. */
void json_finish(json_out *j);

#endif
