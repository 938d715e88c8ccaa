import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, renderTemplate, toAscii, TemplateError } from '../../policy/template';
import { person } from './fixtures';

const maps = { regionTimeZone: { EMEA: 'Europe/London', AMER: 'America/New_York' } };
const render = (text: string, overrides = {}) => renderTemplate(compileTemplate(text), person(overrides), maps);

test('ascii strips diacritics and transliterates letters NFKD cannot decompose', () => {
  assert.equal(toAscii('Zoë Ångström'), 'Zoe Angstrom');
  assert.equal(toAscii('Łukasz Straße Øster Æsa'), 'Lukasz Strasse Oster AEsa');
  assert.equal(toAscii('José 李'), 'Jose ');
});

test('Salesforce alias: first letter of the given name and up to 7 of the family name, ascii, lower', () => {
  const alias = '{givenName | ascii | alnum | lower | first:1}{familyName | ascii | alnum | lower | first:7}';
  assert.deepEqual(render(alias, { givenName: 'Émile', familyName: "O'Brien-Ångström" }), { value: 'eobriena', missing: [] });
  assert.deepEqual(render(alias, { givenName: 'Li', familyName: 'Wu' }), { value: 'lwu', missing: [] });
});

test('first and truncate count characters, not UTF-16 units', () => {
  assert.equal(render('{familyName | first:3}', { familyName: 'Zoë😀x' }).value, 'Zoë');
  assert.equal(render('{familyName | truncate:4}', { familyName: 'Zoë😀x' }).value, 'Zoë😀');
  assert.equal(render('{familyName | last:2}', { familyName: 'Abcdef' }).value, 'ef');
});

test('map looks values up, case-insensitively as a fallback, and default covers a missing entry', () => {
  assert.equal(render('{region | map:regionTimeZone}', { region: 'EMEA' }).value, 'Europe/London');
  assert.equal(render('{region | map:regionTimeZone}', { region: 'amer' }).value, 'America/New_York');
  assert.deepEqual(render('{region | map:regionTimeZone}', { region: 'APAC' }), { missing: ['region'] });
  assert.equal(render('{region | map:regionTimeZone | default:UTC}', { region: 'APAC' }).value, 'UTC');
  assert.equal(render('{region | map:regionTimeZone | default:UTC}', { region: undefined }).value, 'UTC');
});

test('a missing placeholder makes the whole template missing, never a half value', () => {
  assert.deepEqual(render('{givenName} {familyName}', { familyName: undefined }), { missing: ['familyName'] });
  assert.deepEqual(render('{givenName} {familyName}', { familyName: '' }), { missing: ['familyName'] });
  assert.equal(render('{givenName} {familyName}').value, 'Jane Doe');
});

test('username derivation, email parts, extra attributes and literal braces', () => {
  assert.equal(render('{username | lower}@corp.example.com', { username: 'JDoe' }).value, 'jdoe@corp.example.com');
  assert.equal(render('{email | localpart | lower}').value, 'jane.doe');
  assert.equal(render('{email | domain | upper}').value, 'EXAMPLE.COM');
  assert.equal(render('{extra.costCenter}', { extra: { costCenter: ['CC-7', 'CC-8'] } }).value, 'CC-7');
  assert.deepEqual(render('{extra.costCenter}', { extra: {} }), { missing: ['extra.costCenter'] });
  assert.equal(render('{{literal}} {username}').value, '{literal} jdoe');
});

test('compile errors quote the template and say what is allowed', () => {
  const cases: [string, RegExp][] = [
    ['{nosuch}', /unknown field "nosuch" in "\{nosuch\}"; use one of anchor, .*extra\.<attribute>/],
    ['{email | shout}', /unknown filter "shout" .*filters: alnum, ascii/],
    ['{email | first}', /filter "first" needs a positive count, e\.g\. first:8/],
    ['{email | first:0}', /needs a positive count/],
    ['{email | lower:1}', /filter "lower" takes no argument/],
    ['{email | map}', /filter "map" needs an argument/],
    ['{email', /unclosed "\{"/],
    ['email}', /unmatched "\}"/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => compileTemplate(text), (err: Error) => err instanceof TemplateError && message.test(err.message), text);
  }
});
