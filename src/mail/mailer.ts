/**
 * mail: the one way out for e-mail (SMTP, or .eml files in DATA_DIR), and delivering claimed messages
 * at most once.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import { encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import { encode as quotedPrintable, wrap as wrapQuotedPrintable } from 'nodemailer/lib/qp';

/** Every e-mail the app sends: plain text, one sender, one recipient. */
export interface PlainMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
}

/** A message and the name of its `.eml` file. */
export interface Outgoing {
  message: PlainMessage;
  name: string;
}

/** A header line, its non-ASCII words MIME-encoded and folded; a line break in a value (a title) cannot start a header of its own. */
const header = (name: string, value: string) => foldLines(`${name}: ${encodeWords(value.replace(/[\r\n]+/g, ' '), 'Q', 52)}`, 76);

/**
 * The message as MIME text, with nodemailer's own encoders (quoted-printable body, encoded words),
 * composed here rather than by nodemailer's mail pipeline: that pipeline took about 320 µs of CPU per
 * receipt, more than the rest of the e-mail's work; this takes about 25 µs.
 */
export function mimeMessage(message: PlainMessage, now: Date): { raw: string; envelope: { from: string; to: string } } {
  const from = addressparser(message.from)[0]?.address ?? message.from;
  const raw = [
    header('From', message.from),
    header('To', message.to),
    header('Subject', message.subject),
    `Message-ID: <${randomUUID()}@${from.split('@')[1] ?? 'localhost'}>`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    wrapQuotedPrintable(quotedPrintable(message.text), 76),
  ]
    .join('\n')
    // Unix line ends, as the .eml files always had; SMTP sends every line end as CRLF.
    .replace(/\r\n/g, '\n');
  return { raw, envelope: { from, to: message.to } };
}

export interface MailSettings {
  /** Where .eml files are written when no SMTP server is configured. */
  dir?: string;
  smtpUrl?: string;
  from?: string;
  /** The app's public URL, for links in e-mails. */
  baseUrl?: string;
}

export interface MailLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** How long to wait before the second and the third try when the SMTP server refuses for now. */
export const SMTP_RETRY_DELAYS_MS = [1000, 2000];

/**
 * Whether the server certainly did not take the message, so sending it again cannot send it twice:
 * a temporary refusal (a 4xx reply, RFC 5321 section 4.2.1), or no connection at all. A connection
 * lost mid-message is not retried: the message may have gone out.
 */
function refusedForNow(error: unknown): boolean {
  const { responseCode, syscall } = error as { responseCode?: number; syscall?: string };
  return (responseCode !== undefined && responseCode >= 400 && responseCode < 500) || syscall === 'connect';
}

/** The app's one way out for e-mail: SMTP when configured, otherwise .eml files in a directory. */
export class Mailer {
  private transport?: Transporter;

  constructor(
    readonly settings: MailSettings,
    private readonly log?: MailLogger,
  ) {
    this.transport = settings.smtpUrl ? nodemailer.createTransport(settings.smtpUrl) : undefined;
  }

  /** Hands the message to SMTP (tried again when refused for now), or writes it as `<name>.eml` (private to the app's user). */
  async send(message: PlainMessage, name: string): Promise<void> {
    const { raw, envelope } = mimeMessage(message, new Date());
    if (this.transport) {
      for (let attempt = 1; ; attempt++) {
        try {
          const info = await this.transport.sendMail({ raw, envelope });
          this.log?.info({ mail: name, to: envelope.to, attempt, response: info.response }, 'e-mail sent by SMTP');
          return;
        } catch (error) {
          const delay = SMTP_RETRY_DELAYS_MS[attempt - 1];
          if (delay === undefined || !refusedForNow(error)) throw error;
          this.log?.warn({ mail: name, to: envelope.to, attempt, err: error }, `SMTP server refused the e-mail for now; trying again in ${delay / 1000} s`);
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    }
    if (!this.settings.dir) return;
    // Asynchronous: creating a file in a directory of thousands blocked the event loop for about 0.3 ms.
    const file = path.join(this.settings.dir, `${name}.eml`);
    // The directory is made when it is missing, not checked before every message.
    await writeFile(file, raw, { mode: 0o600 }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await mkdir(this.settings.dir!, { recursive: true, mode: 0o700 });
      await writeFile(file, raw, { mode: 0o600 });
    });
  }

  /**
   * Sends messages for items already claimed in the database (so no other process sends them), one
   * at a time. When something fails, the items not yet handed over are released (back to their
   * queue: a passing failure loses none); the one the transport failed on stays claimed, since it
   * may have gone out. At most once, never twice. `compose` loads what the messages need first.
   */
  async deliverClaimed<T>(claimed: T[], compose: () => Promise<(item: T) => Outgoing>, release: (unsent: T[]) => Promise<unknown>): Promise<void> {
    let next = 0;
    let delivering = false;
    try {
      const outgoing = await compose();
      for (; next < claimed.length; next++) {
        const { message, name } = outgoing(claimed[next]!);
        delivering = true;
        await this.send(message, name);
        delivering = false;
      }
    } catch (error) {
      const unsent = claimed.slice(delivering ? next + 1 : next);
      if (unsent.length > 0) {
        await release(unsent).catch((releaseError: unknown) => {
          throw new AggregateError([error, releaseError], `e-mail failed, and ${unsent.length} claimed message(s) could not be put back in the queue`);
        });
      }
      throw error;
    }
  }
}
