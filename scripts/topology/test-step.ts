/**
 * The topology test runs minutes and starts a whole Temporal cluster, so scripts/run-tests.ts runs it
 * as a step of its own after the other tests, with its own time limit, and marks that step with this
 * variable; a topology test file picked up by the general step skips itself.
 */
export const TOPOLOGY_TESTS_DIR = 'test/topology';
export const TOPOLOGY_STEP_ENV = 'IDSYNC_TEST_TOPOLOGY_STEP';
