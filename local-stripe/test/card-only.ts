/**
 * Automatic payment methods without redirects: a server-confirmed card payment that Stripe accepts
 * with no `return_url` (changelog 2023-08-16). Tests that are not about redirects use it.
 */
export const cardOnly = { enabled: true, allow_redirects: 'never' } as const;
