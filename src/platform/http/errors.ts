import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface FieldError {
  field: string;
  message: string;
}

/** An error meant for the client; rendered as RFC 9457 problem details. */
export class HttpError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;

  constructor(status: number, title: string, detail?: string, errors?: FieldError[], headers?: Record<string, string>) {
    super(detail ?? title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.headers = headers;
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new HttpError(400, 'Bad Request', detail, errors);
export const unauthorized = (detail = 'Authentication is required') =>
  new HttpError(401, 'Unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer' });
export const forbidden = (detail = 'You do not have permission to do this') => new HttpError(403, 'Forbidden', detail);
export const notFound = (what = 'Resource') => new HttpError(404, 'Not Found', `${what} not found`);
export const conflict = (detail: string) => new HttpError(409, 'Conflict', detail);
export const tooManyRequests = (retryAfterSeconds: number, detail: string) =>
  new HttpError(429, 'Too Many Requests', detail, undefined, { 'Retry-After': String(retryAfterSeconds) });

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  detail: string | undefined,
  errors?: FieldError[],
  headers?: Record<string, string>,
) {
  if (headers) reply.headers(headers);
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: 'about:blank',
      title: TITLES[status] ?? 'Error',
      status,
      ...(detail === undefined ? {} : { detail }),
      ...(errors === undefined ? {} : { errors }),
      instance: request.url.split('?')[0],
      request_id: request.id,
    });
}

interface AjvIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

function fieldErrors(part: string | undefined, issues: AjvIssue[]): FieldError[] {
  return issues.map((issue) => {
    let field = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    if (issue.keyword === 'additionalProperties') field = [field, String(issue.params.additionalProperty)].filter(Boolean).join('.');
    if (issue.keyword === 'required') field = [field, String(issue.params.missingProperty)].filter(Boolean).join('.');
    const message = issue.keyword === 'additionalProperties' ? 'is not a known field' : (issue.message ?? 'is invalid');
    return { field: field === '' ? (part ?? 'body') : field, message };
  });
}

/** Every error leaves as problem+json; a 5xx never carries internal details. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { validation?: AjvIssue[]; validationContext?: string }, request, reply) => {
    if (error instanceof HttpError) {
      return sendProblem(request, reply, error.status, error.detail, error.errors, error.headers);
    }
    if (error.validation) {
      const part = error.validationContext;
      return sendProblem(request, reply, 400, `The request ${part ?? 'input'} is invalid`, fieldErrors(part, error.validation));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON, 413, 415, 429 …): their messages name no internals.
      const headers: Record<string, string> = {};
      for (const name of ['retry-after']) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers[name] = String(value);
      }
      return sendProblem(request, reply, status, clientMessage(error), undefined, headers);
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      return sendProblem(request, reply, 503, 'The database is not reachable; try again shortly', undefined, { 'Retry-After': '5' });
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, 500, 'An unexpected error occurred; it has been logged with this request id');
  });

  app.setNotFoundHandler((request, reply) => sendProblem(request, reply, 404, `No route for ${request.method} ${request.url.split('?')[0]}`));
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08003', '08006']);

/** Connection-level failures (PostgreSQL down, restarting or saturated; SQLite locked too long). */
function isDatabaseUnavailable(error: { code?: string; message?: string }): boolean {
  if (error.code !== undefined && UNAVAILABLE_CODES.has(error.code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|database is locked/i.test(error.message ?? '');
}

function clientMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is not valid JSON';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Send the request body as application/json';
    default:
      return error.message;
  }
}
