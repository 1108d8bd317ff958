import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message a loopback server received: where it went, and the six-digit code in it. */
export interface Delivered {
  to: string;
  code: string;
  text: string;
}

/** Waits for the next delivery to `to`. */
class Inbox {
  private readonly delivered: Delivered[] = [];
  private readonly waiters: Array<{ to: string; resolve: (message: Delivered) => void }> = [];

  add(message: Delivered): void {
    const waiter = this.waiters.findIndex((w) => w.to === message.to);
    if (waiter >= 0) this.waiters.splice(waiter, 1)[0].resolve(message);
    else this.delivered.push(message);
  }

  next(to: string, timeoutMs = 5000): Promise<Delivered> {
    const index = this.delivered.findIndex((m) => m.to === to);
    if (index >= 0) return Promise.resolve(this.delivered.splice(index, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing was delivered to ${to}`)), timeoutMs);
      this.waiters.push({ to, resolve: (message) => (clearTimeout(timer), resolve(message)) });
    });
  }

  /** Everything delivered to `to` that nobody has taken. */
  pending(to: string): Delivered[] {
    return this.delivered.filter((m) => m.to === to);
  }
}

const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] ?? '';

/** A real SMTP server on loopback (the smtp-server package), with a login, capturing every message. */
export async function startSmtpInbox(): Promise<{ url: string; inbox: Inbox; close(): Promise<void> }> {
  const inbox = new Inbox();
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth: (auth, _session, callback) =>
      auth.username === 'mailer' && auth.password === 'mail-pass' ? callback(null, { user: 'mailer' }) : callback(new Error('bad login')),
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
        const text = decodeBody(raw, body);
        for (const rcpt of session.envelope.rcptTo) inbox.add({ to: rcpt.address, code: codeIn(text), text });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server as unknown as { server: Server }).server.address() as AddressInfo;
  return { url: `smtp://mailer:mail-pass@127.0.0.1:${port}`, inbox, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The text of a single-part message, quoted-printable or base64 as nodemailer writes it. */
function decodeBody(raw: string, body: string): string {
  if (/content-transfer-encoding:\s*base64/i.test(raw)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/content-transfer-encoding:\s*quoted-printable/i.test(raw)) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** An SMS provider's webhook on loopback, capturing `{phone, code, text}`; `failNext` makes it answer 502 once. */
export async function startSmsWebhook(): Promise<{ url: string; inbox: Inbox; failNext(): void; close(): Promise<void> }> {
  const inbox = new Inbox();
  let failing = false;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (failing) {
        failing = false;
        response.writeHead(502).end();
        return;
      }
      const { phone, code, text } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { phone: string; code: string; text: string };
      inbox.add({ to: phone, code, text });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sms`,
    inbox,
    failNext: () => (failing = true),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let phoneCounter = 0;
/** A mainland mobile number no other test uses. */
export function uniquePhone(): string {
  phoneCounter = (phoneCounter + 1) % 10_000;
  return `13${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}${String(phoneCounter).padStart(4, '0')}`;
}
