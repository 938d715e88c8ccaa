/**
 * A private subtree per test file (ou=<unique>,<suffix> with ou=people and ou=groups) on the
 * run's real slapd, plus the few writes the tests need. remove() deletes the whole subtree.
 */
import { Attribute, Change, Client, NoSuchObjectError } from 'ldapts';
import { testEnv, uniqueId } from '../../support/env';
import { directoryConfigSchema, type LdapDirectoryConfig } from '../../../directory/config';

export interface LdapFixture {
  client: Client;
  root: string;
  peopleDn: string;
  groupsDn: string;
  personDn(uid: string): string;
  groupDn(cn: string): string;
  addPerson(uid: string, attrs?: Record<string, string | string[]>): Promise<string>;
  addGroup(cn: string, memberDns: string[]): Promise<string>;
  replace(dn: string, attribute: string, values: string[]): Promise<void>;
  addValues(dn: string, attribute: string, values: string[]): Promise<void>;
  deleteValues(dn: string, attribute: string, values: string[]): Promise<void>;
  remove(dn: string): Promise<void>;
  config(overrides?: Partial<LdapDirectoryConfig>): LdapDirectoryConfig;
  close(): Promise<void>;
}

export async function createLdapFixture(label: string): Promise<LdapFixture> {
  const ldap = testEnv.ldap();
  const client = new Client({ url: ldap.url });
  await client.bind(ldap.bindDn, ldap.bindPassword);
  const ou = uniqueId(label);
  const root = `ou=${ou},${ldap.suffix}`;
  const peopleDn = `ou=people,${root}`;
  const groupsDn = `ou=groups,${root}`;
  await client.add(root, { objectClass: 'organizationalUnit', ou });
  await client.add(peopleDn, { objectClass: 'organizationalUnit', ou: 'people' });
  await client.add(groupsDn, { objectClass: 'organizationalUnit', ou: 'groups' });

  const personDn = (uid: string) => `uid=${uid},${peopleDn}`;
  const groupDn = (cn: string) => `cn=${cn},${groupsDn}`;
  const modify = (dn: string, operation: 'replace' | 'add' | 'delete', type: string, values: string[]) =>
    client.modify(dn, new Change({ operation, modification: new Attribute({ type, values }) }));

  async function removeTree(dn: string): Promise<void> {
    try {
      const { searchEntries } = await client.search(dn, { scope: 'one', attributes: ['1.1'] });
      for (const child of searchEntries) await removeTree(child.dn);
      await client.del(dn);
    } catch (err) {
      if (!(err instanceof NoSuchObjectError)) throw err;
    }
  }

  return {
    client,
    root,
    peopleDn,
    groupsDn,
    personDn,
    groupDn,
    async addPerson(uid, attrs = {}) {
      const dn = personDn(uid);
      await client.add(dn, { objectClass: 'inetOrgPerson', uid, cn: uid, sn: `${uid}-sn`, mail: `${uid}@example.com`, ...attrs });
      return dn;
    },
    async addGroup(cn, memberDns) {
      const dn = groupDn(cn);
      // groupOfNames needs at least one member; an empty group points at itself like many directories do.
      await client.add(dn, { objectClass: 'groupOfNames', cn, member: memberDns.length > 0 ? memberDns : [dn] });
      return dn;
    },
    replace: (dn, attribute, values) => modify(dn, 'replace', attribute, values),
    addValues: (dn, attribute, values) => modify(dn, 'add', attribute, values),
    deleteValues: (dn, attribute, values) => modify(dn, 'delete', attribute, values),
    remove: (dn) => removeTree(dn),
    config(overrides = {}) {
      return directoryConfigSchema.parse({
        kind: 'ldap',
        url: ldap.url,
        bindDn: ldap.bindDn,
        bindPasswordEnv: 'IDSYNC_TEST_LDAP_PASSWORD',
        people: { baseDn: peopleDn },
        groups: { baseDn: groupsDn, nestingDepth: 3 },
        disabled: [
          { attribute: 'employeeType', values: ['disabled'] },
          { attribute: 'pwdAccountLockedTime', present: true },
        ],
        changeLookback: 2000,
        pageSize: 7,
        ...overrides,
      }) as LdapDirectoryConfig;
    },
    async close() {
      await removeTree(root).catch(() => undefined);
      await client.unbind().catch(() => undefined);
    },
  };
}
