/* The expected-failures list: every entry must say why, so the list stays honest. */
#include "conform_expect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static bool add_name(expect_list *l, const char *name)
{
    char **grown = realloc(l->names, (size_t)(l->n + 1) * sizeof *grown);
    if (!grown)
        return false;
    l->names = grown;
    l->names[l->n] = strdup(name);
    if (!l->names[l->n])
        return false;
    l->n++;
    return true;
}

/* One line: "test_name  # reason". Fills err and returns false when malformed. */
static bool parse_line(char *line, const char *path, int lineno, expect_list *l, char *err,
                       int err_len)
{
    char *s = trim(line);
    if (!*s || *s == '#')
        return true;
    char *hash = strchr(s, '#');
    if (!hash || !*trim(hash + 1)) {
        snprintf(err, (size_t)err_len, "%s:%d: entry has no '# reason'", path, lineno);
        return false;
    }
    *hash = '\0';
    char *name = trim(s);
    if (strpbrk(name, " \t")) {
        snprintf(err, (size_t)err_len, "%s:%d: one test name per line", path, lineno);
        return false;
    }
    if (!add_name(l, name)) {
        snprintf(err, (size_t)err_len, "%s:%d: out of memory", path, lineno);
        return false;
    }
    return true;
}

bool expect_load(const char *path, expect_list *out, char *err, int err_len)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, (size_t)err_len, "%s: cannot open", path);
        return false;
    }
    char line[1024];
    int lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f))
        ok = parse_line(line, path, ++lineno, out, err, err_len);
    fclose(f);
    if (!ok)
        expect_free(out);
    return ok;
}

bool expect_contains(const expect_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++) {
        if (strcmp(l->names[i], name) == 0)
            return true;
    }
    return false;
}

void expect_free(expect_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}
