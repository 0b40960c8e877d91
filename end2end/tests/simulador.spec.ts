import { test, expect } from '@playwright/test';
import { takeConversation, uniqueMobile } from './helpers';

// Issue #16, item 9: the "Simulador de contato" sends a video, a voice note and a location (Passo 4 of the
// help page names the video: any interaction reopens the window), keeps the channel chosen, names an
// Instagram or Messenger person by their id there, and the page asks for nothing that is missing.
test('o Simulador envia vídeo, áudio e localização, e guarda o canal escolhido', async ({ page }) => {
  const missing: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 404) missing.push(r.url());
  });
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Simulado ${phone.typed.slice(-4)}`;
  await page.goto('/sandbox/simulador');
  const send = async (kind: string, text = '') => {
    await page.getByLabel('Número do contato (com DDI e DDD)').fill(number);
    await page.getByLabel('Nome do contato').fill(name);
    await page.getByRole('radio', { name: kind, exact: true }).check();
    await page.getByLabel('Mensagem (ou legenda da imagem, arquivo ou vídeo; nome do lugar da localização)').fill(text);
    await page.getByRole('button', { name: 'Enviar como contato' }).click();
    await expect(page.getByRole('status')).toContainText('Mensagem entregue ao Atende');
  };
  await page.getByLabel('Canal').selectOption('nao_oficial');
  await send('Vídeo', 'olha o vídeo');
  // The channel stays chosen after a send, and the person is named by their id on it.
  await expect(page.getByLabel('Canal')).toHaveValue('nao_oficial');
  await expect(page.getByText(`Identificação no WhatsApp (API Não Oficial): ${number}@s.whatsapp.net`)).toBeVisible();
  await send('Áudio');
  await send('Localização', 'Loja da Paulista');
  expect(missing).toEqual([]);

  const pane = await takeConversation(page, name);
  const messages = pane.getByRole('list', { name: 'Mensagens' });
  await expect(messages.getByRole('listitem').filter({ hasText: 'olha o vídeo' })).toContainText('Vídeo');
  await expect(messages.getByRole('listitem').filter({ hasText: 'Áudio' })).toHaveCount(1);
  await expect(messages.getByRole('listitem').filter({ hasText: 'Loja da Paulista' })).toBeVisible();

  // Instagram: the person by their Instagram id, never a "WhatsApp ID"; a location is refused with the reason.
  await page.goto('/sandbox/simulador');
  await page.getByLabel('Canal').selectOption('instagram');
  await send('Áudio');
  await expect(page.getByLabel('Canal')).toHaveValue('instagram');
  await expect(page.getByText(/Identificação no Instagram: 17\d+/)).toBeVisible();
  await expect(page.getByText('WhatsApp ID')).toHaveCount(0);
  await page.getByRole('radio', { name: 'Localização', exact: true }).check();
  await page.getByRole('button', { name: 'Enviar como contato' }).click();
  await expect(page.getByRole('alert')).toContainText('O Instagram não entrega localizações pela API');
  expect(missing).toEqual([]);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: 'test-results/simulador-360.png', fullPage: true });
});

test('ao abrir o atendimento, o contato vê suas mensagens como lidas', async ({ page }) => {
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Lida ${phone.typed.slice(-4)}`;
  await page.goto('/sandbox/simulador');
  await page.getByLabel('Número do contato (com DDI e DDD)').fill(number);
  await page.getByLabel('Nome do contato').fill(name);
  await page.getByLabel('Mensagem (ou legenda da imagem, arquivo ou vídeo; nome do lugar da localização)').fill('Alguém aí?');
  await page.getByRole('button', { name: 'Enviar como contato' }).click();
  await expect(page.getByRole('status')).toContainText('Mensagem entregue ao Atende');
  const conversation = page.getByRole('region', { name: `Conversa com ${name}` });
  await expect(conversation).toContainText('Alguém aí?');
  await expect(conversation).not.toContainText('lida pela empresa');

  // The agent opens it (no reply yet): the contact's phone shows it read.
  await takeConversation(page, name);
  await expect(async () => {
    await page.goto(`/sandbox/simulador?numero=${number}`);
    await expect(page.getByRole('region', { name: `Conversa com ${name}` })).toContainText('Alguém aí? (lida pela empresa)', { timeout: 500 });
  }).toPass({ timeout: 10_000 });
});
