/**
 * The plant structure (docs/requirements.md, PRD-2): lines, areas, products, shifts and filters.
 * In an embedded plant database Sentinel owns them and writes them; in a client's database they are
 * the client's and read-only here (409), while the settings the client's schema lacks (line code,
 * ideal cycle times, downtime threshold, time zone) stay writable in the platform overlay.
 */
import { badRequest, conflict, notFound, textFieldError, type FieldError } from '../../platform/http/errors.ts';
import { isUniqueViolation } from '../../platform/db/errors.ts';
import { type Localized, say } from '../../platform/languages.ts';
import { LINE_CODE_PATTERN, ensureLineTables } from './line-tables.ts';
import { isTimeZone } from './local-time.ts';
import { type Line, type Plant, type PlantAccess, allLines, getLine, lineTablesExist } from './plant-context.ts';
import { AREA_TYPES, type Area, type AreaType, type Filter, type Shift, createEmbeddedWriter, type EmbeddedTable } from './plant.repo.ts';
import { rebuildDayRollups } from './production.service.ts';
import { overlappingShifts, parseTimeOfDay } from './shift-calendar.ts';

export interface LineInput {
  line_name?: string;
  line_code?: string;
  is_active?: boolean;
  ideal_cycle_seconds?: number | null;
  downtime_threshold_seconds?: number | null;
  timezone?: string | null;
}

export interface AreaInput {
  line_id?: number;
  area_name?: string;
  area_type?: AreaType;
}

export interface Product {
  product_id: number;
  product_name: string;
  product_code: string;
  ideal_cycle_seconds: number | null;
}

export interface ProductInput {
  product_name?: string;
  product_code?: string;
  ideal_cycle_seconds?: number | null;
}

export interface ShiftInput {
  shift_name?: string;
  start_time?: string;
  end_time?: string;
  line_id?: number | null;
  is_active?: boolean;
}

export interface FilterInput {
  filter_name?: string;
  filter_status?: boolean;
  default_value?: unknown;
  additional_filter?: unknown;
}

const MAX_DOWNTIME_THRESHOLD_SECONDS = 86_400;
const MAX_NAME_LENGTH = 200;

/** `what` names the structure in each language (the Spanish with its article: `las áreas`). */
export const clientOwnsStructure = (what: Localized) =>
  conflict(say(
    `The client's plant database is the source of truth for ${what.en}: change it there; Sentinel only reads it`,
    `La base de datos de planta del cliente es la fuente de verdad para ${what.es}: haga los cambios allí; Sentinel solo la lee`,
  ));

function invalid(errors: FieldError[]): void {
  if (errors.length > 0) throw badRequest(say('The plant structure values are not valid', 'Los valores de la estructura de planta no son válidos'), errors);
}

const AREA_TYPE_LIST = AREA_TYPES.join(', ');
const areaTypeError = (): FieldError => ({ field: 'area_type', message: `must be one of ${AREA_TYPE_LIST}`, code: 'one_of', params: { allowed: AREA_TYPE_LIST } });

function checkName(errors: FieldError[], field: string, value: string | undefined): void {
  const problem = value === undefined ? undefined : textFieldError(field, value, { max: MAX_NAME_LENGTH, message: `must be 1-${MAX_NAME_LENGTH} storable characters`, nonBlank: true });
  if (problem !== undefined) errors.push(problem);
}

function checkCycle(errors: FieldError[], field: string, value: number | null | undefined): void {
  if (value != null && !(Number.isFinite(value) && value > 0 && value <= 86_400)) errors.push({ field, message: 'must be a number of seconds > 0 and <= 86400', code: 'invalid' });
}

function checkLine(input: LineInput): void {
  const errors: FieldError[] = [];
  checkName(errors, 'line_name', input.line_name);
  if (input.line_code !== undefined && !LINE_CODE_PATTERN.test(input.line_code)) errors.push({ field: 'line_code', message: 'must match ^[a-z0-9_]{1,32}$', code: 'pattern' });
  checkCycle(errors, 'ideal_cycle_seconds', input.ideal_cycle_seconds);
  const threshold = input.downtime_threshold_seconds;
  if (threshold != null && !(Number.isInteger(threshold) && threshold >= 1 && threshold <= MAX_DOWNTIME_THRESHOLD_SECONDS)) {
    errors.push({
      field: 'downtime_threshold_seconds', message: `must be an integer from 1 to ${MAX_DOWNTIME_THRESHOLD_SECONDS}`,
      code: 'range', params: { min: 1, max: MAX_DOWNTIME_THRESHOLD_SECONDS },
    });
  }
  if (input.timezone != null && !isTimeZone(input.timezone)) errors.push({ field: 'timezone', message: 'must be an IANA time zone such as Europe/Madrid', code: 'time_zone' });
  invalid(errors);
}

function checkShiftTimes(errors: FieldError[], input: ShiftInput): void {
  for (const field of ['start_time', 'end_time'] as const) {
    const value = input[field];
    if (value === undefined) continue;
    try {
      parseTimeOfDay(value);
    } catch {
      errors.push({ field, message: 'must be a time of day HH:MM (00:00-23:59)', code: 'time_of_day' });
    }
  }
}

/** Only the given keys, so an update writes what it was asked to and nothing else. */
function pick<T extends object, K extends keyof T>(input: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (input[key] !== undefined) picked[key] = input[key];
  return picked;
}

function found<T>(value: T | undefined, detail: Localized): T {
  if (value === undefined) throw notFound(detail);
  return value;
}

const flag = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0);

export function createStructureService(access: PlantAccess) {
  const { withPlant, now } = access;

  function embeddedOnly(plant: Plant, what: Localized) {
    if (plant.mode !== 'embedded') throw clientOwnsStructure(what);
    return createEmbeddedWriter(plant.db);
  }

  /** A unique column already holding the value is a 409 naming it. */
  async function uniquely<T>(field: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(say(`Another row already has this ${field}`, `Otra fila ya tiene este valor de ${field}`));
      throw error;
    }
  }

  async function assertLineExists(plant: Plant, lineId: number, field = 'line_id'): Promise<void> {
    if ((await plant.core.line(lineId)) === undefined) {
      throw badRequest(say('The line does not exist', 'La línea no existe'), [{ field, message: 'is not a line of this plant', code: 'unknown_reference', params: { value: String(lineId) } }]);
    }
  }

  async function product(plant: Plant, productId: number): Promise<Product> {
    const core = await plant.core.product(productId);
    if (core === undefined) throw notFound(say('Product not found', 'No se ha encontrado el producto'));
    return { ...core, ideal_cycle_seconds: (await plant.settings.products()).get(productId) ?? null };
  }

  /** Active shifts that would overlap once `candidate` is saved: a 400 naming them. */
  async function assertNoOverlap(plant: Plant, candidate: Shift): Promise<void> {
    if (!candidate.is_active) return;
    const others = (await plant.core.shifts()).filter((shift) => shift.shift_id !== candidate.shift_id);
    const sameLine = others.filter((shift) => candidate.line_id === null || shift.line_id === null || shift.line_id === candidate.line_id);
    const pairs = overlappingShifts([...sameLine, candidate].map((shift) => ({ ...shift, id: shift.shift_id })));
    const clash = pairs.find(([a, b]) => a.id === candidate.shift_id || b.id === candidate.shift_id);
    if (clash !== undefined) {
      const other = clash[0].id === candidate.shift_id ? clash[1] : clash[0];
      const shift = `"${other.shift_name}" (${other.start_time}-${other.end_time})`;
      throw badRequest(say('The shift overlaps another active shift of the same line', 'El turno se solapa con otro turno activo de la misma línea'), [{ field: 'start_time', message: `overlaps shift ${shift}`, code: 'overlaps', params: { other: shift } }]);
    }
  }

  /** `what` as in clientOwnsStructure: the Spanish with its article (`el área`). */
  async function removeUnused(plant: Plant, table: EmbeddedTable, id: number, what: Localized, usedBy?: 'line_id' | 'area_id' | 'product_id'): Promise<void> {
    const writer = embeddedOnly(plant, what);
    if (usedBy !== undefined && (await plant.store.hasDetections(usedBy, id))) {
      throw conflict(say(`The ${what.en} has detections; it cannot be deleted`, `No se puede eliminar ${what.es}: tiene detecciones`));
    }
    await writer.delete(table, id);
  }

  return {
    listLines: (tenantId: string) => withPlant(tenantId, allLines),
    getLine: (tenantId: string, lineId: number) => withPlant(tenantId, (plant) => getLine(plant, lineId)),

    /** Embedded only. The line's tables are created with it, so its code is fixed from then on. */
    createLine: (tenantId: string, input: LineInput & { line_name: string }) =>
      withPlant(tenantId, async (plant): Promise<Line> => {
        const writer = embeddedOnly(plant, say('production lines', 'las líneas'));
        checkLine(input);
        const at = now();
        const lineId = await uniquely('line_code', async () => {
          const id = await writer.insert('line', {
            line_name: input.line_name.trim(),
            line_code: input.line_code ?? null,
            is_active: flag(input.is_active) ?? 1,
            ideal_cycle_seconds: input.ideal_cycle_seconds ?? null,
            downtime_threshold_seconds: input.downtime_threshold_seconds ?? null,
            timezone: input.timezone ?? null,
          }, at);
          if (input.line_code === undefined) await writer.update('line', id, { line_code: String(id) }, at);
          return id;
        });
        const line = await getLine(plant, lineId);
        const ensured = await ensureLineTables(plant.db, plant.dialect, plant.catalog, line.line_code, at);
        if ('problems' in ensured) {
          throw conflict(say(
            `Tables named after line code ${line.line_code} already exist and do not fit: ${ensured.problems.join('; ')}`,
            `Ya existen tablas con el nombre del código de línea ${line.line_code} y no encajan: ${ensured.problems.join('; ')}`,
          ));
        }
        await access.refreshCatalog(plant);
        return line;
      }),

    /** Core fields only in an embedded database; settings in both. The code is fixed once its tables exist. */
    updateLine: (tenantId: string, lineId: number, input: LineInput) =>
      withPlant(tenantId, async (plant): Promise<Line> => {
        checkLine(input);
        const before = await getLine(plant, lineId);
        const core = pick(input, ['line_name', 'is_active'] as const);
        if (Object.keys(core).length > 0) {
          const writer = embeddedOnly(plant, say('its production lines (line_name, is_active)', 'sus líneas (line_name, is_active)'));
          await writer.update('line', lineId, { ...core, ...(core.is_active === undefined ? {} : { is_active: flag(core.is_active) }) }, now());
        }
        if (input.line_code !== undefined && input.line_code !== before.line_code) {
          if (lineTablesExist(plant, before.line_code)) {
            throw conflict(say(
              `The line's tables are named after its code ${before.line_code}; it cannot change any more`,
              `Las tablas de la línea llevan el nombre de su código ${before.line_code}; ya no se puede cambiar`,
            ));
          }
          if ((await allLines(plant)).some((line) => line.line_code === input.line_code)) {
            throw conflict(say('Another line already has this line_code', 'Otra línea ya tiene este line_code'));
          }
        }
        const settings = pick(input, ['line_code', 'ideal_cycle_seconds', 'downtime_threshold_seconds', 'timezone'] as const);
        if (Object.keys(settings).length > 0) await uniquely('line_code', () => plant.settings.saveLine(lineId, settings, now()));
        const after = await getLine(plant, lineId);
        if (after.timezone !== before.timezone) await rebuildDayRollups(plant, after, now());
        return after;
      }),

    /** Embedded only, and only a line without detections: its areas and shifts go with it. */
    deleteLine: (tenantId: string, lineId: number) =>
      withPlant(tenantId, async (plant) => {
        await getLine(plant, lineId);
        await removeUnused(plant, 'line', lineId, say('production line', 'la línea'), 'line_id');
      }),

    listAreas: (tenantId: string, lineId?: number) => withPlant(tenantId, (plant) => plant.core.areas(lineId)),

    getArea: (tenantId: string, areaId: number) => withPlant(tenantId, async (plant) => found(await plant.core.area(areaId), say('Area not found', 'No se ha encontrado el área'))),

    createArea: (tenantId: string, input: Required<AreaInput>) =>
      withPlant(tenantId, async (plant): Promise<Area> => {
        const writer = embeddedOnly(plant, say('areas', 'las áreas'));
        const errors: FieldError[] = [];
        checkName(errors, 'area_name', input.area_name);
        if (!AREA_TYPES.includes(input.area_type)) errors.push(areaTypeError());
        invalid(errors);
        await assertLineExists(plant, input.line_id);
        const id = await writer.insert('area', { line_id: input.line_id, area_name: input.area_name.trim(), area_type: input.area_type }, now());
        return (await plant.core.area(id))!;
      }),

    updateArea: (tenantId: string, areaId: number, input: AreaInput) =>
      withPlant(tenantId, async (plant): Promise<Area> => {
        const writer = embeddedOnly(plant, say('areas', 'las áreas'));
        if ((await plant.core.area(areaId)) === undefined) throw notFound(say('Area not found', 'No se ha encontrado el área'));
        const errors: FieldError[] = [];
        checkName(errors, 'area_name', input.area_name);
        if (input.area_type !== undefined && !AREA_TYPES.includes(input.area_type)) errors.push(areaTypeError());
        invalid(errors);
        if (input.line_id !== undefined) await assertLineExists(plant, input.line_id);
        await writer.update('area', areaId, pick(input, ['line_id', 'area_name', 'area_type'] as const), now());
        return (await plant.core.area(areaId))!;
      }),

    deleteArea: (tenantId: string, areaId: number) =>
      withPlant(tenantId, async (plant) => {
        if ((await plant.core.area(areaId)) === undefined) throw notFound(say('Area not found', 'No se ha encontrado el área'));
        await removeUnused(plant, 'area', areaId, say('area', 'el área'), 'area_id');
      }),

    listProducts: (tenantId: string) =>
      withPlant(tenantId, async (plant): Promise<Product[]> => {
        const [cores, settings] = await Promise.all([plant.core.products(), plant.settings.products()]);
        return cores.map((core) => ({ ...core, ideal_cycle_seconds: settings.get(core.product_id) ?? null }));
      }),

    getProduct: (tenantId: string, productId: number) => withPlant(tenantId, (plant) => product(plant, productId)),

    createProduct: (tenantId: string, input: ProductInput & { product_name: string; product_code: string }) =>
      withPlant(tenantId, async (plant): Promise<Product> => {
        const writer = embeddedOnly(plant, say('products', 'los productos'));
        const errors: FieldError[] = [];
        checkName(errors, 'product_name', input.product_name);
        checkName(errors, 'product_code', input.product_code);
        checkCycle(errors, 'ideal_cycle_seconds', input.ideal_cycle_seconds);
        invalid(errors);
        const id = await uniquely('product_code', () =>
          writer.insert('product', { product_name: input.product_name.trim(), product_code: input.product_code.trim(), ideal_cycle_seconds: input.ideal_cycle_seconds ?? null }, now()));
        return product(plant, id);
      }),

    /** Name and code are the client's in its own database; the ideal cycle time is a setting in both. */
    updateProduct: (tenantId: string, productId: number, input: ProductInput) =>
      withPlant(tenantId, async (plant): Promise<Product> => {
        await product(plant, productId);
        const errors: FieldError[] = [];
        checkName(errors, 'product_name', input.product_name);
        checkName(errors, 'product_code', input.product_code);
        checkCycle(errors, 'ideal_cycle_seconds', input.ideal_cycle_seconds);
        invalid(errors);
        const core = pick(input, ['product_name', 'product_code'] as const);
        if (Object.keys(core).length > 0) await uniquely('product_code', () => embeddedOnly(plant, say('its products', 'sus productos')).update('product', productId, core, now()));
        if (input.ideal_cycle_seconds !== undefined) await plant.settings.saveProduct(productId, input.ideal_cycle_seconds, now());
        return product(plant, productId);
      }),

    deleteProduct: (tenantId: string, productId: number) =>
      withPlant(tenantId, async (plant) => {
        await product(plant, productId);
        await removeUnused(plant, 'product', productId, say('product', 'el producto'), 'product_id');
      }),

    /** With `lineId`: the shifts that line works (its own and those of every line). */
    listShifts: (tenantId: string, lineId?: number) =>
      withPlant(tenantId, async (plant) => (await plant.core.shifts()).filter((shift) => lineId === undefined || shift.line_id === null || shift.line_id === lineId)),

    getShift: (tenantId: string, shiftId: number) => withPlant(tenantId, async (plant) => found(await plant.core.shift(shiftId), say('Shift not found', 'No se ha encontrado el turno'))),

    createShift: (tenantId: string, input: ShiftInput & { shift_name: string; start_time: string; end_time: string }) =>
      withPlant(tenantId, async (plant): Promise<Shift> => {
        const writer = embeddedOnly(plant, say('shifts', 'los turnos'));
        const errors: FieldError[] = [];
        checkName(errors, 'shift_name', input.shift_name);
        checkShiftTimes(errors, input);
        invalid(errors);
        if (input.line_id != null) await assertLineExists(plant, input.line_id);
        const candidate: Shift = { shift_id: -1, shift_name: input.shift_name.trim(), start_time: input.start_time, end_time: input.end_time, line_id: input.line_id ?? null, is_active: input.is_active ?? true };
        await assertNoOverlap(plant, candidate);
        const { shift_id: _id, ...values } = candidate;
        const id = await writer.insert('shift', { ...values, is_active: flag(candidate.is_active) }, now());
        return (await plant.core.shift(id))!;
      }),

    updateShift: (tenantId: string, shiftId: number, input: ShiftInput) =>
      withPlant(tenantId, async (plant): Promise<Shift> => {
        const writer = embeddedOnly(plant, say('shifts', 'los turnos'));
        const current = await plant.core.shift(shiftId);
        if (current === undefined) throw notFound(say('Shift not found', 'No se ha encontrado el turno'));
        const errors: FieldError[] = [];
        checkName(errors, 'shift_name', input.shift_name);
        checkShiftTimes(errors, input);
        invalid(errors);
        if (input.line_id != null) await assertLineExists(plant, input.line_id);
        const changes = pick(input, ['shift_name', 'start_time', 'end_time', 'line_id', 'is_active'] as const);
        await assertNoOverlap(plant, { ...current, ...changes });
        await writer.update('shift', shiftId, { ...changes, ...(changes.is_active === undefined ? {} : { is_active: flag(changes.is_active) }) }, now());
        return (await plant.core.shift(shiftId))!;
      }),

    deleteShift: (tenantId: string, shiftId: number) =>
      withPlant(tenantId, async (plant) => {
        if ((await plant.core.shift(shiftId)) === undefined) throw notFound(say('Shift not found', 'No se ha encontrado el turno'));
        await removeUnused(plant, 'shift', shiftId, say('shift', 'el turno'));
      }),

    listFilters: (tenantId: string) => withPlant(tenantId, (plant) => plant.core.filters()),

    getFilter: (tenantId: string, filterId: number) => withPlant(tenantId, async (plant) => found(await plant.core.filter(filterId), say('Filter not found', 'No se ha encontrado el filtro'))),

    createFilter: (tenantId: string, input: FilterInput & { filter_name: string }) =>
      withPlant(tenantId, async (plant): Promise<Filter> => {
        const writer = embeddedOnly(plant, say('filters', 'los filtros'));
        const errors: FieldError[] = [];
        checkName(errors, 'filter_name', input.filter_name);
        invalid(errors);
        const id = await writer.insert('filter', {
          filter_name: input.filter_name.trim(),
          filter_status: flag(input.filter_status) ?? 1,
          default_value: JSON.stringify(input.default_value ?? null),
          additional_filter: JSON.stringify(input.additional_filter ?? null),
        }, now());
        return (await plant.core.filter(id))!;
      }),

    updateFilter: (tenantId: string, filterId: number, input: FilterInput) =>
      withPlant(tenantId, async (plant): Promise<Filter> => {
        const writer = embeddedOnly(plant, say('filters', 'los filtros'));
        if ((await plant.core.filter(filterId)) === undefined) throw notFound(say('Filter not found', 'No se ha encontrado el filtro'));
        const errors: FieldError[] = [];
        checkName(errors, 'filter_name', input.filter_name);
        invalid(errors);
        await writer.update('filter', filterId, {
          ...pick(input, ['filter_name'] as const),
          ...(input.filter_status === undefined ? {} : { filter_status: flag(input.filter_status) }),
          ...(input.default_value === undefined ? {} : { default_value: JSON.stringify(input.default_value) }),
          ...(input.additional_filter === undefined ? {} : { additional_filter: JSON.stringify(input.additional_filter) }),
        }, now());
        return (await plant.core.filter(filterId))!;
      }),

    deleteFilter: (tenantId: string, filterId: number) =>
      withPlant(tenantId, async (plant) => {
        if ((await plant.core.filter(filterId)) === undefined) throw notFound(say('Filter not found', 'No se ha encontrado el filtro'));
        await removeUnused(plant, 'filter', filterId, say('filter', 'el filtro'));
      }),
  };
}

export type StructureService = ReturnType<typeof createStructureService>;
