import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../accounts/request-user.js';
import type { Db } from '../db/client.js';
import type { User } from '../db/schema.js';
import { formatUtc } from '../format.js';
import { BEARER, errorResponses, timestamp } from '../http/api.js';
import { parseInput } from '../http/errors.js';
import { perMemberLimit } from '../http/rate-limits.js';
import { DataTable, Flash, type PageContext, PostButton } from '../web/render.js';
import type { RenewableProduct } from './renewal-claims.js';
import { RENEWALS_PAGE, type RenewingPurchase, renewalOf, renewingPurchases, setRenewal } from './renewal-switch.js';

const purchaseParams = z.object({ product: z.string().min(1).max(60), subject_id: z.coerce.number().int().positive().max(2147483647) });
const switchInput = z.object({ enabled: z.boolean({ error: 'Send true or false.' }) }).strict();
const switchForm = z.object({ enabled: z.enum(['0', '1']).transform((v) => v === '1'), _csrf: z.string().optional() });
/** The confirmation the billing page shows after a switch (it names the purchase, read again there). */
const switchedQuery = z.object({ renewal: z.enum(['on', 'off']), product: z.string().max(60), subject_id: z.coerce.number().int().positive().max(2147483647) });

const renewalSchema = z.object({
  product: z.string(),
  product_name: z.string(),
  subject_id: z.number().int(),
  title: z.string().nullable(),
  period_end: timestamp.nullable(),
  auto_renew: z.boolean(),
});

const renewalJson = (p: RenewingPurchase) => ({
  product: p.product,
  product_name: p.productName,
  subject_id: p.subjectId,
  title: p.title,
  period_end: p.periodEnd,
  auto_renew: p.autoRenew,
});

/** The buyer's switches: GET /api/v1/renewals, POST /api/v1/renewals/:product/:subject_id/auto-renew and the billing page's form. */
export const renewalRoutes =
  (products: readonly RenewableProduct[]): FastifyPluginAsync<{ rateLimits: boolean }> =>
  async (app, options) => {
    const writes = perMemberLimit(options.rateLimits, 20);
    const api = app.withTypeProvider<ZodTypeProvider>();
    const buyer = { tags: ['products'], security: BEARER };
    api.get(
      '/api/v1/renewals',
      {
        schema: {
          ...buyer,
          summary: 'Your purchases that renew by themselves',
          description: 'Auto-renew chosen, live, and the period not ended; a stopped one is listed with `auto_renew: false` until its period ends.',
          response: { 200: z.object({ renewals: z.array(renewalSchema) }), ...errorResponses(401) },
        },
      },
      async (request) => ({
        renewals: (await renewingPurchases(app.db, products, requireUser(request), app.clock.now())).map(renewalJson),
      }),
    );

    api.post(
      '/api/v1/renewals/:product/:subject_id/auto-renew',
      {
        ...writes,
        schema: {
          ...buyer,
          summary: 'Stop or restore the auto-renewal of one of your purchases',
          description: 'Stopping covers the current period: it ends and is not charged again. 422 for a purchase bought without auto-renewal or whose period has ended; 409 once the renewal is under way.',
          params: purchaseParams,
          body: switchInput,
          response: { 200: z.object({ renewal: renewalSchema }), ...errorResponses(400, 401, 404, 409, 422, 429) },
        },
      },
      async (request) => {
        const user = requireUser(request);
        const { product, subject_id } = request.params;
        return { renewal: renewalJson(await setRenewal(app.db, products, user, product, subject_id, request.body.enabled, app.clock.now())) };
      },
    );

    app.post('/settings/renewals/:product/:subject_id/auto-renew', writes, async (request, reply) => {
      const user = requireUser(request);
      const params = parseInput(purchaseParams, request.params);
      const { enabled } = parseInput(switchForm, request.body);
      await setRenewal(app.db, products, user, params.product, params.subject_id, enabled, app.clock.now());
      const shown = new URLSearchParams({ renewal: enabled ? 'on' : 'off', product: params.product, subject_id: String(params.subject_id) });
      return reply.redirect(`${RENEWALS_PAGE}?${shown}`, 303);
    });
  };

/** What the page says after a switch, of the user's purchase the query names (read again: a stopped job listing is no longer listed). */
async function switchedNotice(db: Db, products: readonly RenewableProduct[], user: User, query: unknown): Promise<string | undefined> {
  const shown = switchedQuery.safeParse(query);
  if (!shown.success) return undefined;
  const p = await renewalOf(db, products, user, shown.data.product, shown.data.subject_id);
  if (!p) return undefined;
  const end = p.periodEnd ? ` at ${formatUtc(p.periodEnd)}` : '';
  return shown.data.renewal === 'off'
    ? `Auto-renew stopped: "${p.title}" ends${end} and your card is not charged again for it.`
    : `Auto-renew is back on: "${p.title}" renews${end} with the card you paid with.`;
}

/** The billing page's "Renewing automatically": each purchase, when it renews, and its switch. */
export const renewingSection =
  (products: readonly RenewableProduct[]) =>
  async (db: Db, ctx: PageContext, user: User, query: unknown) => {
    const [purchases, notice] = await Promise.all([renewingPurchases(db, products, user, ctx.now), switchedNotice(db, products, user, query)]);
    return (
      <div class="card" id="renewing">
        <h2>Renewing automatically</h2>
        <Flash message={notice} />
        {purchases.length === 0 ? (
          <p class="muted" data-empty="renewing">
            Nothing renews by itself. Tick "Renew automatically" when you buy a billboard or a featured article.
          </p>
        ) : (
          <>
            <p class="muted">Each is charged to the card you last paid for it with, in the last hour of its week; the new week starts where the old one ends.</p>
            <DataTable
              label="Renewing automatically"
              cards
              rows={purchases}
              rowAttrs={(p) => ({ 'data-renewing': `${p.product}:${p.subjectId}`, 'data-auto-renew': p.autoRenew ? 'on' : 'off' })}
              columns={[
                {
                  heading: 'What',
                  label: '',
                  cell: (p) => (
                    <>
                      {p.title}
                      <br />
                      <span class="muted">{p.productName}</span>
                    </>
                  ),
                },
                { heading: 'Next renewal', cell: (p) => (p.autoRenew ? formatUtc(p.periodEnd!) : `Stopped: ends ${formatUtc(p.periodEnd!)}`) },
                {
                  heading: '',
                  cell: (p) => (
                    <PostButton ctx={ctx} action={`/settings/renewals/${encodeURIComponent(p.product)}/${p.subjectId}/auto-renew`} fields={{ enabled: p.autoRenew ? '0' : '1' }} class={p.autoRenew ? 'secondary' : undefined}>
                      {p.autoRenew ? 'Stop renewing' : 'Renew again'}
                    </PostButton>
                  ),
                },
              ]}
            />
          </>
        )}
      </div>
    );
  };
