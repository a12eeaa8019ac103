ALTER TABLE "charges" ADD COLUMN "receipt_sent_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "charges_paid_idx" ON "charges" USING btree ("paid_at");--> statement-breakpoint
CREATE INDEX "charges_receipt_due_idx" ON "charges" USING btree ("id") WHERE "charges"."receipt_sent_at" is null and "charges"."status" = 'succeeded';