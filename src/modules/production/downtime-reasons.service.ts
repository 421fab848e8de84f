/**
 * A tenant's downtime reasons (docs/requirements.md, PRD-4): the list operators pick from when they
 * classify a stop. Once a tenant has a list, a classification's reason must be on it, and a reason
 * given without a category takes the reason's.
 */
import { badRequest, conflict, notFound, type FieldError } from '../../platform/http/errors.ts';
import { isUniqueViolation } from '../../platform/db/errors.ts';
import { newId, toIso } from '../../platform/ids.ts';
import { say } from '../../platform/languages.ts';
import type { DowntimeCategory } from './downtime.ts';
import type { ProductionPlatformRepo } from './production-platform.repo.ts';
import type { DowntimeView, ProductionService } from './production.service.ts';

/** Up to this many reasons, a refused one is answered with the whole list (`one_of`). */
const MAX_REASONS_NAMED = 30;
/** How much of a refused reason the answer repeats. */
const MAX_REASON_ECHO = 64;

export interface DowntimeReasonView {
  id: string;
  reason: string;
  category: DowntimeCategory;
  created_at: string;
}

export interface ClassificationInput {
  category?: DowntimeCategory;
  reason?: string | null;
  comment?: string | null;
}

export function createDowntimeReasonsService(deps: { repo: ProductionPlatformRepo; production: ProductionService; clock?: () => number }) {
  const { repo, production } = deps;
  const now = deps.clock ?? Date.now;

  async function list(tenantId: string): Promise<DowntimeReasonView[]> {
    return (await repo.downtimeReasons(tenantId)).map((row) => ({ id: row.id, reason: row.reason, category: row.category as DowntimeCategory, created_at: toIso(row.created_at) }));
  }

  return {
    list,

    async create(tenantId: string, input: { reason: string; category: DowntimeCategory }): Promise<DowntimeReasonView> {
      const reason = input.reason.trim();
      if (reason === '') throw badRequest(say('The reason is empty', 'El motivo está vacío'), [{ field: 'reason', message: 'must not be blank', code: 'blank' }]);
      const at = now();
      const id = newId(at);
      try {
        await repo.insertDowntimeReason({ id, tenant_id: tenantId, reason, category: input.category, created_at: at });
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(say(`The reason "${reason}" is already on the list`, `El motivo "${reason}" ya está en la lista`));
        throw error;
      }
      return { id, reason, category: input.category, created_at: toIso(at) };
    },

    async delete(tenantId: string, id: string): Promise<void> {
      if (!(await repo.deleteDowntimeReason(tenantId, id))) throw notFound(say('Downtime reason not found', 'No se ha encontrado el motivo de parada'));
    },

    /** An operator's classification of a stop, checked against the tenant's reasons. */
    async classify(tenantId: string, lineId: number, eventId: number, input: ClassificationInput): Promise<DowntimeView> {
      let classification = input;
      if (typeof input.reason === 'string') {
        const reasons = await repo.downtimeReasons(tenantId);
        const listed = reasons.find((candidate) => candidate.reason === input.reason);
        if (reasons.length > 0 && listed === undefined) {
          const message = 'must be one of GET /production/downtime-reasons';
          // A short list is said in full; a long one would make the answer a catalogue.
          const problem: FieldError = reasons.length <= MAX_REASONS_NAMED
            ? { field: 'reason', message, code: 'one_of', params: { allowed: reasons.map((candidate) => candidate.reason).join(', ') } }
            : { field: 'reason', message, code: 'unknown_reference', params: { value: input.reason.slice(0, MAX_REASON_ECHO) } };
          throw badRequest(say('The reason is not on the tenant\'s list', 'El motivo no está en la lista del cliente'), [problem]);
        }
        if (listed !== undefined && input.category === undefined) classification = { ...input, category: listed.category as DowntimeCategory };
      }
      const event = await production.classifyDowntime(tenantId, lineId, eventId, classification);
      return {
        id: event.id, line_id: lineId, start: event.start, end: event.end, duration_seconds: event.duration_seconds,
        category: event.category, reason: event.reason, comment: event.comment, source: event.source,
      };
    },
  };
}

export type DowntimeReasonsService = ReturnType<typeof createDowntimeReasonsService>;
