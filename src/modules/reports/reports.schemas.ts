import { Type } from 'typebox';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { Id, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';

const strict = { additionalProperties: false };
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A local day of the tenant, YYYY-MM-DD' });
const Counts = Type.Record(Type.String(), Type.Number());
const Figure = Type.Union([Type.Number(), Type.Null()]);
const LineFigures = {
  planned_seconds: Type.Number(), run_seconds: Type.Number(), downtime_seconds: Type.Number(), total_count: Type.Integer(), good_count: Type.Integer(),
  reject_count: Type.Integer(), availability: Figure, performance: Figure, quality: Figure, oee: Figure, stops: Type.Integer(),
};

export const ReportSummary = Type.Object({
  tenant: Type.Object({ id: Id, name: Type.String() }),
  day: Type.String(),
  time_zone: Type.String(),
  from: Timestamp,
  to: Timestamp,
  generated_at: Timestamp,
  security: Type.Object({
    alerts_opened: Type.Integer(),
    alerts_opened_by_severity: Counts,
    alerts_resolved: Type.Integer(),
    mean_time_to_resolve_minutes: Figure,
    alerts_open_at_end: Type.Integer(),
    alerts_open_at_end_by_severity: Counts,
    top_alerts: Type.Array(Type.Object({ title: Type.String(), severity: Type.String(), source: Type.String(), asset: Type.Union([Type.String(), Type.Null()]), status: Type.String(), first_seen: Timestamp })),
    vulnerabilities_found: Type.Integer(),
    vulnerabilities_resolved: Type.Integer(),
    vulnerabilities_open_at_end: Type.Integer(),
    vulnerabilities_open_at_end_by_severity: Counts,
    systems: Type.Record(Type.String(), Type.Integer(), { description: 'Systems by status when the report was made' }),
  }),
  production: Type.Union([
    Type.Object({
      lines: Type.Array(Type.Object({ line_id: Type.Integer(), line_name: Type.String(), ...LineFigures })),
      totals: Type.Union([Type.Object(LineFigures), Type.Null()], { description: 'All lines together; null when they are in different time zones' }),
    }),
    Type.Null(),
  ], { description: 'null: the tenant has no production lines' }),
});

export const Report = Type.Object({
  id: Id,
  tenant_id: Id,
  day: Type.String(),
  time_zone: Type.String(),
  from: Timestamp,
  to: Timestamp,
  summary: ReportSummary,
  pdf_url: Type.String(),
  csv_url: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const ReportPage = pageOf(Report);
export const ListReportsQuery = Type.Object({ ...TenantQuery, ...PageQuery }, strict);
export const TenantOnlyQuery = Type.Object(TenantQuery, strict);
export const GenerateReportBody = Type.Object({ day: Type.Optional(Day) }, { ...strict, description: 'Without day: the previous local day' });
export const ReportFileParams = Type.Object({ id: Id, format: Type.Union([Type.Literal('pdf'), Type.Literal('csv')]) }, strict);

export const ReportSettings = Type.Object({
  send_at: Type.String({ description: 'Local time of day (HH:MM, tenant time zone) after which the previous day\'s report is made and e-mailed' }),
  enabled: Type.Boolean(),
});
export const UpdateReportSettingsBody = Type.Object(
  { send_at: Type.Optional(Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' })), enabled: Type.Optional(Type.Boolean()) },
  { ...strict, minProperties: 1 },
);
export const Subscription = Type.Object({ subscribed: Type.Boolean() }, strict);
