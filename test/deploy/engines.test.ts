/**
 * Which Node runs what. npm itself may run on the machine's Node (devEngines: npm 11's own floor), and
 * then the project runs on the Node pinned in devDependencies, which engines describes; the image's
 * base is that same major. devEngines also keeps npm from warning that the machine's Node does not
 * satisfy engines (npm checks the root's engines only without devEngines).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../scripts/local-services';

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string; onFail: string } };
  devDependencies: Record<string, string>;
};
const numbers = (version: string) => version.split('.').map(Number) as [number, number, number];
const atLeast = (v: number[], floor: number[]) => v[0]! !== floor[0]! ? v[0]! > floor[0]! : v[1]! !== floor[1]! ? v[1]! > floor[1]! : v[2]! >= floor[2]!;

test('the pinned Node satisfies engines, the image runs its major, and the tests run on it', () => {
  const pinned = numbers(pkg.devDependencies.node!);
  const range = /^>=(\d+)\.(\d+) <(\d+)$/.exec(pkg.engines.node);
  assert.ok(range, `engines.node ${pkg.engines.node} has the form ">=A.B <C"`);
  assert.ok(atLeast(pinned, [Number(range[1]), Number(range[2]), 0]) && pinned[0] < Number(range[3]), `pinned node ${pkg.devDependencies.node} is inside ${pkg.engines.node}`);
  const bases = [...readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8').matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
  assert.ok(bases.length > 0 && bases.every((major) => major === pinned[0]), `every Dockerfile stage runs node ${pinned[0]}`);
  assert.equal(process.versions.node, pkg.devDependencies.node, 'npm scripts run the pinned node (node_modules/.bin first on PATH)');
});

test('devEngines names the Node npm itself needs, below the pinned one', () => {
  assert.deepEqual(Object.keys(pkg.devEngines), ['runtime']);
  assert.equal(pkg.devEngines.runtime.name, 'node');
  assert.equal(pkg.devEngines.runtime.onFail, 'error');
  const floor = /^>=(\d+)\.(\d+)$/.exec(pkg.devEngines.runtime.version);
  assert.ok(floor, 'devEngines.runtime.version is a floor');
  assert.ok(atLeast(numbers(pkg.devDependencies.node!), [Number(floor[1]), Number(floor[2]), 0]));
});
