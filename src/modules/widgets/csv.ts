/** A widget's data as CSV (RFC 4180), for spreadsheets. */
import type { Cell, WidgetData } from './sources/types.ts';

/** Quoted when needed; text a spreadsheet would run as a formula is prefixed with a quote. */
function field(value: Cell): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const line = (cells: Cell[]) => cells.map(field).join(',');
const withUnit = (label: string, unit: string) => (unit === '' ? label : `${label} (${unit})`);

export function toCsv(data: WidgetData): string {
  let lines: string[];
  if (data.shape === 'chart') {
    lines = [
      line(['label', ...data.datasets.map((dataset) => withUnit(dataset.label, dataset.unit))]),
      ...data.labels.map((label, index) => line([label, ...data.datasets.map((dataset) => dataset.data[index] ?? null)])),
    ];
  } else if (data.shape === 'value') {
    lines = [line(['value', 'previous', 'delta', 'unit']), line([data.value, data.previous, data.delta, data.unit])];
  } else {
    lines = [line(data.columns.map((column) => column.label)), ...data.rows.map((row) => line(data.columns.map((column) => row[column.key] ?? null)))];
  }
  return `${lines.join('\r\n')}\r\n`;
}
