// PLACEHOLDER owned by the policy work (issue 4): replace with the real schema, keep the export names.
import { z } from 'zod';
export const policyConfigSchema = z.looseObject({});
export type PolicyConfig = z.infer<typeof policyConfigSchema>;
