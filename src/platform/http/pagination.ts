import { Type, type TSchema } from 'typebox';
import { badRequest } from './errors.ts';
import { NullableString } from './schemas.ts';

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

/** Cursors page on the (time-ordered) id of the last item; the encoding keeps them opaque to clients. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!ID_PATTERN.test(id)) throw badRequest('cursor is not valid', [{ field: 'cursor', message: 'is not a cursor this API issued' }]);
  return id;
}

/** Repositories fetch limit + 1 rows; the extra row tells whether another page exists. */
export function toPage<T extends { id: string }, R>(rows: T[], limit: number, map: (row: T) => R) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(map),
    next_cursor: rows.length > limit && last ? Buffer.from(last.id, 'utf8').toString('base64url') : null,
  };
}
