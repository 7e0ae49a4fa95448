#!/bin/sh
# The postgres image runs this once, on the first start of an empty volume (/docker-entrypoint-initdb.d),
# as its superuser. It makes the schema owner, which is not a superuser: it owns the blackjet database
# (and so its public schema) and may create roles (CREATEROLE), for the API role blackjet_api.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v owner_password="$OWNER_DB_PASSWORD" <<'SQL'
create role blackjet_owner login createrole password :'owner_password';
create database blackjet owner blackjet_owner;
SQL
