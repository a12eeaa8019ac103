CREATE TABLE "credit_accounts" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "credit_accounts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer,
	"organization_id" integer,
	"balance" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "credit_accounts_user_id_unique" UNIQUE("user_id"),
	CONSTRAINT "credit_accounts_organization_id_unique" UNIQUE("organization_id"),
	CONSTRAINT "credit_accounts_one_owner" CHECK (("credit_accounts"."user_id" is null) <> ("credit_accounts"."organization_id" is null)),
	CONSTRAINT "credit_accounts_balance_not_negative" CHECK ("credit_accounts"."balance" >= 0)
);
--> statement-breakpoint
CREATE TABLE "credit_entries" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "credit_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"account_id" integer NOT NULL,
	"change" integer NOT NULL,
	"reason" text NOT NULL,
	"charge_id" integer,
	"note" text,
	"by_user_id" integer,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "credit_entries_change_nonzero" CHECK ("credit_entries"."change" <> 0),
	CONSTRAINT "credit_entries_reason_known" CHECK (reason in ('purchase', 'spend', 'refund', 'dispute', 'grant', 'revoke', 'expire')),
	CONSTRAINT "credit_entries_charge_needed" CHECK ("credit_entries"."reason" not in ('purchase', 'spend') or "credit_entries"."charge_id" is not null),
	CONSTRAINT "credit_entries_note_needed" CHECK ("credit_entries"."reason" not in ('grant', 'revoke') or ("credit_entries"."note" is not null and "credit_entries"."by_user_id" is not null)),
	CONSTRAINT "credit_entries_sign" CHECK (("credit_entries"."reason" in ('purchase', 'grant') and "credit_entries"."change" > 0) or ("credit_entries"."reason" in ('spend', 'revoke', 'expire') and "credit_entries"."change" < 0) or "credit_entries"."reason" in ('refund', 'dispute'))
);
--> statement-breakpoint
ALTER TABLE "credit_accounts" ADD CONSTRAINT "credit_accounts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_accounts" ADD CONSTRAINT "credit_accounts_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_entries" ADD CONSTRAINT "credit_entries_account_id_credit_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."credit_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_entries" ADD CONSTRAINT "credit_entries_charge_id_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."charges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_entries" ADD CONSTRAINT "credit_entries_by_user_id_users_id_fk" FOREIGN KEY ("by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "credit_entries_account_idx" ON "credit_entries" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "credit_entries_purchase_once_idx" ON "credit_entries" USING btree ("charge_id") WHERE "credit_entries"."reason" = 'purchase';--> statement-breakpoint
CREATE UNIQUE INDEX "credit_entries_spend_once_idx" ON "credit_entries" USING btree ("charge_id") WHERE "credit_entries"."reason" = 'spend';--> statement-breakpoint
-- The ledger is append-only: a correction is a new entry, never an edit.
CREATE FUNCTION credit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit_entries is append-only';
END;
$$;--> statement-breakpoint
CREATE TRIGGER credit_entries_no_update_or_delete BEFORE UPDATE OR DELETE ON credit_entries FOR EACH ROW EXECUTE FUNCTION credit_entries_append_only();
