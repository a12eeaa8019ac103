import { adminOnly, all, type Rule } from '../../../../test/helpers/security.js';

/** The authorization matrix's rules for the newsletter's own routes (test/security.test.ts reads them). */
export const accessRules: Record<string, Rule> = {
  'GET /newsletter': { expect: all(200) },
  'GET /api/v1/admin/newsletter': { expect: adminOnly(401, 200) },
  'GET /admin/newsletter': { expect: adminOnly(302, 200) },
};
