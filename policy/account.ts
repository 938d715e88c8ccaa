import type { Person } from '../domain/person';
import type { TargetPolicy } from './config';
import { compileTemplate, renderTemplate, type CompiledTemplate, type TemplateMaps } from './template';
import type { AccountFieldRules } from '../domain/target-kind';
import { isPlausibleEmail } from './kinds';

export interface FieldProblem {
  field: string;
  message: string;
}

export interface MappedAccountFields {
  username?: string;
  email?: string;
  givenName?: string;
  familyName?: string;
  attributes: Record<string, string | number | boolean | null>;
  problems: FieldProblem[];
}

// Templates are validated at config load; compiling again per person is cheap but pointless.
const compiled = new Map<string, CompiledTemplate>();
function template(text: string): CompiledTemplate {
  let t = compiled.get(text);
  if (!t) {
    t = compileTemplate(text);
    compiled.set(text, t);
  }
  return t;
}

/** How problem messages name the person: login name and anchor, both identifiers. */
export function describePerson(person: Person): string {
  return `${person.username || '(no username)'} (anchor ${person.anchor})`;
}

/**
 * Maps the person onto one target's account fields and attributes. Everything that makes the account
 * impossible to provision (no email, invalid email, underivable username, missing required field)
 * becomes a problem naming the person, the target and the field. `rules` come from the target kind's description.
 */
export function mapAccountFields(person: Person, policy: TargetPolicy, target: string, rules: AccountFieldRules, maps: TemplateMaps): MappedAccountFields {
  const who = describePerson(person);
  const problems: FieldProblem[] = [];
  const spec = { ...rules.defaults, ...Object.fromEntries(Object.entries(policy.account ?? {}).filter(([, v]) => v !== undefined)) };
  const render = (text: string) => renderTemplate(template(text), person, maps);
  const missingText = (missing: string[]) => missing.map((m) => `${m} is empty`).join(', ');

  const email = render(spec.email);
  if (email.value === undefined) {
    const detail = person.email ? missingText(email.missing) : 'the directory has no email for them';
    problems.push({ field: 'email', message: `${who}: no email for target ${target} (${detail})` });
  } else if (!isPlausibleEmail(email.value)) {
    problems.push({ field: 'email', message: `${who}: email "${email.value}" is not a valid address, needed by target ${target}` });
  }

  const username = render(spec.username);
  if (username.value === undefined) {
    problems.push({
      field: 'username',
      message: `${who}: cannot derive the ${target} username from "${spec.username}" (${missingText(username.missing)})`,
    });
  } else if (rules.usernameIsEmail && !isPlausibleEmail(username.value)) {
    problems.push({ field: 'username', message: `${who}: ${target} username "${username.value}" must look like an email address (from "${spec.username}")` });
  } else if (rules.usernameMaxLength && username.value.length > rules.usernameMaxLength) {
    problems.push({ field: 'username', message: `${who}: ${target} username "${username.value}" is longer than ${rules.usernameMaxLength} characters` });
  }

  const givenName = render(spec.givenName).value;
  const familyName = render(spec.familyName).value;
  for (const field of rules.requiredFields) {
    if ((field === 'givenName' ? givenName : familyName) === undefined) {
      problems.push({ field, message: `${who}: ${target} requires ${field} but "${spec[field]}" renders empty` });
    }
  }

  const attributes: Record<string, string | number | boolean | null> = {};
  for (const name of Object.keys(policy.attributes ?? {}).sort()) {
    const attr = policy.attributes[name]!;
    if (attr === null || typeof attr !== 'object') {
      attributes[name] = typeof attr === 'string' ? (render(attr).value ?? null) : attr;
      continue;
    }
    const value = render(attr.template);
    if (value.value === undefined && attr.required) {
      problems.push({ field: `attributes.${name}`, message: `${who}: ${target} attribute ${name} is required but "${attr.template}" renders empty (${missingText(value.missing)})` });
    }
    attributes[name] = value.value ?? null;
  }

  return { username: username.value, email: email.value, givenName, familyName, attributes, problems };
}
