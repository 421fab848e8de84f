import { Type, type TSchema } from 'typebox';
import { badRequest } from './errors.ts';
import { NullableString } from './schemas.ts';
import { say } from '../languages.ts';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: 'Page size (1-500)' })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'Opaque cursor from a previous page\'s next_cursor' })),
};

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), next_cursor: NullableString({ description: 'Cursor of the next page; null on the last page' }) });
}

const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const encode = (key: string) => Buffer.from(key, 'utf8').toString('base64url');
const notIssued = () => badRequest(say('cursor is not valid', 'cursor no es válido'), [{ field: 'cursor', message: 'is not a cursor this API issued', code: 'cursor' }]);

/** Cursors page on the (time-ordered) id of the last item; the encoding keeps them opaque to clients. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!ID_PATTERN.test(id)) throw notIssued();
  return id;
}

/** Where a list ordered by a time and then the id (newest first) goes on: after this item. */
export interface TimeCursor {
  ms: number;
  id: string;
}

/** The cursor after the item (`ms`, `id`) in a list ordered by a time and then id. */
export const timeCursorOf = (ms: number, id: string): string => encode(`${ms}_${id}`);

export function decodeTimeCursor(cursor: string | undefined): TimeCursor | undefined {
  if (cursor === undefined) return undefined;
  const match = /^(\d{1,15})_(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null || !ID_PATTERN.test(match[2]!)) throw notIssued();
  return { ms: Number(match[1]), id: match[2]! };
}

/**
 * Repositories fetch limit + 1 rows; the extra row tells whether another page exists. The cursor
 * names the last item: by its id, or as `cursorOf` says for lists in another order.
 */
export function toPage<T extends { id: string }, R>(rows: T[], limit: number, map: (row: T) => R, cursorOf: (row: T) => string = (row) => encode(row.id)) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(map),
    next_cursor: rows.length > limit && last ? cursorOf(last) : null,
  };
}
