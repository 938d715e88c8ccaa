import { z } from 'zod';
import { isDuration } from '../lib/duration';
import { atLeast, MINIMUM_GRACE_PERIOD, strictObject } from '../lib/config-schema';

export const durationString = z.string().refine(isDuration, { message: 'expected a duration such as 30d, 12h, 15m or 10s' });

/** Fields every target kind accepts; spread into each kind's strictObject({...}). */
export const commonTargetFields = {
  enabled: z.boolean().default(true),
  entitlementMode: z.enum(['merge', 'overwrite']).default('overwrite'),
  gracePeriod: atLeast(durationString, MINIMUM_GRACE_PERIOD).default('30d'),
  rateLimit: strictObject({
    activitiesPerSecond: z.number().positive().default(10),
    maxConcurrent: z.number().int().positive().default(4),
  }).default({ activitiesPerSecond: 10, maxConcurrent: 4 }),
};

/** Reads a secret named in config from the environment; the message names the variable, never a value. */
export function secretFromEnv(env: NodeJS.ProcessEnv, variable: string, target: string, field: string): string {
  const value = env[variable];
  if (!value) {
    throw new Error(`targets.${target}.${field}: environment variable ${variable} is not set`);
  }
  return value;
}
