// The workflow bundle: every workflow type the orchestration worker runs.
export * from './person-lifecycle';
export * from './directory-watcher';
export * from './reconcile';
export * from './group-lifecycle';
