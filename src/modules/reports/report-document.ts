/**
 * The daily report as files: a PDF for people (pdfkit, its built-in Helvetica, so nothing is read
 * from disk) and a CSV for spreadsheets, both from the same figures.
 */
import type { Language } from '../../platform/languages.ts';
import type { OeeFigures } from '../production/oee.ts';
import { nameIn, SEVERITIES, type Severity } from '../security-domain/vocabulary.ts';

/** A line's OEE figures of the day, as the OEE API reports them. */
export type LineFigures = { line_id: number; line_name: string } & Pick<OeeFigures,
  'planned_seconds' | 'run_seconds' | 'downtime_seconds' | 'total_count' | 'good_count' | 'reject_count' | 'availability' | 'performance' | 'quality' | 'oee' | 'stops'>;

export interface DailyFigures {
  tenant: { id: string; name: string };
  day: string;
  time_zone: string;
  from: string;
  to: string;
  generated_at: string;
  security: {
    alerts_opened: number;
    alerts_opened_by_severity: Record<Severity, number>;
    alerts_resolved: number;
    mean_time_to_resolve_minutes: number | null;
    alerts_open_at_end: number;
    alerts_open_at_end_by_severity: Record<Severity, number>;
    top_alerts: { title: string; severity: string; source: string; asset: string | null; status: string; first_seen: string }[];
    vulnerabilities_found: number;
    vulnerabilities_resolved: number;
    vulnerabilities_open_at_end: number;
    vulnerabilities_open_at_end_by_severity: Record<Severity, number>;
    /** As the report was made (systems keep no history). */
    systems: Record<string, number>;
  };
  /** null: the tenant has no production lines. */
  production: { lines: LineFigures[]; totals: Omit<LineFigures, 'line_id' | 'line_name'> | null } | null;
}

const LOCALES: Record<Language, string> = { en: 'en-US', es: 'es-ES' };
// toFixed, as the English report always had; Spanish writes its decimal comma.
const oneDecimal = (language: Language, value: number) => (language === 'es' ? value.toFixed(1).replace('.', ',') : value.toFixed(1));
export const percent = (value: number | null, language: Language = 'en') => (value === null ? '—' : `${oneDecimal(language, value * 100)} %`);
const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** What the PDF says, in the tenant's language; values of the API (statuses in the tables) are named, the rest is prose. */
const WORDS = {
  en: {
    title: 'Daily report', security: 'Security', production: 'Production',
    localDay: (from: string, to: string, generated: string) => `The local day from midnight to midnight: ${from} to ${to} UTC. Generated ${generated} UTC.`,
    alertsOpened: 'Alerts opened', alertsResolved: 'Alerts resolved', openAtEnd: 'Open at end of day', meanTimeToResolve: 'Mean time to resolve',
    severity: 'Severity', alertsOpenAtEnd: 'Alerts open at end', vulnerabilitiesOpenAtEnd: 'Vulnerabilities open at end',
    vulnerabilities: (found: string, resolved: string, open: string) => `Vulnerabilities: ${found} found, ${resolved} resolved, ${open} open at the end of the day.`,
    systemsNow: (list: string) => `Systems now: ${list}.`, noSystems: 'none connected',
    mostSevere: 'Most severe alerts opened', alert: 'Alert', source: 'Source', firstSeen: 'First seen (UTC)', status: 'Status',
    noLines: 'No production lines.',
    oeeNote: 'OEE = availability × performance × quality over the lines\' planned shift time of the day. "—": no planned time or no output.',
    availability: 'Availability', performance: 'Performance', quality: 'Quality',
    line: 'Line', planned: 'Planned', downtime: 'Downtime', stops: 'Stops', good: 'Good', rejects: 'Rejects', availabilityShort: 'Avail.', performanceShort: 'Perf.',
    page: (page: number, pages: number) => `Page ${page} of ${pages}`,
  },
  es: {
    title: 'Informe diario', security: 'Seguridad', production: 'Producción',
    localDay: (from: string, to: string, generated: string) => `El día local de medianoche a medianoche: de ${from} a ${to} UTC. Generado el ${generated} UTC.`,
    alertsOpened: 'Alertas nuevas', alertsResolved: 'Alertas resueltas', openAtEnd: 'Abiertas al final del día', meanTimeToResolve: 'T. medio resolución',
    severity: 'Severidad', alertsOpenAtEnd: 'Alertas abiertas al final', vulnerabilitiesOpenAtEnd: 'Vulnerabilidades abiertas al final',
    vulnerabilities: (found: string, resolved: string, open: string) => `Vulnerabilidades encontradas: ${found}; resueltas: ${resolved}; abiertas al final del día: ${open}.`,
    systemsNow: (list: string) => `Sistemas ahora: ${list}.`, noSystems: 'ninguno conectado',
    mostSevere: 'Alertas nuevas más graves', alert: 'Alerta', source: 'Origen', firstSeen: 'Detectada (UTC)', status: 'Estado',
    noLines: 'No hay líneas de producción.',
    oeeNote: 'OEE = disponibilidad × rendimiento × calidad sobre el tiempo de turno planificado de las líneas en el día. "—": sin tiempo planificado o sin producción.',
    availability: 'Disponibilidad', performance: 'Rendimiento', quality: 'Calidad',
    line: 'Línea', planned: 'Planif.', downtime: 'T. parado', stops: 'Paros', good: 'Buenas', rejects: 'Malas', availabilityShort: 'Disp.', performanceShort: 'Rend.',
    page: (page: number, pages: number) => `Página ${page} de ${pages}`,
  },
} satisfies Record<Language, unknown>;

const INK = '#111827';
const MUTED = '#6B7280';
const RULE = '#E5E7EB';
const ACCENT = '#1E3A8A';
const SEVERITY_COLOURS: Record<string, string> = { critical: '#B91C1C', high: '#EA580C', medium: '#CA8A04', low: '#2563EB', info: '#6B7280' };

/** Helvetica (WinAnsi) has no glyph for other characters: they would print as garbage. */
function printable(text: string): string {
  return text.normalize('NFC').replace(/[^\x20-\x7E\u00A0-\u00FF\u2013\u2014\u2018\u2019\u201C\u201D\u2022\u20AC]/g, '?');
}

interface Column {
  title: string;
  width: number;
  align?: 'left' | 'right';
}

export async function renderPdf(figures: DailyFigures, language: Language = 'en'): Promise<Buffer> {
  const words = WORDS[language];
  const integer = (value: number) => value.toLocaleString(LOCALES[language]);
  const hours = (seconds: number) => `${oneDecimal(language, seconds / 3600)} h`;
  const share = (value: number | null) => percent(value, language);
  const severityName = (severity: string) => capitalise(nameIn(language, severity));
  const statusName = (status: string) => nameIn(language, status);
  // pdfkit loads with the first report, not with every start of the service.
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({ size: 'A4', margins: { top: 50, bottom: 60, left: 50, right: 50 }, bufferPages: true, info: { Title: `${words.title} ${figures.day} - ${printable(figures.tenant.name)}`, Author: 'Sentinel' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;

  const ensureRoom = (height: number) => {
    if (doc.y + height > doc.page.height - doc.page.margins.bottom) doc.addPage();
  };
  /** `keepWith`: the height of what follows that should start on the same page, when it fits on one. */
  const heading = (text: string, keepWith = 30) => {
    ensureRoom(Math.min(30 + keepWith, doc.page.height - doc.page.margins.top - doc.page.margins.bottom));
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(14).fillColor(ACCENT).text(text, left, doc.y);
    doc.moveTo(left, doc.y + 2).lineTo(left + width, doc.y + 2).lineWidth(1).strokeColor(ACCENT).stroke();
    doc.moveDown(0.6);
  };
  const note = (text: string) => doc.font('Helvetica').fontSize(8.5).fillColor(MUTED).text(printable(text), left, doc.y, { width });

  /** A row of key figures in boxes. */
  const tiles = (items: [string, string][]) => {
    ensureRoom(60);
    const gap = 10;
    const tileWidth = (width - gap * (items.length - 1)) / items.length;
    const top = doc.y;
    items.forEach(([label, value], index) => {
      const x = left + index * (tileWidth + gap);
      doc.roundedRect(x, top, tileWidth, 50, 4).fillAndStroke('#F3F4F6', RULE);
      doc.font('Helvetica-Bold').fontSize(18).fillColor(INK).text(value, x + 10, top + 8, { width: tileWidth - 20 });
      doc.font('Helvetica').fontSize(8.5).fillColor(MUTED).text(label, x + 10, top + 32, { width: tileWidth - 20 });
    });
    doc.x = left;
    doc.y = top + 62;
  };

  const table = (columns: Column[], rows: { cells: string[]; colour?: string }[]) => {
    const total = columns.reduce((sum, column) => sum + column.width, 0);
    const widths = columns.map((column) => (column.width / total) * width);
    const header = columns.map((column) => column.title);
    const drawRow = (cells: string[], bold: boolean, colour: string) => {
      doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
      const height = Math.max(...cells.map((cell, i) => doc.heightOfString(printable(cell), { width: widths[i]! - 8 }))) + 8;
      if (doc.y + height > doc.page.height - doc.page.margins.bottom) {
        doc.addPage();
        // A table that goes on to the next page starts there with its header again.
        if (cells !== header) drawRow(header, true, MUTED);
        doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
      }
      const top = doc.y;
      let x = left;
      cells.forEach((cell, i) => {
        doc.fillColor(i === 0 ? colour : INK).text(printable(cell), x + 4, top + 4, { width: widths[i]! - 8, align: columns[i]!.align ?? 'left' });
        x += widths[i]!;
      });
      doc.moveTo(left, top + height).lineTo(left + width, top + height).lineWidth(0.5).strokeColor(RULE).stroke();
      doc.x = left;
      doc.y = top + height;
    };
    // Kept on one page when it fits on one.
    ensureRoom(Math.min((rows.length + 1) * 20, doc.page.height - doc.page.margins.top - doc.page.margins.bottom));
    drawRow(header, true, MUTED);
    for (const row of rows) drawRow(row.cells, false, row.colour ?? INK);
    doc.moveDown(0.6);
  };

  // Title block.
  doc.rect(0, 0, doc.page.width, 90).fill(ACCENT);
  doc.font('Helvetica-Bold').fontSize(20).fillColor('#FFFFFF').text(words.title, left, 28, { width });
  doc.font('Helvetica').fontSize(11).fillColor('#DBEAFE').text(`${printable(figures.tenant.name)}  •  ${figures.day}  (${figures.time_zone})`, left, 56, { width });
  doc.x = left;
  doc.y = 110;
  const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  note(words.localDay(utc(figures.from), utc(figures.to), utc(figures.generated_at)));

  const security = figures.security;
  heading(words.security);
  tiles([
    [words.alertsOpened, integer(security.alerts_opened)],
    [words.alertsResolved, integer(security.alerts_resolved)],
    [words.openAtEnd, integer(security.alerts_open_at_end)],
    [words.meanTimeToResolve, security.mean_time_to_resolve_minutes === null ? '—' : `${security.mean_time_to_resolve_minutes.toFixed(0)} min`],
  ]);
  table(
    [{ title: words.severity, width: 2 }, { title: words.alertsOpened, width: 2, align: 'right' }, { title: words.alertsOpenAtEnd, width: 2, align: 'right' }, { title: words.vulnerabilitiesOpenAtEnd, width: 3, align: 'right' }],
    SEVERITIES.map((severity) => ({
      cells: [severityName(severity), integer(security.alerts_opened_by_severity[severity]), integer(security.alerts_open_at_end_by_severity[severity]), integer(security.vulnerabilities_open_at_end_by_severity[severity])],
      colour: SEVERITY_COLOURS[severity],
    })),
  );
  doc.font('Helvetica').fontSize(10).fillColor(INK)
    .text(words.vulnerabilities(integer(security.vulnerabilities_found), integer(security.vulnerabilities_resolved), integer(security.vulnerabilities_open_at_end)), left, doc.y, { width });
  const systems = Object.entries(security.systems);
  doc.text(words.systemsNow(systems.length === 0 ? words.noSystems : systems.map(([status, n]) => `${integer(n)} ${statusName(status)}`).join(', ')), left, doc.y, { width });
  doc.moveDown(0.6);
  if (security.top_alerts.length > 0) {
    doc.font('Helvetica-Bold').fontSize(11).fillColor(INK).text(words.mostSevere, left, doc.y);
    doc.moveDown(0.3);
    table(
      [{ title: words.severity, width: 1.2 }, { title: words.alert, width: 4 }, { title: words.source, width: 2 }, { title: words.firstSeen, width: 1.6 }, { title: words.status, width: 1.3 }],
      security.top_alerts.map((alert) => ({
        cells: [severityName(alert.severity), alert.asset ? `${alert.title} (${alert.asset})` : alert.title, alert.source, alert.first_seen.slice(11, 16), statusName(alert.status)],
        colour: SEVERITY_COLOURS[alert.severity],
      })),
    );
  }

  const production = figures.production;
  heading(words.production, 120 + ((production?.lines.length ?? 0) + 1) * 20);
  if (production === null || production.lines.length === 0) {
    note(words.noLines);
  } else {
    note(words.oeeNote);
    doc.moveDown(0.5);
    if (production.totals !== null) {
      tiles([
        ['OEE', share(production.totals.oee)],
        [words.availability, share(production.totals.availability)],
        [words.performance, share(production.totals.performance)],
        [words.quality, share(production.totals.quality)],
      ]);
    }
    table(
      [
        { title: words.line, width: 2.4 }, { title: words.planned, width: 1.2, align: 'right' }, { title: words.downtime, width: 1.5, align: 'right' }, { title: words.stops, width: 0.9, align: 'right' },
        { title: words.good, width: 1.2, align: 'right' }, { title: words.rejects, width: 1.2, align: 'right' }, { title: words.availabilityShort, width: 1.1, align: 'right' },
        { title: words.performanceShort, width: 1.1, align: 'right' }, { title: words.quality, width: 1.1, align: 'right' }, { title: 'OEE', width: 1.1, align: 'right' },
      ],
      production.lines.map((line) => ({
        cells: [line.line_name, hours(line.planned_seconds), hours(line.downtime_seconds), integer(line.stops), integer(line.good_count), integer(line.reject_count), share(line.availability), share(line.performance), share(line.quality), share(line.oee)],
      })),
    );
  }

  // Footers, once every page exists.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('Helvetica').fontSize(8).fillColor(MUTED)
      .text(`Sentinel  •  ${printable(figures.tenant.name)}  •  ${figures.day}`, left, doc.page.height - 40, { width, align: 'left', lineBreak: false })
      .text(words.page(i - range.start + 1, range.count), left, doc.page.height - 40, { width, align: 'right', lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}

/** A cell as CSV: quoted when needed, and never read as a formula by a spreadsheet. */
function cell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One figure per row: `section,subject,metric,value`. */
export function renderCsv(figures: DailyFigures): string {
  const rows: (string | number | null)[][] = [['section', 'subject', 'metric', 'value']];
  const s = figures.security;
  rows.push(
    ['report', '', 'tenant', figures.tenant.name], ['report', '', 'day', figures.day], ['report', '', 'time_zone', figures.time_zone],
    ['report', '', 'from', figures.from], ['report', '', 'to', figures.to], ['report', '', 'generated_at', figures.generated_at],
    ['security', 'alerts', 'opened', s.alerts_opened], ['security', 'alerts', 'resolved', s.alerts_resolved], ['security', 'alerts', 'open_at_end', s.alerts_open_at_end],
    ['security', 'alerts', 'mean_time_to_resolve_minutes', s.mean_time_to_resolve_minutes === null ? null : Number(s.mean_time_to_resolve_minutes.toFixed(1))],
  );
  for (const severity of SEVERITIES) rows.push(['security', `alerts_${severity}`, 'opened', s.alerts_opened_by_severity[severity]], ['security', `alerts_${severity}`, 'open_at_end', s.alerts_open_at_end_by_severity[severity]]);
  rows.push(['security', 'vulnerabilities', 'found', s.vulnerabilities_found], ['security', 'vulnerabilities', 'resolved', s.vulnerabilities_resolved], ['security', 'vulnerabilities', 'open_at_end', s.vulnerabilities_open_at_end]);
  for (const severity of SEVERITIES) rows.push(['security', `vulnerabilities_${severity}`, 'open_at_end', s.vulnerabilities_open_at_end_by_severity[severity]]);
  for (const [status, n] of Object.entries(s.systems)) rows.push(['security', 'systems', status, n]);
  for (const line of figures.production?.lines ?? []) {
    const { line_id: _id, line_name: name, ...values } = line;
    for (const [metric, value] of Object.entries(values)) rows.push(['production', name, metric, value]);
  }
  if (figures.production?.totals) for (const [metric, value] of Object.entries(figures.production.totals)) rows.push(['production', 'all lines', metric, value]);
  return `${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`;
}
