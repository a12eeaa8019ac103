import { arg, flag } from './lib.js';

/** `npm run bench`'s settings, from its flags: what each phase measures and for how long. */
export const QUICK = flag('quick');
export const ARTICLES = arg('articles', QUICK ? 10_000 : 100_000);
export const CHARGES = arg('charges', QUICK ? 100_000 : 1_000_000);
export const SMALL = 1_000;
export const CONNECTIONS = 50;
export const WARMUP = QUICK ? 1 : 3;
export const DURATION = QUICK ? 3 : 10;
/** Reads against the baseline: this many alternating rounds in DURATION. */
export const ROUNDS = QUICK ? 3 : 5;
/** Checkouts: app, bare peer and durable peer alternate, this many seconds each, this many rounds each at each dataset size. */
export const CHECKOUT_ROUND = QUICK ? 2 : 6;
export const CHECKOUT_PAIRS = QUICK ? 3 : 5;
export const SECRET = 'whsec_bench_secret';
export const ADMIN = { email: 'bench-admin@bench.test', password: 'bench admin password' };
export const driver = process.env.DATABASE_URL ? 'postgres' : 'pglite';
