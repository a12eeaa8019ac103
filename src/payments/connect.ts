import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type LocalStripe, startLocalStripe } from '../../local-stripe/index.js';
import { type Config, persistentSecret } from '../config.js';
import { createStripeGateway, type StripeGateway } from './stripe.js';

/**
 * The embedded local Stripe's keys, generated once into DATA_DIR: its API answers only these, so a
 * page or process on this host that does not hold them cannot use it.
 */
export function localStripeKeys(dataDir: string): { secretKey: string; publishableKey: string } {
  // Letters and digits only, as Stripe's keys (base64url's '-' is refused by the local Stripe's key check).
  const key = (prefix: string) => () => `${prefix}${randomBytes(24).toString('hex')}`;
  return {
    secretKey: persistentSecret(dataDir, 'local-stripe-secret-key', key('sk_test_')),
    publishableKey: persistentSecret(dataDir, 'local-stripe-publishable-key', key('pk_test_')),
  };
}

/**
 * Stripe as configured: with STRIPE_SECRET_KEY, Stripe itself (or whatever STRIPE_API_URL points
 * at); with nothing set, a local Stripe started in this process, so `npm start` needs no account.
 */
export async function connectStripe(settings: Config['stripe'], dataDir: string): Promise<{ gateway: StripeGateway; local?: LocalStripe }> {
  if (settings.secretKey) {
    if (!settings.publishableKey) throw new Error('STRIPE_PUBLISHABLE_KEY is required with STRIPE_SECRET_KEY');
    return {
      gateway: createStripeGateway({ secretKey: settings.secretKey, publishableKey: settings.publishableKey, apiUrl: settings.apiUrl }),
    };
  }
  // Its state lives beside the embedded database, so customers and saved cards survive a restart.
  const keys = localStripeKeys(dataDir);
  const local = await startLocalStripe({ stateFile: path.join(dataDir, 'local-stripe.json'), ...keys });
  return {
    gateway: createStripeGateway({ ...keys, apiUrl: local.url }),
    local,
  };
}
