/* `convgraph check MODEL`: one line per problem, then a summary line. */
#include "cli.h"

#include "convgraph/check.h"

static const cli_command check_command = {"check", false, help_print_check};

static const char *plural(int n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void print_summary(const cg_graph *g, int n_problems)
{
    int nodes = g->n_nodes;
    if (n_problems == 0)
        printf("%s: valid (%d %s, %d %s, %d %s)\n", g->source, nodes, plural(nodes, "node", "nodes"),
               g->n_inputs, plural(g->n_inputs, "input", "inputs"), g->n_outputs,
               plural(g->n_outputs, "output", "outputs"));
    else
        printf("%s: %d %s (%d %s checked)\n", g->source, n_problems,
               plural(n_problems, "problem", "problems"), nodes, plural(nodes, "node", "nodes"));
}

int cmd_check(int argc, char **argv)
{
    cli_args args;
    int begun = cli_begin(&check_command, argc, argv, &args);
    if (begun != CLI_CONTINUE)
        return begun;
    cg_graph *g = cli_load_model_shapes(&args);
    if (!g)
        return CLI_EXIT_USAGE;
    cg_infer_options opt = {args.pins, args.n_pins, NULL};
    cg_diag_list problems = {0};
    cg_status st = {0};
    int exit_code = CLI_EXIT_OK;
    if (cg_graph_check(g, &opt, &problems, &st) != CG_OK) {
        fprintf(stderr, "%s\n", st.msg);
        exit_code = CLI_EXIT_USAGE;
    } else {
        for (int i = 0; i < problems.n; i++)
            printf("%s\n", problems.lines[i]);
        print_summary(g, problems.n);
        exit_code = problems.n > 0 ? CLI_EXIT_PROBLEMS : CLI_EXIT_OK;
    }
    cg_diag_free(&problems);
    cg_graph_free(g);
    return exit_code;
}
