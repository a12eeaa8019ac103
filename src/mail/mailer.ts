/**
 * mail: the one way out for e-mail (SMTP, or .eml files in DATA_DIR), and delivering claimed messages
 * at most once.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';

/** A message and the name of its `.eml` file. */
export interface Outgoing {
  message: SendMailOptions;
  name: string;
}

export interface MailSettings {
  /** Where .eml files are written when no SMTP server is configured. */
  dir?: string;
  smtpUrl?: string;
  from?: string;
  /** The app's public URL, for links in e-mails. */
  baseUrl?: string;
}

/** The app's one way out for e-mail: SMTP when configured, otherwise .eml files in a directory. */
export class Mailer {
  private transport: Transporter;

  constructor(readonly settings: MailSettings) {
    this.transport = settings.smtpUrl
      ? nodemailer.createTransport(settings.smtpUrl)
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  /** Hands the message to SMTP, or writes it as `<name>.eml` (private to the app's user). */
  async send(message: SendMailOptions, name: string): Promise<void> {
    const info = await this.transport.sendMail(message);
    if (this.settings.smtpUrl || !this.settings.dir) return;
    // Asynchronous: creating a file in a directory of thousands blocked the event loop for about 0.3 ms.
    const file = path.join(this.settings.dir, `${name}.eml`);
    const eml = (info as unknown as { message: Buffer }).message;
    // The directory is made when it is missing, not checked before every message.
    await writeFile(file, eml, { mode: 0o600 }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await mkdir(this.settings.dir!, { recursive: true, mode: 0o700 });
      await writeFile(file, eml, { mode: 0o600 });
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
