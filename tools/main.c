/* convgraph: dispatches to one subcommand per file (cmd_*.c). */
#include <string.h>

#include "cli.h"
#include "cli_bench.h"
#include "cli_convert.h"

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    void (*print_help)(FILE *out);
} subcommand;

static const subcommand subcommands[] = {
    {"shapes", cmd_shapes, help_print_shapes},
    {"check", cmd_check, help_print_check},
    {"run", cmd_run, help_print_run},
    {"conform", cmd_conform, help_print_conform},
    {"convert", cmd_convert, help_print_convert},
    {"dot", cmd_dot, help_print_dot},
    {"bench", cmd_bench, help_print_bench},
};

static const subcommand *find_subcommand(const char *name)
{
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(subcommands[i].name, name) == 0)
            return &subcommands[i];
    return NULL;
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("convgraph: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n\n", stderr);
    help_print_main(stderr);
    return CLI_EXIT_USAGE;
}

/* `convgraph help [COMMAND]`. */
static int run_help(int argc, char **argv)
{
    if (argc == 0) {
        help_print_main(stdout);
        return CLI_EXIT_OK;
    }
    const subcommand *sub = find_subcommand(argv[0]);
    if (argc > 1)
        return usage_error("help takes one COMMAND, got also '%s'", argv[1]);
    if (!sub)
        return usage_error("no command '%s'", argv[0]);
    sub->print_help(stdout);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "missing COMMAND");
    const char *first = argv[1];
    if (strcmp(first, "-h") == 0 || strcmp(first, "--help") == 0) {
        help_print_main(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0) {
        printf("convgraph %s\n", CONVGRAPH_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(first, "help") == 0)
        return run_help(argc - 2, argv + 2);
    const subcommand *sub = find_subcommand(first);
    if (!sub)
        return usage_error(first[0] == '-' ? "unknown option '%s'" : "no command '%s'", first);
    return sub->run(argc - 2, argv + 2);
}
