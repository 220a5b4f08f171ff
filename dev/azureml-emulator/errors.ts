/**
 * Errors the emulator answers with. Every one renders the ARM error envelope `{ error: { code, message, target? } }`.
 *
 * @remarks One class with a status and a wire `code`, like Azurite's StorageError: handlers throw, and the server's
 * single error boundary serialises. Anything else thrown becomes a logged 500.
 */
export interface ErrorDetail {
  readonly code: string;
  readonly message: string;
  readonly target?: string;
}

export class EmulatorHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly details: readonly ErrorDetail[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { target?: string; details?: ErrorDetail[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'EmulatorHttpError';
    this.status = status;
    this.code = code;
    this.target = options.target;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  toBody(): { error: { code: string; message: string; target?: string; details?: readonly ErrorDetail[] } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target !== undefined ? { target: this.target } : {}),
        ...(this.details !== undefined ? { details: this.details } : {}),
      },
    };
  }
}

/** 404 for a missing resource, with Azure ML's broad `UserError` code and the specific one nested in details. */
export function notFound(what: string, name: string): EmulatorHttpError {
  const message = `${what} '${name}' was not found in workspace 'local'.`;
  return new EmulatorHttpError(404, 'UserError', message, { details: [{ code: 'NotFound', message }] });
}

/** 400 naming the offending request field, e.g. `properties.traffic`. */
export function badRequest(message: string, target?: string): EmulatorHttpError {
  return new EmulatorHttpError(400, 'UserError', message, {
    ...(target !== undefined ? { target } : {}),
    details: [{ code: 'BadArgument', message, ...(target !== undefined ? { target } : {}) }],
  });
}

export function conflict(message: string, target?: string): EmulatorHttpError {
  return new EmulatorHttpError(409, 'Conflict', message, target !== undefined ? { target } : {});
}

/** 501 (or 404 for unknown routes): something Azure has and the emulator does not; the message names it. */
export function notSupported(feature: string, status = 501): EmulatorHttpError {
  return new EmulatorHttpError(
    status,
    'NotSupportedByEmulator',
    `${feature} is not supported by the Azure ML emulator (see docs/azureml-emulator.md).`,
  );
}

export function unauthorized(message: string): EmulatorHttpError {
  return new EmulatorHttpError(401, 'AuthenticationFailed', message, {
    headers: { 'WWW-Authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common"' },
  });
}

/** Narrows anything thrown to an Error, so the boundary never stringifies `[object Object]`. */
export function ensureError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
