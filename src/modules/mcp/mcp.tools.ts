import { Type, type TSchema } from 'typebox';
import type { Permission } from '../../platform/auth/permissions.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import { Id, TenantQuery } from '../../platform/http/schemas.ts';
import type { AppServices } from '../../services.ts';
import { AlertTicketBody, ListActiveAlertsQuery } from '../alerts/alerts.schemas.ts';
import { IncidentsQuery, ResponseTimeQuery } from '../analytics/analytics.schemas.ts';
import { OeeQuery } from '../production/production.schemas.ts';
import { ListSystemsQuery } from '../systems/systems.schemas.ts';
import { ListTicketsQuery } from '../tickets/tickets.schemas.ts';
import { ListVulnerabilitiesQuery } from '../vulnerabilities/vulnerabilities.schemas.ts';

/** What a tool runs with: the tenant it acts on (already resolved) and who asked. */
export interface ToolCall<Args> {
  tenantId: string;
  principal: Principal;
  args: Args;
}

/** The audit entry of a tool, the same action as its REST twin's. */
export interface ToolAudit {
  action: string;
  resourceType: string;
}

/**
 * One assistant tool: its input (the REST twin's query schema where there is one, so both accept
 * the same), the permission the REST twin needs, and what it runs. `write` tools change data:
 * they run in one transaction with their audit entry and are offered only to callers allowed.
 */
export interface ToolDefinition {
  name: string;
  title: string;
  description: string;
  input: TSchema;
  permission: Permission;
  audit?: ToolAudit;
  write?: true;
  /** The id of the resource the call is about, for the audit entry. */
  resourceId?: (args: Record<string, unknown>) => string | undefined;
  /** What the audit entry of a successful call adds about its result. */
  auditDetail?: (result: any) => Record<string, unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the tool's own result
  /** What the caller gets when it is not the result itself (the REST twin's body). */
  view?: (result: any) => object; // eslint-disable-line @typescript-eslint/no-explicit-any -- the tool's own result
  run: (services: AppServices, call: ToolCall<any>) => Promise<object>; // eslint-disable-line @typescript-eslint/no-explicit-any -- validated against `input` first
}

const strict = { additionalProperties: false } as const;
const ById = (what: string) => Type.Object({ id: { ...Id, description: `The ${what}'s id` }, ...TenantQuery }, strict);
const LineInput = Type.Object({ line_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Production line id (see list_production_lines)' }), ...TenantQuery }, strict);
const TenantOnly = Type.Object(TenantQuery, strict);
const AlertTicketInput = Type.Object({ id: { ...Id, description: 'The alert\'s id' }, ...AlertTicketBody.properties, ...TenantQuery }, strict);
const idOf = (args: Record<string, unknown>) => args.id as string;

export const TOOLS: readonly ToolDefinition[] = [
  {
    name: 'get_security_summary',
    title: 'Security summary',
    description: 'A compact security posture of the tenant: systems by status, open alerts by severity with the most urgent, open vulnerabilities, response times (as GET /api/v1/context/security-summary).',
    input: TenantOnly,
    permission: 'analytics:read',
    audit: { action: 'context.security_summary', resourceType: 'context' },
    run: (services, { tenantId }) => services.context.securitySummary(tenantId),
  },
  {
    name: 'get_systems_status',
    title: 'Systems status counts',
    description: 'How many connected systems are online, in warning or in alert (as GET /api/v1/systems/status).',
    input: TenantOnly,
    permission: 'systems:read',
    audit: { action: 'system.status_counts', resourceType: 'system' },
    run: (services, { tenantId }) => services.systems.statusCounts(tenantId),
  },
  {
    name: 'list_systems',
    title: 'Connected systems',
    description: 'Connected systems with their status, metrics and recent open alerts; filter by status or type (as GET /api/v1/systems).',
    input: ListSystemsQuery,
    permission: 'systems:read',
    audit: { action: 'system.list', resourceType: 'system' },
    run: (services, { tenantId, args }) => services.systems.list(tenantId, args),
  },
  {
    name: 'list_active_alerts',
    title: 'Active alerts',
    description: 'Open alerts (active and acknowledged), newest first, with filters; page with `cursor` = the previous answer\'s next_cursor (as GET /api/v1/alerts/active).',
    input: ListActiveAlertsQuery,
    permission: 'alerts:read',
    audit: { action: 'alert.list_active', resourceType: 'alert' },
    run: (services, { tenantId, args }) => services.alerts.listActive(tenantId, args),
  },
  {
    name: 'get_alert',
    title: 'One alert',
    description: 'One alert by id, in any status (as GET /api/v1/alerts/{id}).',
    input: ById('alert'),
    permission: 'alerts:read',
    audit: { action: 'alert.get', resourceType: 'alert' },
    resourceId: idOf,
    run: (services, { tenantId, args }) => services.alerts.get(tenantId, args.id),
  },
  {
    name: 'list_vulnerabilities',
    title: 'Vulnerabilities',
    description: 'Vulnerability findings, newest first; filter by status, severity, CVE or system (as GET /api/v1/vulnerabilities).',
    input: ListVulnerabilitiesQuery,
    permission: 'vulnerabilities:read',
    audit: { action: 'vulnerability.list', resourceType: 'vulnerability' },
    run: (services, { tenantId, args }) => services.vulnerabilities.list(tenantId, args),
  },
  {
    name: 'get_incident_analytics',
    title: 'Incidents by hour',
    description: 'Alerts first seen in the last `hours` (default 24): totals by severity and an hourly series (as GET /api/v1/analytics/incidents).',
    input: IncidentsQuery,
    permission: 'analytics:read',
    audit: { action: 'analytics.incidents', resourceType: 'analytics' },
    run: (services, { tenantId, args }) => services.analytics.incidents(tenantId, args.hours),
  },
  {
    name: 'get_response_time_analytics',
    title: 'Response times',
    description: 'Mean and median time to acknowledge and to resolve alerts over the last `days` (default 30), overall and by severity (as GET /api/v1/analytics/response-time).',
    input: ResponseTimeQuery,
    permission: 'analytics:read',
    audit: { action: 'analytics.response_time', resourceType: 'analytics' },
    run: (services, { tenantId, args }) => services.analytics.responseTime(tenantId, args.days),
  },
  {
    name: 'search_tickets',
    title: 'Search tickets',
    description: 'Tickets, newest first; filter by status, priority, assignee or text `q` (as GET /api/v1/tickets).',
    input: ListTicketsQuery,
    permission: 'tickets:read',
    run: (services, { tenantId, args }) => services.tickets.list(tenantId, args),
  },
  {
    name: 'get_ticket',
    title: 'One ticket',
    description: 'One ticket with its comments (as GET /api/v1/tickets/{id}).',
    input: ById('ticket'),
    permission: 'tickets:read',
    run: (services, { tenantId, args }) => services.tickets.get(tenantId, args.id),
  },
  {
    name: 'list_production_lines',
    title: 'Production lines',
    description: 'The tenant\'s production lines with their ids (as GET /api/v1/production/lines).',
    input: TenantOnly,
    permission: 'production:read',
    run: async (services, { tenantId }) => ({ items: await services.structure.listLines(tenantId) }),
  },
  {
    name: 'get_production_line_status',
    title: 'Production line status',
    description: 'Whether a line is running, stopped (since when) or outside its shifts, with today\'s counts and OEE so far (as GET /api/v1/production/lines/{line_id}/status).',
    input: LineInput,
    permission: 'production:read',
    run: (services, { tenantId, args }) => services.production.lineStatus(tenantId, args.line_id),
  },
  {
    name: 'get_production_oee',
    title: 'OEE',
    description: 'OEE with availability, performance and quality of a line, or of every active line together, over [from, to), optionally by hour, shift, day, week or month (as GET /api/v1/production/oee).',
    input: OeeQuery,
    permission: 'production:read',
    run: (services, { tenantId, args }) => services.production.oee(tenantId, { line_id: args.line_id, from: Date.parse(args.from), to: Date.parse(args.to), group_by: args.group_by ?? 'none' }),
  },
  {
    name: 'acknowledge_alert',
    title: 'Acknowledge an alert',
    description: 'Acknowledge an active alert (as POST /api/v1/alerts/{id}/acknowledge); an error when it is not active.',
    input: ById('alert'),
    permission: 'alerts:write',
    audit: { action: 'alert.acknowledge', resourceType: 'alert' },
    write: true,
    resourceId: idOf,
    run: (services, { tenantId, principal, args }) => services.alerts.acknowledge(tenantId, principal, args.id),
  },
  {
    name: 'create_ticket_for_alert',
    title: 'Open a ticket about an alert',
    description: 'The alert\'s ticket: a new one linked to it (title, description, priority and assignee optional), or its open ticket when it has one (as POST /api/v1/alerts/{id}/ticket).',
    input: AlertTicketInput,
    permission: 'tickets:write',
    audit: { action: 'alert.create_ticket', resourceType: 'alert' },
    write: true,
    resourceId: idOf,
    auditDetail: ({ ticket, created }) => ({ ticket_id: ticket.id, created }),
    view: ({ ticket }) => ticket,
    run: (services, { tenantId, principal, args: { id, tenant_id: _tenant, ...input } }) => services.alerts.openTicket(tenantId, principal, id, input),
  },
];
