CREATE TABLE "billboards" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "billboards_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"charge_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"headline" text NOT NULL,
	"link_url" text NOT NULL,
	"image_url" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "billboards_charge_id_unique" UNIQUE("charge_id")
);
--> statement-breakpoint
CREATE TABLE "fulfilments" (
	"charge_id" integer PRIMARY KEY NOT NULL,
	"product" text NOT NULL,
	"fulfilled_at" timestamp with time zone NOT NULL,
	"reversed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "charges" ADD COLUMN "decline_code" text;--> statement-breakpoint
ALTER TABLE "charges" ADD COLUMN "product_data" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "charges" ADD COLUMN "stripe_client_secret" text;--> statement-breakpoint
ALTER TABLE "charges" ADD COLUMN "request_fingerprint" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "billboards" ADD CONSTRAINT "billboards_charge_id_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."charges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billboards" ADD CONSTRAINT "billboards_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fulfilments" ADD CONSTRAINT "fulfilments_charge_id_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."charges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "billboards_live_idx" ON "billboards" USING btree ("ends_at") WHERE "billboards"."active";