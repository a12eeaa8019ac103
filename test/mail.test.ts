import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Mailer, mimeMessage } from '../src/mail/mailer.js';

/** Quoted-printable back to text: soft line breaks joined, =XX bytes decoded as UTF-8. */
const decodeQuotedPrintable = (body: string) =>
  Buffer.from(
    body
      .replace(/=\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');

const dir = mkdtempSync(path.join(os.tmpdir(), 'devboard-mail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('e-mail as MIME text', () => {
  const message = {
    from: 'DevBoard Reçus <receipts@devboard.example>',
    to: 'buyer@example.com',
    // A title typed by a member can carry a line break: it must not start a header of its own.
    subject: '"Café — Senior dev\r\nBcc: victim@example.com" renews soon',
    text: `Thank you for your payment of €25.00.\nListing: ${'a very long title '.repeat(8)}\nLine = with an equals sign`,
  };

  it('encodes non-ASCII words and the body, keeps one header per field, and the body decodes to the text', () => {
    const { raw, envelope } = mimeMessage(message, new Date('2026-11-30T12:00:00Z'));
    const [head, body] = raw.split('\n\n') as [string, string];
    const headers = head.split('\n').filter((line) => !line.startsWith(' '));
    expect(headers.map((line) => line.split(':')[0])).toEqual(['From', 'To', 'Subject', 'Message-ID', 'Date', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding']);
    expect(head).not.toMatch(/^Bcc:/im);
    expect(head.split('\n').every((line) => line.length <= 78 && /^[\x20-\x7e]*$/.test(line))).toBe(true);
    expect(head).toContain('Date: Mon, 30 Nov 2026 12:00:00 +0000');
    expect(head).toMatch(/^Message-ID: <[0-9a-f-]{36}@devboard\.example>$/m);
    expect(body.split('\n').every((line) => line.length <= 76 && /^[\x20-\x7e]*$/.test(line))).toBe(true);
    expect(decodeQuotedPrintable(body)).toBe(message.text);
    expect(envelope).toEqual({ from: 'receipts@devboard.example', to: 'buyer@example.com' });
  });

  it('writes the same message as <name>.eml, readable only by the app', async () => {
    await new Mailer({ dir }).send(message, 'greeting');
    const file = path.join(dir, 'greeting.eml');
    const eml = readFileSync(file, 'utf8');
    expect(eml).toContain('To: buyer@example.com');
    expect(decodeQuotedPrintable(eml.split('\n\n')[1]!)).toBe(message.text);
    expect(statSync(file).mode & 0o077).toBe(0);
  });
});
