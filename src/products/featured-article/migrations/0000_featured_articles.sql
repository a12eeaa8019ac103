-- The table the core's 0007_featured_articles made before products had migrations of their own:
-- existing databases have it already, so each statement here is a no-op there.
CREATE TABLE IF NOT EXISTS "featured_articles" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "featured_articles_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"charge_id" integer NOT NULL,
	"article_id" integer NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "featured_articles_charge_id_unique" UNIQUE("charge_id"),
	CONSTRAINT "featured_articles_charge_id_charges_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."charges"("id") ON DELETE no action ON UPDATE no action,
	CONSTRAINT "featured_articles_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE no action ON UPDATE no action
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "featured_articles_live" ON "featured_articles" USING btree ("active","ends_at");
