import { test, expect } from '@playwright/test';
import { contactWrites, openAtendimentos, takeConversation, uniqueMobile } from './helpers';

// Issue #19: each conversation has its own address — a reload, back and forward, and a shared link open it.
test('cada atendimento tem seu endereço: recarregar, voltar e avançar abrem o mesmo atendimento', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Endereço ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Olá, quero acompanhar meu pedido');
  const pane = await takeConversation(page, name);
  await expect(page).toHaveURL(/\/atendimentos\/\d+$/);
  const address = page.url();

  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();
  await expect(pane.getByRole('list', { name: 'Mensagens' })).toContainText('quero acompanhar meu pedido');
  // Still interactive after the reload: the composer sends.
  await pane.getByLabel('Mensagem', { exact: true }).fill('Seu pedido saiu para entrega.');
  await pane.getByLabel('Mensagem', { exact: true }).press('Enter');
  await expect(pane.getByRole('list', { name: 'Mensagens' })).toContainText('Seu pedido saiu para entrega.');

  await page.goBack();
  await expect(page).not.toHaveURL(/\/atendimentos\//);
  await expect(page.getByText('Selecione um atendimento')).toBeVisible();
  await page.goForward();
  await expect(page).toHaveURL(address);
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();

  // A shared link opened in a new tab.
  const other = await page.context().newPage();
  await other.goto(address);
  await expect(other.getByRole('region', { name: 'Atendimento' }).getByRole('heading', { name, exact: true })).toBeVisible();
  await other.close();
});

// Issue #19: on a phone (360×740) the list and the conversation are two views.
test('no celular a lista e o atendimento são duas telas, com “← Atendimentos” para voltar', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Celular ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Oi, pelo celular');
  const pane = await takeConversation(page, name);
  const address = page.url();
  await page.setViewportSize({ width: 360, height: 740 });
  const list = page.getByRole('complementary', { name: 'Lista de atendimentos' });
  await expect(list).toBeHidden();
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();
  await expect(pane.getByLabel('Mensagem', { exact: true })).toBeVisible();
  await page.screenshot({ path: '../target/screens/celular-atendimento-360.png' });

  await page.getByRole('button', { name: '← Atendimentos' }).click();
  await expect(list).toBeVisible();
  await expect(pane).toBeHidden();
  await expect(page).not.toHaveURL(/\/atendimentos\//);
  await page.screenshot({ path: '../target/screens/celular-lista-360.png' });
  await list.getByRole('tabpanel', { name: 'Meus' }).getByRole('button', { name, exact: true }).click();
  await expect(list).toBeHidden();
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();

  // A link opened on the phone shows the conversation straight away.
  await page.goto(address);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(list).toBeHidden();
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();
});

// Issue #19: the history of a contact — their other conversations, each with "Ver conversa".
test('o atendimento mostra os outros atendimentos do contato, com “Ver conversa”', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Histórico ${phone.typed.slice(-4)}`;
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  await contactWrites(page, number, name, 'Pelo WhatsApp oficial');
  await contactWrites(page, number, name, 'Pelo WhatsApp não oficial', '0', 'nao_oficial');
  // Both wait in the shared inbox, which the admin may open without taking.
  await openAtendimentos(page);
  await page.getByRole('tab', { name: 'Não atribuídos' }).click();
  await page.getByRole('tabpanel', { name: 'Não atribuídos' }).getByRole('button', { name, exact: true }).first().click();
  const pane = page.getByRole('region', { name: 'Atendimento' });
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();
  const first = page.url();
  const others = pane.locator('details.others');
  await others.getByText(/Outros atendimentos \(1\)/).click();
  await expect(others).toContainText(/Protocolo \d{4}-\d{6}/);
  await others.getByRole('link', { name: 'Ver conversa' }).click();
  await expect(page).toHaveURL(/\/atendimentos\/\d+$/);
  expect(page.url()).not.toEqual(first);
  await expect(pane.getByRole('heading', { name, exact: true })).toBeVisible();
  await expect(pane.locator('details.others')).toContainText('Outros atendimentos (1)');
});
