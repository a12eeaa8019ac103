import type { Rule } from '../../../../test/helpers/security.js';

/** The authorization matrix's rules for the credit pack's own routes (test/security.test.ts reads them). */
export const accessRules: Record<string, Rule> = {
  // Credits for the organization: its admins buy them; a plain member may not (403); outsiders find no organization (404).
  'POST /api/v1/credits/purchases': {
    expect: { anon: 401, member: 403, poster: 201, other: 404, admin: 404 },
    body: () => ({ quantity: 2, organization: 'matrix-co', payment_method: 'pm_card_visa' }),
  },
};
