import path from 'node:path';
import { type LocalStripe, startLocalStripe } from '../../local-stripe/index.js';
import type { Config } from '../config.js';
import { createStripeGateway, type StripeGateway } from './stripe.js';

export const LOCAL_SECRET_KEY = 'sk_test_local_devboard';
export const LOCAL_PUBLISHABLE_KEY = 'pk_test_local_devboard';

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
  const local = await startLocalStripe({
    stateFile: path.join(dataDir, 'local-stripe.json'),
    secretKey: LOCAL_SECRET_KEY,
    publishableKey: LOCAL_PUBLISHABLE_KEY,
  });
  return {
    gateway: createStripeGateway({ secretKey: LOCAL_SECRET_KEY, publishableKey: LOCAL_PUBLISHABLE_KEY, apiUrl: local.url }),
    local,
  };
}
