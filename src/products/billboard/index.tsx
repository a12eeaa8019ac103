import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { charges } from '../../db/schema.js';
import { autoRenewChosen } from '../renewal.js';
import type { ProductPlugin } from '../slots.js';
import { billboardProduct, liveBillboards } from './product.js';
import { billboards } from './schema.js';

/** The billboard: sold by the week, drawn in the sidebar of the home page and /jobs. */
export const billboard: ProductPlugin = {
  migrations: fileURLToPath(new URL('./migrations', import.meta.url)),
  product: billboardProduct,
  // Each billboard is a subject: bought with `auto_renew: true`, it is bought again in its week's last
  // hour with the same fields, and the new billboard (marked as renewing it) starts where it ends.
  renewal: {
    key: 'billboard',
    words: { noun: 'billboard', place: 'the sidebar', period: 'week' },
    subjects: sql`select ${billboards.id} as subject_id, ${billboards.userId} as user_id, null::int as purchase_subject,
      ${charges.productData} || jsonb_build_object('renews', ${billboards.id}) as fields, ${billboards.endsAt} as period_end,
      ${autoRenewChosen} as auto_renew, ${billboards.active} as live, ${billboards.headline} as title
      from ${billboards} join ${charges} on ${charges.id} = ${billboards.chargeId}`,
    paidBy: (billboardId) => sql`${charges.id} = (select ${billboards.chargeId} from ${billboards} where ${billboards.id} = ${billboardId})`,
  },
  draws: {
    async sidebar(db, now) {
      const boards = await liveBillboards(db, now);
      return {
        value: boards.map((b) => (
          <a class="billboard card" href={b.linkUrl} rel="sponsored noopener" target="_blank">
            {b.imageUrl && <img src={b.imageUrl} alt="" />}
            <strong>{b.headline}</strong>
            <span class="muted">Sponsored</span>
          </a>
        )),
        expiresAt: boards.reduce<Date | null>((m, b) => (m === null || b.endsAt < m ? b.endsAt : m), null),
      };
    },
  },
};
