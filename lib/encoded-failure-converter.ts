import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Loaded by path (DataConverter.failureConverterPath) in clients, workers and the workflow bundle.
 * Failure messages and stack traces move into an encoded payload, so the payload codec encrypts them
 * like any other data: an error quoting a person's name or e-mail is not plaintext in history. The
 * visible message becomes "Encoded failure"; clients and the codec-backed UI show the real one.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
