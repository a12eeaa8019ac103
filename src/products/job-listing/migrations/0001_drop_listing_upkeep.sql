-- The job listing's own reminder and renewal tables: the core's 0013_renewals copied their rows into
-- renewal_reminders and renewals, which every renewable product shares, and nothing reads them since.
DROP TABLE IF EXISTS "listing_reminders";--> statement-breakpoint
DROP TABLE IF EXISTS "listing_renewals";
