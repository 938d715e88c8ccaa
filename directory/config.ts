// PLACEHOLDER owned by the directory work (issue 5): replace with the real schemas, keep the export names.
import { z } from 'zod';
export const directoryConfigSchema = z.looseObject({ kind: z.enum(['ldap', 'otds']) });
export const watcherConfigSchema = z.looseObject({});
export const intakeConfigSchema = z.looseObject({});
export type DirectoryConfig = z.infer<typeof directoryConfigSchema>;
export type WatcherConfig = z.infer<typeof watcherConfigSchema>;
export type IntakeConfig = z.infer<typeof intakeConfigSchema>;
