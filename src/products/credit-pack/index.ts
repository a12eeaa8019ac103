import type { ProductPlugin } from '../slots.js';
import { creditPackProduct } from './product.js';
import { creditPurchaseRoutes } from './routes.js';

/** Credits bought by card (cheaper in bulk), for the buyer or an organization: POST /api/v1/credits/purchases, or checkout as any product. */
export const creditPack: ProductPlugin = {
  product: creditPackProduct,
  routes: creditPurchaseRoutes,
};
