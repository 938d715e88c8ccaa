import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mayApprove } from '../../policy/approvals';

const requirement = { requestedFor: 'a-0001', managerAnchor: 'a-0100', approverGroups: ['idsync-approvers'] };

test('the manager and members of approver groups may approve', () => {
  assert.deepEqual(mayApprove({ anchor: 'a-0100', groups: [] }, requirement), { allowed: true, as: 'manager' });
  assert.deepEqual(mayApprove({ anchor: 'a-0200', groups: ['sales', 'IDSYNC-Approvers'] }, requirement), { allowed: true, as: 'group', group: 'idsync-approvers' });
});

test('nobody approves their own privileged access, even as an approver-group member', () => {
  const self = mayApprove({ anchor: 'a-0001', groups: ['idsync-approvers'] }, requirement);
  assert.deepEqual(self, { allowed: false, reason: 'a-0001 cannot approve their own privileged access' });
  assert.equal(mayApprove({ anchor: 'a-0001', groups: [] }, { ...requirement, managerAnchor: 'a-0001' }).allowed, false);
});

test('anyone else is refused with a reason naming who may approve', () => {
  assert.deepEqual(mayApprove({ anchor: 'a-0300', groups: ['sales'] }, requirement), {
    allowed: false,
    reason: 'a-0300 may not approve for a-0001; approvers are their manager or members of idsync-approvers',
  });
  const nobody = mayApprove({ anchor: 'a-0300', groups: [] }, { requestedFor: 'a-0001', approverGroups: [] });
  assert.match(nobody.allowed ? '' : nobody.reason, /approvers are nobody \(check policy\.approvals\)/);
});
