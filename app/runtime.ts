import type { IdsyncConfig } from './config';
import type { TargetAdapter } from '../targets/adapter';
import type { DirectorySource } from '../directory/source';
import type { AuditSink } from '../audit/types';

/** Everything activities need, built once per worker process from the validated config. */
export interface Runtime {
  config: IdsyncConfig;
  adapters: Map<string, TargetAdapter>;
  directory: DirectorySource;
  audit: AuditSink;
}
