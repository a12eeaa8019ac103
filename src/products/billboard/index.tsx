import { fileURLToPath } from 'node:url';
import type { ProductPlugin } from '../slots.js';
import { billboardProduct, liveBillboards } from './product.js';

/** The billboard: sold by the week, drawn in the sidebar of the home page and /jobs. */
export const billboard: ProductPlugin = {
  migrations: fileURLToPath(new URL('./migrations', import.meta.url)),
  product: billboardProduct,
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
