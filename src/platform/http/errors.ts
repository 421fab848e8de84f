import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, isInvalidValue } from '../db/errors.ts';
import { say, type Language, type Localized } from '../languages.ts';
import { answerLanguage } from './content-language.ts';
import { fieldErrorsIn } from './field-error-text.ts';
import { isStorableText } from '../text.ts';

/** The router's bound on one path parameter; a longer one is 414 URI Too Long, not a lookup. */
export const MAX_PATH_PARAMETER_LENGTH = 200;

export interface FieldError {
  field: string;
  /** What is wrong: in English, or in the language the request asked for when the error has a code. */
  message: string;
  /** The same as a stable code (`max_length`, `password_upper` …) a client can translate or act on; see FIELD_ERROR_CODES. */
  code?: FieldErrorCode;
  /** The values the code's sentence names (`{ limit: 100 }` for max_length). */
  params?: Record<string, string | number>;
}

/**
 * The codes of field errors, so that a client (the web UI among them) can say what is wrong in its
 * own language. A field error without a code says it in English only.
 */
export const FIELD_ERROR_CODES = [
  'required', 'unknown_field', 'type', 'one_of', 'min_length', 'max_length', 'minimum', 'maximum', 'greater_than', 'less_than',
  'pattern', 'format', 'min_items', 'max_items', 'unique_items', 'min_properties', 'max_properties', 'multiple_of', 'unstorable_text', 'invalid',
  'password_length', 'password_upper', 'password_lower', 'password_digit', 'password_common', 'password_username', 'password_unchanged', 'password_wrong', 'not_permitted', 'unknown_reference', 'taken',
  'before', 'after', 'not_after', 'not_before', 'future', 'too_far_ahead', 'span_days', 'time_zone', 'time_of_day', 'timestamp',
  'time_expression', 'cursor', 'exclusive', 'exactly_one', 'read_only_store', 'not_removable', 'address_not_allowed', 'range', 'length_range', 'items_range',
  'blank', 'overlaps', 'too_many_series', 'too_many_buckets', 'deprecated', 'grid_overflow', 'requires', 'also_in', 'slug_taken',
] as const;
export type FieldErrorCode = typeof FIELD_ERROR_CODES[number];

/** What an HttpError carries besides its status and sentence. */
export interface HttpErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** A stable, machine-readable reason a client can act on (`password_change_required`, `session_evicted` …). */
  code?: string;
}

/**
 * An error meant for the client; rendered as RFC 9457 problem details, its title and detail in the
 * language the request prefers.
 */
export class HttpError extends Error {
  readonly status: number;
  /** The sentence in every language; `detail` is the English one (logs, the CLI). */
  readonly localizedDetail?: Localized;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;
  readonly code?: string;

  constructor(status: number, detail?: Localized, options: HttpErrorOptions = {}) {
    super(detail?.en ?? statusTitle(status).en);
    this.status = status;
    this.localizedDetail = detail;
    this.errors = options.errors;
    this.headers = options.headers;
    this.code = options.code;
  }

  /** The status's title, in English. */
  get title(): string {
    return statusTitle(this.status).en;
  }

  get detail(): string | undefined {
    return this.localizedDetail?.en;
  }
}

export const badRequest = (detail: Localized, errors?: FieldError[]) => new HttpError(400, detail, { errors });

/** A field error with its code, and the values its sentence names when there are any. */
export const fieldError = (field: string, message: string, code: FieldErrorCode, params?: FieldError['params']): FieldError =>
  params === undefined ? { field, message, code } : { field, message, code, params };

/**
 * What is wrong with a text a service checks by hand, each problem with its own code: not a
 * string, blank (when `nonBlank`), longer than `max`, or not storable. Undefined when it is fine.
 */
export function textFieldError(field: string, value: unknown, { max, message, nonBlank = false }: { max: number; message: string; nonBlank?: boolean }): FieldError | undefined {
  if (typeof value !== 'string') return fieldError(field, message, 'type', { type: 'string' });
  if (nonBlank && value.trim() === '') return fieldError(field, message, 'blank');
  if (value.length > max) return nonBlank ? fieldError(field, message, 'length_range', { min: 1, max }) : fieldError(field, message, 'max_length', { limit: max });
  if (!isStorableText(value)) return fieldError(field, message, 'unstorable_text');
  return undefined;
}
export const unauthorized = (detail = say('Authentication is required', 'Se requiere autenticación'), code?: string) =>
  new HttpError(401, detail, { headers: { 'WWW-Authenticate': 'Bearer' }, code });
export const forbidden = (detail = say('You do not have permission to do this', 'No tiene permiso para hacer esto'), code?: string) => new HttpError(403, detail, { code });
export const notFound = (detail = say('Resource not found', 'No se ha encontrado el recurso')) => new HttpError(404, detail);
export const conflict = (detail: Localized, errors?: FieldError[]) => new HttpError(409, detail, { errors });
export const tooManyRequests = (retryAfterSeconds: number, detail: Localized) =>
  new HttpError(429, detail, { headers: { 'Retry-After': String(retryAfterSeconds) } });

/** Each status's title (its reason phrase in English). */
const TITLES: Record<number, Localized> = {
  400: say('Bad Request', 'Solicitud incorrecta'),
  401: say('Unauthorized', 'No autenticado'),
  403: say('Forbidden', 'Prohibido'),
  404: say('Not Found', 'No encontrado'),
  405: say('Method Not Allowed', 'Método no permitido'),
  406: say('Not Acceptable', 'No aceptable'),
  408: say('Request Timeout', 'Tiempo de solicitud agotado'),
  409: say('Conflict', 'Conflicto'),
  413: say('Content Too Large', 'Contenido demasiado grande'),
  414: say('URI Too Long', 'URI demasiado larga'),
  415: say('Unsupported Media Type', 'Tipo de contenido no admitido'),
  422: say('Unprocessable Content', 'Contenido no procesable'),
  426: say('Upgrade Required', 'Se requiere actualizar el protocolo'),
  431: say('Request Header Fields Too Large', 'Cabeceras de la solicitud demasiado grandes'),
  429: say('Too Many Requests', 'Demasiadas solicitudes'),
  500: say('Internal Server Error', 'Error interno del servidor'),
  502: say('Bad Gateway', 'Puerta de enlace incorrecta'),
  503: say('Service Unavailable', 'Servicio no disponible'),
  504: say('Gateway Timeout', 'Tiempo de espera de la puerta de enlace agotado'),
};

export const statusTitle = (status: number): Localized => TITLES[status] ?? say('Error', 'Error');

/** An Ajv validation error (the fields Sentinel reads). */
export interface AjvIssue {
  instancePath: string;
  schemaPath?: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/**
 * Ajv's errors as field errors: the field as a dotted path (under `prefix` when given; `whole`
 * names the value itself) and a message a client can act on.
 */
export function fieldErrors(issues: readonly AjvIssue[], { prefix, whole }: { prefix?: string; whole: string }): FieldError[] {
  return withAlternativesMerged(issues).map((issue) => {
    const path = issue.instancePath.split('/').slice(1);
    if (issue.keyword === 'additionalProperties') path.push(String(issue.params.additionalProperty));
    if (issue.keyword === 'required') path.push(String(issue.params.missingProperty));
    const field = [prefix, ...path].filter((part) => part !== undefined && part !== '').join('.');
    return { field: field === '' ? whole : field, message: issueMessage(issue), ...issueCode(issue) };
  });
}

/** Ajv's keywords whose parameter is a number the sentence names (`limit`), by the code they become. */
const LIMIT_CODES: Record<string, FieldErrorCode> = {
  minLength: 'min_length', maxLength: 'max_length', minimum: 'minimum', maximum: 'maximum', exclusiveMinimum: 'greater_than', exclusiveMaximum: 'less_than',
  minItems: 'min_items', maxItems: 'max_items', minProperties: 'min_properties', maxProperties: 'max_properties', multipleOf: 'multiple_of',
};

/** An Ajv issue's code and the values its sentence names. */
function issueCode(issue: AjvIssue): Pick<FieldError, 'code' | 'params'> {
  const limit = LIMIT_CODES[issue.keyword];
  // Ajv names the number `limit`, except for multipleOf.
  if (limit !== undefined) return { code: limit, params: { limit: Number(issue.keyword === 'multipleOf' ? issue.params.multipleOf : issue.params.limit) } };
  switch (issue.keyword) {
    case 'required':
      return { code: 'required' };
    case 'additionalProperties':
      return { code: 'unknown_field' };
    case 'type':
      return { code: 'type', params: { type: String(issue.params.type) } };
    case 'enum':
      return { code: 'one_of', params: { allowed: allowedList(issue.params.allowedValues as unknown[]) } };
    case 'const':
      return { code: 'one_of', params: { allowed: allowedList([issue.params.allowedValue]) } };
    case 'pattern':
      return { code: 'pattern' };
    case 'format':
      return { code: 'format', params: { format: String(issue.params.format) } };
    case 'uniqueItems':
      return { code: 'unique_items' };
    case 'storableText':
      return { code: 'unstorable_text' };
    case 'alternatives':
      // What each alternative wanted is in the message alone: a generic code would say less.
      return {};
    default:
      return { code: 'invalid' };
  }
}

/**
 * A value that matches none of a schema's alternatives (anyOf) is one error saying what each
 * alternative wanted, rather than one per alternative and a last one saying "anyOf".
 */
function withAlternativesMerged(issues: readonly AjvIssue[]): readonly AjvIssue[] {
  const alternatives = issues.filter((issue) => issue.keyword === 'anyOf' && issue.schemaPath !== undefined);
  if (alternatives.length === 0) return issues;
  // An alternative's own complaints about the value (not about fields inside it, which stay).
  const about = (issue: AjvIssue, parent: AjvIssue) =>
    issue !== parent && issue.instancePath === parent.instancePath && issue.schemaPath?.startsWith(`${parent.schemaPath}/`) === true;
  return issues
    .filter((issue) => !alternatives.some((parent) => about(issue, parent)))
    .map((issue) => {
      if (!alternatives.includes(issue)) return issue;
      const branches = issues.filter((branch) => about(branch, issue));
      if (branches.length === 0) return issue;
      // Alternatives that are each a value or a list of values (a union of literals) are one list.
      if (branches.every((branch) => branch.keyword === 'const' || branch.keyword === 'enum')) {
        const allowedValues = branches.flatMap((branch) => (branch.keyword === 'const' ? [branch.params.allowedValue] : branch.params.allowedValues as unknown[]));
        return { ...issue, keyword: 'enum', params: { allowedValues } };
      }
      return { ...issue, keyword: 'alternatives', message: branches.map(issueMessage).join(' or ') };
    });
}

/** Allowed values as a client reads them: an empty string shown as "". */
const allowedList = (values: readonly unknown[]) => values.map((value) => (value === '' ? '""' : String(value))).join(', ');

/** Ajv's sentence, except where the client needs more to correct the input: which values are allowed. */
function issueMessage(issue: AjvIssue): string {
  switch (issue.keyword) {
    case 'additionalProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of: ${allowedList(issue.params.allowedValues as unknown[])}`;
    case 'const':
      return `must be ${allowedList([issue.params.allowedValue])}`;
    default:
      return issue.message ?? 'is invalid';
  }
}

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** What a client is told about an error. */
export interface ProblemAnswer {
  status: number;
  detail?: Localized;
  errors?: FieldError[];
  headers?: Record<string, string>;
  code?: string;
}

const UNAVAILABLE: ProblemAnswer = {
  status: 503, detail: say('The database is not reachable; try again shortly', 'No se puede acceder a la base de datos; inténtelo de nuevo en unos instantes'), headers: { 'Retry-After': '5' },
};
const INTERNAL: ProblemAnswer = {
  status: 500, detail: say('An unexpected error occurred; it has been logged with this request id', 'Se produjo un error inesperado; quedó registrado con el identificador de esta solicitud'),
};

const VALIDATED_PARTS: Record<string, Localized> = {
  body: say('The request body is invalid', 'El cuerpo de la solicitud no es válido'),
  querystring: say('The request querystring is invalid', 'Los parámetros de consulta de la solicitud no son válidos'),
  params: say('The request params are invalid', 'Los parámetros de ruta de la solicitud no son válidos'),
  headers: say('The request headers are invalid', 'Las cabeceras de la solicitud no son válidas'),
};

/**
 * The one place that decides what any error becomes for the client: its own message only for
 * errors meant for it (HttpError, validation, Fastify's client errors by code), otherwise a fixed
 * sentence. Driver codes, addresses, SQL and stack traces stay in the log.
 */
export function problemFor(error: unknown, request: FastifyRequest, reply: FastifyReply): ProblemAnswer {
  if (error instanceof HttpError) {
    return {
      status: error.status, ...(error.localizedDetail !== undefined ? { detail: error.localizedDetail } : {}), ...(error.errors ? { errors: error.errors } : {}),
      ...(error.headers ? { headers: error.headers } : {}), ...(error.code !== undefined ? { code: error.code } : {}),
    };
  }
  const fastifyError = (typeof error === 'object' && error !== null ? error : {}) as Partial<FastifyError> & { validation?: AjvIssue[]; validationContext?: string };
  if (fastifyError.validation) {
    const part = fastifyError.validationContext;
    return {
      status: 400, detail: VALIDATED_PARTS[part ?? ''] ?? say('The request input is invalid', 'Los datos de la solicitud no son válidos'),
      errors: fieldErrors(fastifyError.validation, { whole: part ?? 'body' }),
    };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, 413, 415, 429 …); a rate limiter's Retry-After stays.
    const retryAfter = reply.getHeader('retry-after');
    return { status, detail: clientMessage(fastifyError.code, status), ...(retryAfter !== undefined ? { headers: { 'Retry-After': String(retryAfter) } } : {}) };
  }
  if (isInvalidValue(error)) {
    request.log.warn({ err: error }, 'the database refused a value from the request');
    return { status: 400, detail: say('A value in the request cannot be stored (invalid characters, too long, or out of range)', 'Un valor de la solicitud no se puede guardar (caracteres no válidos, demasiado largo o fuera de rango)') };
  }
  if (isDatabaseUnavailable(error)) {
    request.log.error({ err: error }, 'database unavailable');
    return UNAVAILABLE;
  }
  request.log.error({ err: error }, 'unhandled error');
  return INTERNAL;
}

function problemBody(answer: ProblemAnswer, language: Language, request?: FastifyRequest) {
  return {
    type: 'about:blank',
    title: statusTitle(answer.status)[language],
    status: answer.status,
    ...(answer.detail === undefined ? {} : { detail: answer.detail[language] }),
    ...(answer.errors === undefined ? {} : { errors: fieldErrorsIn(answer.errors, language) }),
    ...(answer.code === undefined ? {} : { code: answer.code }),
    ...(request === undefined ? {} : { instance: request.url.split('?')[0], request_id: request.id }),
  };
}

/** The problem's headers, and its language, which the request's Accept-Language chooses. */
function problemLanguage(request: FastifyRequest, reply: FastifyReply, answer: ProblemAnswer): Language {
  if (answer.headers) reply.headers(answer.headers);
  reply.code(answer.status).type(PROBLEM_TYPE);
  return answerLanguage(request, reply);
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, answer: ProblemAnswer) {
  return reply.send(problemBody(answer, problemLanguage(request, reply, answer), request));
}

/**
 * For onSend hooks, which run after the error handler may already have answered: an error there
 * would otherwise leave with Fastify's default body (driver code and message included). Turns the
 * reply into the error's problem answer and returns its body, to be returned from the hook.
 */
export function problemPayload(request: FastifyRequest, reply: FastifyReply, error: unknown): string {
  const answer = problemFor(error, request, reply);
  return JSON.stringify(problemBody(answer, problemLanguage(request, reply, answer), request));
}

/** Every error leaves as problem+json; a 5xx never carries internal details. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, problemFor(error, request, reply)));
  app.setNotFoundHandler((request, reply) => {
    const route = `${request.method} ${request.url.split('?')[0]}`;
    return sendProblem(request, reply, { status: 404, detail: say(`No route for ${route}`, `No existe la ruta ${route}`) });
  });
}

/**
 * Fastify's `frameworkErrors`: URLs the router refuses before any route (malformed
 * percent-encoding, an over-long path parameter), which would otherwise get Fastify's own body.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendProblem(request, reply, problemFor(error, request, reply));
}

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses or cuts (malformed, headers
 * too large, too slow) never reach Fastify; they are answered on the socket, as problem+json, in
 * English (no header of such a request can be trusted to say which language).
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const detail = status === 408
    ? say('The request did not arrive in time', 'La solicitud no llegó a tiempo')
    : status === 431 ? say('The request headers are too large', 'Las cabeceras de la solicitud son demasiado grandes') : say('The request is not valid HTTP', 'No es una solicitud HTTP válida');
  const body = JSON.stringify(problemBody({ status, detail }, 'en'));
  // Not when a response has started on this connection: it would corrupt it.
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && response?.headersSent !== true) {
    socket.write(`HTTP/1.1 ${status} ${statusTitle(status).en}\r\nContent-Type: ${PROBLEM_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

/** Fixed sentences for Fastify's client errors: their own messages may repeat the input. */
function clientMessage(code: string | undefined, status: number): Localized {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return say('The request body is not valid JSON', 'El cuerpo de la solicitud no es JSON válido');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return say('The request body is too large', 'El cuerpo de la solicitud es demasiado grande');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return say('Send the request body as application/json', 'Envíe el cuerpo de la solicitud como application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return say('The request body does not match its Content-Length', 'El cuerpo de la solicitud no coincide con su Content-Length');
    case 'FST_ERR_BAD_URL':
      return say('The URL is not valid (malformed percent-encoding)', 'La URL no es válida (codificación porcentual incorrecta)');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return say('A path segment of the URL is too long', 'Un segmento de la ruta de la URL es demasiado largo');
    default: {
      const title = TITLES[status];
      return title === undefined
        ? say(`The request cannot be processed (${status})`, `No se puede procesar la solicitud (${status})`)
        : say(`The request cannot be processed (${title.en})`, `No se puede procesar la solicitud (${title.es})`);
    }
  }
}
