import { z } from 'zod';
import type { Db } from '../db/client.js';
import type { Charge } from '../db/schema.js';

/**
 * What a purchase can be *for*. Kinds live with the products (src/products/subjects.ts); the core
 * knows only this shape, so a new kind needs no change here.
 */
export interface SubjectKind {
  /** The kind as the buyer reads it, in messages: "Choose the <name> this is for." */
  name: string;
  /** What one subject is called at checkout ("For: …"); undefined when it no longer exists. */
  title(db: Db, id: number): Promise<string | undefined>;
  /** Where one subject is seen on the site. */
  href(id: number): string;
}

/** A charge's subject as pages show it: its kind's name, its title (undefined when it no longer exists) and link. */
export interface SubjectView {
  name: string;
  title?: string;
  href: string;
}

export async function describeSubject(db: Db, kind: SubjectKind | undefined, id: number | null): Promise<SubjectView | undefined> {
  if (!kind || id === null) return undefined;
  return { name: kind.name, title: await kind.title(db, id), href: kind.href(id) };
}

/*
 * The seed's spelling of a purchase's subject: the field `article_id` of the API, the forms and a
 * PaymentIntent's metadata, and the column charges.article_id. Both are the contract (clients and
 * intents already in Stripe use them), so they keep their names; this is the one file under
 * src/payments that spells them (test/architecture.test.ts names it), everything else says subject.
 */
export const SUBJECT_FIELD = 'article_id';
export const SUBJECT_COLUMN = 'articleId';

/** The subject id a request or form may carry. */
export const subjectIdSchema = z.number().int().positive().max(2147483647);

/** The charge's subject id, null for a purchase of nothing in particular. */
export const subjectOf = (charge: Pick<Charge, typeof SUBJECT_COLUMN>): number | null => charge[SUBJECT_COLUMN];

