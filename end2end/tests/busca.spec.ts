import { test, expect } from '@playwright/test';
import { contactWrites, openAtendimentos, uniqueMobile } from './helpers';

// Issue #19: "Busca" by message text. A word typed in the Atendimentos search finds the messages that have it
// (its plural, without its accents), the words found marked; choosing one opens the conversation at it.
test('a busca acha a mensagem pelo texto, com plural e sem acento, e abre a conversa nela', async ({ page }) => {
  const phone = uniqueMobile();
  const tag = `zq${phone.typed.slice(-4)}`;
  const name = `Cliente Busca ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, `Meus pedidos ${tag} não chegaram: cadê as ações?`);

  await openAtendimentos(page);
  const search = page.getByRole('searchbox', { name: 'Pesquisar por nome, número ou mensagem' });
  await search.fill(`pedido ${tag}`);
  const found = page.getByRole('list', { name: 'Mensagens encontradas' });
  const hit = found.getByRole('listitem').filter({ hasText: name });
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('mark')).toHaveText(['pedidos', tag]);
  await search.fill(`${tag} acao`);
  await expect(hit.locator('mark')).toHaveText([tag, 'ações']);
  await page.screenshot({ path: '../target/screens/busca-1366.png' });
  // A word it does not have: not found.
  await search.fill(`${tag} reembolso`);
  await expect(page.getByRole('list', { name: 'Mensagens encontradas' })).toHaveCount(0);

  await search.fill(`pedidos ${tag}`);
  await hit.getByRole('button', { name }).click();
  const pane = page.getByRole('region', { name: 'Atendimento' });
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();
  await expect(pane.locator('.message.jumped')).toContainText(`Meus pedidos ${tag}`);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.getByRole('button', { name: '← Atendimentos' }).click();
  await page.screenshot({ path: '../target/screens/busca-360.png' });
  await page.setViewportSize({ width: 1366, height: 768 });
});
