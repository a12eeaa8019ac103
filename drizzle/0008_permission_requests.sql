CREATE TABLE "permission_requests" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "permission_requests_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"note" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"decided_by" integer,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "permission_requests_status_known" CHECK (status in ('pending', 'approved', 'declined')),
	CONSTRAINT "permission_requests_note_length" CHECK (char_length(note) between 1 and 500),
	CONSTRAINT "permission_requests_decided" CHECK ((status = 'pending') = (decided_at is null))
);
--> statement-breakpoint
ALTER TABLE "permission_requests" ADD CONSTRAINT "permission_requests_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "permission_requests" ADD CONSTRAINT "permission_requests_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "permission_requests_one_pending_idx" ON "permission_requests" USING btree ("user_id") WHERE "permission_requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "permission_requests_user_idx" ON "permission_requests" USING btree ("user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "permission_requests_pending_idx" ON "permission_requests" USING btree ("created_at") WHERE "permission_requests"."status" = 'pending';