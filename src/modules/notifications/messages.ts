/**
 * What a channel receives, rendered when the message is queued: a generic JSON document for
 * webhooks, Slack's and Teams' incoming-webhook bodies, and an e-mail. The outbox keeps the result,
 * so a retry sends the same message.
 */
import { toIso } from '../../platform/ids.ts';
import type { Language } from '../../platform/languages.ts';
import { nameIn } from '../security-domain/vocabulary.ts';
import type { ChannelType, DeliveryEvent } from './notifications.schemas.ts';

/** The alert as the messages describe it. */
export interface AlertSnapshot {
  id: string;
  tenant_id: string;
  title: string;
  description: string;
  severity: string;
  status: string;
  source: string;
  asset: string | null;
  integration_type: string | null;
  first_seen: number;
  last_seen: number;
  occurrences: number;
  resolved_at: number | null;
}

export interface EmailAttachment {
  filename: string;
  content_type: string;
  content_base64: string;
}

export interface EmailMessage {
  subject: string;
  text: string;
  /** Absent: the channel's recipients. */
  to?: string[];
  attachments?: EmailAttachment[];
}

/** The outbox payload: an e-mail, or the JSON body POSTed to a webhook. */
export type Payload = { email: EmailMessage } | { body: Record<string, unknown> };

/** What people read, in the tenant's language; a webhook's JSON is data and keeps its English keys. */
const WORDS = {
  en: {
    headlines: { 'alert.opened': 'Alert opened', 'alert.reopened': 'Alert re-opened', 'alert.resolved': 'Alert resolved', 'channel.test': 'Test message', 'report.daily': 'Daily report' },
    severity: 'Severity', status: 'Status', source: 'Source', asset: 'Asset', firstSeen: 'First seen', resolved: 'Resolved', alertId: 'Alert id',
    lastSeen: (time: string, occurrences: number) => `Last seen: ${time} (${occurrences} occurrence${occurrences === 1 ? '' : 's'})`,
    testHeadline: (channel: string) => `Test message from Sentinel to the channel "${channel}"`,
    sent: 'Sent', testWorks: 'If you can read this, the channel works.',
  },
  es: {
    headlines: { 'alert.opened': 'Alerta abierta', 'alert.reopened': 'Alerta reabierta', 'alert.resolved': 'Alerta resuelta', 'channel.test': 'Mensaje de prueba', 'report.daily': 'Informe diario' },
    severity: 'Severidad', status: 'Estado', source: 'Origen', asset: 'Activo', firstSeen: 'Primera vez', resolved: 'Resuelta', alertId: 'Id de la alerta',
    lastSeen: (time: string, occurrences: number) => `Última vez: ${time} (${occurrences} ${occurrences === 1 ? 'ocurrencia' : 'ocurrencias'})`,
    testHeadline: (channel: string) => `Mensaje de prueba de Sentinel al canal "${channel}"`,
    sent: 'Enviado', testWorks: 'Si puede leer esto, el canal funciona.',
  },
} satisfies Record<Language, { headlines: Record<DeliveryEvent, string> } & Record<string, unknown>>;

const COLOURS: Record<string, string> = { critical: '#B91C1C', high: '#EA580C', medium: '#CA8A04', low: '#2563EB', info: '#6B7280' };
const RESOLVED_COLOUR = '#15803D';

function lines(alert: AlertSnapshot, language: Language): string[] {
  const words = WORDS[language];
  return [
    `${words.severity}: ${nameIn(language, alert.severity)}`,
    `${words.status}: ${nameIn(language, alert.status)}`,
    `${words.source}: ${alert.source}${alert.integration_type ? ` (${alert.integration_type})` : ''}`,
    ...(alert.asset ? [`${words.asset}: ${alert.asset}`] : []),
    `${words.firstSeen}: ${toIso(alert.first_seen)}`,
    words.lastSeen(toIso(alert.last_seen), alert.occurrences),
    ...(alert.resolved_at !== null ? [`${words.resolved}: ${toIso(alert.resolved_at)}`] : []),
  ];
}

function alertJson(alert: AlertSnapshot) {
  return {
    id: alert.id, title: alert.title, description: alert.description, severity: alert.severity, status: alert.status, source: alert.source,
    integration_type: alert.integration_type, asset: alert.asset, first_seen: toIso(alert.first_seen), last_seen: toIso(alert.last_seen),
    occurrences: alert.occurrences, resolved_at: alert.resolved_at === null ? null : toIso(alert.resolved_at),
  };
}

/** The message about an alert's change for a channel type, in the tenant's language. */
export function alertPayload(type: ChannelType, event: DeliveryEvent, alert: AlertSnapshot, now: number, language: Language = 'en'): Payload {
  const headline = `${WORDS[language].headlines[event]}: [${nameIn(language, alert.severity).toUpperCase()}] ${alert.title}`;
  const details = lines(alert, language);
  const colour = event === 'alert.resolved' ? RESOLVED_COLOUR : (COLOURS[alert.severity] ?? COLOURS.info!);
  switch (type) {
    case 'email':
      return { email: { subject: `[Sentinel] ${headline}`, text: `${headline}\n\n${details.join('\n')}\n\n${alert.description}\n\n${WORDS[language].alertId}: ${alert.id}\n` } };
    case 'webhook':
      return { body: { type: event, tenant_id: alert.tenant_id, occurred_at: toIso(now), alert: alertJson(alert) } };
    case 'slack':
      return {
        body: {
          text: headline,
          attachments: [{ color: colour, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(headline)}*\n${details.map(escapeSlack).join('\n')}` } }] }],
        },
      };
    case 'teams':
      return { body: teamsCard(headline, details, colour === RESOLVED_COLOUR ? 'Good' : alert.severity === 'critical' || alert.severity === 'high' ? 'Attention' : 'Warning') };
  }
}

/** The test message a channel is sent on request, in the tenant's language. */
export function testPayload(type: ChannelType, tenantId: string, channelName: string, now: number, language: Language = 'en'): Payload {
  const words = WORDS[language];
  const headline = words.testHeadline(channelName);
  const details = [`${words.sent}: ${toIso(now)}`, words.testWorks];
  switch (type) {
    case 'email':
      return { email: { subject: `[Sentinel] ${headline}`, text: `${headline}\n\n${details.join('\n')}\n` } };
    case 'webhook':
      return { body: { type: 'channel.test', tenant_id: tenantId, occurred_at: toIso(now), channel: channelName } };
    case 'slack':
      return { body: { text: headline, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(headline)}*\n${details.join('\n')}` } }] } };
    case 'teams':
      return { body: teamsCard(headline, details, 'Accent') };
  }
}

/** Slack's mrkdwn treats &, < and > as markup. */
function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** An Adaptive Card in the message envelope Teams' incoming webhooks and workflows accept. */
function teamsCard(headline: string, details: string[], style: string): Record<string, unknown> {
  return {
    type: 'message',
    summary: headline,
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body: [
          { type: 'TextBlock', text: headline, weight: 'Bolder', size: 'Medium', wrap: true, color: style },
          { type: 'FactSet', facts: details.filter((line) => line.includes(': ')).map((line) => ({ title: line.slice(0, line.indexOf(': ')), value: line.slice(line.indexOf(': ') + 2) })) },
          ...details.filter((line) => !line.includes(': ')).map((line) => ({ type: 'TextBlock', text: line, wrap: true })),
        ],
      },
    }],
  };
}
