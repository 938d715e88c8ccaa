/**
 * SCIM User -> Person, in one place (RFC 7643 §4.1, §4.3). The SCIM id is the anchor: the server
 * assigns it and it never changes, whereas userName and externalId may.
 *   userName -> username          emails (primary, else work, else first) -> email
 *   name.givenName / familyName   displayName (else name.formatted)
 *   title, userType -> employeeType, addresses (primary).region -> region
 *   enterprise: employeeNumber -> employeeId, department, division -> businessUnit,
 *               manager.value -> managerAnchor (a SCIM id, the same anchor space)
 *   groups (direct and indirect, computed by the endpoint) -> groups by displayName
 *   active: false -> disabled (absent counts as enabled)
 *   externalId, organization, costCenter -> extra
 */
import type { Person } from '../../domain/person';
import { SCHEMAS } from './schema';
import { isObject, type Json } from './validate';

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

function preferred(list: unknown): Json | undefined {
  if (!Array.isArray(list)) return undefined;
  const items = list.filter(isObject);
  return items.find((i) => i.primary === true) ?? items.find((i) => i.type === 'work') ?? items[0];
}

export function scimUserToPerson(user: Json): Person {
  const id = String(user.id);
  const name = isObject(user.name) ? user.name : {};
  const enterprise = isObject(user[SCHEMAS.enterprise]) ? (user[SCHEMAS.enterprise] as Json) : {};
  const manager = isObject(enterprise.manager) ? text(enterprise.manager.value) : undefined;
  const groups = Array.isArray(user.groups) ? user.groups.filter(isObject).map((g) => text(g.display)).filter((g): g is string => g !== undefined) : [];
  const extra: Record<string, string> = {};
  for (const [key, value] of [['externalId', user.externalId], ['organization', enterprise.organization], ['costCenter', enterprise.costCenter]] as const) {
    const v = text(value);
    if (v) extra[key] = v;
  }
  const person: Person = {
    anchor: id,
    dn: `scim/Users/${id}`,
    username: String(user.userName),
    enabled: user.active !== false,
    groups: [...new Set(groups)].sort(),
    extra,
  };
  const fields: Partial<Record<keyof Person, string | undefined>> = {
    email: text(preferred(user.emails)?.value),
    givenName: text(name.givenName),
    familyName: text(name.familyName),
    displayName: text(user.displayName) ?? text(name.formatted),
    employeeId: text(enterprise.employeeNumber),
    employeeType: text(user.userType),
    department: text(enterprise.department),
    title: text(user.title),
    region: text(preferred(user.addresses)?.region),
    businessUnit: text(enterprise.division),
    managerAnchor: manager,
    managerDn: manager ? `scim/Users/${manager}` : undefined,
  };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) (person as unknown as Record<string, string>)[key] = value;
  return person;
}
