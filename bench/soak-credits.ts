/**
 * The soak's credits: some buyers belong to an organization (one in five creates it and is its admin,
 * two join it as members), whose admin buys credits for it by card and whose members spend them on
 * listings posted on its behalf; the others buy credits for themselves and spend them on their own
 * listings. Every call goes through the soak's `persist` (the typed client, retried through faults and
 * the kill), with each purchase's Idempotency-Key made once, outside the retried call, so a retry is
 * the same purchase. At the end, the ledger's invariants (`creditChecks`).
 */
import { randomUUID } from 'node:crypto';
import type { ApiClient } from '../scripts/api/client.js';
import { answered } from '../scripts/api/client.js';
import { queryRows } from '../src/db/client.js';

type Persist = <R extends { response: Response; error?: unknown }>(token: string | undefined, call: (api: ApiClient) => Promise<R>) => Promise<R>;

/** The buyers' organizations: one per group of GROUP buyers, its first three in it. */
const GROUP = 5;
const IN_ORGANIZATION = 3;

export const creditStats = {
  organizations: 0,
  purchases: 0,
  purchasesPaid: 0,
  purchasesDeclined: 0,
  purchaseDoubleSubmits: 0,
  spends: 0,
  organizationSpends: 0,
  spendsPaid: 0,
  spendsShort: 0,
  spendDoubleSubmits: 0,
  doubleMismatch: 0,
};

/** A buyer's place in the credits: their organization's slug (and whether they are its admin), or none. */
export interface CreditRole {
  organization?: string;
  admin: boolean;
  /** Whether this buyer has bought credits yet: an organization's admin does first, so its members find some. */
  stocked: boolean;
}

const errorCode = (r: { error?: unknown }) => (r.error as { error?: { code?: string } } | undefined)?.error?.code;
/** The charge an answer names: a success's, or the failed one beside a decline's `error`. */
export const chargeIdOf = (r: { data?: { charge: { id: number } }; error?: unknown }) => r.data?.charge.id ?? (r.error as { charge?: { id: number } } | undefined)?.charge?.id;

/** Sent once, or (at `rate`) twice at once with its one key, a double click: both answers must name one charge. */
async function maybeTwice<R extends { data?: { charge: { id: number } }; error?: unknown }>(rate: number, counter: 'purchaseDoubleSubmits' | 'spendDoubleSubmits', submit: () => Promise<R>): Promise<R> {
  if (Math.random() >= rate) return submit();
  creditStats[counter]++;
  const [a, b] = await Promise.all([submit(), submit()]);
  if (chargeIdOf(a) !== chargeIdOf(b)) creditStats.doubleMismatch++;
  return a;
}

export function creditsForBuyers(persist: Persist, siteAdminToken: string, runTag: string) {
  /** Each group's organization, once its admin has opened it (rejected if that failed, so its members fail too rather than wait). */
  type Opened = { slug: string; adminToken: string };
  const opened = new Map<number, { promise: Promise<Opened>; resolve: (o: Opened) => void; reject: (e: unknown) => void }>();
  const openingOf = (group: number) => {
    if (!opened.has(group)) {
      let resolve!: (o: Opened) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<Opened>((res, rej) => {
        [resolve, reject] = [res, rej];
      });
      promise.catch(() => undefined);
      opened.set(group, { promise, resolve, reject });
    }
    return opened.get(group)!;
  };

  /**
   * Buyer `i`'s place: the group's first buyer creates its organization (allowed to post jobs by a site
   * admin); the next two are added to it by that admin; the rest of the group buy for themselves.
   */
  async function join(i: number, token: string, username: string): Promise<CreditRole> {
    const group = Math.floor(i / GROUP);
    const place = i % GROUP;
    if (place >= IN_ORGANIZATION) return { admin: false, stocked: Math.random() < 0.5 };
    const opening = openingOf(group);
    if (place === 0) {
      const slug = `soak-${runTag}-${group}`;
      try {
        // A retry after a lost answer finds the slug taken: by this same creation.
        const created = await persist(token, (api) => api.POST('/api/v1/organizations', { body: { name: `Soak Co ${group}`, slug } }));
        if (created.response.status !== 201 && errorCode(created) !== 'slug_taken') throw new Error(`creating ${slug} answered ${created.response.status} ${JSON.stringify(created.error)}`);
        answered(await persist(siteAdminToken, (api) => api.POST('/api/v1/admin/organizations/{slug}/permissions', { params: { path: { slug } }, body: { can_post_jobs: true } })));
      } catch (error) {
        opening.reject(error);
        throw error;
      }
      creditStats.organizations++;
      opening.resolve({ slug, adminToken: token });
      return { organization: slug, admin: true, stocked: false };
    }
    const { slug, adminToken } = await opening.promise;
    const added = await persist(adminToken, (api) => api.POST('/api/v1/organizations/{slug}/members', { params: { path: { slug } }, body: { username, role: 'member' } }));
    if (added.response.status !== 201 && errorCode(added) !== 'already_member') throw new Error(`adding ${username} to ${slug} answered ${added.response.status} ${JSON.stringify(added.error)}`);
    return { organization: slug, admin: false, stocked: true };
  }

  /** Credits bought by card: for the organization by its admin, else for oneself; sometimes declined, sometimes submitted twice with one key. */
  async function buy(token: string, role: CreditRole): Promise<void> {
    creditStats.purchases++;
    const body = {
      quantity: 1 + Math.floor(Math.random() * 12),
      payment_method: Math.random() < 0.15 ? 'pm_card_chargeDeclined' : 'pm_card_visa',
      ...(role.admin ? { organization: role.organization } : {}),
    };
    // One key per purchase, made here and not in the retried call: every retry is this purchase.
    const key = randomUUID();
    const purchase = () => persist(token, (api) => api.POST('/api/v1/credits/purchases', { body, headers: { 'idempotency-key': key } }));
    const answer = await maybeTwice(0.2, 'purchaseDoubleSubmits', purchase);
    if (answer.response.status === 201) creditStats.purchasesPaid++;
    else if (answer.response.status === 402) creditStats.purchasesDeclined++;
    else throw new Error(`buying credits answered ${answer.response.status} ${JSON.stringify(answer.error).slice(0, 200)}`);
  }

  /**
   * A listing paid with credits: the organization's (posted on its behalf) or one's own. Answers the
   * listing when the balance was short, for the buyer to pay by card instead.
   */
  async function spend(token: string, role: CreditRole, seq: number): Promise<number | undefined> {
    creditStats.spends++;
    const organization = role.organization && Math.random() < 0.8 ? role.organization : undefined;
    if (organization) creditStats.organizationSpends++;
    const { article } = answered(
      await persist(token, (api) =>
        api.POST('/api/v1/articles', { body: { title: `Soak credits job ${seq}`, body_markdown: 'x', job_listing: true, published: true, ...(organization ? { organization } : {}) } }),
      ),
    );
    const body = { product: 'job_listing' as const, article_id: article.id, pay_with: 'credits' as const, ...(organization ? { organization } : {}) };
    const key = randomUUID();
    const pay = () => persist(token, (api) => api.POST('/api/v1/charges', { body, headers: { 'idempotency-key': key } }));
    const answer = await maybeTwice(0.15, 'spendDoubleSubmits', pay);
    if (answer.response.status === 201) {
      creditStats.spendsPaid++;
      return undefined;
    }
    if (answer.response.status === 402 && errorCode(answer) === 'insufficient_credits') {
      creditStats.spendsShort++;
      return article.id;
    }
    throw new Error(`spending credits answered ${answer.response.status} ${JSON.stringify(answer.error).slice(0, 200)}`);
  }

  /**
   * One turn of a buyer's loop, sometimes taken by credits: true when it was (a listing whose credits
   * fell short goes to `payByCard`).
   */
  async function turn(token: string, role: CreditRole, seq: number, payByCard: (articleId: number) => Promise<void>): Promise<boolean> {
    const dice = Math.random();
    if (!role.stocked || dice < (role.admin ? 0.25 : role.organization ? 0 : 0.12)) {
      role.stocked = true;
      await buy(token, role);
      return true;
    }
    if (dice < 0.4) {
      const short = await spend(token, role, seq);
      if (short !== undefined) await payByCard(short);
      return true;
    }
    return false;
  }

  return { join, turn };
}

type Executor = Parameters<typeof queryRows>[0];

/**
 * The ledger against itself, the charges and Stripe: every balance is the sum of its entries and none
 * is negative; the credits granted by purchases are the quantities of the credit packs whose
 * PaymentIntents succeeded at Stripe, one purchase entry each; every spend entry's charge succeeded
 * and every charge paid with credits (succeeded with no PaymentIntent nor Checkout Session) has one.
 */
export async function creditChecks(
  db: Executor,
  succeededIntents: Array<{ id: string }>,
  check: (name: string, ok: boolean, detail?: string) => void,
): Promise<{ creditPaid: Set<number> }> {
  const accounts = await queryRows<{ id: number; balance: number; sum: number }>(
    db,
    'select a.id, a.balance::int as balance, coalesce(sum(e.change), 0)::int as sum from credit_accounts a left join credit_entries e on e.account_id = a.id group by a.id, a.balance',
  );
  const off = accounts.filter((a) => Number(a.balance) !== Number(a.sum));
  check('every credit balance equals the sum of its ledger entries', off.length === 0, `${accounts.length} accounts; ${off.length} differ${off.length ? `: ${off.slice(0, 3).map((a) => `#${a.id} ${a.balance} ≠ ${a.sum}`).join(', ')}` : ''}`);
  const negative = accounts.filter((a) => Number(a.balance) < 0);
  check('no credit balance is negative', negative.length === 0, `lowest ${Math.min(0, ...accounts.map((a) => Number(a.balance)))}`);

  const packs = await queryRows<{ id: number; status: string; key: string | null; quantity: number; granted: number | null; entries: number }>(
    db,
    `select c.id, c.status, c.stripe_charge_key as key, (c.product_data->>'quantity')::int as quantity,
       (select sum(e.change)::int from credit_entries e where e.charge_id = c.id and e.reason = 'purchase') as granted,
       (select count(*)::int from credit_entries e where e.charge_id = c.id and e.reason = 'purchase') as entries
     from charges c where c.product = 'credit_pack'`,
  );
  const succeeded = new Set(succeededIntents.map((p) => p.id));
  const paidPacks = packs.filter((c) => c.key !== null && succeeded.has(c.key));
  const paidAtStripe = paidPacks.reduce((s, c) => s + Number(c.quantity), 0);
  const [granted] = await queryRows<{ n: number }>(db, "select coalesce(sum(change), 0)::int as n from credit_entries where reason = 'purchase'");
  const wrong = packs.filter((c) => (paidPacks.includes(c) ? Number(c.entries) !== 1 || Number(c.granted) !== Number(c.quantity) : Number(c.entries) !== 0));
  check(
    'credits granted by purchases equal the credits paid for at Stripe, once per paid pack',
    Number(granted!.n) === paidAtStripe && wrong.length === 0,
    `granted ${granted!.n}, paid for ${paidAtStripe} in ${paidPacks.length} of ${packs.length} packs${wrong.length ? `; wrong: ${wrong.slice(0, 3).map((c) => `#${c.id} (${c.status}, ${c.entries} entries)`).join(', ')}` : ''}`,
  );

  const spends = await queryRows<{ charge_id: number; status: string; n: number }>(
    db,
    "select e.charge_id, c.status, count(*)::int as n from credit_entries e join charges c on c.id = e.charge_id where e.reason = 'spend' group by e.charge_id, c.status",
  );
  const creditPaid = await queryRows<{ id: number; n: number }>(
    db,
    `select c.id, (select count(*)::int from credit_entries e where e.charge_id = c.id and e.reason = 'spend') as n
     from charges c where c.status = 'succeeded' and c.stripe_charge_key is null and c.checkout_session_id is null`,
  );
  const badSpends = spends.filter((s) => s.status !== 'succeeded' || Number(s.n) !== 1);
  const unspent = creditPaid.filter((c) => Number(c.n) !== 1);
  check(
    'every spend entry’s charge succeeded, and every charge paid with credits has exactly one spend entry',
    badSpends.length === 0 && unspent.length === 0,
    `${spends.length} spends, ${creditPaid.length} credit-paid charges${badSpends.length || unspent.length ? `; wrong: ${[...badSpends.map((s) => `#${s.charge_id} ${s.status} ×${s.n}`), ...unspent.map((c) => `#${c.id} ×${c.n}`)].slice(0, 3).join(', ')}` : ''}`,
  );
  check('one key, one purchase or spend of credits', creditStats.doubleMismatch === 0, `${creditStats.purchaseDoubleSubmits + creditStats.spendDoubleSubmits} double submissions, ${creditStats.doubleMismatch} answered with different charges`);
  return { creditPaid: new Set(creditPaid.filter((c) => Number(c.n) === 1).map((c) => Number(c.id))) };
}
