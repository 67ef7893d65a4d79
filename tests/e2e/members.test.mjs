// Invitations in Debian's Chromium against a real `kindling serve` on SQLite: an owner invites
// people by user name from the project page (the app says the same whether or not the name
// exists), sees and withdraws pending invitations; the invited person sees the invitation on
// their projects page, accepts it and has the project, or declines it. Names and project names
// are shown as text, never run as HTML. Fails on console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, launchChromium, signIn, watch } from './browser.mjs';
import { KindlingServer } from './kindling-server.mjs';

const HOSTILE = '<img src=x onerror="window.pwned=1">';
let server;
let browser;
const tokens = {};

before(async () => {
  server = await KindlingServer.create();
  for (const name of ['olga', 'zoe', 'yan']) tokens[name] = server.user(name);
  server.cli('admin', 'project-create', '--id', 'team', '--name', `Team ${HOSTILE}`, '--labels', 'a,b', '--owner', 'olga');
  await server.start();
  browser = await launchChromium();
});

after(() => closeAll(browser, server));

/** A signed-in page of `user` in its own browser context. */
async function pageOf(user, problems) {
  const context = await browser.newContext();
  const page = await context.newPage();
  watch(page, problems);
  await signIn(page, server.base, tokens[user]);
  return { context, page };
}

/** The owner invites `name` as `role` from the project page; returns the status line. */
async function invite(page, name, role) {
  await page.fill('#invite-name', name);
  await page.selectOption('#invite-role', role);
  const before = await page.textContent('#invite-status');
  await page.click('#invite-form button[type=submit]');
  await page.waitForFunction((b) => document.querySelector('#invite-status').textContent !== b, before);
  return page.textContent('#invite-status');
}

test('an owner invites by name; the invited person accepts on their projects page and has the project, another declines; names stay text', async () => {
  const problems = [];
  const owner = await pageOf('olga', problems);
  await owner.page.goto(`${server.base}/#/p/team`);
  await owner.page.waitForSelector('#member-controls:not([hidden])');
  // The same words for a user who exists and for a name nobody has.
  const forZoe = await invite(owner.page, 'zoe', 'annotator');
  const forNobody = await invite(owner.page, 'nobody-here', 'annotator');
  assert.match(forZoe, /^Invited zoe as annotator: they join when they accept/);
  assert.equal(forNobody.replace('nobody-here', 'zoe'), forZoe);
  await invite(owner.page, 'yan', 'reviewer');
  await invite(owner.page, HOSTILE, 'annotator');
  await owner.page.waitForFunction(() => document.querySelectorAll('#pending-invitations li').length === 4);
  const pending = await owner.page.$$eval('#pending-invitations li', (lis) => lis.map((li) => li.firstChild.textContent));
  assert.ok(pending.some((t) => t.startsWith(HOSTILE)), `the hostile name is shown as text: ${pending}`);
  // Withdraw the name nobody has.
  await owner.page.click('#pending-invitations li:has-text("nobody-here") button');
  await owner.page.waitForFunction(() => document.querySelectorAll('#pending-invitations li').length === 3);

  // zoe accepts: the project joins her list, the invitation leaves it.
  const zoe = await pageOf('zoe', problems);
  await zoe.page.waitForSelector('#invitations:not([hidden]) li[data-project="team"]');
  const offer = await zoe.page.textContent('#invitation-list li[data-project="team"] span');
  assert.equal(offer.trim(), `Team ${HOSTILE} — as annotator, invited by olga`);
  assert.equal(await zoe.page.locator('#project-list a').count(), 0);
  await zoe.page.click('#invitation-list li[data-project="team"] button:has-text("Accept")');
  await zoe.page.waitForSelector('#project-list a[href="#/p/team"]');
  assert.ok(await zoe.page.locator('#invitations').isHidden());
  assert.equal(await zoe.page.textContent('#project-list a[href="#/p/team"]'), `Team ${HOSTILE}`);
  const detail = await server.api(tokens.zoe, 'GET', '/projects/team');
  assert.equal(detail.role, 'annotator');

  // yan declines: no project, no invitation.
  const yan = await pageOf('yan', problems);
  await yan.page.waitForSelector('#invitation-list li[data-project="team"]');
  await yan.page.click('#invitation-list li[data-project="team"] button:has-text("Decline")');
  await yan.page.waitForSelector('#invitations[hidden]', { state: 'attached' });
  assert.deepEqual(await server.api(tokens.yan, 'GET', '/invitations'), []);
  assert.deepEqual((await server.api(tokens.yan, 'GET', '/projects')).map((p) => p.id), []);

  for (const p of [owner, zoe, yan]) {
    assert.equal(await p.page.evaluate(() => window.pwned), undefined, 'no name ran as HTML');
    await p.context.close();
  }
  assert.deepEqual(problems, []);
});
