export { testCards } from './cards.js';
export { Emulator } from './emulator.js';
export { cardFee } from './resources/balance_transactions.js';
export { DISPUTE_FEE } from './resources/disputes.js';
export { LocalStripe, type LocalStripeOptions, type RequestFault, startLocalStripe } from './server.js';
export { type DeliveryFaults, signPayload } from './webhooks.js';
