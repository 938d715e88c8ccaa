/**
 * The demo company's directory: a few dozen people across departments and regions, managers,
 * groups that drive access, a contractor, a partner and one disabled account. Deterministic, so the
 * demo looks the same on every machine. Written as LDIF for slapd.
 */
interface DemoPerson {
  uid: string;
  given: string;
  family: string;
  department: string;
  title: string;
  region: 'EMEA' | 'AMER' | 'APAC';
  type?: 'employee' | 'contractor' | 'partner';
  manager?: string;
  groups: string[];
  disabled?: boolean;
  /** Days from seeding: the HR start date (future starters) or the contract's last day. */
  startsInDays?: number;
  endsInDays?: number;
}

const P = (uid: string, given: string, family: string, department: string, title: string, region: DemoPerson['region'], manager: string | undefined, groups: string[], extra: Partial<DemoPerson> = {}): DemoPerson => ({
  uid, given, family, department, title, region, manager, groups, ...extra,
});

export const DEMO_PEOPLE: DemoPerson[] = [
  P('ceo', 'Ingrid', 'Halvorsen', 'Executive', 'Chief Executive Officer', 'EMEA', undefined, ['idsync-approvers']),
  P('vsales', 'Marcus', 'Oyelaran', 'Sales', 'VP Sales', 'AMER', 'ceo', ['sales', 'sales-managers', 'idsync-approvers', 'hubspot-users', 'highspot-users']),
  P('emgr', 'Zoë', 'Müller', 'Sales', 'Sales Manager EMEA', 'EMEA', 'vsales', ['sales', 'sales-emea', 'sales-managers', 'hubspot-users', 'highspot-users']),
  P('amgr', 'José', 'García', 'Sales', 'Sales Manager AMER', 'AMER', 'vsales', ['sales', 'sales-amer', 'sales-managers', 'hubspot-users', 'highspot-users']),
  P('pmgr', 'Mei', 'Tanaka', 'Sales', 'Sales Manager APAC', 'APAC', 'vsales', ['sales', 'sales-apac', 'sales-managers', 'hubspot-users', 'highspot-users']),
  P('lnowak', 'Łukasz', 'Nowak', 'Sales', 'Account Executive', 'EMEA', 'emgr', ['sales', 'sales-emea', 'hubspot-users', 'highspot-users']),
  P('adubois', 'Amélie', 'Dubois', 'Sales', 'Account Executive', 'EMEA', 'emgr', ['sales', 'sales-emea', 'highspot-users']),
  P('sberg', 'Sven', 'Bergström', 'Sales', 'Sales Development Rep', 'EMEA', 'emgr', ['sales', 'sales-emea', 'hubspot-users']),
  P('ofarrell', "Aoife", "O'Farrell", 'Sales', 'Account Executive', 'EMEA', 'emgr', ['sales', 'sales-emea', 'hubspot-users', 'highspot-users']),
  P('jsmith', 'Jordan', 'Smith', 'Sales', 'Account Executive', 'AMER', 'amgr', ['sales', 'sales-amer', 'hubspot-users', 'highspot-users']),
  P('tnguyen', 'Thanh', 'Nguyen', 'Sales', 'Sales Development Rep', 'AMER', 'amgr', ['sales', 'sales-amer', 'hubspot-users']),
  P('rpatel', 'Riya', 'Patel', 'Sales', 'Account Executive', 'AMER', 'amgr', ['sales', 'sales-amer', 'highspot-users']),
  P('cmorales', 'Carlos', 'Morales', 'Sales', 'Solutions Engineer', 'AMER', 'amgr', ['sales', 'sales-amer', 'highspot-users']),
  P('hkim', 'Hana', 'Kim', 'Sales', 'Account Executive', 'APAC', 'pmgr', ['sales', 'sales-apac', 'hubspot-users', 'highspot-users']),
  P('wchen', 'Wei', 'Chen', 'Sales', 'Sales Development Rep', 'APAC', 'pmgr', ['sales', 'sales-apac', 'hubspot-users']),
  P('asingh', 'Arjun', 'Singh', 'Sales', 'Account Executive', 'APAC', 'pmgr', ['sales', 'sales-apac', 'highspot-users']),
  P('cmo', 'Beatriz', 'Santos', 'Marketing', 'Chief Marketing Officer', 'AMER', 'ceo', ['marketing', 'idsync-approvers', 'hubspot-users', 'highspot-users']),
  P('lrossi', 'Luca', 'Rossi', 'Marketing', 'Campaign Manager', 'EMEA', 'cmo', ['marketing', 'hubspot-users', 'highspot-users']),
  P('ewilson', 'Emma', 'Wilson', 'Marketing', 'Content Strategist', 'AMER', 'cmo', ['marketing', 'hubspot-users', 'highspot-users']),
  P('kobi', 'Kwame', 'Obi', 'Marketing', 'Marketing Ops Analyst', 'EMEA', 'cmo', ['marketing', 'hubspot-users']),
  P('ylee', 'Yuna', 'Lee', 'Marketing', 'Field Marketing Manager', 'APAC', 'cmo', ['marketing', 'hubspot-users', 'highspot-users']),
  P('cto', 'Ravi', 'Krishnan', 'Engineering', 'Chief Technology Officer', 'AMER', 'ceo', ['engineering', 'idsync-approvers']),
  P('nkowalski', 'Natalia', 'Kowalski', 'Engineering', 'Salesforce Administrator', 'EMEA', 'cto', ['engineering', 'salesforce-admins']),
  P('bmartin', 'Ben', 'Martin', 'Engineering', 'Software Engineer', 'AMER', 'cto', ['engineering']),
  P('fahmed', 'Fatima', 'Ahmed', 'Engineering', 'Site Reliability Engineer', 'EMEA', 'cto', ['engineering']),
  P('dlopez', 'Diego', 'López', 'Engineering', 'Software Engineer', 'AMER', 'cto', ['engineering']),
  P('supmgr', 'Grace', 'Okafor', 'Support', 'Head of Support', 'EMEA', 'ceo', ['support', 'support-leads', 'idsync-approvers']),
  P('pjones', 'Peter', 'Jones', 'Support', 'Support Engineer', 'EMEA', 'supmgr', ['support']),
  P('mgarcia', 'María', 'García', 'Support', 'Support Engineer', 'AMER', 'supmgr', ['support']),
  P('ssato', 'Sora', 'Satō', 'Support', 'Support Team Lead', 'APAC', 'supmgr', ['support', 'support-leads']),
  P('ktaylor', 'Kim', 'Taylor', 'Support', 'Support Engineer', 'AMER', 'supmgr', ['support']),
  P('cfo', 'Henrik', 'Larsen', 'Finance', 'Chief Financial Officer', 'EMEA', 'ceo', ['finance', 'idsync-approvers']),
  P('awhite', 'Alice', 'White', 'Finance', 'Revenue Accountant', 'AMER', 'cfo', ['finance']),
  P('hrlead', 'Olivia', 'Brown', 'HR', 'Head of People', 'EMEA', 'ceo', ['hr', 'idsync-approvers']),
  P('nmensah', 'Nana', 'Mensah', 'HR', 'People Partner', 'EMEA', 'hrlead', ['hr']),
  P('xcontract', 'Xavier', 'Dupont', 'Sales', 'Sales Consultant', 'EMEA', 'emgr', ['sales', 'sales-emea', 'highspot-users'], { type: 'contractor', endsInDays: 180 }),
  P('pwagner', 'Paula', 'Wagner', 'Support', 'Partner Support Agent', 'EMEA', 'supmgr', ['support'], { type: 'partner', endsInDays: 90 }),
  P('nstarter', 'Noor', 'Haddad', 'Sales', 'Account Executive', 'EMEA', 'emgr', ['sales', 'sales-emea', 'hubspot-users', 'highspot-users'], { startsInDays: 14 }),
  P('gleft', 'George', 'Hill', 'Sales', 'Account Executive', 'AMER', 'amgr', ['sales', 'sales-amer', 'hubspot-users', 'highspot-users'], { disabled: true }),
];

const BUSINESS_UNIT: Record<string, string> = {
  Sales: 'Revenue', Marketing: 'Revenue', Support: 'Customer', Engineering: 'Product', Finance: 'G&A', HR: 'G&A', Executive: 'G&A',
};

export const DEMO_GROUPS = [
  'sales', 'sales-emea', 'sales-amer', 'sales-apac', 'sales-managers', 'marketing', 'engineering', 'support', 'support-leads',
  'finance', 'hr', 'salesforce-admins', 'hubspot-users', 'highspot-users', 'idsync-approvers',
];

/** Printable ASCII stays plain; anything else is base64, as LDIF requires. */
function ldifLine(attr: string, value: string): string {
  return /^[\x20-\x7e]*$/.test(value) && !/^[ :<]/.test(value) ? `${attr}: ${value}` : `${attr}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

function isoDay(from: Date, days: number): string {
  return new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

export function demoDirectoryLdif(suffix: string, seededAt: Date, emailDomain = 'example.com'): string {
  const personDn = (uid: string) => `uid=${uid},ou=people,${suffix}`;
  const blocks: string[] = [];
  DEMO_PEOPLE.forEach((p, i) => {
    const lines = [
      `dn: ${personDn(p.uid)}`,
      'objectClass: inetOrgPerson',
      'objectClass: idsyncPerson',
      ldifLine('uid', p.uid),
      ldifLine('cn', `${p.given} ${p.family}`),
      ldifLine('givenName', p.given),
      ldifLine('sn', p.family),
      ldifLine('displayName', `${p.given} ${p.family}`),
      ldifLine('mail', `${p.uid}@${emailDomain}`),
      `employeeNumber: ${100001 + i}`,
      `employeeType: ${p.type ?? 'employee'}`,
      ldifLine('departmentNumber', p.department),
      ldifLine('title', p.title),
      `l: ${p.region}`,
      ldifLine('businessCategory', BUSINESS_UNIT[p.department] ?? 'G&A'),
    ];
    if (p.manager) lines.push(`manager: ${personDn(p.manager)}`);
    if (p.startsInDays !== undefined) lines.push(`employeeStartDate: ${isoDay(seededAt, p.startsInDays)}`);
    if (p.endsInDays !== undefined) lines.push(`employeeEndDate: ${isoDay(seededAt, p.endsInDays)}`);
    // ppolicy's permanent lock: OpenLDAP's way of saying "account disabled".
    if (p.disabled) lines.push('pwdAccountLockedTime: 000001010000Z');
    blocks.push(lines.join('\n'));
  });
  for (const group of DEMO_GROUPS) {
    const members = DEMO_PEOPLE.filter((p) => p.groups.includes(group)).map((p) => `member: ${personDn(p.uid)}`);
    blocks.push([`dn: cn=${group},ou=groups,${suffix}`, 'objectClass: groupOfNames', `cn: ${group}`, ...members].join('\n'));
  }
  return blocks.join('\n\n') + '\n';
}
