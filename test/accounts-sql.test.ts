/**
 * Accounts in SQL (sql/accounts.sql), as a DBA in psql and as the API role see them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asApiRole, query, sqlError } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';

let cluster: TestCluster;
let url: string;
before(async () => {
  cluster = await startTestCluster();
  url = await cluster.freshDatabase();
});
after(async () => { await cluster.stop(); });

const PASSWORD = 'correct horse battery';

describe('accounts in SQL', () => {
  it('register_account makes a user and a bcrypt hash; login checks it; email is case-insensitive', async () => {
    const [{ id }] = await query(url, "select register_account('Ada@Example.com', $1, 'Ada', 'Lovelace') as id", [PASSWORD]);
    assert.ok(id > 20, 'a new id after the seeded users');
    const [user] = await query(url, 'select first_name, last_name from users where id = $1', [id]);
    assert.deepEqual(user, { first_name: 'Ada', last_name: 'Lovelace' });
    const [account] = await query(url, 'select email, password_hash, role from auth.accounts where user_id = $1', [id]);
    assert.equal(account.role, 'customer');
    assert.match(account.password_hash, /^\$2a\$10\$/);
    assert.ok(!account.password_hash.includes(PASSWORD));

    const [session] = await query(url, 'select * from login($1, $2)', ['ADA@example.COM', PASSWORD]);
    assert.equal(session.user_id, id);
    assert.equal(session.role, 'customer');
    assert.match(session.refresh_token, /^[A-Za-z0-9_-]{43}$/);
    const [stored] = await query(url, "select count(*)::int as n from auth.refresh_tokens where token_hash = digest($1, 'sha256')", [session.refresh_token]);
    assert.equal(stored.n, 1, 'only the hash is stored');

    assert.equal((await sqlError(url, "select register_account('ada@EXAMPLE.com', $1, 'A', 'L')", [PASSWORD])).code, 'BJ010');
    assert.equal((await sqlError(url, "select * from login('ada@example.com', 'wrong password!')")).code, 'BJ012');
    assert.equal((await sqlError(url, "select * from login('nobody@example.com', $1)", [PASSWORD])).code, 'BJ012');
    assert.equal((await sqlError(url, "select register_account('bob@example.com', 'short', 'B', 'B')")).code, 'BJ011');
    assert.equal((await sqlError(url, "select register_account('not-an-email', $1, 'B', 'B')", [PASSWORD])).code, 'BJ004');
  });

  it('a failed registration leaves no user behind', async () => {
    const [before] = await query(url, 'select count(*)::int as n from users');
    await sqlError(url, "select register_account('ada@example.com', $1, 'Again', 'Again')", [PASSWORD]);
    const [afterwards] = await query(url, 'select count(*)::int as n from users');
    assert.equal(afterwards.n, before.n);
  });

  it('a DBA writes a password in clear and the trigger hashes it; the hash then logs in', async () => {
    await query(url, "insert into auth.accounts (user_id, email, password_hash) values (3, 'three@example.com', $1)", [PASSWORD]);
    const [{ password_hash: hash }] = await query(url, 'select password_hash from auth.accounts where user_id = 3');
    assert.match(hash, /^\$2a\$/);
    const [session] = await query(url, "select * from login('three@example.com', $1)", [PASSWORD]);
    assert.equal(session.user_id, 3);
    assert.equal((await sqlError(url, "update auth.accounts set password_hash = 'short' where user_id = 3")).code, 'BJ011');
  });

  it('refresh_session rotates; a used token revokes its family; logout ends the session', async () => {
    const [first] = await query(url, "select * from login('ada@example.com', $1)", [PASSWORD]);
    const [second] = await query(url, 'select * from refresh_session($1)', [first.refresh_token]);
    assert.equal(second.refusal_code, null);
    assert.notEqual(second.refresh_token, first.refresh_token);
    const [third] = await query(url, 'select * from refresh_session($1)', [second.refresh_token]);
    assert.equal(third.refusal_code, null);

    const [reuse] = await query(url, 'select * from refresh_session($1)', [first.refresh_token]);
    assert.equal(reuse.refusal_code, 'BJ014');
    assert.equal(reuse.refresh_token, null);
    const [afterTheft] = await query(url, 'select * from refresh_session($1)', [third.refresh_token]);
    assert.equal(afterTheft.refusal_code, 'BJ013', 'the newest token of the family is revoked too');

    const [other] = await query(url, "select * from login('ada@example.com', $1)", [PASSWORD]);
    await query(url, 'select logout($1)', [other.refresh_token]);
    const [loggedOut] = await query(url, 'select * from refresh_session($1)', [other.refresh_token]);
    assert.equal(loggedOut.refusal_code, 'BJ013');
    const [unknown] = await query(url, "select * from refresh_session('no such token')");
    assert.equal(unknown.refusal_code, 'BJ013');
  });

  it('the API role calls the functions but cannot read schema auth', async () => {
    const api = asApiRole(url);
    const [session] = await query(api, "select * from login('ada@example.com', $1)", [PASSWORD]);
    assert.ok(session.user_id > 0);
    for (const statement of ['select * from auth.accounts', 'select * from auth.refresh_tokens',
      "update auth.accounts set role = 'admin'", 'select ensure_demo_accounts($$any password$$)']) {
      assert.equal((await sqlError(api, statement)).code, '42501', statement); // insufficient_privilege
    }
  });

  it('ensure_demo_accounts gives every seeded user an account and adds one admin, once', async () => {
    const fresh = await cluster.freshDatabase();
    const [{ added }] = await query(fresh, "select ensure_demo_accounts('demo password 1') as added");
    assert.equal(added, 21);
    const [{ again }] = await query(fresh, "select ensure_demo_accounts('demo password 1') as again");
    assert.equal(again, 0);
    const [user] = await query(fresh, "select * from login('user7@blackjet.example', 'demo password 1')");
    assert.deepEqual([user.user_id, user.role], [7, 'customer']);
    const [admin] = await query(fresh, "select * from login('admin@blackjet.example', 'demo password 1')");
    assert.equal(admin.role, 'admin');
  });
});
