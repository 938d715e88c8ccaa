import { createHash } from 'node:crypto';
import { Client } from '@hubspot/api-client';

/**
 * One SDK client per (basePath, token) per process. The SDK keeps its retry/limiter decorators in a
 * process-wide singleton that every `new Client()` overwrites and that is baked into the API objects
 * when `client.settings.users` is first read, so we build each client once and read its APIs at once.
 *
 * SDK retries stay OFF (numberOfApiCallRetries unset = one attempt per call). Temporal retries the
 * whole activity instead, because:
 * - an ensure re-reads before it writes; the SDK would replay a lone POST after a 5xx or a dropped
 *   connection whose create may already have landed;
 * - the SDK sleeps 10 s x attempt on TEN_SECONDLY 429s while holding a worker slot, ignoring the
 *   rate-limit headers, whereas a retryable failure with nextRetryDelay frees the slot and goes back
 *   through the task queue's server-side rate limit;
 * - the two layers multiply (N SDK attempts x M activity attempts), which would make the request
 *   budget per activity unknowable and the queue's rate limit meaningless.
 */
export type HubspotUsersApi = Client['settings']['users'];

const clients = new Map<string, HubspotUsersApi>();

export function hubspotUsersApi(basePath: string, accessToken: string): HubspotUsersApi {
  const key = `${basePath} ${createHash('sha256').update(accessToken).digest('hex')}`;
  let api = clients.get(key);
  if (!api) {
    const client = new Client({ accessToken, basePath });
    api = client.settings.users;
    clients.set(key, api);
  }
  return api;
}
