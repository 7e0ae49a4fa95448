CREATE TABLE "airports" (
	"code" text PRIMARY KEY NOT NULL,
	"city" text NOT NULL,
	"name" text NOT NULL,
	"time_zone" text NOT NULL,
	CONSTRAINT "airports_code_format" CHECK ("airports"."code" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
-- Reference data: the airports BlackJet flies between (edited by later migrations, never here).
INSERT INTO "airports" ("code", "city", "name", "time_zone") VALUES
	('ATL', 'Atlanta', 'Hartsfield-Jackson Atlanta International', 'America/New_York'),
	('BOS', 'Boston', 'Logan International', 'America/New_York'),
	('DEN', 'Denver', 'Denver International', 'America/Denver'),
	('DFW', 'Dallas', 'Dallas/Fort Worth International', 'America/Chicago'),
	('JFK', 'New York', 'John F. Kennedy International', 'America/New_York'),
	('LAS', 'Las Vegas', 'Harry Reid International', 'America/Los_Angeles'),
	('LAX', 'Los Angeles', 'Los Angeles International', 'America/Los_Angeles'),
	('MIA', 'Miami', 'Miami International', 'America/New_York'),
	('ORD', 'Chicago', 'O''Hare International', 'America/Chicago'),
	('PHX', 'Phoenix', 'Phoenix Sky Harbor International', 'America/Phoenix'),
	('SEA', 'Seattle', 'Seattle-Tacoma International', 'America/Los_Angeles'),
	('SFO', 'San Francisco', 'San Francisco International', 'America/Los_Angeles');--> statement-breakpoint
ALTER TABLE "bookings" DROP CONSTRAINT "bookings_seats_range";--> statement-breakpoint
ALTER TABLE "flights" DROP CONSTRAINT "flights_total_seats_eight";--> statement-breakpoint
ALTER TABLE "seats" DROP CONSTRAINT "seats_seat_number_range";--> statement-breakpoint
ALTER TABLE "flights" ADD COLUMN "origin" text;--> statement-breakpoint
ALTER TABLE "flights" ADD COLUMN "destination" text;--> statement-breakpoint
ALTER TABLE "flights" ADD COLUMN "departure_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "flights" ADD COLUMN "arrival_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "flights" ADD COLUMN "fare" numeric(10, 2);--> statement-breakpoint
ALTER TABLE "flights" ADD COLUMN "status" text DEFAULT 'scheduled' NOT NULL;--> statement-breakpoint
-- Flights that exist already (loaded from the CSVs, which have no routes) get the route CSV flights get
-- from the seed loader: the LAX-SFO shuttle, odd flight numbers northbound, even ones southbound,
-- leaving at 09:00 local time, 1 h 25 min, fare 199.00.
UPDATE "flights" SET
	"origin" = CASE WHEN ascii(right("flight_number", 1)) % 2 = 1 THEN 'LAX' ELSE 'SFO' END,
	"destination" = CASE WHEN ascii(right("flight_number", 1)) % 2 = 1 THEN 'SFO' ELSE 'LAX' END,
	"departure_at" = ("flight_date" + time '09:00') AT TIME ZONE 'America/Los_Angeles',
	"arrival_at" = ("flight_date" + time '10:25') AT TIME ZONE 'America/Los_Angeles',
	"fare" = 199.00;--> statement-breakpoint
ALTER TABLE "flights" ALTER COLUMN "origin" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "flights" ALTER COLUMN "destination" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "flights" ALTER COLUMN "departure_at" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "flights" ALTER COLUMN "arrival_at" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "flights" ALTER COLUMN "fare" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "flights" ADD CONSTRAINT "flights_origin_airports_code_fk" FOREIGN KEY ("origin") REFERENCES "public"."airports"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flights" ADD CONSTRAINT "flights_destination_airports_code_fk" FOREIGN KEY ("destination") REFERENCES "public"."airports"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "flights_route_departure_idx" ON "flights" USING btree ("origin","destination","departure_at");--> statement-breakpoint
CREATE INDEX "flights_origin_departure_idx" ON "flights" USING btree ("origin","departure_at");--> statement-breakpoint
CREATE INDEX "flights_destination_departure_idx" ON "flights" USING btree ("destination","departure_at");--> statement-breakpoint
CREATE INDEX "flights_departure_idx" ON "flights" USING btree ("departure_at");--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_seats_range" CHECK ("bookings"."outbound_seat" between 1 and 100 and "bookings"."inbound_seat" between 1 and 100);--> statement-breakpoint
ALTER TABLE "flights" ADD CONSTRAINT "flights_total_seats_range" CHECK ("flights"."total_seats" between 1 and 100);--> statement-breakpoint
ALTER TABLE "flights" ADD CONSTRAINT "flights_status_known" CHECK ("flights"."status" in ('scheduled', 'cancelled'));--> statement-breakpoint
ALTER TABLE "flights" ADD CONSTRAINT "flights_route_differs" CHECK ("flights"."origin" <> "flights"."destination");--> statement-breakpoint
ALTER TABLE "flights" ADD CONSTRAINT "flights_arrival_after_departure" CHECK ("flights"."arrival_at" > "flights"."departure_at");--> statement-breakpoint
ALTER TABLE "flights" ADD CONSTRAINT "flights_fare_range" CHECK ("flights"."fare" >= 0);--> statement-breakpoint
ALTER TABLE "seats" ADD CONSTRAINT "seats_seat_number_range" CHECK ("seats"."seat_number" between 1 and 100);