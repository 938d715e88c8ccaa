/**
 * Top self and inclusive time of a V8 CPU profile (`node --cpu-prof`), by function, as
 * bench/orchestration.ts --cpu-prof-dir leaves them; paths are shown relative to the checkout.
 *   node --import tsx bench/cpu-profile-summary.ts <file.cpuprofile> [--top 25] [--filter text]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../scripts/local-services';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, filter: { type: 'string' } } });
  const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(`file://${PROJECT_ROOT}/`, '')}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const leaf = byId.get(id)!;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const l = label(n);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    }
  });
  const top = Number(values.top);
  const show = (title: string, m: Map<string, number>) => {
    console.log(`${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
    [...m]
      .filter(([l]) => !values.filter || l.includes(values.filter))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .forEach(([l, us]) => console.log(`  ${(us / 1000).toFixed(0).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${l}`));
  };
  show('self time', self);
  show('inclusive time', inclusive);
}

main();
