CREATE TABLE "newsletter_slots" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "newsletter_slots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"charge_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"week_start" date NOT NULL,
	"chosen_week" date NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "newsletter_slots_charge_id_unique" UNIQUE("charge_id"),
	CONSTRAINT "newsletter_slots_charge_id_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."charges"("id") ON DELETE no action ON UPDATE no action,
	CONSTRAINT "newsletter_slots_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX "newsletter_slots_week_idx" ON "newsletter_slots" USING btree ("week_start") WHERE "newsletter_slots"."active";
