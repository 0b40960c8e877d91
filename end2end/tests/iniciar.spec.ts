import { test, expect } from '@playwright/test';
import { openAtendimentos, uniqueMobile } from './helpers';

// Iniciar atendimento, Passo 1 and 2, on the official API: number + "Conversar" → "Enviar mensagem" →
// "Iniciar atendimento" → channel → team → mandatory template → parameters → "Iniciar atendimento".
test('um número novo vira contato e o atendimento começa com o modelo obrigatório e o preço', async ({ page }) => {
  await openAtendimentos(page);
  const phone = uniqueMobile();
  const name = `Iniciar ${phone.typed.slice(-4)}`;

  await page.getByLabel('Número com DDD').fill(phone.typed);
  await page.getByRole('button', { name: 'Conversar' }).click();
  const panel = page.getByRole('dialog', { name: 'Enviar mensagem' });
  await expect(panel).toContainText('Nenhum contato com este número');
  const form = panel.getByRole('dialog', { name: 'Novo contato' });
  await expect(form.getByLabel('Número com DDD')).toHaveValue(phone.typed);
  await form.getByLabel('Nome').fill(name);
  await form.getByRole('button', { name: 'Salvar' }).click();

  await expect(panel).toContainText('Contato encontrado');
  await expect(panel).toContainText(name);
  await panel.getByRole('radio', { name: 'Iniciar atendimento' }).check();
  await panel.getByRole('group', { name: 'Selecione o canal' }).getByRole('radio', { name: /API Oficial/ }).check();
  await panel.getByRole('combobox', { name: 'Selecione a equipe' }).selectOption({ label: 'Geral' });

  // The template is mandatory on the official API; only approved ones are offered.
  await expect(panel.getByText('pesquisa_satisfacao')).toBeHidden();
  await panel.getByRole('radio', { name: /pedido_saiu_para_entrega/ }).check();
  await panel.getByRole('button', { name: 'Continuar' }).click();
  await expect(panel.getByRole('note')).toContainText('Envio cobrado pela Meta: US$ 0,0068');
  await panel.getByLabel('Corpo {{1}}').fill(name);
  await panel.getByLabel('Corpo {{2}}').fill('B-77');
  await panel.getByRole('button', { name: 'Iniciar atendimento' }).click();

  // The conversation opens, with the template sent and the contact awaited.
  const pane = page.getByRole('region', { name: 'Atendimento' });
  await expect(pane.getByRole('heading', { name })).toBeVisible();
  await expect(pane.getByRole('listitem').filter({ hasText: 'Modelo de mensagem' })).toContainText('B-77');
  await expect(pane.getByText(/suas mensagens ficam na fila/)).toBeVisible();
  // The history says who started it, and with which template.
  await pane.getByText('Histórico').click();
  await expect(pane.getByRole('group').filter({ hasText: 'Histórico' })).toContainText(
    'Atendimento iniciado (pedido_saiu_para_entrega) por Administrador',
  );
  const row = page.getByRole('tabpanel', { name: 'Meus' }).getByRole('listitem').filter({ hasText: name });
  await expect(row).toContainText('Aguardando o contato');
});
