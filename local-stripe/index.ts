export { testCards } from './cards.js';
export { cardFee, DISPUTE_FEE, Emulator } from './emulator.js';
export { LocalStripe, type LocalStripeOptions, type RequestFault, startLocalStripe } from './server.js';
export { type DeliveryFaults, signPayload } from './webhooks.js';
