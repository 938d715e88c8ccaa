/**
 * The paths that can cut access, each of which asks the one mass-change guard first
 * (directory/watch/guard.ts): the directory watcher, the intake, reconciliation and access reviews.
 */
export type GuardSource = 'watcher' | 'intake' | 'reconcile' | 'review';
export const GUARD_SOURCES: readonly GuardSource[] = ['watcher', 'intake', 'reconcile', 'review'];
