import { forbidden } from '../http/errors.ts';
import type { Principal } from './principal.ts';
import { say } from '../languages.ts';

/** The request header that carries an API key. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * Refuses a write to a plant line an API key was not given (its `line_ids`). Call it once the line
 * is known to exist for the tenant (an unknown line stays 404): the line is real, this key may
 * just not write it. Users and keys without `line_ids` pass.
 */
export function assertLineAllowed(principal: Principal, lineId: number): void {
  const lineIds = principal.apiKey?.lineIds;
  if (lineIds == null || lineIds.includes(lineId)) return;
  const allowed = lineIds.join(', ');
  throw forbidden(say(`This API key may not write line ${lineId}: it is limited to lines ${allowed}`, `Esta clave de API no puede escribir en la línea ${lineId}: está limitada a las líneas ${allowed}`));
}
