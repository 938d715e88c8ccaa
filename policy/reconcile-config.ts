/**
 * The `reconcile:` block of the configuration: when reconciliation runs, how it pages, when an account
 * counts as inactive, and how idsync reacts to each synchronization situation, per target.
 */
import { z } from 'zod';
import { isDuration } from '../lib/duration';
import type { TargetKindDescription } from '../domain/target-kind';

/** midPoint-style synchronization situations of one target account (see policy/reconcile.ts). */
export const SITUATIONS = ['inSync', 'drifted', 'unlinked', 'orphan', 'goneActive', 'disputed', 'inactive', 'unapprovedPrivileged'] as const;
export type Situation = (typeof SITUATIONS)[number];

export type Reaction = 'none' | 'report' | 'correct' | 'link' | 'suspend';

const duration = z.string().refine(isDuration, { message: 'expected a duration such as 6h, 90d' });

/**
 * What each situation may be answered with. `correct` and `link` go through the person workflow (a
 * `sync` event; a `leaver` event for goneActive); `suspend` cuts access through the target adapter
 * directly, for accounts no person workflow owns or that policy alone would not touch.
 */
const reactionsSchema = z.strictObject({
  drifted: z.enum(['report', 'correct']).optional(),
  unlinked: z.enum(['report', 'link']).optional(),
  orphan: z.enum(['report', 'suspend']).optional(),
  goneActive: z.enum(['report', 'correct', 'suspend']).optional(),
  disputed: z.enum(['report']).optional(),
  inactive: z.enum(['report', 'suspend']).optional(),
  unapprovedPrivileged: z.enum(['report', 'suspend']).optional(),
});
export type ReactionOverrides = z.infer<typeof reactionsSchema>;

export const DEFAULT_REACTIONS: Record<Situation, Reaction> = {
  inSync: 'none',
  drifted: 'correct',
  unlinked: 'link',
  orphan: 'report',
  goneActive: 'report',
  disputed: 'report',
  inactive: 'report',
  unapprovedPrivileged: 'report',
};

export const reconcileConfigSchema = z.strictObject({
  schedule: z
    .strictObject({
      enabled: z.boolean().default(true),
      every: duration.default('6h'),
      /** Scheduled runs apply the configured reactions; false makes them report only. */
      apply: z.boolean().default(true),
    })
    .default({ enabled: true, every: '6h', apply: true }),
  /** Accounts read per activity on the target's task queue: the queue's rate limit paces pages. */
  pageSize: z.number().int().min(1).max(2000).default(100),
  /** An active account whose last login/activity is older than this is `inactive`. */
  inactiveAfter: duration.default('90d'),
  /** Where reports go; default: a `reconcile` folder next to the audit log (shared by every worker). */
  reportDir: z.string().min(1).optional(),
  reactions: reactionsSchema.default({}),
  targets: z
    .record(
      z.string(),
      z.strictObject({
        reactions: reactionsSchema.default({}),
        inactiveAfter: duration.optional(),
        /** Whether the target keeps the anchor on the account; default: every kind but HubSpot. */
        storesAnchor: z.boolean().optional(),
      }),
    )
    .default({}),
});
export type ReconcileConfig = z.infer<typeof reconcileConfigSchema>;

export const DEFAULT_RECONCILE_CONFIG: ReconcileConfig = reconcileConfigSchema.parse({});


export interface TargetReconcileSettings {
  reactions: Record<Situation, Reaction>;
  inactiveAfter: string;
  storesAnchor: boolean;
}

/** The effective settings of one target: defaults, then the global block, then the target's own. */
/** `kind` is the target kind's own description (targets/<kind>/description.ts): whether its accounts carry the anchor. */
export function reconcileSettingsFor(config: ReconcileConfig | undefined, target: string, kind: Pick<TargetKindDescription, 'storesAnchor'>): TargetReconcileSettings {
  const effective = config ?? DEFAULT_RECONCILE_CONFIG;
  const own = effective.targets[target];
  return {
    reactions: { ...DEFAULT_REACTIONS, ...definedOnly(effective.reactions), ...definedOnly(own?.reactions ?? {}), inSync: 'none' },
    inactiveAfter: own?.inactiveAfter ?? effective.inactiveAfter,
    storesAnchor: own?.storesAnchor ?? kind.storesAnchor,
  };
}

function definedOnly(reactions: ReactionOverrides): Partial<Record<Situation, Reaction>> {
  return Object.fromEntries(Object.entries(reactions).filter(([, v]) => v !== undefined));
}
