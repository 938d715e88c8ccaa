import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePersonWorkflowId,
  parseRunWorkflowId,
  parseWorkflowId,
  personWorkflowId,
  RUN_KINDS,
  runEventId,
  runWorkflowId,
  WATCHER_WORKFLOW_ID,
} from '../../lib/names';
import { runWorkflowId as personMessagesRunWorkflowId } from '../../workflows/person-messages';

// Anchors as directories make them (entryUUID, objectGUID, OTDS ids) and event ids as the watcher,
// the CLI and the intake make them: most contain "-".
const ANCHORS = ['0b6f5c1e-3a1d-4f7e-9c55-1d2f3a4b5c6d', 'plainanchor', 'ab', 'idsync-person-x', 'x'];
const EVENT_IDS = ['joiner-4f1c9a2b7d3e8f60a1b2c3d4e5f60718', 'cli-sync-1c8e7a52-0d4b-4c38-9a6e-2b7f0c1d9e34', 'hr:2026.01-7', 'e'];

test('person workflow ids round-trip', () => {
  for (const anchor of ANCHORS) {
    const id = personWorkflowId(anchor);
    assert.equal(parsePersonWorkflowId(id), anchor);
    assert.deepEqual(parseWorkflowId(id), { type: 'person', anchor });
  }
  assert.equal(parsePersonWorkflowId('idsync-person-'), null, 'no anchor');
  assert.equal(parsePersonWorkflowId('jdoe'), null);
});

test('run workflow ids round-trip: kind from the id alone, event id given the anchor', () => {
  for (const kind of RUN_KINDS) {
    for (const anchor of ANCHORS) {
      for (const eventId of EVENT_IDS) {
        const id = runWorkflowId(kind, anchor, eventId);
        assert.deepEqual(parseRunWorkflowId(id), { kind, anchorAndEventId: `${anchor}-${eventId}` }, id);
        assert.deepEqual(parseWorkflowId(id), { type: 'run', kind, anchorAndEventId: `${anchor}-${eventId}` }, id);
        assert.equal(runEventId(id, anchor), eventId, id);
      }
    }
  }
});

test('a run id is not taken for another person, nor another id for a run', () => {
  const id = runWorkflowId('joiner', 'abc', 'joiner-1');
  assert.equal(runEventId(id, 'abd'), null);
  assert.equal(runEventId(id, ''), null);
  assert.equal(runEventId(runWorkflowId('mover', 'abc', 'e'), 'abc-e'), null, 'the whole rest is not an anchor');
  for (const other of ['jdoe', 'jdoe@example.com', 'idsync-', 'idsync-joiner-', 'idsync-joiner-a', 'idsync-unknown-abc-e1', personWorkflowId('abc'), WATCHER_WORKFLOW_ID]) {
    assert.equal(parseRunWorkflowId(other), null, other);
  }
});

test('the watcher id and ids idsync did not make', () => {
  assert.deepEqual(parseWorkflowId(WATCHER_WORKFLOW_ID), { type: 'watcher' });
  assert.equal(parseWorkflowId('jdoe'), null);
  assert.equal(parseWorkflowId('idsync-directory'), null);
});

test('lib/names builds run ids exactly as workflows/person-messages does', () => {
  for (const kind of RUN_KINDS) {
    for (const anchor of ANCHORS) {
      for (const eventId of EVENT_IDS) assert.equal(runWorkflowId(kind, anchor, eventId), personMessagesRunWorkflowId(kind, anchor, eventId));
    }
  }
});
