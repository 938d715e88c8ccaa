/**
 * Build step (`npm run build`, after tsc has compiled the project to dist/): bundles the compiled
 * workflows once with the Temporal SDK's bundler (with the encrypting failure converter) into
 * dist/workflow-bundle.js, and again with the OpenTelemetry workflow interceptors into
 * dist/workflow-bundle-traced.js (for workers with tracing on), so a worker started from dist/ loads
 * one of them instead of running webpack at every start.
 *   node dist/workers/build-workflow-bundle.js
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_TRACED_WORKFLOW_BUNDLE, PREBUILT_WORKFLOW_BUNDLE, WORKFLOWS_PATH, quietBundlerLogger } from './workers';
import { WORKFLOW_INTERCEPTOR_MODULES } from './telemetry';
import { ENCODED_FAILURE_CONVERTER_PATH } from '../app/encryption';

async function main(): Promise<void> {
  // With the failure converter that encrypts failure messages: a worker with encryption on (the default) uses these files.
  // Tracing needs its own file: a prebuilt bundle ignores WorkerOptions.interceptors.workflowModules.
  for (const [path, interceptorModules] of [
    [PREBUILT_WORKFLOW_BUNDLE, []],
    [PREBUILT_TRACED_WORKFLOW_BUNDLE, WORKFLOW_INTERCEPTOR_MODULES],
  ] as const) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: [...interceptorModules],
      logger: quietBundlerLogger,
      failureConverterPath: ENCODED_FAILURE_CONVERTER_PATH,
    });
    writeFileSync(path, code);
  }
}

main().catch((err: unknown) => {
  console.error(`idsync build: bundling the workflows failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
