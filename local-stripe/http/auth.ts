import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { invalidApiKey, StripeApiError } from '../errors.js';
import { randomToken } from '../random.js';

/** The account's keys: only these are accepted, as at Stripe (not any `sk_test_…`). */
export interface Keys {
  secretKey: string;
  publishableKey: string;
}

export const randomKeys = (): Keys => ({ secretKey: `sk_test_${randomToken(40)}`, publishableKey: `pk_test_${randomToken(40)}` });

export function checkKeys(keys: Keys): void {
  if (!/^sk_test_\w{8,}$/.test(keys.secretKey)) throw new Error('The local Stripe needs a test secret key: sk_test_ and at least 8 more letters or digits');
  if (!/^pk_test_\w{8,}$/.test(keys.publishableKey)) throw new Error('The local Stripe needs a test publishable key: pk_test_ and at least 8 more letters or digits');
}

/**
 * The key a request presents: `Authorization: Bearer <key>`, or HTTP Basic with the key as user name
 * and no password (https://docs.stripe.com/api/authentication). Stripe.js sends its publishable key
 * as the `key` parameter instead, so its calls need no CORS preflight.
 */
export function presentedKey(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (basic) return Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

const same = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

export type KeyKind = 'secret' | 'publishable';

/** Which of the account's keys this is, or Stripe's 401. */
export function keyKind(keys: Keys, key: string | undefined): KeyKind {
  if (key && same(key, keys.secretKey)) return 'secret';
  if (key && same(key, keys.publishableKey)) return 'publishable';
  throw invalidApiKey(key);
}

export const publishableRefused = () =>
  new StripeApiError(401, {
    type: 'invalid_request_error',
    message:
      'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
  });
