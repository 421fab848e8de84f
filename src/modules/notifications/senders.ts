/**
 * Sending one queued message: e-mail over SMTP (nodemailer), or an HTTP POST to a webhook, signed
 * for generic webhooks. A failure says whether trying again can help.
 */
import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isForbiddenAddress } from '../../platform/net/outbound-address.ts';
import type { Transporter } from 'nodemailer';
import type { ChannelType } from './notifications.schemas.ts';
import type { EmailMessage, Payload } from './messages.ts';

const SEND_TIMEOUT_MS = 15_000;
/** The longest error text kept in the delivery log. */
const ERROR_LENGTH = 500;

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  /** true: trying again cannot help (a 4xx answer, a refused recipient, no SMTP server configured). */
  readonly permanent: boolean;
  readonly status: number | null;

  constructor(message: string, permanent: boolean, status: number | null = null) {
    super(message.slice(0, ERROR_LENGTH));
    this.permanent = permanent;
    this.status = status;
  }
}

/** Where a message goes: the channel's settings with its secret ones read from the secret store. */
export interface Destination {
  type: ChannelType;
  recipients?: string[];
  url?: string;
  secret?: string;
  smtp_url?: string;
}

/** `X-Sentinel-Signature` for a body sent at `unixSeconds` (docs/notifications.md tells receivers how to check it). */
export function signature(secret: string, unixSeconds: number, rawBody: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex')}`;
}

/** Refuses a URL whose host is, or resolves to, a forbidden address (checked before every send). */
async function assertReachable(url: string): Promise<void> {
  const host = new URL(url).hostname;
  const addresses = isIP(host.replace(/^\[|\]$/g, '')) !== 0 ? [host] : await lookup(host, { all: true }).then((found) => found.map((entry) => entry.address), () => []);
  if (addresses.some(isForbiddenAddress)) throw new DeliveryError(`HTTP: ${host} is a link-local, multicast or unspecified address (refused)`, true);
}

/** Credentials never reach the delivery log: URLs in an error lose their user-info. */
function redact(text: string): string {
  return text.replace(/(\w+:\/\/)[^/\s@]*@/g, '$1');
}

export function createSenders(smtp: { url: string | undefined; from: string }) {
  const transports = new Map<string, Transporter>();
  const transportFor = async (url: string) => {
    let transport = transports.get(url);
    if (transport === undefined) {
      // nodemailer loads with the first e-mail, not with every start of the service.
      const { createTransport } = await import('nodemailer');
      transport = createTransport(url, { from: smtp.from });
      transports.set(url, transport);
    }
    return transport;
  };

  async function sendEmail(destination: Destination, message: EmailMessage): Promise<number | null> {
    const url = destination.smtp_url ?? smtp.url;
    if (url === undefined) throw new DeliveryError('No SMTP server is configured (SENTINEL_SMTP_URL)', true);
    const to = message.to ?? destination.recipients ?? [];
    if (to.length === 0) throw new DeliveryError('The message has no recipients', true);
    try {
      await (await transportFor(url)).sendMail({
        from: smtp.from, to, subject: message.subject, text: message.text,
        attachments: message.attachments?.map((a) => ({ filename: a.filename, contentType: a.content_type, content: Buffer.from(a.content_base64, 'base64') })),
      });
      return null;
    } catch (error) {
      const { responseCode, message: text } = error as { responseCode?: number; message?: string };
      // 5xx SMTP replies are permanent (bad recipient, refused login); 4xx and network errors are worth another try.
      throw new DeliveryError(redact(`SMTP: ${text ?? String(error)}`), responseCode !== undefined && responseCode >= 500, responseCode ?? null);
    }
  }

  async function post(destination: Destination, body: Record<string, unknown>, headers: Record<string, string>): Promise<number> {
    if (destination.url === undefined) throw new DeliveryError('The channel has no URL', true);
    await assertReachable(destination.url);
    const raw = JSON.stringify(body);
    const signed = destination.type === 'webhook' && destination.secret !== undefined
      ? { 'x-sentinel-signature': signature(destination.secret, Math.floor(Date.now() / 1000), raw) }
      : {};
    let response: Response;
    try {
      response = await fetch(destination.url, {
        method: 'POST', body: raw, redirect: 'manual', signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        headers: { 'content-type': 'application/json', 'user-agent': 'Sentinel-Notifications/1', ...headers, ...signed },
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = (error as Error).name === 'TimeoutError' ? 'timed out' : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw new DeliveryError(redact(`HTTP: ${why}`), false);
    }
    await response.body?.cancel();
    if (response.ok) return response.status;
    // The receiver refused this message: sending it again will not change its mind, except for these.
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    throw new DeliveryError(`HTTP ${response.status}`, !retryable, response.status);
  }

  return {
    /** Sends; resolves to the receiver's HTTP status (null for e-mail), or throws a DeliveryError. */
    async send(destination: Destination, payload: Payload, headers: Record<string, string>): Promise<number | null> {
      if ('email' in payload) return sendEmail(destination, payload.email);
      return post(destination, payload.body, headers);
    },
    close(): void {
      for (const transport of transports.values()) transport.close();
      transports.clear();
    },
  };
}

export type Senders = ReturnType<typeof createSenders>;
