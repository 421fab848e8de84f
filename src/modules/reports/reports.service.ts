import { HttpError, badRequest, forbidden, notFound } from '../../platform/http/errors.ts';
import { isLanguage, say } from '../../platform/languages.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { newId, toIso } from '../../platform/ids.ts';
import type { NotificationsDispatch } from '../notifications/notifications.dispatch.ts';
import { DAY_MS, fromWall, startOfWallDay, toWall, wallDate, wallTime } from '../production/local-time.ts';
import { isSeverity, nameIn, SEVERITIES, zeroSeverityCounts, type Severity } from '../security-domain/vocabulary.ts';
import { percent, renderCsv, renderPdf, type DailyFigures, type LineFigures } from './report-document.ts';
import type { ReportsRepo } from './reports.repo.ts';
import type { ReportRow } from './reports.tables.ts';

const DEFAULT_SEND_AT = '07:00';
const TOP_ALERTS = 10;
/** Alerts read for the "most severe" list; a day with more keeps the most severe of these. */
const ALERTS_READ = 2000;

/** What the report needs from production: the tenant's lines and their OEE (null: the tenant has no plant). */
export interface ProductionFigures {
  lines(tenantId: string): Promise<{ line_id: number; line_name: string; is_active: boolean }[] | null>;
  oee(tenantId: string, query: { line_id?: number; from: number; to: number; group_by: 'none' }): Promise<{ totals: Omit<LineFigures, 'line_id' | 'line_name'> }>;
}

export interface ReportView {
  id: string;
  tenant_id: string;
  day: string;
  time_zone: string;
  from: string;
  to: string;
  summary: DailyFigures;
  pdf_url: string;
  csv_url: string;
  created_at: string;
  updated_at: string;
}

function reportView(row: Omit<ReportRow, 'pdf' | 'csv'>): ReportView {
  return {
    id: row.id, tenant_id: row.tenant_id, day: row.day, time_zone: row.time_zone, from: toIso(Number(row.from_at)), to: toIso(Number(row.to_at)),
    summary: JSON.parse(row.summary) as DailyFigures, pdf_url: `/api/v1/reports/${row.id}.pdf`, csv_url: `/api/v1/reports/${row.id}.csv`,
    created_at: toIso(Number(row.created_at)), updated_at: toIso(Number(row.updated_at)),
  };
}

function severityCounts(rows: { severity: string; n: number | string }[]): Record<Severity, number> {
  const counts = zeroSeverityCounts();
  for (const { severity, n } of rows) if (isSeverity(severity)) counts[severity] += Number(n);
  return counts;
}
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** [from, to) of a local day, and the day before `now`'s local day. */
export function localDay(day: string, timeZone: string): { from: number; to: number } {
  const wall = Date.parse(`${day}T00:00:00Z`);
  return { from: fromWall(wall, timeZone), to: fromWall(wall + DAY_MS, timeZone) };
}
export const previousLocalDay = (now: number, timeZone: string) => wallDate(startOfWallDay(toWall(now, timeZone)) - DAY_MS);

export function createReportsService(deps: { repo: ReportsRepo; production: ProductionFigures; mail: Pick<NotificationsDispatch, 'queueEmail'>; smtpConfigured: boolean }) {
  const { repo, production, mail } = deps;

  async function security(tenantId: string, from: number, to: number): Promise<DailyFigures['security']> {
    const [opened, resolved, openAtEnd, alerts, found, fixed, vulnsOpen, systems] = await Promise.all([
      repo.alertsOpenedBySeverity(tenantId, from, to), repo.alertsResolved(tenantId, from, to), repo.alertsOpenAtBySeverity(tenantId, to),
      repo.alertsOpened(tenantId, from, to, ALERTS_READ), repo.vulnerabilitiesFound(tenantId, from, to), repo.vulnerabilitiesResolved(tenantId, from, to),
      repo.vulnerabilitiesOpenAtBySeverity(tenantId, to), repo.systemsByStatus(tenantId),
    ]);
    const rank = (severity: string) => (SEVERITIES as readonly string[]).indexOf(severity);
    const openedCounts = severityCounts(opened);
    const openCounts = severityCounts(openAtEnd);
    const vulnCounts = severityCounts(vulnsOpen);
    return {
      alerts_opened: sum(openedCounts),
      alerts_opened_by_severity: openedCounts,
      alerts_resolved: Number(resolved.n),
      mean_time_to_resolve_minutes: resolved.mean_ms === null ? null : Math.round(Number(resolved.mean_ms) / 6000) / 10,
      alerts_open_at_end: sum(openCounts),
      alerts_open_at_end_by_severity: openCounts,
      top_alerts: [...alerts].sort((a, b) => rank(a.severity) - rank(b.severity) || Number(a.first_seen) - Number(b.first_seen)).slice(0, TOP_ALERTS).map((alert) => ({
        title: alert.title, severity: alert.severity, source: alert.source, asset: alert.asset, status: alert.status, first_seen: toIso(Number(alert.first_seen)),
      })),
      vulnerabilities_found: found,
      vulnerabilities_resolved: fixed,
      vulnerabilities_open_at_end: sum(vulnCounts),
      vulnerabilities_open_at_end_by_severity: vulnCounts,
      systems: Object.fromEntries(systems.map((row) => [row.status, Number(row.n)])),
    };
  }

  async function productionOf(tenantId: string, from: number, to: number): Promise<DailyFigures['production']> {
    const lines = (await production.lines(tenantId))?.filter((line) => line.is_active);
    if (lines === undefined) return null;
    const perLine: LineFigures[] = [];
    for (const line of lines) perLine.push({ line_id: line.line_id, line_name: line.line_name, ...pickFigures((await production.oee(tenantId, { line_id: line.line_id, from, to, group_by: 'none' })).totals) });
    // Lines in different time zones have no combined figure.
    const totals = lines.length === 0 ? null : await production.oee(tenantId, { from, to, group_by: 'none' }).then((oee) => pickFigures(oee.totals), (error: unknown) => {
      if (error instanceof HttpError && error.status === 400) return null;
      throw error;
    });
    return { lines: perLine, totals };
  }

  /** Makes the report of a local day (figures, PDF, CSV). */
  async function build(tenantId: string, day: string, now: number) {
    const tenant = await repo.tenant(tenantId);
    const config = JSON.parse(tenant.config) as { timezone?: string; language?: string };
    const timeZone = config.timezone ?? 'UTC';
    // In the tenant's language, as its people read the UI by default.
    const language = isLanguage(config.language) ? config.language : 'en';
    const { from, to } = localDay(day, timeZone);
    const figures: DailyFigures = {
      tenant: { id: tenantId, name: tenant.name }, day, time_zone: timeZone, from: toIso(from), to: toIso(to), generated_at: toIso(now),
      security: await security(tenantId, from, to),
      production: await productionOf(tenantId, from, to),
    };
    return { figures, timeZone, language, from, to, pdf: await renderPdf(figures, language), csv: renderCsv(figures) };
  }

  /** Queues the report's e-mail to each subscriber (in the caller's transaction), in the report's language. */
  async function mailReport(tenantId: string, built: Awaited<ReturnType<typeof build>>, now: number): Promise<number> {
    if (!deps.smtpConfigured) return 0;
    const recipients = await repo.subscriberEmails(tenantId);
    const { figures, language } = built;
    const s = figures.security;
    const oee = figures.production?.totals?.oee;
    const bySeverity = {
      en: SEVERITIES.map((sev) => `${s.alerts_opened_by_severity[sev]} ${sev}`).join(', '),
      es: SEVERITIES.map((sev) => `${nameIn('es', sev)}: ${s.alerts_opened_by_severity[sev]}`).join(', '),
    };
    const oeeText = oee === undefined ? '—' : percent(oee, language);
    const lineCount = figures.production?.lines.length ?? 0;
    const text = [
      say(`Daily report of ${figures.tenant.name} for ${figures.day} (${figures.time_zone}).`, `Informe diario de ${figures.tenant.name} del ${figures.day} (${figures.time_zone}).`), '',
      say(
        `Alerts: ${s.alerts_opened} opened (${bySeverity.en}), ${s.alerts_resolved} resolved, ${s.alerts_open_at_end} open at the end of the day.`,
        `Alertas nuevas: ${s.alerts_opened} (${bySeverity.es}); resueltas: ${s.alerts_resolved}; abiertas al final del día: ${s.alerts_open_at_end}.`,
      ),
      say(
        `Vulnerabilities: ${s.vulnerabilities_found} found, ${s.vulnerabilities_resolved} resolved, ${s.vulnerabilities_open_at_end} open.`,
        `Vulnerabilidades encontradas: ${s.vulnerabilities_found}; resueltas: ${s.vulnerabilities_resolved}; abiertas: ${s.vulnerabilities_open_at_end}.`,
      ),
      ...(figures.production === null ? [] : [say(`Production: OEE ${oeeText} over ${lineCount} line(s).`, `Producción: OEE ${oeeText}; líneas: ${lineCount}.`)]),
      '', say('The PDF and the CSV are attached.', 'Se adjuntan el PDF y el CSV.'),
    ].map((line) => (typeof line === 'string' ? line : line[language])).join('\n');
    const subject = `[Sentinel] ${say('Daily report', 'Informe diario')[language]} ${figures.day} - ${figures.tenant.name}`;
    const attachments = [
      { filename: `sentinel-report-${figures.day}.pdf`, content_type: 'application/pdf', content_base64: built.pdf.toString('base64') },
      { filename: `sentinel-report-${figures.day}.csv`, content_type: 'text/csv', content_base64: Buffer.from(built.csv, 'utf8').toString('base64') },
    ];
    for (const to of recipients) await mail.queueEmail(tenantId, 'report.daily', { to: [to], subject, text, attachments }, now);
    return recipients.length;
  }

  function rowOf(tenantId: string, day: string, built: Awaited<ReturnType<typeof build>>, now: number): ReportRow {
    return {
      id: newId(now), tenant_id: tenantId, day, time_zone: built.timeZone, from_at: built.from, to_at: built.to, summary: JSON.stringify(built.figures),
      pdf: built.pdf, csv: built.csv, created_at: now, updated_at: now,
    };
  }

  async function get(tenantId: string, id: string): Promise<ReportView> {
    const row = await repo.find(tenantId, id);
    if (row === undefined) throw notFound(say('Report not found', 'No se ha encontrado el informe'));
    return reportView(row);
  }

  async function settings(tenantId: string) {
    const row = await repo.settings(tenantId);
    return { send_at: row?.send_at ?? DEFAULT_SEND_AT, enabled: row === undefined ? true : row.enabled === 1 };
  }

  return {
    get,
    settings,

    async list(tenantId: string, input: { limit?: number; cursor?: string }) {
      const limit = input.limit ?? 50;
      const rows = await repo.list(tenantId, { limit, ...(input.cursor !== undefined ? { beforeId: decodeCursor(input.cursor) } : {}) });
      return toPage(rows, limit, reportView);
    },

    async file(tenantId: string, id: string, format: 'pdf' | 'csv'): Promise<{ day: string; body: Buffer | string }> {
      const row = await repo.find(tenantId, id);
      if (row === undefined) throw notFound(say('Report not found', 'No se ha encontrado el informe'));
      return { day: row.day, body: format === 'pdf' ? Buffer.from(row.pdf) : row.csv };
    },

    /** Makes (or makes again, with today's data) the report of a past local day; nothing is e-mailed. */
    async generate(tenantId: string, day: string | undefined, now = Date.now()): Promise<{ report: ReportView; created: boolean }> {
      const tenant = await repo.tenant(tenantId);
      const timeZone = (JSON.parse(tenant.config) as { timezone?: string }).timezone ?? 'UTC';
      const target = day ?? previousLocalDay(now, timeZone);
      if (Number.isNaN(Date.parse(`${target}T00:00:00Z`)) || wallDate(Date.parse(`${target}T00:00:00Z`)) !== target) throw badRequest(say('day is not a date', 'day no es una fecha'), [{ field: 'day', message: 'must be a date (YYYY-MM-DD)', code: 'format', params: { format: 'date' } }]);
      const today = wallDate(toWall(now, timeZone));
      if (target >= today) throw badRequest(say('Only a day that has ended has a report', 'Solo un día que ya ha terminado tiene informe'), [{ field: 'day', message: `must be before today (${today} in ${timeZone})`, code: 'before', params: { other: today } }]);
      const built = await build(tenantId, target, now);
      const existing = await repo.findDay(tenantId, target);
      if (existing !== undefined) {
        await repo.replace(tenantId, existing.id, { summary: JSON.stringify(built.figures), pdf: built.pdf, csv: built.csv, time_zone: built.timeZone, from_at: built.from, to_at: built.to, updated_at: now });
        return { report: await get(tenantId, existing.id), created: false };
      }
      const row = rowOf(tenantId, target, built, now);
      await repo.insert(row);
      return { report: reportView(row), created: true };
    },

    /**
     * The schedule: each tenant whose local time has passed its send time gets the report of its
     * previous local day, made once (a unique day per tenant) and e-mailed to its subscribers.
     */
    async runSchedule(now = Date.now()): Promise<number> {
      let made = 0;
      const failures: unknown[] = [];
      const due: Array<{ tenantId: string; day: string }> = [];
      for (const tenant of await repo.tenantsWithSettings()) {
        if (tenant.enabled === 0) continue;
        const timeZone = (JSON.parse(tenant.config) as { timezone?: string }).timezone ?? 'UTC';
        if (wallTime(toWall(now, timeZone)) < (tenant.send_at ?? DEFAULT_SEND_AT)) continue;
        const day = previousLocalDay(now, timeZone);
        // A day that was over before the tenant existed has nothing to report (a new tenant would
        // otherwise get an empty report at once; a thousand new tenants, a thousand PDFs).
        if (localDay(day, timeZone).to <= Number(tenant.created_at)) continue;
        due.push({ tenantId: tenant.id, day });
      }
      if (due.length === 0) return 0;
      // One query for what is made already: after the send time, every minute finds most tenants done.
      const reported = await repo.reportedDays([...new Set(due.map((item) => item.day))]);
      const missing = due.filter((item) => !reported.has(`${item.tenantId} ${item.day}`));
      // From a random tenant on: a run that outlives its minute overlaps the next one (on another
      // node), and two runs in the same order would render the same reports side by side.
      const start = Math.floor(Math.random() * missing.length);
      for (const { tenantId, day } of [...missing.slice(start), ...missing.slice(0, start)]) {
        try {
          // Made meanwhile by a run asked for by hand: skipped rather than rendered again.
          if ((await repo.findDay(tenantId, day)) !== undefined) continue;
          const built = await build(tenantId, day, now);
          const stored = await repo.transaction(async () => (await repo.insert(rowOf(tenantId, day, built, now))) && (await mailReport(tenantId, built, now), true));
          if (stored) made++;
        } catch (error) {
          // One tenant's failure (its plant database is down …) does not hold up the others; it is tried again next time.
          failures.push(new Error(`tenant ${tenantId}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, `daily reports failed for ${failures.length} tenant(s)`);
      return made;
    },

    async saveSettings(tenantId: string, input: { send_at?: string; enabled?: boolean }) {
      const current = await settings(tenantId);
      const next = { send_at: input.send_at ?? current.send_at, enabled: input.enabled ?? current.enabled };
      await repo.saveSettings(tenantId, { send_at: next.send_at, enabled: next.enabled ? 1 : 0 }, Date.now());
      return next;
    },

    async subscription(tenantId: string, userId: string) {
      await assertTenantUser(tenantId, userId);
      return { subscribed: await repo.isSubscribed(tenantId, userId) };
    },

    async setSubscription(tenantId: string, userId: string, subscribed: boolean) {
      await assertTenantUser(tenantId, userId);
      if (subscribed) await repo.subscribe(tenantId, userId, Date.now());
      else await repo.unsubscribe(tenantId, userId);
      return { subscribed };
    },
  };

  async function assertTenantUser(tenantId: string, userId: string): Promise<void> {
    if (!(await repo.userInTenant(tenantId, userId))) throw forbidden(say('Only the tenant\'s own users subscribe to its reports', 'Solo los usuarios del propio cliente pueden suscribirse a sus informes'));
  }
}

function pickFigures(totals: Omit<LineFigures, 'line_id' | 'line_name'>): Omit<LineFigures, 'line_id' | 'line_name'> {
  const { planned_seconds, run_seconds, downtime_seconds, total_count, good_count, reject_count, availability, performance, quality, oee, stops } = totals;
  return { planned_seconds, run_seconds, downtime_seconds, total_count, good_count, reject_count, availability, performance, quality, oee, stops };
}

export type ReportsService = ReturnType<typeof createReportsService>;
