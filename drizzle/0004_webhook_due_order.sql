DROP INDEX "stripe_events_due_idx";--> statement-breakpoint
CREATE INDEX "stripe_events_due_idx" ON "stripe_events" USING btree ("next_attempt_at","id") WHERE "stripe_events"."processed_at" is null;