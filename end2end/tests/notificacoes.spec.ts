import { test, expect } from '@playwright/test';
import { contactWrites, openAtendimentos, uniqueMobile } from './helpers';

// Issue #19: "Notificações". A contact's new message in a conversation the agent may answer is counted (row,
// tab, page title), rings (unless muted) and, with the browser's permission, shows a notification while the
// console's tab is hidden. Opening the conversation clears its count.
test('uma mensagem nova conta, toca e notifica com a aba escondida; abrir a conversa zera a conta', async ({ page, context }) => {
  await context.grantPermissions(['notifications']);
  // The browser's notifications and sound, observed: each notification shown and each chime are recorded;
  // `document.hidden` follows a switch the test turns (Chromium's own follows the window, never hidden here).
  await page.addInitScript(() => {
    const w = window as any;
    w.__notices = [];
    w.__rings = 0;
    w.__hidden = false;
    const Real = w.Notification;
    class Recorded {
      onclick: null | (() => void) = null;
      constructor(title: string, options?: { body?: string }) {
        w.__notices.push({ title, body: options?.body ?? '' });
        w.__lastNotice = this;
      }
      static get permission() { return Real ? Real.permission : 'granted'; }
      static requestPermission() { return Promise.resolve('granted'); }
      close() {}
    }
    w.Notification = Recorded;
    // Each chime plays its notes on oscillators: counting them counts what rang.
    const createOscillator = w.AudioContext.prototype.createOscillator;
    w.AudioContext.prototype.createOscillator = function (...args: any[]) {
      w.__rings += 1;
      return createOscillator.apply(this, args);
    };
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => w.__hidden === true });
  });
  await openAtendimentos(page);
  await expect(page).toHaveTitle(/Atende$/);
  const bell = page.getByRole('button', { name: /Som das notificações/ });
  await expect(bell).toHaveAccessibleName('Som das notificações: ligado');
  await expect(page.getByRole('button', { name: 'Ativar notificações' })).toHaveCount(0);

  // The agent goes to another tab of the browser; a contact writes (from the simulator, in another page).
  await page.evaluate(() => { (window as any).__hidden = true; });
  const phone = uniqueMobile();
  const name = `Cliente Notificada ${phone.typed.slice(-4)}`;
  const simulator = await context.newPage();
  await contactWrites(simulator, `55${phone.typed.replace(/\D/g, '')}`, name, 'Preciso de ajuda com o pedido');
  await simulator.close();

  await expect.poll(() => page.evaluate(() => (window as any).__notices)).toContainEqual({
    title: name,
    body: 'Preciso de ajuda com o pedido',
  });
  expect(await page.evaluate(() => (window as any).__rings)).toBeGreaterThan(0);
  await expect(page).toHaveTitle(/^\(\d+\) Atende$/);
  await page.getByRole('tab', { name: /Não atribuídos/ }).click();
  const unassigned = page.getByRole('tabpanel', { name: 'Não atribuídos' });
  const row = unassigned.getByRole('listitem').filter({ hasText: name });
  await expect(row.getByLabel('1 nova')).toHaveText('1');
  await expect(page.getByRole('tab', { name: /Não atribuídos \d+/ })).toBeVisible();
  await page.screenshot({ path: '../target/screens/notificacoes-1366.png' });

  // Muted: the next message counts and notifies, but does not ring; the choice stays after a reload.
  await page.evaluate(() => { (window as any).__hidden = false; });
  await bell.click();
  await expect(bell).toHaveAccessibleName('Som das notificações: desligado');
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(bell).toHaveAccessibleName('Som das notificações: desligado');
  await page.evaluate(() => { (window as any).__hidden = true; });
  const again = await context.newPage();
  await contactWrites(again, `55${phone.typed.replace(/\D/g, '')}`, name, 'Alô?');
  await again.close();
  await expect.poll(() => page.evaluate(() => (window as any).__notices.length)).toBeGreaterThan(0);
  await page.getByRole('tab', { name: /Não atribuídos/ }).click();
  await expect(row.getByLabel('2 novas')).toHaveText('2');
  expect(await page.evaluate(() => (window as any).__rings)).toBe(0);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: '../target/screens/notificacoes-360.png' });
  await page.setViewportSize({ width: 1366, height: 768 });

  // A click on the notification opens the conversation; opened, it is seen: its count goes.
  await page.evaluate(() => { (window as any).__hidden = false; (window as any).__lastNotice.onclick(); });
  const pane = page.getByRole('region', { name: 'Atendimento' });
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();
  await expect(row.locator('.unread')).toHaveCount(0);
  await bell.click();
  await expect(bell).toHaveAccessibleName('Som das notificações: ligado');
});
