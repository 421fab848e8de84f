/**
 * What every batch ingest shares (detections, telemetry points): instants as clients send them,
 * and the one 400 that rejects a whole batch naming its bad rows.
 */
import { badRequest, type FieldError, type HttpError } from './http/errors.ts';
import { say } from './languages.ts';

/** Field errors listed in one 400: enough to fix a batch, not a second copy of it. */
const MAX_REPORTED_ERRORS = 50;

/** Epoch ms from an ISO 8601 time with its offset, or an integer of epoch ms. */
export function parseInstant(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) return undefined;
  const instant = Date.parse(value);
  return Number.isFinite(instant) && instant >= 0 ? instant : undefined;
}

/** The answer to a batch with bad rows: nothing of it is stored, and the first problems are named. */
export function batchRejected(errors: FieldError[]): HttpError {
  const first = errors[0]!.field;
  return badRequest(
    say(`The batch was not stored: ${errors.length} problem(s), the first in ${first}`, `El lote no se guardó: ${errors.length} problema(s), el primero en ${first}`),
    errors.slice(0, MAX_REPORTED_ERRORS),
  );
}
