/**
 * For service providers that do not support PATCH (ServiceProviderConfig patch.supported=false):
 * applies the few PatchOp shapes idsync sends to a full resource, so it can be PUT instead.
 * Supported: replace/add/remove of an attribute path ("title", "name.givenName", an enterprise
 * URN path), add of members, and remove of `members[value eq "id"]`.
 */
import type { PatchOperation, ScimResource } from './client';
import { SCIM_ENTERPRISE_SCHEMA } from './urns';

const READ_ONLY = ['meta', 'groups'];
const MEMBER_FILTER = /^members\[value eq "((?:[^"\\]|\\.)*)"\]$/;

function container(resource: Record<string, unknown>, path: string): { holder: Record<string, unknown>; key: string } {
  const enterprisePrefix = `${SCIM_ENTERPRISE_SCHEMA}:`;
  if (path.startsWith(enterprisePrefix)) {
    const holder = (resource[SCIM_ENTERPRISE_SCHEMA] ??= {}) as Record<string, unknown>;
    const schemas = (resource.schemas ??= []) as string[];
    if (!schemas.includes(SCIM_ENTERPRISE_SCHEMA)) schemas.push(SCIM_ENTERPRISE_SCHEMA);
    return { holder, key: path.slice(enterprisePrefix.length) };
  }
  const [head, sub] = path.split('.', 2);
  if (sub === undefined) return { holder: resource, key: head };
  return { holder: (resource[head] ??= {}) as Record<string, unknown>, key: sub };
}

/** The full representation to PUT: `current` with `operations` applied, read-only attributes dropped. */
export function applyOperations(current: ScimResource, operations: PatchOperation[]): Record<string, unknown> {
  const next = JSON.parse(JSON.stringify(current)) as Record<string, unknown>;
  for (const key of READ_ONLY) delete next[key];
  for (const { op, path, value } of operations) {
    if (!path) throw new Error(`cannot apply a ${op} without a path as a PUT`);
    const memberFilter = MEMBER_FILTER.exec(path);
    if (op === 'remove' && memberFilter) {
      const id = JSON.parse(`"${memberFilter[1]}"`) as string;
      next.members = ((next.members ?? []) as Array<{ value: string }>).filter((m) => m.value !== id);
    } else if (op === 'add' && path === 'members') {
      const members = (next.members ?? []) as Array<{ value: string }>;
      for (const member of value as Array<{ value: string }>) if (!members.some((m) => m.value === member.value)) members.push({ value: member.value });
      next.members = members;
    } else if (op === 'remove') {
      const { holder, key } = container(next, path);
      delete holder[key];
    } else {
      const { holder, key } = container(next, path);
      holder[key] = value;
    }
  }
  return next;
}
