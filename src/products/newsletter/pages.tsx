import { and, asc, desc, eq, gte } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../../db/client.js';
import { z } from 'zod';
import { charges, chargeStatuses, users } from '../../db/schema.js';
import { formatMoney } from '../../format.js';
import { pageContext, DataTable, sendPage } from '../../web/render.js';
import type { AdminView } from '../slots.js';
import { NEWSLETTER_PRODUCT } from './product.js';
import { newsletterSlots } from './schema.js';
import { currentWeek, firstOpenWeek, freeWeeks, WEEKS_OFFERED, weekLabel } from './weeks.js';

/** The sponsored issues from this week on, soonest first. */
const upcoming = (db: Db, now: Date) =>
  db
    .select({ week: newsletterSlots.weekStart, sponsor: users.username })
    .from(newsletterSlots)
    .innerJoin(users, eq(users.id, newsletterSlots.userId))
    .where(and(eq(newsletterSlots.active, true), gte(newsletterSlots.weekStart, currentWeek(now))))
    .orderBy(asc(newsletterSlots.weekStart));

function NewsletterPage({ weeks, free }: { weeks: Array<{ week: string; sponsor: string }>; free: string[] }) {
  return (
    <>
      <h1>Newsletter</h1>
      <p>One issue goes out each week, on Monday (UTC), with one sponsor.</p>
      <section class="card" aria-labelledby="sponsored-heading">
        <h2 id="sponsored-heading">Upcoming sponsored issues</h2>
        {weeks.length === 0 ? (
          <p class="muted">No sponsored issues yet.</p>
        ) : (
          <ul class="newsletter-weeks">
            {weeks.map((w) => (
              <li data-week={w.week}>
                <strong>Week of {weekLabel(w.week)}</strong> — sponsored by {w.sponsor}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card">
        <h2>Sponsor an issue</h2>
        <p>
          Free soon: {free.map((w) => weekLabel(w)).join(', ')}. <a href={`/charges/new?product=${NEWSLETTER_PRODUCT}`}>Sponsor a week</a>
        </p>
      </section>
    </>
  );
}

/** The public /newsletter page. */
export const newsletterRoutes: FastifyPluginAsync = async (app) => {
  app.get('/newsletter', async (request, reply) => {
    const now = app.clock.now();
    const [weeks, free] = await Promise.all([upcoming(app.db, now), freeWeeks(app.db, firstOpenWeek(now), 3)]);
    return sendPage(reply, pageContext(request, reply), 'Newsletter', <NewsletterPage weeks={weeks} free={free} />);
  });
};

/** Every slot ever sold, latest week first, with its charge. */
const allSlots = (db: Db) =>
  db
    .select({ slot: newsletterSlots, sponsor: users.username, status: charges.status, amount: charges.amount, currency: charges.currency })
    .from(newsletterSlots)
    .innerJoin(users, eq(users.id, newsletterSlots.userId))
    .innerJoin(charges, eq(charges.id, newsletterSlots.chargeId))
    .orderBy(desc(newsletterSlots.weekStart), desc(newsletterSlots.id));

/** The admin's view of the newsletter slots: each week sold, to whom, and by which charge. */
export const newsletterAdminView: AdminView = {
  name: 'newsletter',
  title: 'Newsletter slots',
  async page(db) {
    const rows = await allSlots(db);
    return (
      <>
        <h1>Newsletter slots</h1>
        <p class="muted">
          One sponsor per weekly issue; the checkout offers the next {WEEKS_OFFERED} free weeks. A refunded or disputed slot frees its week.
        </p>
        {rows.length === 0 ? (
          <p class="muted">No slots sold yet.</p>
        ) : (
          <DataTable
            label="Newsletter slots"
            rows={rows}
            columns={[
              {
                heading: 'Week',
                cell: (r) => (
                  <>
                    {weekLabel(r.slot.weekStart)}
                    {r.slot.chosenWeek !== r.slot.weekStart && <span class="muted"> (chose {weekLabel(r.slot.chosenWeek)})</span>}
                  </>
                ),
              },
              { heading: 'Sponsor', cell: (r) => r.sponsor },
              {
                heading: 'Charge',
                cell: (r) => (
                  <>
                    <a href={`/admin/finance/charges/${r.slot.chargeId}`}>#{r.slot.chargeId}</a> {formatMoney(r.amount, r.currency)}
                  </>
                ),
              },
              { heading: 'Status', cell: (r) => r.status },
              { heading: 'Holds the week', cell: (r) => (r.slot.active ? 'Yes' : 'No: freed') },
            ]}
          />
        )}
      </>
    );
  },
  answer: z.object({
    slots: z.array(
      z.object({
        week_start: z.string().meta({ format: 'date' }),
        chosen_week: z.string().meta({ format: 'date' }),
        sponsor: z.string(),
        charge_id: z.number().int(),
        charge_status: z.enum(chargeStatuses),
        active: z.boolean().meta({ description: 'False once freed (its charge refunded or disputed).' }),
      }),
    ),
  }),
  async json(db) {
    const rows = await allSlots(db);
    return {
      slots: rows.map((r) => ({
        week_start: r.slot.weekStart,
        chosen_week: r.slot.chosenWeek,
        sponsor: r.sponsor,
        charge_id: r.slot.chargeId,
        charge_status: r.status,
        active: r.slot.active,
      })),
    };
  },
};
