import { fileURLToPath } from 'node:url';
import type { ProductPlugin } from '../slots.js';
import { newsletterAdminView, newsletterRoutes } from './pages.js';
import { newsletterProduct } from './product.js';

/** The sponsored newsletter slot: one weekly issue, chosen at checkout; shown on /newsletter and to the admin. No renewal: each week is its own purchase. */
export const newsletter: ProductPlugin = {
  migrations: fileURLToPath(new URL('./migrations', import.meta.url)),
  product: newsletterProduct,
  routes: newsletterRoutes,
  admin: [newsletterAdminView],
};
