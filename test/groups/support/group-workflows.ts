/**
 * Workflow bundle for the group tests: the real watcher and group workflows, with the watcher
 * tests' recording stand-in for the person workflow (people are not what these tests are about).
 */
export { directoryWatcherWorkflow, personLifecycleWorkflow } from '../../directory/support/recording-workflows';
export { groupLifecycleWorkflow } from '../../../workflows/group-lifecycle';
