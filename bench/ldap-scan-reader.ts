/**
 * One full scan through idsync's LDAP source in a process of its own, so its memory is the reader's
 * and nothing else's: bench/ldap-scan.ts starts it once per repetition. It reads the directory
 * section as JSON from IDSYNC_BENCH_SCAN_CONFIG (the bind password from the variable that names),
 * lists everyone (streaming reader, mapping, group index, manager resolution: what the watcher's
 * full scan consumes) and prints one JSON line: seconds, CPU seconds, people, managers resolved, and RSS before
 * any import, after the imports, at its peak and at the end.
 *   IDSYNC_BENCH_SCAN_CONFIG='{...}' node --import tsx bench/ldap-scan-reader.ts
 * Add --cpu-prof (node's flag, before --import) to profile the scan.
 */

// Measured before anything of idsync is loaded: the modules come in through dynamic imports below.
const rssAtStart = process.memoryUsage().rss;

async function main(): Promise<void> {
  const { directoryConfigSchema } = await import('../directory/config.js');
  const { LdapDirectorySource } = await import('../directory/ldap/source.js');
  const config = directoryConfigSchema.parse(JSON.parse(process.env.IDSYNC_BENCH_SCAN_CONFIG ?? '{}'));
  if (config.kind !== 'ldap') throw new Error('the scan bench reads an LDAP directory');
  const rssAfterImports = process.memoryUsage().rss;
  let sampledPeak = rssAfterImports;
  const source = new LdapDirectorySource(config, process.env);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  let people = 0;
  let managers = 0;
  for await (const person of source.listPeople()) {
    people++;
    if (person.managerAnchor) managers++;
    if (people % 5_000 === 0) sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  await source.close();
  const rssAtEnd = process.memoryUsage().rss;
  // maxRSS also sees peaks between samples (kernel high-water mark, KiB).
  const peak = Math.max(sampledPeak, rssAtEnd, process.resourceUsage().maxRSS * 1024);
  console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, people, managers, rss: { start: rssAtStart, afterImports: rssAfterImports, peak, end: rssAtEnd } }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
