ALTER TABLE "charges" ADD COLUMN "checkout_session_id" text;--> statement-breakpoint
ALTER TABLE "charges" ADD CONSTRAINT "charges_checkout_session_id_unique" UNIQUE("checkout_session_id");