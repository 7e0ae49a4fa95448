CREATE TABLE "bookings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" integer NOT NULL,
	"status" text DEFAULT 'confirmed' NOT NULL,
	"outbound_flight_id" integer NOT NULL,
	"outbound_seat" smallint NOT NULL,
	"inbound_flight_id" integer NOT NULL,
	"inbound_seat" smallint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "bookings_status_known" CHECK ("bookings"."status" in ('confirmed', 'cancelled')),
	CONSTRAINT "bookings_legs_differ" CHECK ("bookings"."outbound_flight_id" <> "bookings"."inbound_flight_id"),
	CONSTRAINT "bookings_seats_range" CHECK ("bookings"."outbound_seat" between 1 and 8 and "bookings"."inbound_seat" between 1 and 8)
);
--> statement-breakpoint
CREATE TABLE "flights" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "flights_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"flight_number" text NOT NULL,
	"flight_date" date NOT NULL,
	"total_seats" smallint DEFAULT 8 NOT NULL,
	"seats_version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "flights_number_date_key" UNIQUE("flight_number","flight_date"),
	CONSTRAINT "flights_flight_number_format" CHECK ("flights"."flight_number" ~ '^[A-Z0-9]{2,10}$'),
	CONSTRAINT "flights_total_seats_eight" CHECK ("flights"."total_seats" = 8)
);
--> statement-breakpoint
CREATE TABLE "seats" (
	"flight_id" integer NOT NULL,
	"seat_number" smallint NOT NULL,
	"user_id" integer NOT NULL,
	"booking_id" uuid,
	"booked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "seats_pkey" PRIMARY KEY("flight_id","seat_number"),
	CONSTRAINT "seats_seat_number_range" CHECK ("seats"."seat_number" between 1 and 8)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" integer PRIMARY KEY NOT NULL,
	"first_name" text NOT NULL,
	"last_name" text NOT NULL,
	"number_of_pets" smallint DEFAULT 0 NOT NULL,
	CONSTRAINT "users_number_of_pets_range" CHECK ("users"."number_of_pets" between 0 and 2)
);
--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_outbound_flight_id_flights_id_fk" FOREIGN KEY ("outbound_flight_id") REFERENCES "public"."flights"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_inbound_flight_id_flights_id_fk" FOREIGN KEY ("inbound_flight_id") REFERENCES "public"."flights"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seats" ADD CONSTRAINT "seats_flight_id_flights_id_fk" FOREIGN KEY ("flight_id") REFERENCES "public"."flights"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seats" ADD CONSTRAINT "seats_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seats" ADD CONSTRAINT "seats_booking_id_fkey" FOREIGN KEY ("booking_id") REFERENCES "public"."bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bookings_user_id_created_at_idx" ON "bookings" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "seats_booking_id_idx" ON "seats" USING btree ("booking_id");