import type { AdminCredentials } from '../accounts/bootstrap.js';

export interface StartupFacts {
  url: string;
  database: string;
  stripe: string;
  mail: string;
  admin?: AdminCredentials;
}

/** What a person starting the server on a terminal needs: where it is, what it runs on, how to sign in. */
export function startupBanner(facts: StartupFacts): string {
  const admin = facts.admin;
  const signIn = !admin
    ? []
    : admin.password
      ? [`  Admin     ${admin.email} / ${admin.password}`]
      : [`  Admin     ${admin.email}${admin.passwordChanged ? ' (its password was changed; the generated one no longer works)' : ''}`];
  return ['', `  DevBoard is running at ${facts.url}`, '', `  Database  ${facts.database}`, `  Stripe    ${facts.stripe}`, `  Mail      ${facts.mail}`, ...signIn, ''].join('\n');
}
