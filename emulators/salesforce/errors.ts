/** A Salesforce REST error: serialised as the array body `[{message, errorCode, fields}]`. */
export class SalesforceApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }

  body(): Array<{ message: string; errorCode: string; fields: string[] }> {
    return [{ message: this.message, errorCode: this.errorCode, fields: this.fields }];
  }
}

export const badRequest = (errorCode: string, message: string, fields: string[] = []) => new SalesforceApiError(400, errorCode, message, fields);
export const notFound = () => new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
