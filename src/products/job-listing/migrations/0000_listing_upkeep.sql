-- The tables the core's 0009_listing_upkeep made before products had migrations of their own:
-- existing databases have them already, so each statement here is a no-op there. (The core
-- migration's articles.auto_renew column stays the core's: it is on the articles table.)
CREATE TABLE IF NOT EXISTS "listing_reminders" (
	"article_id" integer NOT NULL,
	"paid_until" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	CONSTRAINT "listing_reminders_article_id_paid_until_pk" PRIMARY KEY("article_id","paid_until"),
	CONSTRAINT "listing_reminders_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE no action ON UPDATE no action
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "listing_renewals" (
	"article_id" integer NOT NULL,
	"paid_until" timestamp with time zone NOT NULL,
	"user_id" integer NOT NULL,
	"charge_id" integer,
	"outcome" text DEFAULT 'pending' NOT NULL,
	"failure_message" text,
	"lease_until" timestamp with time zone NOT NULL,
	"notified_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "listing_renewals_article_id_paid_until_pk" PRIMARY KEY("article_id","paid_until"),
	CONSTRAINT "listing_renewals_outcome_known" CHECK (outcome in ('pending', 'renewed', 'authentication_required', 'declined', 'no_card', 'not_allowed')),
	CONSTRAINT "listing_renewals_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE no action ON UPDATE no action,
	CONSTRAINT "listing_renewals_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action,
	CONSTRAINT "listing_renewals_charge_id_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."charges"("id") ON DELETE no action ON UPDATE no action
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "listing_renewals_created_idx" ON "listing_renewals" USING btree ("created_at" DESC NULLS LAST);
