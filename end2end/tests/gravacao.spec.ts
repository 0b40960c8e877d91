import { test, expect } from '@playwright/test';
import config from '../playwright.config';
import { contactWrites, takeConversation, uniqueMobile } from './helpers';

// Issue #18: "Gravar áudio". The agent records a voice note in the browser (MediaRecorder, here Chromium's
// fake microphone: a steady beep), hears it in "Arquivos a enviar", and sends it; Chromium records WebM, the
// server sends it as the OGG/Opus voice note WhatsApp plays, and the conversation plays that OGG.
const base = config.use?.launchOptions ?? {};
test.use({
  launchOptions: {
    ...base,
    args: [...(base.args ?? []), '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  },
  permissions: ['microphone'],
});

test('Gravar áudio: a gravação espera na bandeja, pode ser ouvida, e sai como mensagem de voz', async ({ page }) => {
  const phone = uniqueMobile();
  const number = `55${phone.typed.replace(/\D/g, '')}`;
  const name = `Voz ${phone.typed.slice(-4)}`;
  await contactWrites(page, number, name, 'Pode me mandar um áudio explicando?');
  const pane = await takeConversation(page, name);

  // Thrown away: the microphone is freed and nothing waits.
  await pane.getByRole('button', { name: /Gravar áudio/ }).click();
  const clock = pane.getByRole('status').filter({ hasText: 'Gravando' });
  await expect(clock).toContainText('Gravando 0:0');
  await pane.getByRole('button', { name: 'Descartar' }).click();
  await expect(clock).toBeHidden();
  const tray = pane.getByRole('region', { name: 'Arquivos a enviar' });
  await expect(tray).toBeHidden();

  // Recorded for two seconds and stopped: it waits in the tray with a player.
  await pane.getByRole('button', { name: /Gravar áudio/ }).click();
  await expect(clock).toContainText('Gravando 0:02', { timeout: 5_000 });
  await page.screenshot({ path: '../target/screens/gravacao-gravando-1366.png' });
  await pane.getByRole('button', { name: 'Parar' }).click();
  const recording = tray.getByRole('listitem').filter({ hasText: 'gravacao.webm' });
  await expect(recording).toBeVisible();
  const preview = recording.locator('audio');
  await expect.poll(() => preview.evaluate((el: HTMLAudioElement) => el.readyState)).toBeGreaterThan(0);
  await page.screenshot({ path: '../target/screens/gravacao-bandeja-1366.png' });
  await page.setViewportSize({ width: 360, height: 740 });
  await tray.scrollIntoViewIfNeeded();
  await page.screenshot({ path: '../target/screens/gravacao-bandeja-360.png' });
  await page.setViewportSize({ width: 1366, height: 768 });

  await tray.getByRole('button', { name: 'Enviar arquivo' }).click();
  await expect(tray).toBeHidden({ timeout: 10_000 });
  // The conversation plays the OGG/Opus the server made of the recording, about two seconds long.
  const messages = pane.getByRole('list', { name: 'Mensagens' });
  const sent = messages.getByRole('listitem').filter({ has: page.locator('audio') }).last();
  await expect(sent).toContainText(/Enviada|Entregue|Lida/, { timeout: 15_000 });
  const audio = sent.locator('audio');
  await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.readyState)).toBeGreaterThan(0);
  const src = await audio.getAttribute('src');
  const served = await page.request.get(src!);
  expect(served.headers()['content-type']).toContain('audio/ogg');
  const bytes = await served.body();
  expect(bytes.subarray(0, 4).toString()).toBe('OggS');
  expect(bytes.subarray(28, 36).toString()).toBe('OpusHead');
  await audio.evaluate(async (el: HTMLAudioElement) => {
    el.muted = true;
    await el.play();
  });
  await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.currentTime), { timeout: 5_000 }).toBeGreaterThan(0);
  const duration = await audio.evaluate((el: HTMLAudioElement) => el.duration);
  expect(duration).toBeGreaterThan(1.5);
  expect(duration).toBeLessThan(5);
  await page.screenshot({ path: '../target/screens/gravacao-enviada-1366.png' });
});
