/**
 * products: everything for sale, one folder per product, registered by one line below. A product
 * implements the payments core's Product (fulfil, reverse, restore, receipt lines) and may draw into
 * the pages' slots, run periodic work, add admin views and keep its own tables and migrations
 * (slots.ts). Nothing outside src/products/ imports a product's folder: the pages and the app read
 * products through the helpers here.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import type { ProductMigrations } from '../db/client.js';
import type { Product } from '../payments/catalog.js';
import { renewalRoutes, renewingSection } from './renewal-routes.js';
import { renewalsSchedule } from './renewal-schedule.js';
import { renewalsView } from './renewals-page.js';
import type { AdminView, ArticleListing, Draws, ProductPlugin, ProductServices, Schedule } from './slots.js';

/** Every product, in the order the pages draw them: a product is its folder and its one line here. */
export const registered: ProductPlugin[] = [
  (await import('./job-listing/index.js')).jobListing,
  (await import('./billboard/index.js')).billboard,
  (await import('./featured-article/index.js')).featuredArticle,
  (await import('./newsletter/index.js')).newsletter,
  (await import('./credit-pack/index.js')).creditPack,
];

/** The product that sells credits (the credits pages send buyers to its checkout). */
export { CREDIT_PACK_PRODUCT } from './credit-pack/product.js';

/** Everything for sale, as the payments core knows it. */
export const products: Product[] = registered.map((p) => p.product);

/** Each product's own migrations, for Database.migrate (the core's first, then these in this order). */
export const productMigrations: ProductMigrations[] = registered.flatMap((p) => (p.migrations ? [{ name: p.product.id, folder: p.migrations }] : []));

/** What the products draw into one slot, in registry order. */
export function slot<K extends keyof Draws>(name: K): Array<NonNullable<Draws[K]>> {
  return registered.flatMap((p) => (p.draws?.[name] ? [p.draws[name]!] : []));
}

/** The products' own routes, in registry order. */
export const productRoutes = (): FastifyPluginAsync[] => registered.flatMap((p) => (p.routes ? [p.routes] : []));

/** The products that declare a period, for the one renewal scheduler and its admin view. */
const renewable = registered.flatMap((p) => (p.renewal ? [{ product: p.product, renewal: p.renewal }] : []));

/** The buyers' auto-renew switches, of every renewable product: their routes, and the billing page's section. */
export const renewalSwitchRoutes = renewalRoutes(renewable);
export const renewingOnBillingPage = renewingSection(renewable);

/** The products' admin views, and the renewals of all of them. */
export const adminViews: AdminView[] = [...registered.flatMap((p) => p.admin ?? []), renewalsView(renewable)];

/** The rules of the one product that makes an article a paid listing. */
export const articleListing: ArticleListing = (() => {
  const listings = registered.flatMap((p) => (p.listing ? [p.listing] : []));
  if (listings.length !== 1) throw new Error(`exactly one product sets the article listing rules, not ${listings.length}`);
  return listings[0]!;
})();

/** A product's periodic task, bound to what it runs with. */
export interface ScheduledTask {
  name: string;
  intervalMs(config: Config): number;
  run(now: Date): Promise<object | undefined>;
}

/** Every product's periodic work, and the renewals of all of them. */
export const schedules: Schedule[] = [...registered.flatMap((p) => p.schedules ?? []), renewalsSchedule(renewable)];

/** Every product's periodic tasks, bound to `services`. */
export function scheduledTasks(services: ProductServices): ScheduledTask[] {
  return schedules.map((s) => ({ name: s.name, intervalMs: s.intervalMs, run: (now: Date) => s.run(services, now) }));
}
