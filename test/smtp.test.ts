import { type AddressInfo, createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mailer } from '../src/mail/mailer.js';
import { createLogger } from '../src/operations/logging.js';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

/**
 * E-mail through SMTP_URL to a real SMTP server (the smtp-server package) on loopback: a receipt, a
 * listing's reminder and a password reset arrive, each logged, and a temporary refusal is ridden out.
 */

interface Received {
  to: string[];
  subject: string;
  /** The body with quoted-printable soft line breaks joined and `=3D` read back. */
  text: string;
}

/** A header's MIME encoded words (`=?UTF-8?Q?…?=`, RFC 2047) read back as text. */
const decodeWords = (value: string) =>
  value
    .replace(/\?=\s+=\?/g, '?==?') // whitespace between two encoded words is not part of the text
    .replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, word: string) =>
      Buffer.from(word.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_hex, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))), 'latin1').toString('utf8'),
    );

const received: Received[] = [];
/** How many of the next recipients the server refuses with a temporary 451. */
let refuseNext = 0;
let refused = 0;

const serverOptions: ConstructorParameters<typeof SMTPServer>[0] = {
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onRcptTo(_address, _session, callback) {
    if (refuseNext > 0) {
      refuseNext--;
      refused++;
      return callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
    }
    callback();
  },
  onData(stream, session, callback) {
    let raw = '';
    stream.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    stream.on('end', () => {
      const blank = raw.search(/\r?\n\r?\n/);
      const head = raw.slice(0, blank);
      const body = raw.slice(blank).trimStart();
      const subject = decodeWords(head.replace(/\r?\n[ \t]+/g, ' ').match(/^Subject: (.*)$/m)?.[1] ?? '');
      received.push({ to: session.envelope.rcptTo.map((r) => r.address), subject, text: body.replace(/=\r?\n/g, '').replace(/=3D/g, '=') });
      callback();
    });
  },
};
const server = new SMTPServer(serverOptions);

const logLines: { level: number; msg: string; mail?: string; to?: string; attempt?: number }[] = [];
let t: TestApp;
let poster: Member;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
  });
  t = await startTestApp({ smtpUrl: `smtp://127.0.0.1:${port}`, logger: createLogger('info', false, out) });
  const boss = await admin(t);
  poster = await member(t.app);
  await grantJobs(t, boss, poster.id);
});
afterAll(async () => {
  await t.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** What `find` finds, waiting up to 10 s for it (the app sends and logs after answering). */
async function waitFor<T>(find: () => T | undefined, what: () => string): Promise<T> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(what());
}

/** The first message to `to` whose subject matches. */
const arrival = (to: string, subject: RegExp) =>
  waitFor(
    () => received.find((m) => m.to.includes(to) && subject.test(m.subject)),
    () => `no e-mail to ${to} with a subject like ${subject}; received: ${received.map((m) => `${m.to} ${m.subject}`).join('; ')}`,
  );

/** The log line saying the message named like `mail` was handed to the SMTP server. */
const sentLine = (mail: RegExp) =>
  waitFor(
    () => logLines.find((l) => l.msg === 'e-mail sent by SMTP' && mail.test(l.mail ?? '')),
    () => `no 'e-mail sent by SMTP' line for ${mail}`,
  );

describe('e-mail by SMTP (SMTP_URL)', () => {
  it('delivers a receipt, tried again after the server refused it for now, and logs both', async () => {
    refuseNext = 1;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/charges',
      headers: poster.auth,
      payload: { product: 'billboard', payment_method: 'pm_card_visa', headline: 'Hiring by SMTP', link_url: 'https://smtp.example' },
    });
    const charge = json(res).charge;
    expect(charge.status).toBe('succeeded');
    const mail = await arrival(poster.email, new RegExp(`^Your receipt #${charge.id}:`));
    expect(mail.text).toContain('Thank you for your payment of $49.00.');
    expect(mail.text).toContain(`Reference: ${charge.stripe_charge_key}`);
    expect(refused).toBe(1);
    expect(received.filter((m) => m.subject === mail.subject)).toHaveLength(1);
    const refusal = logLines.find((l) => l.mail === `receipt-${charge.id}` && l.level === 40);
    expect(refusal?.msg).toBe('SMTP server refused the e-mail for now; trying again in 1 s');
    expect(await sentLine(new RegExp(`^receipt-${charge.id}$`))).toMatchObject({ attempt: 2, to: poster.email });
  });

  it("delivers a job listing's reminder the day before its paid week ends", async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers: poster.auth,
      payload: { title: 'SMTP engineer', body_markdown: 'We are hiring.', job_listing: true, published: true },
    });
    const id = json(created).article.id as number;
    const paid = await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: poster.auth, payload: { product: 'job_listing', article_id: id, payment_method: 'pm_card_visa' } });
    expect(json(paid).charge.status).toBe('succeeded');
    const paidUntil = new Date(json(await t.app.inject({ method: 'GET', url: `/api/v1/articles/${id}`, headers: poster.auth })).article.paid_until);
    t.clock.set(new Date(paidUntil.getTime() - 23 * 3600_000));
    await t.app.runRenewals();
    const mail = await arrival(poster.email, /^"SMTP engineer" leaves \/jobs tomorrow$/);
    expect(mail.text).toContain(`/charges/new?product=job_listing&article_id=${id}`);
    expect(await sentLine(new RegExp(`^listing-reminder-${id}-`))).toMatchObject({ attempt: 1 });
  });

  it('delivers a password reset link', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/password-reset', '/password-reset', { email: poster.email });
    const mail = await arrival(poster.email, /^Reset your DevBoard password$/);
    expect(mail.text).toMatch(/\/password-reset\/[A-Za-z0-9_-]{43}/);
    expect(await sentLine(/^password-reset-/)).toMatchObject({ attempt: 1, to: poster.email });
  });

  it('tries again when the server does not take connections yet', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const warnings: string[] = [];
    const mailer = new Mailer({ smtpUrl: `smtp://127.0.0.1:${port}` }, { info: () => {}, warn: (_, msg) => warnings.push(msg) });
    const sending = mailer.send({ from: 'DevBoard <receipts@devboard.local>', to: 'late@example.test', subject: 'Late server', text: 'Hello.' }, 'late');
    const late = new SMTPServer(serverOptions);
    try {
      await waitFor(() => warnings[0], () => 'no warning after the refused connection');
      await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
      await sending;
      expect((await arrival('late@example.test', /^Late server$/)).text).toContain('Hello.');
      expect(warnings).toEqual(['SMTP server refused the e-mail for now; trying again in 1 s']);
    } finally {
      await new Promise<void>((resolve) => late.close(() => resolve()));
    }
  });
});
