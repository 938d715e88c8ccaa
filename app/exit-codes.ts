/** Exit codes shared by every idsync command. A module of its own so the CLI's `--help` needs nothing else. */
export const EXIT = { ok: 0, failure: 1, usage: 2, prerequisite: 3 } as const;
