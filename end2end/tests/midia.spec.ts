import { test, expect, Page } from '@playwright/test';
import { takeConversation, uniqueMobile } from './helpers';

// Issue #18: what the contact sends, the agent sees and hears. The contact sends a photo, a voice note, a
// video and a file from the "Simulador de contato" (WhatsApp Oficial: media ids the server downloads after the
// message is stored); the agent sees the photo and opens it full size, plays the voice note, sees the video
// player and downloads the file.
async function send(page: Page, number: string, name: string, kind: string, text = '') {
  await page.goto('/sandbox/simulador');
  await page.getByLabel('Canal').selectOption('oficial');
  await page.getByLabel('Número do contato (com DDI e DDD)').fill(number);
  await page.getByLabel('Nome do contato').fill(name);
  await page.getByRole('radio', { name: kind, exact: true }).check();
  await page.getByLabel('Mensagem (ou legenda da imagem, arquivo ou vídeo; nome do lugar da localização)').fill(text);
  await page.getByRole('button', { name: 'Enviar como contato' }).click();
  await expect(page.getByRole('status')).toContainText('Mensagem entregue ao Atende');
}

test('o agente vê a foto, abre em tela cheia, ouve o áudio, vê o vídeo e baixa o arquivo', async ({ page }) => {
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Mídia ${phone.typed.slice(-4)}`;
  await send(page, number, name, 'Imagem', 'meu pedido');
  await send(page, number, name, 'Áudio');
  await send(page, number, name, 'Vídeo', 'o vídeo do defeito');
  await send(page, number, name, 'Arquivo', 'segue o comprovante');

  const pane = await takeConversation(page, name);
  const messages = pane.getByRole('list', { name: 'Mensagens' });

  // The photo, loaded (its bytes came from /midia/…), with its caption; a click opens it whole.
  const photo = messages.getByRole('img', { name: 'Foto enviada pelo contato' });
  await expect(photo).toBeVisible();
  await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await expect(messages.getByRole('listitem').filter({ has: page.getByRole('img', { name: 'Foto enviada pelo contato' }) })).toContainText('meu pedido');
  await page.screenshot({ path: '../target/screens/midia-conversa-1366.png' });
  await messages.getByRole('button', { name: 'Abrir a foto' }).click();
  const lightbox = page.getByRole('dialog', { name: 'Foto' });
  await expect(lightbox).toBeVisible();
  await expect(lightbox.getByRole('link', { name: 'Baixar' })).toHaveAttribute('href', /\/midia\/\d+/);
  await page.screenshot({ path: '../target/screens/midia-foto-1366.png' });
  await page.keyboard.press('Escape');
  await expect(lightbox).toBeHidden();

  // The voice note plays in Chromium (WhatsApp's OGG/Opus): its position moves.
  const voice = messages.getByRole('listitem').filter({ hasText: 'Mensagem de voz' });
  await expect(voice).toBeVisible();
  const audio = voice.locator('audio');
  await audio.evaluate(async (el: HTMLAudioElement) => {
    el.muted = true;
    await el.play();
  });
  await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.currentTime), { timeout: 5_000 }).toBeGreaterThan(0);
  expect(await audio.evaluate((el: HTMLAudioElement) => el.duration)).toBeGreaterThan(0);

  // The video player, with its caption.
  const video = messages.getByRole('listitem').filter({ hasText: 'o vídeo do defeito' }).locator('video');
  await expect(video).toBeVisible();
  await expect.poll(() => video.evaluate((el: HTMLVideoElement) => el.readyState)).toBeGreaterThan(0);

  // The file: its name and size, and "Baixar" downloads it under its name.
  const file = messages.getByRole('listitem').filter({ hasText: 'segue o comprovante' });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    file.getByRole('link', { name: 'Baixar' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.\w+$/);

  // The list says what arrived last.
  await expect(page.getByRole('tabpanel', { name: 'Meus' }).locator('li', { hasText: name })).toContainText('📄 segue o comprovante');

  await page.setViewportSize({ width: 360, height: 740 });
  await photo.scrollIntoViewIfNeeded();
  await page.screenshot({ path: '../target/screens/midia-conversa-360.png' });
});

test('o contato compartilha um lugar e um contato, e reage à mensagem do agente', async ({ page }) => {
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Rico ${phone.typed.slice(-4)}`;
  await send(page, number, name, 'Localização', 'Loja da Paulista');
  await send(page, number, name, 'Contato');
  const pane = await takeConversation(page, name);
  const messages = pane.getByRole('list', { name: 'Mensagens' });
  const place = messages.getByRole('listitem').filter({ hasText: 'Loja da Paulista' });
  await expect(place.getByRole('link', { name: 'Ver no mapa' })).toHaveAttribute('href', /google\.com\/maps.*-23\.5/);
  const card = messages.getByRole('list', { name: 'Contatos compartilhados' });
  await expect(card).toContainText('Ana Silva');
  await expect(card).toContainText('+55 11 98765-4321');

  // The agent answers; the contact reacts to that answer: the reaction shows on it, not as a message.
  await pane.getByPlaceholder('Escreva uma mensagem').fill('Obrigado, já vou ver!');
  await pane.getByRole('button', { name: 'Enviar' }).click();
  await expect(messages.getByRole('listitem').filter({ hasText: 'Obrigado, já vou ver!' })).toContainText('Enviada');
  await send(page, number, name, 'Reação (à última mensagem do Atende)');
  await page.goto('/');
  await page.getByRole('tabpanel', { name: 'Meus' }).getByRole('button', { name }).click();
  const answered = messages.getByRole('listitem').filter({ hasText: 'Obrigado, já vou ver!' });
  await expect(answered.getByLabel('Reação do contato')).not.toBeEmpty();
  await expect(messages.locator(':scope > li')).toHaveCount(3);
  await page.screenshot({ path: '../target/screens/midia-lugar-contato-reacao-1366.png' });

  // "Conversar" on the shared card: the number goes to the number bar and is looked up.
  await card.getByRole('button', { name: 'Conversar' }).click();
  await expect(page.locator('#numero-conversar')).toHaveValue('+5511987654321');
  await page.screenshot({ path: '../target/screens/midia-conversar-1366.png' });
});
