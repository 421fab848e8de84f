import { badRequest, fieldError, type FieldError, type FieldErrorCode } from '../../platform/http/errors.ts';
import { DAY_MS, fromWall, toWall, wallDate, wallTime } from '../production/local-time.ts';
import { localIso, type ResolvedFilter } from '../widgets/filters.ts';
import { say } from '../../platform/languages.ts';

/** A query string as Fastify parses it: a repeated key is a list. */
export type QueryValues = Record<string, string | string[]>;

/** The overview's filters at one moment: what the panel shows, what the widgets get, and the URL that says both. */
export interface FilterState {
  /** Each field of the panel (a widget parameter) → its value(s) as the form holds them; '' = none. */
  form: Record<string, string | string[]>;
  /** Widget parameters for the dashboard's data. */
  params: Record<string, unknown>;
  /** The query string that reproduces this state (a reload or a shared link shows the same). */
  query: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

// The page says the field error in its language (by its code); the summary names the field.
const invalid = (field: string, message: string, code: FieldErrorCode, params?: FieldError['params']) =>
  badRequest(say(`${field} ${message}`, `${field}: valor no válido`), [fieldError(field, message, code, params)]);

/** A date (or date and time) field as a wall-clock value, refusing what no calendar has (2026-02-31). */
function wallOf(field: string, value: string, showTime: boolean): number {
  if (!(showTime ? DATE_TIME : DATE).test(value)) throw invalid(field, showTime ? 'must be a date and time (YYYY-MM-DDTHH:MM)' : 'must be a date (YYYY-MM-DD)', 'format', { format: showTime ? 'date-time' : 'date' });
  const wall = Date.parse(`${showTime ? value : `${value}T00:00`}:00Z`);
  const again = Number.isNaN(wall) ? '' : showTime ? `${wallDate(wall)}T${wallTime(wall)}` : wallDate(wall);
  if (again !== value) throw invalid(field, 'is not a date of the calendar', 'format', { format: showTime ? 'date-time' : 'date' });
  return wall;
}

/**
 * A date range's fields from its default (instants with an offset). With dates only the range
 * ends at midnight after its last day, so the field shows that last day.
 */
function rangeFields(filter: ResolvedFilter, timeZone: string): { from: string; to: string } {
  const from = filter.default?.from;
  const to = filter.default?.to;
  const field = (iso: unknown, end: boolean) => {
    if (typeof iso !== 'string') return '';
    const wall = toWall(Date.parse(iso), timeZone) - (end && !filter.show_time ? 1 : 0);
    return filter.show_time ? `${wallDate(wall)}T${wallTime(wall)}` : wallDate(wall);
  };
  return { from: field(from, false), to: field(to, true) };
}

const single = (field: string, value: string | string[]): string => {
  if (Array.isArray(value)) throw invalid(field, 'takes one value', 'invalid');
  return value;
};

/**
 * The panel's state from the page's query: a field the query names keeps its value ('' = every
 * option), one it does not name starts at the filter's default, and a required filter left empty
 * falls back to its default (or its first option). Values must be the filter's options and dates
 * real dates; anything else is a 400 naming the field. Keys that are no filter's are refused too.
 */
export function filterState(filters: ResolvedFilter[], query: QueryValues, timeZone: string): FilterState {
  const known = new Set(filters.flatMap((filter) => filter.params));
  const stray = Object.keys(query).find((key) => !known.has(key));
  if (stray !== undefined) throw invalid(stray, 'is not a filter of this dashboard', 'unknown_field');
  const form: FilterState['form'] = {};
  const params: FilterState['params'] = {};
  const url = new URLSearchParams();
  for (const filter of filters) {
    if (filter.type === 'daterange') {
      const defaults = rangeFields(filter, timeZone);
      const pick = (key: 'from' | 'to') => {
        const given = query[key] === undefined ? defaults[key] : single(key, query[key]);
        return given === '' && filter.required ? defaults[key] : given;
      };
      const from = pick('from');
      const to = pick('to');
      const fromWallTime = from === '' ? undefined : wallOf('from', from, filter.show_time);
      // The last day is included: the range ends at the midnight after it.
      const toWallTime = to === '' ? undefined : wallOf('to', to, filter.show_time) + (filter.show_time ? 0 : DAY_MS);
      if (fromWallTime !== undefined && toWallTime !== undefined && toWallTime <= fromWallTime) throw invalid('to', 'must be after from', 'after', { other: 'from' });
      if (fromWallTime !== undefined) params.from = localIso(fromWall(fromWallTime, timeZone), timeZone);
      if (toWallTime !== undefined) params.to = localIso(fromWall(toWallTime, timeZone), timeZone);
      form.from = from;
      form.to = to;
      url.append('from', from);
      url.append('to', to);
      continue;
    }
    const param = filter.params[0]!;
    const options = filter.options ?? [];
    const optionOf = (value: string) => {
      const option = options.find((candidate) => String(candidate.value) === value);
      if (option === undefined) throw invalid(param, `has no option ${JSON.stringify(value.slice(0, 40))}`, 'unknown_reference', { value: value.slice(0, 40) });
      return option.value;
    };
    const fallback = filter.default?.[param];
    if (filter.type === 'multiselect') {
      const given = query[param];
      let values = given === undefined ? (Array.isArray(fallback) ? fallback.map(String) : []) : (Array.isArray(given) ? given : [given]).filter((value) => value !== '');
      if (values.length === 0 && filter.required) values = Array.isArray(fallback) && fallback.length > 0 ? fallback.map(String) : options.slice(0, 1).map((option) => String(option.value));
      if (values.length > 0) params[param] = values.map(optionOf);
      form[param] = values;
      for (const value of values) url.append(param, value);
      if (values.length === 0) url.append(param, '');
      continue;
    }
    const defaultValue = fallback === undefined || fallback === null ? '' : String(fallback);
    let value = query[param] === undefined ? defaultValue : single(param, query[param]);
    if (value === '' && filter.required) value = defaultValue !== '' ? defaultValue : String(options[0]?.value ?? '');
    if (value !== '') params[param] = optionOf(value);
    form[param] = value;
    url.append(param, value);
  }
  return { form, params, query: url.toString() };
}
