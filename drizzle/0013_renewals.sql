CREATE TABLE "renewal_reminders" (
	"product" text NOT NULL,
	"subject_id" integer NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	CONSTRAINT "renewal_reminders_product_subject_id_period_end_pk" PRIMARY KEY("product","subject_id","period_end")
);
--> statement-breakpoint
CREATE TABLE "renewals" (
	"product" text NOT NULL,
	"subject_id" integer NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"user_id" integer NOT NULL,
	"charge_id" integer,
	"outcome" text DEFAULT 'pending' NOT NULL,
	"failure_message" text,
	"lease_until" timestamp with time zone NOT NULL,
	"notified_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "renewals_product_subject_id_period_end_pk" PRIMARY KEY("product","subject_id","period_end"),
	CONSTRAINT "renewals_outcome_known" CHECK (outcome in ('pending', 'renewed', 'authentication_required', 'declined', 'no_card', 'not_allowed'))
);
--> statement-breakpoint
ALTER TABLE "renewals" ADD CONSTRAINT "renewals_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "renewals" ADD CONSTRAINT "renewals_charge_id_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."charges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "renewals_created_idx" ON "renewals" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
-- The job listing's reminders and renewals so far (core 0009 made their tables, so they exist here)
-- move under the generic key, so that none is sent or charged again after the upgrade. The old
-- tables stay, unused, until a later migration drops them.
INSERT INTO "renewal_reminders" ("product", "subject_id", "period_end", "sent_at")
SELECT 'job_listing', "article_id", "paid_until", "sent_at" FROM "listing_reminders" ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "renewals" ("product", "subject_id", "period_end", "user_id", "charge_id", "outcome", "failure_message", "lease_until", "notified_at", "created_at", "finished_at")
SELECT 'job_listing', "article_id", "paid_until", "user_id", "charge_id", "outcome", "failure_message", "lease_until", "notified_at", "created_at", "finished_at" FROM "listing_renewals" ON CONFLICT DO NOTHING;
