CREATE TABLE "booking_passengers" (
	"booking_id" uuid NOT NULL,
	"passenger" smallint NOT NULL,
	"outbound_seat" smallint NOT NULL,
	"inbound_seat" smallint NOT NULL,
	"name" text,
	CONSTRAINT "booking_passengers_pkey" PRIMARY KEY("booking_id","passenger"),
	CONSTRAINT "booking_passengers_passenger_range" CHECK ("booking_passengers"."passenger" between 1 and 4),
	CONSTRAINT "booking_passengers_name_length" CHECK (length("booking_passengers"."name") between 1 and 100)
);
--> statement-breakpoint
CREATE TABLE "seat_holds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" integer NOT NULL,
	"outbound_flight_id" integer NOT NULL,
	"inbound_flight_id" integer NOT NULL,
	"outbound_seats" smallint[] NOT NULL,
	"inbound_seats" smallint[] NOT NULL,
	"passenger_names" text[],
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"booking_id" uuid,
	CONSTRAINT "seat_holds_status_known" CHECK ("seat_holds"."status" in ('active', 'confirmed', 'released', 'expired')),
	CONSTRAINT "seat_holds_confirmed_has_booking" CHECK (("seat_holds"."status" = 'confirmed') = ("seat_holds"."booking_id" is not null)),
	CONSTRAINT "seat_holds_legs_differ" CHECK ("seat_holds"."outbound_flight_id" <> "seat_holds"."inbound_flight_id"),
	CONSTRAINT "seat_holds_party_size" CHECK (cardinality("seat_holds"."outbound_seats") between 1 and 4 and cardinality("seat_holds"."inbound_seats") = cardinality("seat_holds"."outbound_seats"))
);
--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "hold_id" uuid;--> statement-breakpoint
ALTER TABLE "seats" ADD COLUMN "hold_id" uuid;--> statement-breakpoint
ALTER TABLE "booking_passengers" ADD CONSTRAINT "booking_passengers_booking_id_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seat_holds" ADD CONSTRAINT "seat_holds_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seat_holds" ADD CONSTRAINT "seat_holds_outbound_flight_id_flights_id_fk" FOREIGN KEY ("outbound_flight_id") REFERENCES "public"."flights"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seat_holds" ADD CONSTRAINT "seat_holds_inbound_flight_id_flights_id_fk" FOREIGN KEY ("inbound_flight_id") REFERENCES "public"."flights"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seat_holds" ADD CONSTRAINT "seat_holds_booking_id_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "seat_holds_active_expires_at_idx" ON "seat_holds" USING btree ("expires_at") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "seat_holds_user_id_idx" ON "seat_holds" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_hold_id_seat_holds_id_fk" FOREIGN KEY ("hold_id") REFERENCES "public"."seat_holds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seats" ADD CONSTRAINT "seats_hold_id_fkey" FOREIGN KEY ("hold_id") REFERENCES "public"."seat_holds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "seats_hold_id_idx" ON "seats" USING btree ("hold_id") WHERE hold_id is not null;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_hold_or_booking" CHECK ("idempotency_keys"."hold_id" is null or ("idempotency_keys"."booking_id" is null and "idempotency_keys"."refusal_code" is null));--> statement-breakpoint
ALTER TABLE "seats" ADD CONSTRAINT "seats_booked_or_held" CHECK ("seats"."booking_id" is null or "seats"."hold_id" is null);