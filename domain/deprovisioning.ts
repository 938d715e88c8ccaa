/**
 * The paths that can cut access, each of which asks the one mass-change guard first
 * (directory/watch/guard.ts): the directory watcher, the intake, reconciliation, access reviews,
 * and the deletion of directory groups from the targets that sync them (counted one per group).
 */
export type GuardSource = 'watcher' | 'intake' | 'reconcile' | 'review' | 'groups';
export const GUARD_SOURCES: readonly GuardSource[] = ['watcher', 'intake', 'reconcile', 'review', 'groups'];
