import { test, expect } from '@playwright/test';
import { openAtendimentos, uniqueMobile } from './helpers';

// Iniciar atendimento, "Receptiva": the contact writes first. The built-in sandbox plays WhatsApp: its
// "Simulador de contato" sends a signed webhook, and the conversation waits under "Não atribuídos" for an
// agent of the team to take it ("Assumir"), which puts it in their "Meus".
test('uma mensagem do contato no Simulador de contato aparece em Não atribuídos e, assumida, em Meus', async ({ page }) => {
  const phone = uniqueMobile();
  const name = `Receptiva ${phone.typed.slice(-4)}`;
  await page.goto('/sandbox/simulador');
  await expect(page.getByRole('heading', { name: 'Simulador de contato' })).toBeVisible();
  await page.getByLabel('Número do contato (com DDI e DDD)').fill(`55${phone.typed.replace(/\D/g, '')}`);
  await page.getByLabel('Nome do contato').fill(name);
  await page.getByLabel('Mensagem (ou legenda da imagem, arquivo ou vídeo; nome do lugar da localização)').fill('Olá, preciso de ajuda com meu pedido');
  await page.getByRole('button', { name: 'Enviar como contato' }).click();

  await openAtendimentos(page);
  await expect(page.getByRole('tabpanel', { name: 'Meus' }).getByRole('listitem').filter({ hasText: name })).toBeHidden();
  await page.getByRole('tab', { name: 'Não atribuídos' }).click();
  const waiting = page.getByRole('tabpanel', { name: 'Não atribuídos' });
  const row = waiting.getByRole('listitem').filter({ hasText: name });
  await expect(row).toContainText('Olá, preciso de ajuda com meu pedido');
  await expect(row).toContainText('WhatsApp (API Oficial)');
  await expect(row).toContainText(phone.shown);

  await row.getByRole('button').first().click();
  const pane = page.getByRole('region', { name: 'Atendimento' });
  await pane.getByRole('button', { name: 'Assumir' }).click();
  await expect(pane.getByText(/Atendimento atribuído/)).toBeAttached();
  await page.getByRole('tab', { name: 'Meus' }).click();
  await expect(page.getByRole('tabpanel', { name: 'Meus' }).getByRole('listitem').filter({ hasText: name })).toBeVisible();
});
