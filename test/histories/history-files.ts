/** Stored history format shared by the recorder (record.ts) and the replay test. */
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const HistoryMessage = temporal.api.history.v1.History;

export function historyToStoredJson(history: History): string {
  const plain = HistoryMessage.toObject(HistoryMessage.fromObject(history), { longs: String, enums: String, bytes: String });
  return `${JSON.stringify(plain, null, 1)}\n`;
}

export function historyFromStoredJson(text: string): History {
  return HistoryMessage.fromObject(JSON.parse(text));
}
