import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` diffs src/db/schema.ts against drizzle/ and writes the next table migration.
// Functions and triggers are not modelled by drizzle: they live in sql/ and ship through custom
// migrations (see src/cli/ship-sql.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://localhost/blackjet' },
});
