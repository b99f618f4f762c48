/* Streaming JSON writer used by `shapes --json`. */
#include "json_out.h"

#include <string.h>

void json_init(json_out *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
}

static void newline_indent(json_out *j)
{
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

/* Separator and layout before any value or key inside the current container. */
static void before_item(json_out *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth == 0)
        return;
    if (j->has_items[j->depth])
        fputc(',', j->f);
    if (!j->is_inline[j->depth])
        newline_indent(j);
    else if (j->has_items[j->depth])
        fputc(' ', j->f);
    j->has_items[j->depth] = true;
}

static void begin(json_out *j, char open, bool on_one_line)
{
    before_item(j);
    fputc(open, j->f);
    if (j->depth + 1 >= JSON_MAX_DEPTH)
        return; /* unreachable: shapes --json nests 5 levels at most */
    bool parent_inline = j->depth > 0 && j->is_inline[j->depth];
    j->depth++;
    j->has_items[j->depth] = false;
    j->is_inline[j->depth] = on_one_line || parent_inline;
}

static void end(json_out *j, char close)
{
    if (j->depth == 0)
        return;
    bool broke_lines = !j->is_inline[j->depth] && j->has_items[j->depth];
    j->depth--;
    if (broke_lines)
        newline_indent(j);
    fputc(close, j->f);
}

void json_begin_object(json_out *j, bool on_one_line) { begin(j, '{', on_one_line); }
void json_end_object(json_out *j) { end(j, '}'); }
void json_begin_array(json_out *j, bool on_one_line) { begin(j, '[', on_one_line); }
void json_end_array(json_out *j) { end(j, ']'); }

/* Length of the well-formed UTF-8 sequence starting at s, 0 when malformed
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static int utf8_sequence_len(const unsigned char *s)
{
    unsigned c = s[0], cp, min;
    int n;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* RFC 8259 section 7: '"', '\\' and U+0000..U+001F must be escaped. Names read from
 * files may hold malformed UTF-8; those bytes become U+FFFD so the document stays
 * valid JSON. */
static void write_escaped(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    while (*s) {
        int n = utf8_sequence_len(s);
        if (n == 0) {
            fputs("\\ufffd", f);
            s++;
        } else if (*s == '"' || *s == '\\') {
            fprintf(f, "\\%c", *s++);
        } else if (*s == '\n') {
            fputs("\\n", f), s++;
        } else if (*s == '\t') {
            fputs("\\t", f), s++;
        } else if (*s == '\r') {
            fputs("\\r", f), s++;
        } else if (*s < 0x20) {
            fprintf(f, "\\u%04x", *s++);
        } else {
            fwrite(s, 1, (size_t)n, f);
            s += n;
        }
    }
    fputc('"', f);
}

void json_key(json_out *j, const char *key)
{
    before_item(j);
    write_escaped(j->f, key);
    fputs(": ", j->f);
    j->after_key = true;
}

void json_string(json_out *j, const char *s)
{
    before_item(j);
    write_escaped(j->f, s ? s : "");
}

void json_int(json_out *j, int64_t v)
{
    before_item(j);
    fprintf(j->f, "%lld", (long long)v);
}

void json_null(json_out *j)
{
    before_item(j);
    fputs("null", j->f);
}

void json_finish(json_out *j)
{
    fputc('\n', j->f);
}
