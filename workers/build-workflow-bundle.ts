/**
 * Build step (`npm run build`, after tsc has compiled the project to dist/): bundles the compiled
 * workflows once with the Temporal SDK's bundler (with the encrypting failure converter and the OpenTelemetry
 * workflow interceptors) into dist/workflow-bundle.js, so a worker started
 * from dist/ loads that file instead of running webpack at every start.
 *   node dist/workers/build-workflow-bundle.js
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_WORKFLOW_BUNDLE, WORKFLOWS_PATH, quietBundlerLogger } from './workers';
import { WORKFLOW_INTERCEPTOR_MODULES } from './telemetry';
import { ENCODED_FAILURE_CONVERTER_PATH } from '../app/encryption';

async function main(): Promise<void> {
  // With the failure converter that encrypts failure messages: a worker with encryption on (the default) uses this file.
  // With the OpenTelemetry workflow interceptors: a prebuilt bundle ignores WorkerOptions.interceptors.workflowModules.
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: quietBundlerLogger,
    failureConverterPath: ENCODED_FAILURE_CONVERTER_PATH,
  });
  writeFileSync(PREBUILT_WORKFLOW_BUNDLE, code);
}

main().catch((err: unknown) => {
  console.error(`idsync build: bundling the workflows failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
