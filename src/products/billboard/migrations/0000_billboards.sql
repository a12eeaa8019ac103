-- The table the core's 0001_checkout made before products had migrations of their own: existing
-- databases have it already, so each statement here is a no-op there.
CREATE TABLE IF NOT EXISTS "billboards" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "billboards_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"charge_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"headline" text NOT NULL,
	"link_url" text NOT NULL,
	"image_url" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "billboards_charge_id_unique" UNIQUE("charge_id"),
	CONSTRAINT "billboards_charge_id_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."charges"("id") ON DELETE no action ON UPDATE no action,
	CONSTRAINT "billboards_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "billboards_live_idx" ON "billboards" USING btree ("ends_at") WHERE "billboards"."active";
