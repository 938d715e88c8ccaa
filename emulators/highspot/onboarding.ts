/**
 * The emulator's access levels and onboarding assignments (PROVISIONAL, HIGHSPOT_ONBOARDING in
 * targets/highspot/assumed-contract.ts): items come from the seed; a user's level and assignments
 * live in the store's per-user extras, so the state file keeps them across restarts.
 */
import express, { type Response } from 'express';
import { HIGHSPOT_ONBOARDING, HIGHSPOT_REST, type HighspotAssignment, type HighspotOnboardingItem } from '../../targets/highspot/assumed-contract';
import type { ScimStore, StoredResource } from '../scim/store';

export const ACCESS_LEVEL_EXTRA = 'accessLevel';
export const ASSIGNMENTS_EXTRA = 'assignments';

export function onboardingItems(seed: Array<{ type: HighspotOnboardingItem['type']; title: string }>): HighspotOnboardingItem[] {
  return seed.map((item, i) => ({ id: `item-${i + 1}`, type: item.type, title: item.title }));
}

export function accessOf(user: StoredResource): { access_level: string; assignments: HighspotAssignment[] } {
  const level = user.extras[ACCESS_LEVEL_EXTRA];
  const assignments = user.extras[ASSIGNMENTS_EXTRA];
  return { access_level: typeof level === 'string' ? level : HIGHSPOT_ONBOARDING.defaultAccessLevel, assignments: Array.isArray(assignments) ? (assignments as HighspotAssignment[]) : [] };
}

const missing = (res: Response, what: string) => void res.status(404).json({ message: `${what} not found` });

/** Mounted after the REST read router, whose Basic auth already guards every /v1.0 path. */
export function createHighspotOnboardingRouter(store: ScimStore, items: HighspotOnboardingItem[]): express.Router {
  const router = express.Router();
  router.use(express.json());
  let nextAssignment = 1;
  const envelope = <T>(list: T[]) => ({ [HIGHSPOT_REST.envelope]: list });

  router.get(HIGHSPOT_ONBOARDING.itemsPath, (_req, res) => void res.json(envelope(items)));

  router.patch(HIGHSPOT_REST.userPath(':id').replace('%3Aid', ':id'), (req, res) => {
    const user = store.users.get(req.params.id!);
    if (!user) return missing(res, `user ${req.params.id}`);
    const level = (req.body as { access_level?: unknown }).access_level;
    if (typeof level !== 'string' || !(HIGHSPOT_ONBOARDING.accessLevels as readonly string[]).includes(level)) {
      return void res.status(400).json({ message: `access_level must be one of ${HIGHSPOT_ONBOARDING.accessLevels.join(', ')}` });
    }
    user.extras[ACCESS_LEVEL_EXTRA] = level;
    res.json({ id: user.id, ...accessOf(user) });
  });

  const assignments = HIGHSPOT_ONBOARDING.assignmentsPath(':id').replace('%3Aid', ':id');
  router.get(assignments, (req, res) => {
    const user = store.users.get(req.params.id!);
    if (!user) return missing(res, `user ${req.params.id}`);
    res.json(envelope(accessOf(user).assignments));
  });
  router.post(assignments, (req, res) => {
    const user = store.users.get(req.params.id!);
    if (!user) return missing(res, `user ${req.params.id}`);
    const item = items.find((i) => i.id === (req.body as { item_id?: unknown }).item_id);
    if (!item) return void res.status(400).json({ message: 'unknown item_id' });
    const current = accessOf(user).assignments;
    const existing = current.find((a) => a.item_id === item.id);
    if (existing) return void res.status(200).json(existing);
    const created: HighspotAssignment = { id: `asg-${Date.now().toString(36)}-${nextAssignment++}`, item_id: item.id, type: item.type, title: item.title };
    user.extras[ASSIGNMENTS_EXTRA] = [...current, created];
    res.status(201).json(created);
  });
  router.delete(`${assignments}/:assignmentId`, (req, res) => {
    const params = req.params as Record<string, string>;
    const user = store.users.get(params.id!);
    if (!user) return missing(res, `user ${params.id}`);
    const current = accessOf(user).assignments;
    if (!current.some((a) => a.id === params.assignmentId)) return missing(res, `assignment ${params.assignmentId}`);
    user.extras[ASSIGNMENTS_EXTRA] = current.filter((a) => a.id !== params.assignmentId);
    res.status(204).end();
  });
  return router;
}
