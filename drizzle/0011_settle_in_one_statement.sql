-- Settling a charge is one statement in the usual case: the charge moves, its audit entry and its
-- fulfilment claim are written, and the product's usual fulfilment runs, all in one round trip.
-- When the product's usual case does not apply, the statement calls this to undo itself, and the
-- charge is settled again in a transaction with the product's full fulfilment (src/payments/settle.ts).
CREATE FUNCTION settle_needs_transaction() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'settling this charge needs the product''s full fulfilment' USING ERRCODE = 'DB001';
END
$$;
