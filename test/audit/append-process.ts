/**
 * Appends N records to an audit log from its own process, for the cross-process test.
 * argv: path, label, count, startAt (epoch ms: every process starts appending at the same moment).
 */
import { FileAuditLog } from '../../audit';

const [path, label, count, startAt] = process.argv.slice(2);
const log = new FileAuditLog(path!);
setTimeout(() => {
  Promise.all(Array.from({ length: Number(count) }, (_, i) => log.append({ actor: label!, action: 'grant', reason: `record ${i}`, key: `${label}/${i}` }))).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}, Math.max(0, Number(startAt) - Date.now()));
