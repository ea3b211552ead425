/** The `--help` heading of the knowledge-base example's commands (`seed`, `demo`), apart from the tool's own. */
export const KB_EXAMPLE_HELP_GROUP = 'Knowledge-base example (database ./knowledge.db unless given):';
