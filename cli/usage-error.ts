/** A wrong command line: printed with a pointer to --help, exit code 2. Light on purpose (the CLI's entry imports it). */
export class UsageError extends Error {}
