/**
 * The HubSpot emulator for bench/orchestration.ts, in a process of its own with its rate limit lifted
 * (the bench measures idsync's own cost, not a target's budget). Tokens from BENCH_HUBSPOT_TOKENS.
 *   node --import tsx bench/orchestration-hubspot-emulator.ts <seed.json>
 */
import { readFileSync } from 'node:fs';
import { startHubspotEmulator } from '../emulators/hubspot';
import type { HubspotSeed } from '../emulators/hubspot/seed';

async function main(): Promise<void> {
  const seed = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as HubspotSeed;
  const tokens = process.env.BENCH_HUBSPOT_TOKENS!.split(',');
  const emulator = await startHubspotEmulator({ port: 0, seed, tokens, rateLimit: { max: 1_000_000_000, intervalMs: 10_000, daily: 1_000_000_000 } });
  process.stdout.write(`HUBSPOT_READY ${JSON.stringify({ url: emulator.url })}\n`);
  process.once('SIGTERM', () => void emulator.close().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(`bench hubspot emulator: ${(err as Error).message}`);
  process.exit(1);
});
