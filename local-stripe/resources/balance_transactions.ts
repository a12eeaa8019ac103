import type Stripe from 'stripe';
import { list } from '../http/lists.js';
import { type Resource, route } from '../http/router.js';
import { listSpec } from '../params.js';
import type { Store } from '../store.js';

/** Stripe's standard US card pricing, used for every balance transaction's fee. */
export const cardFee = (amount: number) => Math.round(amount * 0.029) + 30;

export const balanceTransactions = (store: Store) => store.collection<Stripe.BalanceTransaction>('balanceTransactions');

export function newBalanceTransaction(
  store: Store,
  amount: number,
  currency: string,
  fee: number,
  type: Stripe.BalanceTransaction.Type,
  source: string,
  description: string,
): Stripe.BalanceTransaction {
  const created = store.now();
  const txn: Stripe.BalanceTransaction = {
    id: store.newId('txn'),
    object: 'balance_transaction',
    amount,
    available_on: created + 2 * 86400,
    balance_type: 'payments',
    created,
    currency,
    description,
    exchange_rate: null,
    fee,
    fee_details: fee
      ? [{ amount: fee, application: null, currency, description: type === 'adjustment' ? 'Dispute fee' : 'Stripe processing fees', type: 'stripe_fee' }]
      : [],
    net: amount - fee,
    reporting_category: type === 'charge' ? 'charge' : type === 'refund' ? 'refund' : 'dispute',
    source,
    status: 'pending',
    type,
  };
  balanceTransactions(store).set(txn.id, txn);
  return txn;
}

export const balanceTransactionResource: Resource = {
  expandable: { object: 'balance_transaction', fields: ['source'] },
  routes: [
    route('GET', '/v1/balance_transactions', {
      spec: { ...listSpec, source: 'string', type: 'string' },
      handler: (c) =>
        list(
          c.store,
          balanceTransactions(c.store).values(),
          c.params,
          '/v1/balance_transactions',
          (t) => (!c.params.source || t.source === c.params.source) && (!c.params.type || t.type === c.params.type),
        ),
    }),
    route('GET', '/v1/balance_transactions/:id', { handler: (c) => c.store.get(balanceTransactions(c.store), 'balance_transaction', c.path.id!) }),
  ],
};
