import { test, expect } from '@playwright/test';
import { contactWrites, openAtendimentos, openConversation, takeConversation, uniqueMobile } from './helpers';

test('com a janela aberta a mensagem do agente sai na hora e chega a Lida', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Janela aberta ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Oi, preciso de ajuda');
  const pane = await takeConversation(page, name);
  await expect(pane.getByText(/Janela de conversa aberta: fecha em/)).toBeVisible();
  await expect(pane.getByRole('button', { name: 'Reiniciar' })).toBeHidden();

  await pane.getByLabel('Mensagem', { exact: true }).fill('Olá! Em que posso ajudar?');
  await pane.getByRole('button', { name: 'Enviar', exact: true }).click();
  const sent = pane.getByRole('listitem').filter({ hasText: 'Olá! Em que posso ajudar?' });
  await expect(sent).toContainText('Lida', { timeout: 15_000 });
});

test('Reiniciar: modelo com parâmetros e preço, mensagens na fila até o contato responder', async ({ page }) => {
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Reiniciar ${phone.typed.slice(-4)}`;
  await contactWrites(page, number, name, 'Pedido 123?', '25');
  const pane = await takeConversation(page, name);

  // Passo 1: the window closed, so the composer is refused and "Reiniciar" is offered.
  await expect(pane.getByText('Janela de conversa encerrada.')).toBeVisible();
  await expect(pane.getByLabel('Mensagem', { exact: true })).toBeDisabled();
  await pane.getByRole('button', { name: 'Reiniciar' }).click();

  // Passo 2: an approved template, then "Continuar".
  const panel = page.getByRole('dialog', { name: 'Reiniciar atendimento' });
  await expect(panel.getByText('oferta_relampago')).toBeHidden(); // rejected: never offered
  await panel.getByRole('radio', { name: /pedido_saiu_para_entrega/ }).check();
  await panel.getByRole('button', { name: 'Continuar' }).click();

  // Passo 3: the parameters, checked at once, with the preview and the price; then "Enviar mensagem".
  await expect(panel.getByRole('note')).toContainText('Envio cobrado pela Meta: US$ 0,0068');
  // The sandbox's account is billed in reais, the shipped card is in dollars: the agent is told so.
  await expect(panel.getByRole('note')).toContainText('A Meta cobra esta conta em reais (BRL)');
  await panel.getByRole('button', { name: 'Enviar mensagem' }).click();
  await expect(panel.getByText(/Preencha o campo “Corpo \{\{1\}\}”/).first()).toBeVisible();
  await panel.getByLabel('Corpo {{1}}').fill('Maria');
  await panel.getByLabel('Corpo {{2}}').fill('A-123');
  await expect(panel.getByLabel('Prévia da mensagem')).toContainText('Olá Maria, seu pedido A-123 saiu para entrega.');
  await panel.getByRole('button', { name: 'Enviar mensagem' }).click();
  await expect(panel).toBeHidden();
  await expect(pane.getByRole('listitem').filter({ hasText: 'Modelo de mensagem' })).toContainText('seu pedido A-123');

  // Passo 4 and 5: waiting for the contact; what the agent writes stays in the queue.
  await expect(pane.getByText(/suas mensagens ficam na fila/)).toBeVisible();
  await pane.getByLabel('Mensagem', { exact: true }).fill('Assim que puder, me responda por aqui.');
  await pane.getByRole('button', { name: 'Enfileirar' }).click();
  const queued = pane.getByRole('listitem').filter({ hasText: 'Assim que puder, me responda por aqui.' });
  await expect(queued).toContainText('Na fila: sai quando o contato responder');

  // The contact interacts (an emoji is enough): the queue goes out by itself.
  await contactWrites(page, number, name, '👍');
  const reopened = await openConversation(page, name);
  await expect(
    reopened.getByRole('listitem').filter({ hasText: 'Assim que puder, me responda por aqui.' }),
  ).toContainText(/Enviada|Entregue|Lida/, { timeout: 15_000 });
  await expect(reopened.getByText(/Janela de conversa aberta/)).toBeVisible();
  // Once sent, the held message stands where it went out, below the answer that released it, with the time
  // it was written.
  const bubbles = await reopened.getByRole('list', { name: 'Mensagens' }).getByRole('listitem').allInnerTexts();
  const answer = bubbles.findIndex((text) => text.includes('👍'));
  const released = bubbles.findIndex((text) => text.includes('Assim que puder, me responda por aqui.'));
  expect(answer).toBeGreaterThan(-1);
  expect(released).toBeGreaterThan(answer);
  expect(bubbles[released]).toMatch(/\d{2}:\d{2}/);
});

test('um atendimento concluído, achado pela pesquisa, é reiniciado; concluir não fecha a janela', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Concluido ${phone.typed.slice(-4)}`;
  await contactWrites(page, `55${phone.typed.replace(/\D/g, '')}`, name, 'Obrigado, era só isso');
  const pane = await takeConversation(page, name);
  await pane.getByRole('button', { name: 'Concluir' }).click();
  await expect(pane.getByText('Concluído', { exact: true })).toBeVisible();
  // Concluding is Atende's bookkeeping: Meta's window is still open.
  await expect(pane.getByText(/Janela de conversa aberta/)).toBeVisible();
  await expect(page.getByRole('tabpanel', { name: 'Meus' }).getByRole('button', { name })).toBeHidden();
  await page.getByRole('tab', { name: 'Concluídos' }).click();
  await expect(page.getByRole('tabpanel', { name: 'Concluídos' }).getByRole('button', { name })).toBeVisible();

  // Passo 1: a contact found by the search of the Atendimentos screen.
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await page.getByRole('complementary').getByLabel('Pesquisar por nome, número ou mensagem').fill(name);
  await page.getByRole('region', { name: 'Resultados da pesquisa' }).getByRole('button', { name }).click();
  const restarted = page.getByRole('region', { name: 'Atendimento' });
  await restarted.getByRole('button', { name: 'Reiniciar' }).click();
  const panel = page.getByRole('dialog', { name: 'Reiniciar atendimento' });
  await panel.getByRole('radio', { name: /retomar_atendimento/ }).check();
  await panel.getByRole('button', { name: 'Continuar' }).click();
  // Inside the window; the shipped rate card charges utility templates there from 2026-10-01 (reference §4).
  await expect(panel.getByRole('note')).toContainText('US$ 0,0068');
  await panel.getByRole('button', { name: 'Enviar mensagem' }).click();
  await expect(panel).toBeHidden();
  await expect(restarted.getByRole('listitem').filter({ hasText: 'Modelo de mensagem' })).toContainText('Queremos continuar');
  await page.getByRole('complementary').getByLabel('Pesquisar por nome, número ou mensagem').fill('');
  await expect(page.getByRole('tabpanel', { name: 'Meus' }).getByRole('button', { name })).toBeVisible();
});
