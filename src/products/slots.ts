/**
 * What a product brings besides what the payments core sells (payments/catalog.ts's Product): what it
 * draws into the named slots the pages offer, its periodic work, and, for the product that makes an
 * article a paid listing, the rules the article pages follow. The pages and the app read these through
 * the registry (index.ts), never a product's folder.
 */
import type { SQL } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { JSX } from 'preact';
import type { ZodType } from 'zod';
import type { Config } from '../config.js';
import type { Db, Executor } from '../db/client.js';
import type { Article, User } from '../db/schema.js';
import type { Mailer } from '../mail/mailer.js';
import type { Catalog, Product } from '../payments/catalog.js';
import type { Checkout } from '../payments/checkout.js';
import type { StripeGateway } from '../payments/stripe.js';
import type { PageContext } from '../web/render.js';
import type { Renewable } from './renewal.js';

/** A drawn value and when it goes stale (null: not before something changes). Pages cache it until then. */
export interface Expiring<T> {
  value: T;
  expiresAt: Date | null;
}

/** Where an article is shown to its author with its listing state. */
export type ArticlePlace = 'dashboard' | 'edit';

/** The slots the pages offer, each with what a product draws into it. */
export interface Draws {
  /** The sidebar of the home page and /jobs: one element per item shown. */
  sidebar?(db: Db, now: Date): Promise<Expiring<JSX.Element[]>>;
  /** The top of the home page's list: the ids of the articles pinned there, in order. */
  'home.top'?(db: Db, now: Date): Promise<Expiring<number[]>>;
  /** An article's page: a notice above it, its author's badges, and links after "Edit". */
  'article.page'?: {
    notice?(ctx: PageContext, article: Article): JSX.Element | null;
    badges?(ctx: PageContext, article: Article): JSX.Element | null;
    actions?(ctx: PageContext, article: Article): JSX.Element | null;
  };
  /** An article's listing state and switches, in its row on the dashboard and on its edit page. */
  'article.state'?(ctx: PageContext, article: Article, place: ArticlePlace): JSX.Element | null;
}

/** A view of the admin's console, at /admin/<name> (HTML) and /api/v1/admin/<name> (JSON). */
export interface AdminView {
  name: string;
  title: string;
  page(db: Db): Promise<JSX.Element>;
  json(db: Db): Promise<object>;
  /** The JSON answer's schema, for the API's document. */
  answer: ZodType;
}

/** What a product's periodic work runs with. */
export interface ProductServices {
  db: Db;
  catalog: Catalog;
  checkout: Checkout;
  stripe: StripeGateway;
  mailer?: Mailer;
  log: { warn(obj: object, msg: string): void };
}

/** Periodic work of a product, run by one instance at a time (operations/periodic.ts). */
export interface Schedule {
  /** Names its lock and its row in periodic_runs. */
  name: string;
  /** How often, from the configuration; 0 turns it off. */
  intervalMs(config: Config): number;
  /** One run at `now`; returns what it did when it did anything (logged), else undefined. */
  run(services: ProductServices, now: Date): Promise<object | undefined>;
}

/**
 * The rules of a product that makes an article a paid listing (the job listing): which articles are
 * public, and what happens when one is saved. The article pages and queries follow them.
 */
export interface ArticleListing {
  product: string;
  /** Whether an article is public: published and, for a listing, paid. */
  isLive(article: Pick<Article, 'published' | 'jobListing' | 'paidUntil'>, now: Date): boolean;
  isPaid(paidUntil: Date | null, now: Date): boolean;
  /** isLive as a WHERE condition on `articles`. */
  liveArticle(now: Date): SQL;
  /** A live listing, as a WHERE condition on `articles`. */
  liveListing(now: Date): SQL;
  /** Inside the transaction that saves an article, before the write: brings its paid state up to date. */
  beforeSave(tx: Executor, articleId: number): Promise<unknown>;
  /** The author's auto-renew switch. */
  setAutoRenew(db: Db, user: User, articleId: number, enabled: boolean, now: Date): Promise<{ id: number; title: string; autoRenew: boolean }>;
  /** What a page says after the switch was flipped. */
  autoRenewNotice(title: string, on: boolean, catalog: Catalog): JSX.Element;
}

/** A product as the registry knows it: what it sells and everything else it brings. */
export interface ProductPlugin {
  product: Product;
  draws?: Draws;
  schedules?: Schedule[];
  admin?: AdminView[];
  listing?: ArticleListing;
  /** Its period, when it renews: reminders and opt-in off-session renewal (renewal.ts). */
  renewal?: Renewable;
  /** The folder of its own tables' migrations (drizzle's layout), applied after the core's. */
  migrations?: string;
  /** Its own pages and API routes (e.g. a public page of what was bought), registered by the app. */
  routes?: FastifyPluginAsync;
}
