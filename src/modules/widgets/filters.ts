/**
 * The tenant's filters (the plant database's FILTER table) as the UI draws them: each with its
 * type, the widget parameters it sets, its default resolved now in the tenant's time zone, and
 * its options from the plant metadata. Nothing about a client's filters is in code.
 */
import { DAY_MS, HOUR_MS, formatOffset, fromWall, startOfWallDay, toWall, zoneOffsetMs } from '../production/local-time.ts';
import type { Filter } from '../production/plant.repo.ts';
import type { PlantMetadata } from './metadata-cache.ts';

export const FILTER_TYPES = ['daterange', 'line', 'product', 'shift', 'area', 'select', 'multiselect'] as const;
export type FilterType = (typeof FILTER_TYPES)[number];

export interface FilterOption {
  value: string | number;
  label: string;
  /** For areas and shifts: the line they belong to (null: every line). */
  line_id?: number | null;
}

export interface ResolvedFilter {
  filter_id: number;
  name: string;
  type: FilterType;
  /** The widget parameters the filter sets (`from` and `to` for a date range). */
  params: string[];
  required: boolean;
  show_time: boolean;
  default: Record<string, unknown> | null;
  options: FilterOption[] | null;
}

const PARAM_OF: Partial<Record<FilterType, string>> = { line: 'line_id', product: 'product_id', shift: 'shift_id', area: 'area_id' };

const asObject = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {});
const nonNegative = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined);

/** An instant as ISO 8601 with the zone's offset then: 2026-11-23T00:00:00+01:00. */
export function localIso(instant: number, timeZone: string): string {
  const offset = zoneOffsetMs(instant, timeZone);
  return `${new Date(instant + offset).toISOString().slice(0, 19)}${formatOffset(offset)}`;
}

/**
 * `{days_back: N}` (or `hours_back`): with times shown, the last N days up to now; with dates only,
 * from local midnight N days ago to the end of today.
 */
function dateRangeDefault(value: unknown, showTime: boolean, timeZone: string, now: number): Record<string, unknown> | null {
  const spec = asObject(value);
  const days = nonNegative(spec.days_back);
  const hours = nonNegative(spec.hours_back);
  if (days === undefined && hours === undefined) return null;
  const back = (days ?? 0) * DAY_MS + (hours ?? 0) * HOUR_MS;
  if (showTime || hours !== undefined) return { from: localIso(now - back, timeZone), to: localIso(now, timeZone) };
  const today = startOfWallDay(toWall(now, timeZone));
  return { from: localIso(fromWall(today - Math.ceil(days!) * DAY_MS, timeZone), timeZone), to: localIso(fromWall(today + DAY_MS, timeZone), timeZone) };
}

function options(type: FilterType, plant: PlantMetadata, additional: Record<string, unknown>): FilterOption[] | null {
  switch (type) {
    case 'line': return plant.lines.filter((line) => line.is_active).map((line) => ({ value: line.line_id, label: line.line_name }));
    case 'product': return plant.products.map((product) => ({ value: product.product_id, label: product.product_name }));
    case 'shift': return plant.shifts.filter((shift) => shift.is_active).map((shift) => ({ value: shift.shift_id, label: shift.shift_name, line_id: shift.line_id }));
    case 'area': return plant.areas.map((area) => ({ value: area.area_id, label: area.area_name, line_id: area.line_id }));
    case 'daterange': return null;
    default: {
      // A select's options are the client's: strings, or {value, label}.
      const list = Array.isArray(additional.options) ? additional.options : [];
      return list.flatMap((option): FilterOption[] => {
        if (typeof option === 'string' || typeof option === 'number') return [{ value: option, label: String(option) }];
        const { value, label } = asObject(option);
        return typeof value === 'string' || typeof value === 'number' ? [{ value, label: typeof label === 'string' ? label : String(value) }] : [];
      });
    }
  }
}

/** The parameter a select sets: the client's `param`, else its name in snake case. */
function selectParam(filter: Filter, additional: Record<string, unknown>): string {
  if (typeof additional.param === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(additional.param)) return additional.param;
  return filter.filter_name.normalize('NFKD').replace(/[^\w\s]/g, '').trim().toLowerCase().replace(/\s+/g, '_').slice(0, 64) || `filter_${filter.filter_id}`;
}

function defaultOf(type: FilterType, param: string, value: unknown, showTime: boolean, timeZone: string, now: number, choices: FilterOption[] | null): Record<string, unknown> | null {
  if (type === 'daterange') return dateRangeDefault(value, showTime, timeZone, now);
  if (value === null || value === undefined) return null;
  // A default that is not one of the options (a line since removed) is no default.
  const allowed = (candidate: unknown) => choices === null || choices.some((option) => option.value === candidate);
  if (type === 'multiselect') return Array.isArray(value) && value.every(allowed) ? { [param]: value } : null;
  return allowed(value) ? { [param]: value } : null;
}

/** Active filters ordered by `additional_filter.order`, then id. */
export function resolveFilters(plant: PlantMetadata, timeZone: string, now: number): ResolvedFilter[] {
  const order = (filter: Filter) => nonNegative(asObject(filter.additional_filter).order) ?? Number.MAX_SAFE_INTEGER;
  return plant.filters
    .filter((filter) => filter.filter_status)
    .sort((a, b) => order(a) - order(b) || a.filter_id - b.filter_id)
    .map((filter) => {
      const additional = asObject(filter.additional_filter);
      const type: FilterType = (FILTER_TYPES as readonly string[]).includes(String(additional.type)) ? additional.type as FilterType : 'select';
      const showTime = additional.show_time === true;
      const param = PARAM_OF[type] ?? selectParam(filter, additional);
      const choices = options(type, plant, additional);
      return {
        filter_id: filter.filter_id,
        name: filter.filter_name,
        type,
        params: type === 'daterange' ? ['from', 'to'] : [param],
        required: additional.required === true,
        show_time: showTime,
        default: defaultOf(type, param, filter.default_value, showTime, timeZone, now, choices),
        options: choices,
      };
    });
}
