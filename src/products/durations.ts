/** How long what the products sell lasts: one definition, shared by every product sold by the week. */
export const WEEK_MS = 7 * 24 * 3600 * 1000;
