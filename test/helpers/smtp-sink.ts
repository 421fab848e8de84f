import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReceivedMail {
  mailFrom: string;
  rcptTos: string[];
  login: string | null;
  /** The raw message as received. */
  raw: string;
  headers: Record<string, string>;
  /** The text/plain part, decoded. */
  text: string;
  /** Attachments by file name, decoded. */
  attachments: Record<string, Buffer>;
}

export interface SmtpSink {
  port: number;
  url: string;
  messages(): ReceivedMail[];
  /** Waits until at least `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp-sink.py');

function decodePart(body: string, encoding: string | undefined): Buffer {
  if (encoding?.toLowerCase() === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64');
  if (encoding?.toLowerCase() === 'quoted-printable') {
    return Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  }
  return Buffer.from(body, 'utf8');
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) as text; the space between two of them goes. */
function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, _charset: string, encoding: string, text: string) =>
    encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodePart(text.replaceAll('_', ' '), 'quoted-printable').toString('utf8'));
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).toLowerCase()] = decodeWords(line.slice(at + 1).trim());
  }
  return headers;
}

/** A small MIME reader: enough for what nodemailer sends (text, multipart/mixed with attachments). */
export function parseMail(raw: string): Pick<ReceivedMail, 'headers' | 'text' | 'attachments'> {
  const split = (message: string) => {
    const at = message.search(/\r?\n\r?\n/);
    return { headers: parseHeaders(message.slice(0, at)), body: message.slice(at).replace(/^\r?\n\r?\n/, '') };
  };
  const top = split(raw);
  const attachments: Record<string, Buffer> = {};
  let text = '';
  const visit = (headers: Record<string, string>, body: string) => {
    const type = headers['content-type'] ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (type.toLowerCase().startsWith('multipart/') && boundary !== undefined) {
      for (const part of body.split(`--${boundary}`).slice(1)) {
        if (part.startsWith('--')) break;
        const inner = split(part.replace(/^\r?\n/, ''));
        visit(inner.headers, inner.body);
      }
      return;
    }
    const filename = /filename="?([^";]+)"?/i.exec(headers['content-disposition'] ?? '')?.[1];
    const decoded = decodePart(body, headers['content-transfer-encoding']);
    if (filename !== undefined) attachments[filename] = decoded;
    else if (type.toLowerCase().startsWith('text/plain')) text += decoded.toString('utf8');
  };
  visit(top.headers, top.body);
  return { headers: top.headers, text, attachments };
}

/** Starts the SMTP server of smtp-sink.py on a loopback port. */
export async function startSmtpSink(options: { user?: string; password?: string; deferFirst?: number } = {}): Promise<SmtpSink> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-smtp-'));
  const child: ChildProcess = spawn('/usr/bin/python3', [SCRIPT, dir], {
    env: { ...process.env, ...(options.user ? { SINK_USER: options.user, SINK_PASSWORD: options.password ?? '' } : {}), SINK_DEFER_FIRST: String(options.deferFirst ?? 0) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code}) before it was ready`)));
  });
  const messages = (): ReceivedMail[] =>
    readdirSync(dir).filter((name) => name.endsWith('.eml')).sort((a, b) => parseInt(a) - parseInt(b)).map((name) => {
      const raw = readFileSync(path.join(dir, name), 'utf8');
      const envelope = JSON.parse(readFileSync(path.join(dir, name.replace('.eml', '.json')), 'utf8')) as { mail_from: string; rcpt_tos: string[]; login: string | null };
      return { mailFrom: envelope.mail_from, rcptTos: envelope.rcpt_tos, login: envelope.login, raw, ...parseMail(raw) };
    });
  const credentials = options.user ? `${encodeURIComponent(options.user)}:${encodeURIComponent(options.password ?? '')}@` : '';
  return {
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    messages,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const received = messages();
        if (received.length >= count) return received;
        if (Date.now() > deadline) throw new Error(`expected ${count} message(s), got ${received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
